package index

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
)

// api is a test catalogue row: an entry with its versions, tags and the
// texts its search terms come from.
type api struct {
	Entry
	versions []string // stages, one per version
	tags     []string
	zombie   bool
	text     string
}

var day = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func build(apis []api) *Index {
	b := NewBuilder(len(apis))
	for _, a := range apis {
		b.AddAPI(a.Entry)
	}
	for _, a := range apis {
		for _, st := range a.versions {
			b.AddVersion(a.ID, st, 3)
		}
		for _, t := range a.tags {
			b.AddTag(a.ID, t)
		}
		for _, term := range catalog.IndexTerms(a.Name, a.text) {
			b.AddTerm(a.ID, term)
		}
		if a.zombie {
			b.MarkZombie(a.ID)
		}
	}
	b.AddTag(999, "orphan") // a row whose API the snapshot lacks is ignored
	return b.Build()
}

func sample() []api {
	entry := func(id uint, name, team, kind, vis, grade string, age int) Entry {
		return Entry{ID: id, Slug: strings.ToLower(strings.ReplaceAll(name, " ", "-")), Name: name,
			TeamSlug: team, TeamName: strings.ToUpper(team[:1]) + team[1:], Kind: kind, Visibility: vis, Grade: grade,
			UpdatedAt: day.Add(-time.Duration(age) * time.Hour)}
	}
	return []api{
		{Entry: entry(1, "Card Payments", "payments", "rest", "internal", "A", 5), versions: []string{"production", "deprecated"}, tags: []string{"money", "cards"}, text: "Charge cards. getPaymentById"},
		{Entry: entry(2, "Refunds", "payments", "rest", "partner", "", 1), versions: []string{"production"}, tags: []string{"money"}, text: "Give money back", zombie: true},
		{Entry: entry(3, "Payouts", "treasury", "graphql", "internal", "B", 3), versions: []string{"design"}, tags: []string{"money", "payouts"}, text: "Pay sellers"},
		{Entry: entry(4, "audit log", "platform", "rest", "public", "A", 2), versions: []string{"production", "production"}, tags: []string{"compliance"}, text: "Who did what"},
		{Entry: entry(5, "Billing", "treasury", "grpc", "internal", "C", 4), versions: nil, tags: nil, text: "Invoices and payments"},
	}
}

func names(items []Entry) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Name)
	}
	return out
}

func search(t *testing.T, ix *Index, q catalog.ListQuery) Result {
	t.Helper()
	if err := q.Normalize(); err != nil {
		t.Fatal(err)
	}
	return ix.Search(q)
}

func TestSearchFindsWhatAPersonAsksFor(t *testing.T) {
	ix := build(sample())
	cases := []struct {
		name  string
		q     catalog.ListQuery
		want  []string
		total int64
	}{
		{"everything, by name (case ignored)", catalog.ListQuery{}, []string{"audit log", "Billing", "Card Payments", "Payouts", "Refunds"}, 5},
		{"a word prefix matches", catalog.ListQuery{Text: "pay"}, []string{"Billing", "Card Payments", "Payouts"}, 3},
		{"every word must match", catalog.ListQuery{Text: "pay cards"}, []string{"Card Payments"}, 1},
		{"camelCase parts are words", catalog.ListQuery{Text: "id"}, []string{"Card Payments"}, 1},
		{"camelCase words are words too", catalog.ListQuery{Text: "getpay"}, []string{"Card Payments"}, 1},
		{"no match", catalog.ListQuery{Text: "zebra"}, nil, 0},
		{"punctuation only searches nothing", catalog.ListQuery{Text: "--"}, []string{"audit log", "Billing", "Card Payments", "Payouts", "Refunds"}, 5},
		{"team", catalog.ListQuery{Team: "treasury"}, []string{"Billing", "Payouts"}, 2},
		{"unknown team", catalog.ListQuery{Team: "nobody"}, nil, 0},
		{"stage of any version", catalog.ListQuery{Stage: catalog.StageDeprecated}, []string{"Card Payments"}, 1},
		{"kind", catalog.ListQuery{Kind: catalog.KindREST}, []string{"audit log", "Card Payments", "Refunds"}, 3},
		{"visibility", catalog.ListQuery{Visibility: catalog.VisibilityInternal}, []string{"Billing", "Card Payments", "Payouts"}, 3},
		{"grade", catalog.ListQuery{Grade: "a"}, []string{"audit log", "Card Payments"}, 2},
		{"not scored", catalog.ListQuery{Grade: "none"}, []string{"Refunds"}, 1},
		{"tag", catalog.ListQuery{Tag: "Money"}, []string{"Card Payments", "Payouts", "Refunds"}, 3},
		{"zombies", catalog.ListQuery{Zombie: true}, []string{"Refunds"}, 1},
		{"filters combine", catalog.ListQuery{Text: "pay", Team: "treasury", Kind: catalog.KindGraphQL}, []string{"Payouts"}, 1},
		{"recently updated first", catalog.ListQuery{Sort: catalog.SortUpdated, Tag: "money"}, []string{"Refunds", "Payouts", "Card Payments"}, 3},
		{"by team name, then name", catalog.ListQuery{Sort: catalog.SortTeam}, []string{"Card Payments", "Refunds", "audit log", "Billing", "Payouts"}, 5},
		{"a page", catalog.ListQuery{Limit: 2, Offset: 2}, []string{"Card Payments", "Payouts"}, 5},
		{"past the end", catalog.ListQuery{Limit: 2, Offset: 10}, nil, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := search(t, ix, c.q)
			if got := names(r.Items); !slices.Equal(got, c.want) {
				t.Errorf("items %q, want %q", got, c.want)
			}
			if r.Total != c.total {
				t.Errorf("total %d, want %d", r.Total, c.total)
			}
		})
	}
}

func TestListDetails(t *testing.T) {
	r := search(t, build(sample()), catalog.ListQuery{Text: "card"})
	it := r.Items[0]
	if !slices.Equal(it.Tags, []string{"cards", "money"}) || !slices.Equal(it.Stages, []string{"production", "deprecated"}) ||
		it.VersionCount != 2 || it.EndpointCount != 6 || it.Zombie {
		t.Errorf("card payments: %+v", it)
	}
	r = search(t, build(sample()), catalog.ListQuery{Text: "audit"})
	if it := r.Items[0]; !slices.Equal(it.Stages, []string{"production"}) || it.VersionCount != 2 {
		t.Errorf("two versions in one stage list it once: %+v", it)
	}
}

func TestFacetsCountWhatChoosingAValueWouldGive(t *testing.T) {
	ix := build(sample())
	r := search(t, ix, catalog.ListQuery{Team: "payments", Tag: "money"})
	f := r.Facets
	// The team facet ignores the team filter: money-tagged APIs per team.
	want := []Facet{{"payments", "Payments", 2}, {"treasury", "Treasury", 1}}
	if !reflect.DeepEqual(f.Teams, want) {
		t.Errorf("teams %+v, want %+v", f.Teams, want)
	}
	// The tag facet ignores the tag filter: tags of payments' APIs,
	// commonest first.
	want = []Facet{{"money", "money", 2}, {"cards", "cards", 1}}
	if !reflect.DeepEqual(f.Tags, want) {
		t.Errorf("tags %+v, want %+v", f.Tags, want)
	}
	want = []Facet{{"production", "production", 2}, {"deprecated", "deprecated", 1}}
	if !reflect.DeepEqual(f.Stages, want) {
		t.Errorf("stages %+v, want %+v (lifecycle order, an API once per stage)", f.Stages, want)
	}
	want = []Facet{{"A", "A", 1}, {"none", "not scored", 1}}
	if !reflect.DeepEqual(f.Grades, want) {
		t.Errorf("grades %+v, want %+v", f.Grades, want)
	}
	want = []Facet{{"internal", "internal", 1}, {"partner", "partner", 1}}
	if !reflect.DeepEqual(f.Visibilities, want) {
		t.Errorf("visibilities %+v, want %+v", f.Visibilities, want)
	}
	if f.Zombies != 1 {
		t.Errorf("zombies %d, want 1", f.Zombies)
	}
}

func TestTagFacetKeepsTheCommonest(t *testing.T) {
	var apis []api
	for i := range 40 {
		a := api{Entry: Entry{ID: uint(i + 1), Name: fmt.Sprint("API ", i), TeamSlug: "t", Kind: "rest", Visibility: "internal"}}
		for j := 0; j <= i; j++ {
			a.tags = append(a.tags, fmt.Sprintf("tag%02d", j))
		}
		apis = append(apis, a)
	}
	f := search(t, build(apis), catalog.ListQuery{}).Facets
	if len(f.Tags) != MaxTagFacets || f.Tags[0] != (Facet{"tag00", "tag00", 40}) || f.Tags[MaxTagFacets-1].Value != "tag29" {
		t.Errorf("tag facets: %d, first %+v, last %+v", len(f.Tags), f.Tags[0], f.Tags[len(f.Tags)-1])
	}
}

// TestSearchAgreesWithAPlainFilter checks random searches over a random
// catalogue against the definition: filter every API, then count.
func TestSearchAgreesWithAPlainFilter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	teams := []string{"alpha", "beta", "gamma", "delta"}
	kinds := []string{"rest", "graphql", "grpc", "asyncapi"}
	vis := []string{"internal", "partner", "public"}
	grades := []string{"", "A", "B", "C", "D", "F"}
	tags := []string{"money", "cards", "risk", "search", "ml", "edge"}
	words := []string{"payment", "pay", "order", "orders", "ship", "shipment", "user", "account", "acc", "ledger", "lead"}
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	var apis []api
	for i := range 300 {
		a := api{Entry: Entry{ID: uint(i*3 + 7), Name: pick(words) + " " + pick(words), TeamSlug: pick(teams), Kind: pick(kinds),
			Visibility: pick(vis), Grade: pick(grades), UpdatedAt: day.Add(time.Duration(rng.IntN(50)) * time.Hour)}}
		a.TeamName = strings.ToUpper(a.TeamSlug)
		for range rng.IntN(3) {
			a.versions = append(a.versions, string(catalog.Stages[rng.IntN(len(catalog.Stages))]))
		}
		for range rng.IntN(3) {
			a.tags = append(a.tags, pick(tags))
		}
		a.zombie = rng.IntN(10) == 0
		a.text = pick(words)
		apis = append(apis, a)
	}
	ix := build(apis)
	for i := range 500 {
		q := catalog.ListQuery{Limit: 1 + rng.IntN(30), Offset: rng.IntN(40),
			Sort: []string{catalog.SortName, catalog.SortUpdated, catalog.SortTeam}[rng.IntN(3)]}
		maybe := func(list []string) string {
			if rng.IntN(3) == 0 {
				return pick(list)
			}
			return ""
		}
		q.Text = strings.TrimSpace(maybe(words) + " " + maybe(words))
		if len(q.Text) > 3 && rng.IntN(2) == 0 {
			q.Text = q.Text[:3]
		}
		q.Team, q.Kind, q.Visibility, q.Tag = maybe(teams), catalog.Kind(maybe(kinds)), catalog.Visibility(maybe(vis)), maybe(tags)
		if g := maybe(grades); g != "" {
			q.Grade = g
		} else if rng.IntN(8) == 0 {
			q.Grade = "none"
		}
		if rng.IntN(3) == 0 {
			q.Stage = catalog.Stages[rng.IntN(len(catalog.Stages))]
		}
		q.Zombie = rng.IntN(6) == 0
		if err := q.Normalize(); err != nil {
			t.Fatal(err)
		}
		got, want := ix.Search(q), plainSearch(apis, q)
		if !reflect.DeepEqual(names(got.Items), names(want.Items)) || got.Total != want.Total || !reflect.DeepEqual(got.Facets, want.Facets) {
			t.Fatalf("search %d %+v:\n got %d %q %+v\nwant %d %q %+v", i, q, got.Total, names(got.Items), got.Facets, want.Total, names(want.Items), want.Facets)
		}
	}
}

// plainSearch is the catalogue search written as its definition.
func plainSearch(apis []api, q catalog.ListQuery) Result {
	matches := func(a api, skip string) bool {
		for _, w := range catalog.SearchTerms(q.Text) {
			if !slices.ContainsFunc(catalog.IndexTerms(a.Name, a.text), func(t string) bool { return strings.HasPrefix(t, w) }) {
				return false
			}
		}
		grade := q.Grade
		if grade == "none" {
			grade = ""
		}
		return (skip == "team" || q.Team == "" || a.TeamSlug == q.Team) &&
			(skip == "stage" || q.Stage == "" || slices.Contains(a.versions, string(q.Stage))) &&
			(skip == "kind" || q.Kind == "" || a.Kind == string(q.Kind)) &&
			(skip == "visibility" || q.Visibility == "" || a.Visibility == string(q.Visibility)) &&
			(skip == "grade" || q.Grade == "" || a.Grade == grade) &&
			(skip == "tag" || q.Tag == "" || slices.Contains(a.tags, q.Tag)) &&
			(skip == "zombie" || !q.Zombie || a.zombie)
	}
	var r Result
	var hits []api
	for _, a := range apis {
		if matches(a, "") {
			hits = append(hits, a)
		}
	}
	r.Total = int64(len(hits))
	sort.Slice(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		switch {
		case q.Sort == catalog.SortUpdated && !a.UpdatedAt.Equal(b.UpdatedAt):
			return a.UpdatedAt.After(b.UpdatedAt)
		case q.Sort == catalog.SortTeam && a.TeamName != b.TeamName:
			return a.TeamName < b.TeamName
		case strings.ToLower(a.Name) != strings.ToLower(b.Name):
			return strings.ToLower(a.Name) < strings.ToLower(b.Name)
		}
		return a.ID < b.ID
	})
	for i := q.Offset; i < len(hits) && i < q.Offset+q.Limit; i++ {
		r.Items = append(r.Items, hits[i].Entry)
	}

	count := func(skip string, values func(a api) []string) map[string]int64 {
		out := map[string]int64{}
		for _, a := range apis {
			if matches(a, skip) {
				seen := map[string]bool{}
				for _, v := range values(a) {
					if !seen[v] {
						seen[v] = true
						out[v]++
					}
				}
			}
		}
		return out
	}
	facets := func(m map[string]int64, label func(string) string) []Facet {
		var out []Facet
		for v, n := range m {
			out = append(out, Facet{Value: v, Label: label(v), Count: n})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Value < out[j].Value })
		return out
	}
	same := func(v string) string { return v }
	one := func(f func(a api) string) func(a api) []string { return func(a api) []string { return []string{f(a)} } }
	r.Facets.Teams = facets(count("team", one(func(a api) string { return a.TeamSlug })), strings.ToUpper)
	sort.Slice(r.Facets.Teams, func(i, j int) bool { return r.Facets.Teams[i].Label < r.Facets.Teams[j].Label })
	r.Facets.Kinds = facets(count("kind", one(func(a api) string { return a.Kind })), same)
	r.Facets.Visibilities = facets(count("visibility", one(func(a api) string { return a.Visibility })), same)
	grades := count("grade", one(func(a api) string { return a.Grade }))
	if n, ok := grades[""]; ok {
		delete(grades, "")
		grades["none"] = n
	}
	r.Facets.Grades = facets(grades, func(v string) string {
		if v == "none" {
			return "not scored"
		}
		return v
	})
	stages := count("stage", func(a api) []string { return a.versions })
	for _, st := range catalog.Stages {
		if n := stages[string(st)]; n > 0 {
			r.Facets.Stages = append(r.Facets.Stages, Facet{Value: string(st), Label: string(st), Count: n})
		}
	}
	r.Facets.Tags = facets(count("tag", func(a api) []string { return a.tags }), same)
	sort.SliceStable(r.Facets.Tags, func(i, j int) bool { return r.Facets.Tags[i].Count > r.Facets.Tags[j].Count })
	if len(r.Facets.Tags) > MaxTagFacets {
		r.Facets.Tags = r.Facets.Tags[:MaxTagFacets]
	}
	for _, a := range apis {
		if matches(a, "zombie") && a.zombie {
			r.Facets.Zombies++
		}
	}
	return r
}

func BenchmarkSearch(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	var apis []api
	for i := range 10000 {
		apis = append(apis, api{Entry: Entry{ID: uint(i + 1), Name: fmt.Sprintf("API %d", rng.IntN(5000)), TeamSlug: fmt.Sprint("team", i%40),
			Kind: "rest", Visibility: "internal", UpdatedAt: day}, versions: []string{"production"}, tags: []string{fmt.Sprint("tag", i%60)},
			text: fmt.Sprintf("word%d word%d word%d", rng.IntN(3000), rng.IntN(3000), rng.IntN(3000))})
	}
	ix := build(apis)
	q := catalog.ListQuery{Text: "word12", Stage: catalog.StageProduction}
	if err := q.Normalize(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		ix.Search(q)
	}
}
