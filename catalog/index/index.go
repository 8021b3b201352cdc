// Package index answers catalogue searches from memory: the text search,
// the filters, the facet counts and the sorted page that the catalogue page
// and GET /api/v1/apis show.
//
// Asking the database the same thing costs a count, a page and a grouped
// query per facet, each re-evaluating the search over the whole catalogue:
// about 10 ms of CPU per page at 10,000 APIs on SQLite. The catalogue
// changes rarely compared with how often it is read, so the store builds an
// Index from one consistent snapshot per catalogue generation and every
// search until the next change is a scan over a few compact arrays.
//
// The package knows nothing of HTTP or SQL; models fills a Builder.
package index

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/steward-governance/steward/catalog"
)

// Entry is one API as the catalogue lists it. Entries returned by Search
// share their slices with the index: read them, never change them.
type Entry struct {
	ID          uint
	Slug        string
	Name        string
	Description string
	TeamSlug    string
	TeamName    string
	Kind        string
	Visibility  string
	Demo        bool
	Grade       string // "" when not scored yet
	UpdatedAt   time.Time
	// Zombie: a version of the API is a zombie (no legitimate traffic).
	Zombie bool
	// Tags in byte order; Stages distinct, in lifecycle order.
	Tags          []string
	Stages        []string
	VersionCount  int
	EndpointCount int
}

// Facet is one filter value and how many APIs have it.
type Facet struct {
	Value string
	Label string
	Count int64
}

// Facets are the counts shown beside each filter: each counts the APIs the
// other filters (and the search words) match, so it tells what choosing
// that value would give. Zombies counts the matching APIs that are zombies.
type Facets struct {
	Teams, Stages, Kinds, Visibilities, Tags, Grades []Facet
	Zombies                                          int64
}

// MaxTagFacets bounds the tag facet to the commonest tags.
const MaxTagFacets = 30

// Result is one page of a search, the total it was cut from, and the facets.
type Result struct {
	Items  []Entry
	Total  int64
	Facets Facets
}

// Index is an immutable snapshot of the catalogue, safe for concurrent
// searches.
type Index struct {
	entries []Entry
	// Interned attributes per entry, so filters and facet counts compare
	// small integers.
	team, kind, visibility, grade []int32
	tags                          [][]int32
	stages                        []uint8 // a bit per catalog.Stages index
	zombie                        []bool

	teams        []Facet // Value slug, Label name; Count unused
	kinds        []string
	visibilities []string
	grades       []string
	tagNames     []string

	// terms in byte order, each with the entries indexed under it.
	terms    []string
	postings [][]int32

	// Entry positions in each order the catalogue offers.
	byName, byUpdated, byTeam []int32
}

// Len is how many APIs the index holds.
func (ix *Index) Len() int { return len(ix.entries) }

// filter bits: which of a query's conditions an entry fails.
const (
	failText = 1 << iota
	failTeam
	failStage
	failKind
	failVisibility
	failGrade
	failTag
	failZombie
)

// Search answers q, which must be normalised (catalog.ListQuery.Normalize).
func (ix *Index) Search(q catalog.ListQuery) Result {
	words := ix.matchingText(catalog.SearchTerms(q.Text))
	team := lookup(len(ix.teams), func(i int) string { return ix.teams[i].Value }, q.Team)
	kind := lookup(len(ix.kinds), func(i int) string { return ix.kinds[i] }, string(q.Kind))
	vis := lookup(len(ix.visibilities), func(i int) string { return ix.visibilities[i] }, string(q.Visibility))
	grade := lookup(len(ix.grades), func(i int) string { return ix.grades[i] }, gradeValue(q.Grade))
	tag := lookup(len(ix.tagNames), func(i int) string { return ix.tagNames[i] }, q.Tag)
	var stageBit uint8
	if q.Stage != "" {
		stageBit = stageMask(string(q.Stage)) // 0 for an unknown stage: nothing matches
	}

	byTeam, byStage, byKind, byVis, byGrade, byTag := q.Team != "", q.Stage != "", q.Kind != "", q.Visibility != "", q.Grade != "", q.Tag != ""
	c := newCounter(ix)
	matched := make([]bool, len(ix.entries))
	var total int64
	for i := range ix.entries {
		var fail int
		if words != nil && !words[i] {
			fail |= failText
		}
		if byTeam && ix.team[i] != team {
			fail |= failTeam
		}
		if byStage && ix.stages[i]&stageBit == 0 {
			fail |= failStage
		}
		if byKind && ix.kind[i] != kind {
			fail |= failKind
		}
		if byVis && ix.visibility[i] != vis {
			fail |= failVisibility
		}
		if byGrade && ix.grade[i] != grade {
			fail |= failGrade
		}
		if byTag && (tag < 0 || !slices.Contains(ix.tags[i], tag)) {
			fail |= failTag
		}
		if q.Zombie && !ix.zombie[i] {
			fail |= failZombie
		}
		if fail == 0 {
			matched[i] = true
			total++
		}
		if fail&(fail-1) == 0 && fail != failText { // no facet counts an entry failing two conditions, or the search
			c.add(i, fail)
		}
	}
	return Result{Items: ix.page(q, matched), Total: total, Facets: c.facets()}
}

// lookup finds want among n interned values; -1 when absent: no entry
// matches then.
func lookup(n int, value func(int) string, want string) int32 {
	for i := 0; i < n; i++ {
		if value(i) == want {
			return int32(i)
		}
	}
	return -1
}

// gradeValue maps the "none" filter to the stored empty grade.
func gradeValue(g string) string {
	if g == "none" {
		return ""
	}
	return g
}

// matchingText marks the entries that have, for every search word, an
// indexed term starting with it; nil when there are no words.
func (ix *Index) matchingText(words []string) []bool {
	if len(words) == 0 {
		return nil
	}
	var all []bool
	for _, w := range words {
		hit := make([]bool, len(ix.entries))
		for t := sort.SearchStrings(ix.terms, w); t < len(ix.terms) && strings.HasPrefix(ix.terms[t], w); t++ {
			for _, e := range ix.postings[t] {
				hit[e] = true
			}
		}
		if all == nil {
			all = hit
			continue
		}
		for i := range all {
			all[i] = all[i] && hit[i]
		}
	}
	return all
}

// page cuts q's page from the matched entries in q's order.
func (ix *Index) page(q catalog.ListQuery, matched []bool) []Entry {
	order := ix.byName
	switch q.Sort {
	case catalog.SortUpdated:
		order = ix.byUpdated
	case catalog.SortTeam:
		order = ix.byTeam
	}
	var items []Entry
	skip := q.Offset
	for _, i := range order {
		if !matched[i] {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if len(items) == q.Limit {
			break
		}
		items = append(items, ix.entries[i])
	}
	return items
}

// counter accumulates facet counts during a search. An entry counts for a
// facet when it fails no condition but, at most, that facet's own; for the
// zombie count, when it fails none but the zombie filter.
type counter struct {
	ix                          *Index
	team, kind, vis, grade, tag []int64
	stage                       [8]int64
	zombies                     int64
}

func newCounter(ix *Index) *counter {
	return &counter{
		ix:    ix,
		team:  make([]int64, len(ix.teams)),
		kind:  make([]int64, len(ix.kinds)),
		vis:   make([]int64, len(ix.visibilities)),
		grade: make([]int64, len(ix.grades)),
		tag:   make([]int64, len(ix.tagNames)),
	}
}

func (c *counter) add(i, fail int) {
	ix := c.ix
	if fail&^failZombie == 0 && ix.zombie[i] {
		c.zombies++
	}
	switch fail {
	case 0:
		c.team[ix.team[i]]++
		c.kind[ix.kind[i]]++
		c.vis[ix.visibility[i]]++
		c.grade[ix.grade[i]]++
		c.addTags(i)
		c.addStages(i)
	case failTeam:
		c.team[ix.team[i]]++
	case failKind:
		c.kind[ix.kind[i]]++
	case failVisibility:
		c.vis[ix.visibility[i]]++
	case failGrade:
		c.grade[ix.grade[i]]++
	case failTag:
		c.addTags(i)
	case failStage:
		c.addStages(i)
	}
}

func (c *counter) addTags(i int) {
	for _, t := range c.ix.tags[i] {
		c.tag[t]++
	}
}

func (c *counter) addStages(i int) {
	for s, bits := 0, c.ix.stages[i]; bits != 0; s, bits = s+1, bits>>1 {
		if bits&1 != 0 {
			c.stage[s]++
		}
	}
}

func (c *counter) facets() Facets {
	ix := c.ix
	f := Facets{Zombies: c.zombies}
	for i, n := range c.team {
		if n > 0 {
			f.Teams = append(f.Teams, Facet{Value: ix.teams[i].Value, Label: ix.teams[i].Label, Count: n})
		}
	}
	f.Kinds = named(ix.kinds, c.kind)
	f.Visibilities = named(ix.visibilities, c.vis)
	f.Grades = named(ix.grades, c.grade)
	for i := range f.Grades {
		if f.Grades[i].Value == "" {
			f.Grades[i].Value, f.Grades[i].Label = "none", "not scored"
		}
	}
	for s, stage := range catalog.Stages {
		if n := c.stage[s]; n > 0 {
			name := string(stage)
			f.Stages = append(f.Stages, Facet{Value: name, Label: name, Count: n})
		}
	}
	f.Tags = named(ix.tagNames, c.tag)
	sort.Slice(f.Teams, func(i, j int) bool { return f.Teams[i].Label < f.Teams[j].Label })
	byValue := func(fs []Facet) {
		sort.Slice(fs, func(i, j int) bool { return fs[i].Value < fs[j].Value })
	}
	byValue(f.Kinds)
	byValue(f.Visibilities)
	byValue(f.Grades)
	sort.Slice(f.Tags, func(i, j int) bool {
		if f.Tags[i].Count != f.Tags[j].Count {
			return f.Tags[i].Count > f.Tags[j].Count
		}
		return f.Tags[i].Value < f.Tags[j].Value
	})
	if len(f.Tags) > MaxTagFacets {
		f.Tags = f.Tags[:MaxTagFacets]
	}
	return f
}

// named pairs interned values with their counts, leaving out zeros.
func named(values []string, counts []int64) []Facet {
	var out []Facet
	for i, n := range counts {
		if n > 0 {
			out = append(out, Facet{Value: values[i], Label: values[i], Count: n})
		}
	}
	return out
}

// stageMask is the bit of a lifecycle stage, 0 for an unknown one.
func stageMask(stage string) uint8 {
	for i, s := range catalog.Stages {
		if string(s) == stage {
			return 1 << i
		}
	}
	return 0
}
