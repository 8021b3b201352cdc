package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
)

// runtimeRules asks for 5 requests before a runtime score, so a handful
// of test events make one.
const runtimeRules = "extends: [\"steward:recommended\"]\nx-steward-runtime:\n  min-requests: 5\n"

// runtimeScored sets up pets with three versions and runs the jobs:
//   - v1 (petsDeployed: GET /pets and GET /pets/{petId}, 200 only) gets 6
//     requests: one over plain HTTP, one 503, one to an undocumented path;
//   - v2, deployed without a spec, gets one request: no runtime data;
//   - v3 gets nothing and has no runtime row at all.
func (s *apiSite) runtimeScored(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if err := s.store.EnsureDefaultStandard(ctx, runtimeRules); err != nil {
		t.Fatal(err)
	}
	s.petsDeployed()
	sys := catalog.SystemActor("test")
	for _, v := range []string{"v2", "v3"} {
		if _, err := s.store.CreateVersion(ctx, sys, "pets", catalog.VersionInput{Name: v, Stage: "production"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.store.PutDeployment(ctx, sys, "pets", v, catalog.DeploymentInput{Environment: "prod", BaseURL: "https://pets-" + v + ".example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	key := s.addSource("edge SDK", "treblle", "")
	for _, ev := range []struct {
		url    string
		status int
	}{
		{"https://pets.example.com/pets/1", 200},
		{"https://pets.example.com/pets/2", 200},
		{"https://pets.example.com/pets/3", 503},
		{"https://pets.example.com/pets", 200},
		{"https://pets.example.com/pets", 200},
		{"http://pets.example.com/pets/4/toys", 404},
		{"https://pets-v2.example.com/pets", 200},
	} {
		if p := s.send("/ingest/treblle", "application/json", []byte(eventNow(key, ev.url, ev.status)), nil); p.status != http.StatusAccepted {
			t.Fatalf("ingest %s: %d %s", ev.url, p.status, p.body)
		}
	}
	s.rollUp()
	if err := (&jobs.Scoring{Store: s.store, Log: slog.New(slog.DiscardHandler)}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := (&jobs.RuntimeScoring{Store: s.store}).Run(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestScorecardShowsRuntimeBesideDesignTime(t *testing.T) {
	s := newAPISite(t, "sqlite")
	s.runtimeScored(t)

	for _, c := range []struct {
		version     string
		designTime  string // the design-time side's test id
		noData      bool
		noDataText  string
		failingRule string
	}{
		{version: "v1", designTime: "scorecard", failingRule: "runtime-https-only"},
		{version: "v2", designTime: "scorecard-none", noData: true, noDataText: "1 request in the last 7 days; a runtime score needs at least 5."},
		{version: "v3", designTime: "scorecard-none", noData: true, noDataText: "No traffic recorded"},
	} {
		t.Run(c.version, func(t *testing.T) {
			p := s.get("/apis/pets/versions/" + c.version + "/scorecard")
			if p.status != http.StatusOK {
				t.Fatalf("scorecard page: %d", p.status)
			}
			if p.count("[data-testid=score-sides] > [data-testid=design-time] [data-testid="+c.designTime+"]") != 1 ||
				p.count("[data-testid=score-sides] > [data-testid=runtime]") != 1 {
				t.Fatalf("design time and runtime are not side by side: %q", p.text("[data-testid=score-sides]"))
			}
			runtime := p.doc.Find("[data-testid=runtime]")
			if c.noData {
				text := strings.Join(strings.Fields(runtime.Find("[data-testid=no-runtime-data]").Text()), " ")
				if !strings.HasPrefix(text, "No runtime data.") || !strings.Contains(text, c.noDataText) {
					t.Errorf("runtime side: %q, want no runtime data with %q", text, c.noDataText)
				}
				if runtime.Find(".grade, [data-testid=runtime-overall]").Length() != 0 || p.count("[data-testid=drift]") != 0 {
					t.Error("a version without runtime data shows a score or drift")
				}
				return
			}
			overall := runtime.Find("[data-testid=runtime-overall]").Text()
			if grade := strings.TrimSpace(runtime.Find(".grade").Text()); len(grade) != 1 || overall == "" {
				t.Errorf("runtime grade %q overall %q", grade, overall)
			}
			if n := runtime.Find("[data-testid=runtime-categories] rect.bar-fill").Length(); n < 2 {
				t.Errorf("runtime categories drawn: %d", n)
			}
			if w := runtime.Find("[data-testid=runtime-window]").Text(); !strings.Contains(w, "6 requests over the last 7 days") {
				t.Errorf("runtime window: %q", w)
			}
			row := p.doc.Find(`[data-testid=runtime-finding][data-rule="` + c.failingRule + `"]`)
			if row.Length() != 1 {
				t.Fatalf("no failing %s; failing: %q", c.failingRule, p.text("[data-testid=runtime-findings]"))
			}
			if m, th := row.Find("[data-testid=measured]").Text(), row.Find("[data-testid=threshold]").Text(); m != "83.3%" || th != "at least 99%" {
				t.Errorf("%s: measured %q against %q", c.failingRule, m, th)
			}
			if !strings.Contains(row.Text(), "How to fix") {
				t.Error("a failing runtime rule says how to fix it")
			}
		})
	}

	// v1's drift, on the page and linked to the traffic tab.
	p := s.get("/apis/pets/versions/v1/scorecard")
	drift := p.doc.Find("[data-testid=drift]")
	for _, c := range []struct{ sel, want string }{
		{"[data-testid=undocumented-count]", "1"},
		{"[data-testid=unseen-count]", "0"},
		{"[data-testid=status-count]", "1"},
		{`[data-testid=drift-undocumented] tr[data-endpoint="GET /pets/{id}/toys"] td:nth-child(3)`, "1"},
		{`[data-testid=drift-statuses] tr[data-endpoint="GET /pets/{petId}"] td:nth-child(2)`, "503 (1×)"},
	} {
		if got := strings.TrimSpace(drift.Find(c.sel).Text()); got != c.want {
			t.Errorf("drift %s: %q, want %q", c.sel, got, c.want)
		}
	}
	if drift.Find(`a[href="/apis/pets/versions/v1/traffic?days=7"]`).Length() != 1 {
		t.Error("drift links the traffic tab over the same window")
	}
	if p.count(`[data-testid=runtime-finding][data-rule="runtime-drift-undocumented-endpoints"]`) != 1 {
		t.Error("drift is scored as a runtime rule")
	}
}

func TestAPIRuntimeScoreAndDrift(t *testing.T) {
	s := newAPISite(t, "sqlite")
	s.runtimeScored(t)
	v := "/api/v1/apis/pets/versions/"
	s.run(t, []apiStep{
		{name: "the scorecard carries the runtime score", method: http.MethodGet, path: v + "v1/scorecard", status: 200,
			expect: map[string]any{"runtime.no_data": false, "runtime.requests": 6, "runtime.window_hours": 168,
				"runtime.drift.undocumented": 1, "runtime.drift.unseen": 0, "runtime.drift.undocumented_status_codes": 1},
			check: func(t *testing.T, r *apiResponse) {
				if r.get("runtime.overall") == nil || r.get("runtime.grade") == nil {
					t.Errorf("no runtime score: %s", r.raw)
				}
				var found bool
				for _, f := range r.list(t, "runtime.findings") {
					f := f.(map[string]any)
					if f["rule"] == "runtime-https-only" {
						found = true
						if f["status"] != "fail" || fmt.Sprint(f["threshold"]) != "0.99" || f["measured_text"] != "83.3%" || f["how_to_fix"] == "" {
							t.Errorf("runtime-https-only: %v", f)
						}
					}
				}
				if !found {
					t.Error("runtime-https-only missing")
				}
			}},
		{name: "drift lists what drifted", method: http.MethodGet, path: v + "v1/drift", status: 200,
			expect: map[string]any{"status": "measured", "spec_revision": 1, "counts.documented": 2, "counts.seen": 3,
				"counts.undocumented": 1, "counts.unseen": 0, "counts.undocumented_status_codes": 1,
				"undocumented.0.method": "GET", "undocumented.0.path": "/pets/{id}/toys", "undocumented.0.kind": "path", "undocumented.0.requests": 1,
				"undocumented_status_codes.0.path": "/pets/{petId}", "undocumented_status_codes.0.codes.0.code": 503},
			check: func(t *testing.T, r *apiResponse) {
				if r.get("computed_at") == nil || len(r.list(t, "unseen")) != 0 {
					t.Errorf("drift: %s", r.raw)
				}
			}},
		{name: "too little traffic is no runtime data", method: http.MethodGet, path: v + "v2/drift", status: 200,
			expect:   map[string]any{"status": "no_runtime_data", "counts.seen": 0},
			contains: map[string]string{"detail": "1 request"}},
		{name: "no traffic at all is no runtime data", method: http.MethodGet, path: v + "v3/drift", status: 200,
			expect: map[string]any{"status": "no_runtime_data", "computed_at": nil, "spec_revision": nil}},
		{name: "an unknown version is not found", method: http.MethodGet, path: v + "v9/drift", status: 404},
	})

	// Drift is for anyone who can read the catalogue.
	read := s.createToken("reader", "read", "")
	if p := s.site.call(http.MethodGet, v+"v1/drift", read, ""); p.status != http.StatusOK {
		t.Errorf("drift with a read token: %d", p.status)
	}
}
