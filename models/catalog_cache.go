package models

import (
	"context"
	"strings"
	"sync"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
)

// The catalogue page's count and facets re-read most of the catalogue for
// every filter combination, yet change only when the catalogue does. They
// are cached per filter set and catalogue generation: a counter that
// triggers on the catalogue's tables bump in the same transaction as any
// change, from any replica, so a cached figure is never stale.

// catalogCacheSize bounds the filter sets kept; when full the cache starts
// over, which is cheaper than tracking recency for a page this cheap to
// recompute.
const catalogCacheSize = 4096

type catalogCache struct {
	mu      sync.Mutex
	gen     int64
	entries map[string]*catalogEntry
}

type catalogEntry struct {
	total  *int64
	facets *Facets
}

// catalogueTables are the tables whose changes can move a count or facet.
var catalogueTables = []string{"teams", "apis", "versions", "api_tags", "api_terms"}

// migrateCatalogueGeneration adds the generation counter and its triggers.
func migrateCatalogueGeneration(tx *gorm.DB) error {
	err := execAll(tx,
		`CREATE TABLE catalogue_generation (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)`,
		`INSERT INTO catalogue_generation (id, n) VALUES (1, 0)`,
	)
	if err != nil {
		return err
	}
	if tx.Dialector.Name() == "postgres" {
		// Per statement: an import inserting 100,000 rows bumps once.
		if err := tx.Exec(`CREATE FUNCTION bump_catalogue_generation() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN UPDATE catalogue_generation SET n = n + 1 WHERE id = 1; RETURN NULL; END $$`).Error; err != nil {
			return err
		}
		for _, t := range catalogueTables {
			if err := tx.Exec(`CREATE TRIGGER bump_generation_` + t + ` AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ` + t +
				` FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_generation()`).Error; err != nil {
				return err
			}
		}
		return nil
	}
	for _, t := range catalogueTables {
		for _, op := range []string{"INSERT", "UPDATE", "DELETE"} {
			if err := tx.Exec(`CREATE TRIGGER bump_generation_` + t + `_` + strings.ToLower(op) + ` AFTER ` + op + ` ON ` + t +
				` BEGIN UPDATE catalogue_generation SET n = n + 1 WHERE id = 1; END`).Error; err != nil {
				return err
			}
		}
	}
	return nil
}

// catalogueGeneration reads the counter: one primary-key lookup.
func (s *Store) catalogueGeneration(ctx context.Context) (int64, error) {
	var n []int64
	err := s.db.WithContext(ctx).Table("catalogue_generation").Where("id = 1").Pluck("n", &n).Error
	if err != nil || len(n) == 0 {
		return 0, err
	}
	return n[0], nil
}

// filterKey names q's filters, leaving out paging and sort, which change
// neither the count nor the facets.
func filterKey(q catalog.ListQuery) string {
	return strings.Join([]string{q.Team, string(q.Stage), string(q.Kind), string(q.Visibility), q.Grade, q.Tag,
		strings.Join(catalog.SearchTerms(q.Text), " ")}, "\x00")
}

// cached returns q's cache entry for the current generation, creating it;
// the entry's fields are filled by the caller under the cache's lock.
func (s *Store) cached(ctx context.Context, q catalog.ListQuery) (*catalogEntry, error) {
	gen, err := s.catalogueGeneration(ctx)
	if err != nil {
		return nil, err
	}
	c := s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.entries == nil || len(c.entries) >= catalogCacheSize {
		c.gen, c.entries = gen, map[string]*catalogEntry{}
	}
	key := filterKey(q)
	e := c.entries[key]
	if e == nil {
		e = &catalogEntry{}
		c.entries[key] = e
	}
	return e, nil
}

func (s *Store) cachedTotal(e *catalogEntry) (int64, bool) {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	if e.total == nil {
		return 0, false
	}
	return *e.total, true
}

func (s *Store) cachedFacets(e *catalogEntry) *Facets {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return e.facets
}

func (s *Store) remember(e *catalogEntry, total *int64, facets *Facets) {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	if total != nil {
		e.total = total
	}
	if facets != nil {
		e.facets = facets
	}
}
