package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/retirement"
)

// The daily follow-up on a real store with a fake clock: a reminder a week
// before the sunset (queued for the owners and the governance channel), a
// block at the sunset while a consumer still calls, and retirement (the
// version retired through the lifecycle) once the calls stop.
func TestRetirementFollowUpJob(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t, "sqlite")
	ids := shopCatalogue(t, s)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	svc := &retirement.Service{Store: s, Traffic: s, Now: clock, Gates: jobs.StandardGates(s)}
	job := &jobs.RetirementFollowUp{Store: s, Cases: svc}
	src := cover(t, s, "edge", now.AddDate(0, 0, -60), now)
	for d := -20; d < 0; d++ {
		legit(t, s, ids["v2"], "GET", "/orders", now.AddDate(0, 0, d))
	}

	owner := retirement.Actor{Actor: catalog.Actor{Name: "owner@example.com"}, UserID: 9, OwnerOf: []string{"shop"}}
	sunset := time.Date(2026, 6, 20, 0, 0, 0, 0, time.UTC)
	c, err := svc.Open(ctx, owner, "shop", "v2", retirement.Proposal{Reason: "v3 replaces it", MigrationNotes: "Use v3.", Sunset: sunset})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Act(ctx, owner, c.ID, retirement.Approve, retirement.Input{}); err != nil {
		t.Fatal(err)
	}
	run := func(day time.Time) retirement.State {
		t.Helper()
		now = day
		extend(t, s, src, day.AddDate(0, 0, -60), day)
		if err := job.Run(ctx); err != nil {
			t.Fatalf("%s: %v", day, err)
		}
		got, _ := s.Case(ctx, c.ID)
		return got.State
	}
	if st := run(time.Date(2026, 6, 13, 6, 0, 0, 0, time.UTC)); st != retirement.Approved {
		t.Fatalf("a week before: %s", st)
	}
	var reminders int64
	s.DB().Table("notifications").Where("kind = ?", "retirement.reminder").Count(&reminders)
	if reminders != 1 {
		t.Errorf("%d reminders queued a week before the sunset", reminders)
	}
	// Still called in the final week.
	legit(t, s, ids["v2"], "GET", "/orders", time.Date(2026, 6, 18, 9, 0, 0, 0, time.UTC))
	if st := run(time.Date(2026, 6, 20, 6, 0, 0, 0, time.UTC)); st != retirement.Blocked {
		t.Fatalf("at the sunset with a caller: %s", st)
	}
	// The caller is gone a week later: the blocked case retires.
	if st := run(time.Date(2026, 6, 26, 6, 0, 0, 0, time.UTC)); st != retirement.Retired {
		t.Fatalf("after the caller left: %s", st)
	}
	v, _ := s.GetVersion(ctx, "shop", "v2")
	if v.Stage != string(catalog.StageRetired) {
		t.Errorf("version v2 is %s", v.Stage)
	}
	// The lifecycle's 30 quiet days had not passed: the sunset check's
	// reason is recorded as the override.
	timeline, _ := s.VersionTimeline(ctx, ids["v2"], 5)
	retired := false
	for _, tr := range timeline {
		retired = retired || (tr.ToStage == "retired" && tr.Actor == "system:retirements" && tr.Override)
	}
	if !retired {
		t.Errorf("version timeline: %+v", timeline)
	}
	if cases, _ := s.ListCases(ctx, models.CaseFilter{States: []retirement.State{retirement.Approved, retirement.Blocked}}); len(cases) != 0 {
		t.Errorf("open cases left: %d", len(cases))
	}
}
