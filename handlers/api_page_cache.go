package handlers

import (
	"sync"

	"github.com/steward-governance/steward/web"
)

// apiPageCache keeps the catalogue part of API pages for one catalogue
// generation. Everything it holds comes from tables whose changes move the
// generation (migrations 0010, 0017 and 0018: APIs, teams, tags, versions
// with their stage moves and current spec, deployments and spec
// revisions), from any replica, so a page is never staler than the
// catalogue index; a new generation empties it.
type apiPageCache struct {
	mu        sync.Mutex
	gen       int64
	pages     map[string]*web.APIPage
	endpoints int // endpoint rows held, the bulk of the cache's size
}

// maxCachedEndpoints bounds the cache by its endpoint rows (a few hundred
// bytes each): 200,000 is the endpoints of 20,000 ordinary APIs, or of a
// few hundred very large ones.
const maxCachedEndpoints = 200_000

// get returns slug's page facts if cached for generation gen.
func (c *apiPageCache) get(gen int64, slug string) *web.APIPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return nil
	}
	return c.pages[slug]
}

// put keeps p, read at generation gen or later; a request that read an
// older generation than the cache's keeps nothing.
func (c *apiPageCache) put(gen int64, slug string, p *web.APIPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case gen < c.gen:
		return
	case gen > c.gen || c.pages == nil || c.endpoints+len(p.PrimaryEndpoints) > maxCachedEndpoints:
		c.gen, c.pages, c.endpoints = gen, map[string]*web.APIPage{}, 0
	}
	if old := c.pages[slug]; old != nil {
		c.endpoints -= len(old.PrimaryEndpoints)
	}
	c.pages[slug] = p
	c.endpoints += len(p.PrimaryEndpoints)
}
