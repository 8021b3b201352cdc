package handlers_test

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
)

// governedZoo is pets (team zoo, v1 deployed at https://pets.example.com)
// with five requests through the ingest endpoint, one of them over plain
// HTTP, and birds (team aviary) with no spec and no traffic.
func (s *site) governedZoo() {
	s.t.Helper()
	s.petsDeployed()
	ctx, sys := s.t.Context(), catalog.SystemActor("test")
	if _, err := s.store.CreateTeam(ctx, sys, catalog.TeamInput{Slug: "aviary", Name: "Aviary"}); err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.store.CreateAPI(ctx, sys, catalog.APIInput{Slug: "birds", Name: "Birds", TeamSlug: "aviary", Kind: "rest", Visibility: "internal"}); err != nil {
		s.t.Fatal(err)
	}
	key := s.addSource("edge SDK", "treblle", "")
	for _, u := range []string{"https://pets.example.com/pets/1", "https://pets.example.com/pets/2", "https://pets.example.com/pets/3",
		"https://pets.example.com/pets", "http://pets.example.com/pets/4"} {
		if p := s.send("/ingest/treblle", "application/json", []byte(eventNow(key, u, 200)), nil); p.status != http.StatusAccepted {
			s.t.Fatalf("ingest %s: %d", u, p.status)
		}
	}
	s.rollUp()
}

// snapshot runs the overview job as the scheduler would.
func (s *site) snapshot() {
	s.t.Helper()
	if err := (&jobs.GovernanceSnapshot{Store: s.store}).Run(s.t.Context()); err != nil {
		s.t.Fatal(err)
	}
}

func TestGovernanceOverviewPages(t *testing.T) {
	s := newSite(t, "sqlite")
	before := s.get("/governance")
	if before.status != http.StatusOK || before.count("[data-testid=overview-not-computed]") != 1 || before.count(`[data-testid=overview-not-computed] a[href="/admin/jobs"]`) != 1 {
		t.Fatalf("before the first run: %d %q", before.status, before.text("main"))
	}
	s.governedZoo()
	s.snapshot()

	p := s.get("/governance")
	if p.status != http.StatusOK || p.count("[data-testid=overview-figures] article") != 14 {
		t.Fatalf("overview: %d, %d figures: %q", p.status, p.count("[data-testid=overview-figures] article"), p.text("main"))
	}
	plain := "[data-testid=figure-plain_http_traffic] "
	if v := p.text(plain + "[data-testid=figure-value]"); v != "20%" {
		t.Errorf("plain HTTP: %q, want 20%%", v)
	}
	if r := p.text(plain + "[data-testid=figure-ratio]"); r != "1 of 5 requests" {
		t.Errorf("plain HTTP counts: %q", r)
	}
	if ind := p.text(plain + "[data-testid=figure-industry]"); !strings.Contains(ind, "42%") || !strings.Contains(ind, "Treblle, Anatomy of an API 2025") {
		t.Errorf("industry figure: %q", ind)
	}
	if at := p.text(plain + "[data-testid=figure-computed-at]"); !strings.HasPrefix(at, "Computed ") || !strings.Contains(at, "UTC") {
		t.Errorf("computed at: %q", at)
	}
	// No zombie verdict, no runtime scorecard, no scorecard: said, not zero.
	for _, key := range []string{"zombie_versions", "drift_versions", "average_score"} {
		if p.count("[data-testid=figure-"+key+"] [data-testid=figure-not-measured]") != 1 {
			t.Errorf("%s: %q, want it not measured", key, p.text("[data-testid=figure-"+key+"]"))
		}
	}
	if v := p.text("[data-testid=figure-specless_apis] [data-testid=figure-value]"); v != "50%" {
		t.Errorf("APIs without a spec: %q", v)
	}
	if n := p.count("[data-testid=leader-row]"); n != 2 {
		t.Errorf("leaderboard: %d teams, want 2", n)
	}
	if p.count("[data-testid=grade-distribution]") != 0 && p.count("[data-testid=governance-empty]") != 1 {
		t.Errorf("the live section is missing")
	}

	// Follow the figure to what is behind it.
	href, _ := p.doc.Find(plain + "[data-testid=figure-link]").Attr("href")
	if href != "/governance/figures/plain_http_traffic" {
		t.Fatalf("plain HTTP links to %q", href)
	}
	list := s.get(href)
	if list.status != http.StatusOK || list.count("[data-testid=member-row]") != 1 {
		t.Fatalf("plain HTTP list: %d %q", list.status, list.text("main"))
	}
	row := strings.Join(strings.Fields(list.text("[data-testid=member-row]")), " ")
	if !strings.Contains(row, "Pets") || !strings.Contains(row, "20% of 5 requests over plain HTTP") {
		t.Errorf("member row: %q", row)
	}
	if link, _ := list.doc.Find("[data-testid=member-link]").Attr("href"); link != "/apis/pets" {
		t.Errorf("member links to %q", link)
	}
	for _, c := range []struct {
		path   string
		status int
		rows   int
	}{
		{"/governance/figures/specless_apis", 200, 1},
		{"/governance/figures/specless_apis?show=others", 200, 1},
		{"/governance/figures/specless_apis?show=all", 200, 2},
		{"/governance/figures/specless_apis?team=zoo", 200, 0},
		{"/governance/figures/ownerless_apis?team=aviary", 200, 1},
		{"/governance/figures/no_such_figure", 404, 0},
		{"/governance/figures/specless_apis?show=maybe", 400, 0},
		{"/governance/figures/specless_apis?team=nobody", 404, 0},
		{"/governance/figures/shadow_apis?team=zoo", 400, 0},
		{"/governance/figures/specless_apis?page=0", 400, 0},
	} {
		got := s.get(c.path)
		if got.status != c.status || (c.status == 200 && got.count("[data-testid=member-row]") != c.rows) {
			t.Errorf("%s: %d with %d rows, want %d with %d", c.path, got.status, got.count("[data-testid=member-row]"), c.status, c.rows)
		}
	}

	// The team's report, linked from its page.
	team := s.get("/teams/zoo")
	if link, _ := team.doc.Find("[data-testid=team-report-link]").Attr("href"); link != "/governance/teams/zoo" {
		t.Errorf("team page links to %q", link)
	}
	report := s.get("/governance/teams/zoo")
	if report.status != http.StatusOK || report.text("[data-testid=figure-plain_http_traffic] [data-testid=figure-value]") != "20%" ||
		report.count("[data-testid=figure-shadow_apis]") != 0 {
		t.Errorf("team report: %d %q", report.status, report.text("main"))
	}
	if href, _ := report.doc.Find("[data-testid=figure-ownerless_apis] [data-testid=figure-link]").Attr("href"); href != "/governance/figures/ownerless_apis?team=zoo" {
		t.Errorf("team figure links to %q", href)
	}
	if p := s.get("/governance/teams/nobody"); p.status != http.StatusNotFound {
		t.Errorf("unknown team's report: %d", p.status)
	}

	// Printable: the report without the navigation.
	for _, path := range []string{"/governance?print=1", "/governance/teams/zoo?print=1"} {
		pr := s.get(path)
		if pr.status != http.StatusOK || pr.count(".site-header") != 0 || pr.count("[data-testid=overview-figures] article") == 0 || pr.count("[data-testid=report-exports]") != 0 {
			t.Errorf("%s: %d, header %d", path, pr.status, pr.count(".site-header"))
		}
	}
	if pr := s.get("/governance?print=yes"); pr.status != http.StatusBadRequest {
		t.Errorf("print=yes: %d", pr.status)
	}
}

func TestGovernanceOverviewCSV(t *testing.T) {
	s := newSite(t, "sqlite")
	s.governedZoo()
	s.snapshot()
	read := func(path string) [][]string {
		t.Helper()
		p := s.get(path)
		if p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Type"), "text/csv") ||
			!strings.HasPrefix(p.header.Get("Content-Disposition"), `attachment; filename="governance-`) {
			t.Fatalf("%s: %d %q %q", path, p.status, p.header.Get("Content-Type"), p.header.Get("Content-Disposition"))
		}
		rows, err := csv.NewReader(strings.NewReader(p.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	org := read("/governance?format=csv")
	if org[0][0] != "scope" || org[0][4] != "value" {
		t.Fatalf("header: %v", org[0])
	}
	find := func(rows [][]string, scope, team, figure string) []string {
		for _, r := range rows {
			if r[0] == scope && r[1] == team && r[2] == figure {
				return r
			}
		}
		t.Fatalf("no %s %s %s row in %v", scope, team, figure, rows)
		return nil
	}
	// scope, team, figure, title, value, unit, numerator, denominator, measured, note, computed_at, data_at, industry_value, industry_source
	if r := find(org, "organisation", "", "plain_http_traffic"); r[4] != "20" || r[5] != "percent" || r[6] != "1" || r[7] != "5" || r[12] != "42" || r[13] != "Treblle, Anatomy of an API 2025" {
		t.Errorf("plain HTTP row: %v", r)
	}
	if r := find(org, "team", "aviary", "specless_apis"); r[4] != "100" || r[8] != "true" {
		t.Errorf("aviary's specless row: %v", r)
	}
	if r := find(org, "organisation", "", "zombie_versions"); r[4] != "" || r[8] != "false" || r[9] == "" {
		t.Errorf("an unmeasured figure: %v", r)
	}
	if len(org) != 1+14+2*13 {
		t.Errorf("%d rows, want the header, 14 organisation figures and 13 per team", len(org))
	}
	team := read("/governance/teams/zoo?format=csv")
	if len(team) != 1+13 || team[1][1] != "zoo" {
		t.Errorf("team export: %v", team)
	}
	members := read("/governance/figures/plain_http_traffic?show=all&format=csv")
	if len(members) != 2 || members[1][3] != "pets" || members[1][7] != "true" {
		t.Errorf("members export: %v", members)
	}
}

func TestGovernanceOverviewMetrics(t *testing.T) {
	s := newSite(t, "sqlite")
	s.governedZoo()
	s.snapshot()
	token := s.createToken("prometheus", "read", "")
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	p := s.do(req)
	if p.status != http.StatusOK {
		t.Fatalf("scrape: %d", p.status)
	}
	for _, want := range []string{
		`steward_governance_ratio{figure="plain_http_traffic"} 0.2`,
		`steward_governance_ratio{figure="specless_apis"} 0.5`,
		`steward_governance_count{figure="pending_approvals"} 0`,
		`steward_governance_snapshot_timestamp_seconds `,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(p.body, `figure="zombie_versions"`) {
		t.Error("an unmeasured figure is reported")
	}
}

func TestAPIv1Overview(t *testing.T) {
	s := newAPISite(t, "sqlite")
	s.run(t, []apiStep{
		{name: "before the first run", method: "GET", path: "/api/v1/overview", status: 200, expect: map[string]any{"computed_at": nil}},
	})
	s.governedZoo()
	s.snapshot()
	s.run(t, []apiStep{
		{name: "the organisation", method: "GET", path: "/api/v1/overview", status: 200, check: func(t *testing.T, r *apiResponse) {
			figures := r.list(t, "figures")
			if len(figures) != 14 || r.get("computed_at") == nil {
				t.Fatalf("%d figures: %s", len(figures), r.raw)
			}
			for _, f := range figures {
				f := f.(map[string]any)
				switch f["key"] {
				case "plain_http_traffic":
					if f["value"].(interface{ String() string }).String() != "0.2" || f["page"] != "/governance/figures/plain_http_traffic" ||
						f["industry"].(map[string]any)["source"] != "Treblle, Anatomy of an API 2025" || len(f["history"].([]any)) != 1 {
						t.Errorf("plain HTTP: %v", f)
					}
				case "zombie_versions":
					if f["value"] != nil || f["measured"] != false || f["reason"] == nil {
						t.Errorf("zombie versions: %v", f)
					}
				}
			}
			if teams := r.list(t, "teams"); len(teams) != 2 {
				t.Errorf("teams: %v", teams)
			}
		}},
		{name: "a team", method: "GET", path: "/api/v1/overview/teams/zoo?days=30", status: 200,
			expect: map[string]any{"team.slug": "zoo", "figures.1.key": "plain_http_traffic", "figures.1.numerator": 1, "figures.1.denominator": 5}},
		{name: "an unknown team", method: "GET", path: "/api/v1/overview/teams/nobody", status: 404},
		{name: "days out of range", method: "GET", path: "/api/v1/overview?days=9999", status: 400},
		{name: "an unknown parameter", method: "GET", path: "/api/v1/overview?team=zoo", status: 400},
	})
}
