package index

import (
	"slices"
	"sort"
	"strings"

	"github.com/steward-governance/steward/catalog"
)

// Builder collects a catalogue snapshot; Build turns it into an Index. The
// Add methods accept rows in any order and ignore rows of unknown APIs
// (a version or tag whose API the snapshot does not hold).
type Builder struct {
	entries []Entry
	pos     map[uint]int32
	terms   map[string][]int32
}

// NewBuilder starts an index for about n APIs.
func NewBuilder(n int) *Builder {
	return &Builder{entries: make([]Entry, 0, n), pos: make(map[uint]int32, n), terms: map[string][]int32{}}
}

// AddAPI adds one API; its Tags, Stages, counts and Zombie flag come from
// the other Add methods.
func (b *Builder) AddAPI(e Entry) {
	e.Tags, e.Stages, e.VersionCount, e.EndpointCount, e.Zombie = nil, nil, 0, 0, false
	b.pos[e.ID] = int32(len(b.entries))
	b.entries = append(b.entries, e)
}

// AddVersion records a version of an API: its stage and endpoint count.
func (b *Builder) AddVersion(apiID uint, stage string, endpoints int) {
	if e := b.entry(apiID); e != nil {
		e.VersionCount++
		e.EndpointCount += endpoints
		if !slices.Contains(e.Stages, stage) {
			e.Stages = append(e.Stages, stage)
		}
	}
}

// AddTag records a tag of an API.
func (b *Builder) AddTag(apiID uint, tag string) {
	if e := b.entry(apiID); e != nil && !slices.Contains(e.Tags, tag) {
		e.Tags = append(e.Tags, tag)
	}
}

// AddTerm records a search term of an API (catalog.IndexTerms).
func (b *Builder) AddTerm(apiID uint, term string) {
	if p, ok := b.pos[apiID]; ok {
		b.terms[term] = append(b.terms[term], p)
	}
}

// MarkZombie flags an API with a zombie version.
func (b *Builder) MarkZombie(apiID uint) {
	if e := b.entry(apiID); e != nil {
		e.Zombie = true
	}
}

func (b *Builder) entry(apiID uint) *Entry {
	if p, ok := b.pos[apiID]; ok {
		return &b.entries[p]
	}
	return nil
}

// Build freezes the snapshot. The Builder must not be used afterwards.
func (b *Builder) Build() *Index {
	n := len(b.entries)
	ix := &Index{
		entries:    b.entries,
		team:       make([]int32, n),
		kind:       make([]int32, n),
		visibility: make([]int32, n),
		grade:      make([]int32, n),
		tags:       make([][]int32, n),
		stages:     make([]uint8, n),
		zombie:     make([]bool, n),
	}
	teams, kinds, vis, grades, tags := interner{}, interner{}, interner{}, interner{}, interner{}
	for i := range ix.entries {
		e := &ix.entries[i]
		sort.Strings(e.Tags)
		sort.Slice(e.Stages, func(a, c int) bool { return stageOrder(e.Stages[a]) < stageOrder(e.Stages[c]) })
		t, fresh := teams.id(e.TeamSlug)
		if fresh {
			ix.teams = append(ix.teams, Facet{Value: e.TeamSlug, Label: e.TeamName})
		}
		ix.team[i] = t
		ix.kind[i] = kinds.intern(e.Kind, &ix.kinds)
		ix.visibility[i] = vis.intern(e.Visibility, &ix.visibilities)
		ix.grade[i] = grades.intern(e.Grade, &ix.grades)
		for _, t := range e.Tags {
			ix.tags[i] = append(ix.tags[i], tags.intern(t, &ix.tagNames))
		}
		for _, s := range e.Stages {
			ix.stages[i] |= stageMask(s)
		}
		ix.zombie[i] = e.Zombie
	}

	ix.terms = make([]string, 0, len(b.terms))
	for t := range b.terms {
		ix.terms = append(ix.terms, t)
	}
	sort.Strings(ix.terms)
	ix.postings = make([][]int32, len(ix.terms))
	for i, t := range ix.terms {
		ix.postings[i] = b.terms[t]
	}

	ix.byName = ix.order(func(a, c *Entry) int { return 0 })
	ix.byUpdated = ix.order(func(a, c *Entry) int { return c.UpdatedAt.Compare(a.UpdatedAt) })
	ix.byTeam = ix.order(func(a, c *Entry) int { return strings.Compare(a.TeamName, c.TeamName) })
	*b = Builder{}
	return ix
}

// order sorts entry positions by first, then by lower-cased name (the
// stored name key) and id, the tie-breakers every catalogue order ends with.
func (ix *Index) order(first func(a, c *Entry) int) []int32 {
	keys := make([]string, len(ix.entries))
	for i := range ix.entries {
		keys[i] = strings.ToLower(ix.entries[i].Name)
	}
	out := make([]int32, len(ix.entries))
	for i := range out {
		out[i] = int32(i)
	}
	slices.SortFunc(out, func(i, j int32) int {
		a, c := &ix.entries[i], &ix.entries[j]
		if d := first(a, c); d != 0 {
			return d
		}
		if d := strings.Compare(keys[i], keys[j]); d != 0 {
			return d
		}
		return int(a.ID) - int(c.ID)
	})
	return out
}

// interner numbers distinct values in the order first seen.
type interner map[string]int32

func (in interner) id(v string) (int32, bool) {
	if n, ok := in[v]; ok {
		return n, false
	}
	n := int32(len(in))
	in[v] = n
	return n, true
}

// intern numbers v, appending it to values when new.
func (in interner) intern(v string, values *[]string) int32 {
	n, fresh := in.id(v)
	if fresh {
		*values = append(*values, v)
	}
	return n
}

func stageOrder(s string) int {
	for i, st := range catalog.Stages {
		if string(st) == s {
			return i
		}
	}
	return len(catalog.Stages)
}
