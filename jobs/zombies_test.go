package jobs_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/lifecycle"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/retirement"
	"github.com/steward-governance/steward/traffic"
)

// legit adds hours of legitimate traffic to one endpoint of a version.
func legit(t *testing.T, s *models.Store, version uint, method, template string, at ...time.Time) {
	t.Helper()
	var rows []models.EndpointTraffic
	for _, a := range at {
		a := a.UTC()
		rows = append(rows, models.EndpointTraffic{VersionID: version, Method: method, Template: template, Documented: true,
			Hour: a.Truncate(time.Hour), Counters: models.Counters{Requests: 3, Legitimate: 2}, FirstSeen: a, LastSeen: a, LastLegitimate: &a})
	}
	if err := s.ApplyRollup(context.Background(), models.RollupBatch{Endpoints: rows}); err != nil {
		t.Fatal(err)
	}
}

// cover makes a source that saw [from, to).
func cover(t *testing.T, s *models.Store, name string, from, to time.Time) int64 {
	t.Helper()
	ctx := context.Background()
	src, err := s.CreateSource(ctx, catalog.SystemActor("test"), models.NewSource{Name: name, Kind: traffic.KindTreblle, IngestKey: "stwi_" + name})
	if err != nil {
		t.Fatal(err)
	}
	extend(t, s, src.ID, from, to)
	return src.ID
}

func extend(t *testing.T, s *models.Store, source int64, from, to time.Time) {
	t.Helper()
	if err := s.ApplyRollup(context.Background(), models.RollupBatch{Sources: []models.SourceDelta{{SourceID: source, Events: 1, From: from, To: to, LastEventAt: to}}}); err != nil {
		t.Fatal(err)
	}
}

func zombieJob(s *models.Store, now *time.Time) *jobs.ZombieDetection {
	clock := func() time.Time { return *now }
	svc := &retirement.Service{Store: s, Traffic: s, Now: clock, Gates: func(context.Context) (lifecycle.Gates, error) { return lifecycle.DefaultGates, nil }}
	return &jobs.ZombieDetection{Store: s, Proposals: svc, Now: clock}
}

func verdictsOf(t *testing.T, s *models.Store, ids map[string]uint) map[string]string {
	t.Helper()
	vs, err := s.ZombieVerdicts(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for name, id := range ids {
		out[name] = vs[id].Verdict
	}
	return out
}

func proposedFor(t *testing.T, s *models.Store) []string {
	t.Helper()
	cases, err := s.ListCases(context.Background(), models.CaseFilter{States: []retirement.State{retirement.Proposed}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cases {
		out = append(out, c.Version)
	}
	slices.Sort(out)
	return out
}

// Silence is a zombie only where the sources watched: without coverage
// every quiet version is "unknown" and nothing is proposed; with it the
// quiet versions are zombies, proposed once, and not again within the
// cool-off after a rejection.
func TestZombieDetectionWithAndWithoutCoverage(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t, "sqlite")
	ids := shopCatalogue(t, s)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	job := zombieJob(s, &now)
	legit(t, s, ids["v1"], "GET", "/orders", now.AddDate(0, 0, -2))
	legit(t, s, ids["v1"], "GET", "/orders/{orderId}", now.AddDate(0, 0, -35))
	legit(t, s, ids["v2"], "GET", "/orders", now.AddDate(0, 0, -35))

	// No source at all: silence proves nothing.
	if err := job.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := verdictsOf(t, s, ids); got["v1"] != "active" || got["v2"] != "unknown" || got["v3"] != "unknown" {
		t.Errorf("without coverage: %v", got)
	}
	if got := proposedFor(t, s); len(got) != 0 {
		t.Errorf("proposals without coverage: %v", got)
	}
	// A source that started watching 20 days ago does not cover 30 days.
	src := cover(t, s, "edge", now.AddDate(0, 0, -20), now.Add(-time.Hour))
	if err := job.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := verdictsOf(t, s, ids); got["v2"] != "unknown" || got["v3"] != "unknown" {
		t.Errorf("with 20 days of coverage: %v", got)
	}
	// Watching for 40 days: the quiet versions are zombies.
	extend(t, s, src, now.AddDate(0, 0, -40), now.Add(-time.Hour))
	if err := job.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := verdictsOf(t, s, ids); got["v1"] != "active" || got["v2"] != "zombie" || got["v3"] != "zombie" {
		t.Errorf("with 40 days of coverage: %v", got)
	}
	vs, _ := s.ZombieVerdicts(ctx, []uint{ids["v2"], ids["v1"]})
	if last := vs[ids["v2"]].LastLegitimate; last == nil || !last.Equal(now.AddDate(0, 0, -35)) || vs[ids["v2"]].ComputedAt.IsZero() {
		t.Errorf("v2's last legitimate request: %v", last)
	}
	eps, _ := s.ZombieEndpointsOf(ctx, ids["v1"])
	var dead []string
	for _, e := range eps {
		dead = append(dead, e.Method+" "+e.Template)
	}
	if !slices.Equal(dead, []string{"GET /orders/{orderId}", "DELETE /orders/{orderId}"}) && !slices.Equal(dead, []string{"DELETE /orders/{orderId}", "GET /orders/{orderId}"}) {
		t.Errorf("v1's zombie endpoints: %v", dead)
	}
	if got := proposedFor(t, s); !slices.Equal(got, []string{"v2", "v3"}) {
		t.Fatalf("proposals: %v", got)
	}
	// Again: the open cases stand, nothing is proposed twice.
	if err := job.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := proposedFor(t, s); !slices.Equal(got, []string{"v2", "v3"}) {
		t.Errorf("after a second run: %v", got)
	}
	// The owners reject v3's proposal: not proposed again in the cool-off.
	cases, _ := s.ListCases(ctx, models.CaseFilter{VersionID: ids["v3"]})
	owner := retirement.Actor{Actor: catalog.Actor{Name: "owner@example.com"}, UserID: 9, OwnerOf: []string{"shop"}}
	svc := &retirement.Service{Store: s, Now: func() time.Time { return now }}
	if _, err := svc.Act(ctx, owner, cases[0].ID, retirement.Reject, retirement.Input{Text: "batch clients call it at year end"}); err != nil {
		t.Fatal(err)
	}
	now = now.AddDate(0, 0, 2)
	extend(t, s, src, now.AddDate(0, 0, -40), now.Add(-time.Hour))
	if err := job.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := proposedFor(t, s); !slices.Equal(got, []string{"v2"}) {
		t.Errorf("within the cool-off: %v", got)
	}
	set, _ := s.RetirementSettings(ctx)
	set.CoolOffDays = 1
	if err := s.SaveRetirementSettings(ctx, catalog.SystemActor("test"), set); err != nil {
		t.Fatal(err)
	}
	if err := job.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := proposedFor(t, s); !slices.Equal(got, []string{"v2", "v3"}) {
		t.Errorf("after the cool-off: %v", got)
	}
	// The API's own window of 60 days: v2's call 37 days ago counts, and
	// 40 days of coverage no longer cover v3's window.
	if err := s.SetAPIZombieWindow(ctx, catalog.SystemActor("test"), "shop", 60); err != nil {
		t.Fatal(err)
	}
	if err := job.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := verdictsOf(t, s, ids); got["v1"] != "active" || got["v2"] != "active" || got["v3"] != "unknown" {
		t.Errorf("with the API's 60-day window: %v", got)
	}
}
