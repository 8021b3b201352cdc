package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
)

// Runtime scorecards keep one row per outcome: the same fingerprint
// refreshes the latest row, another adds one, and retention keeps each
// version's latest whatever its age.
func TestRuntimeScorecardsHistoryAndRetention(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		seed(t, s)
		if err := s.EnsureDefaultStandard(ctx, "extends: [\"steward:recommended\"]\n"); err != nil {
			t.Fatal(err)
		}
		_, sv, err := s.CurrentStandard(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cards, err := s.VersionIDOf(ctx, "card-payments", "v1")
		if err != nil {
			t.Fatal(err)
		}
		login, err := s.VersionIDOf(ctx, "login", "v2")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.LatestRuntimeScorecard(ctx, cards); !errors.Is(err, catalog.ErrNotFound) {
			t.Fatalf("before any run: %v, want not found", err)
		}
		t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
		row := func(version uint, at time.Time, fingerprint string, noData bool) models.RuntimeScorecardRow {
			r := models.RuntimeScorecardRow{VersionID: version, StandardVersionID: sv.ID, ComputedAt: at, WindowFrom: at.Add(-7 * 24 * time.Hour), WindowTo: at,
				NoData: noData, Fingerprint: fingerprint, Categories: "[]", Findings: "[]", Summary: "B (84/100)", Grade: "B"}
			if !noData {
				overall := 84
				r.Overall = &overall
			}
			return r
		}
		steps := []struct {
			name         string
			row          models.RuntimeScorecardRow
			created      bool
			rows         int
			since        time.Time
			latestNoData bool
		}{
			{"first outcome", row(cards, t0, "a", false), true, 1, t0, false},
			{"same outcome refreshes", row(cards, t0.Add(15*time.Minute), "a", false), false, 1, t0, false},
			{"new outcome adds a row", row(cards, t0.Add(30*time.Minute), "b", true), true, 2, t0.Add(30 * time.Minute), true},
			{"back to the first outcome is new again", row(cards, t0.Add(45*time.Minute), "a", false), true, 3, t0.Add(45 * time.Minute), false},
		}
		for _, st := range steps {
			created, err := s.SaveRuntimeScorecard(ctx, st.row)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			latest, err := s.LatestRuntimeScorecard(ctx, cards)
			if err != nil {
				t.Fatal(err)
			}
			hist, err := s.RuntimeHistory(ctx, cards, 10)
			if err != nil {
				t.Fatal(err)
			}
			if created != st.created || len(hist) != st.rows || !latest.Since.Equal(st.since) || !latest.ComputedAt.Equal(st.row.ComputedAt) || latest.NoData != st.latestNoData {
				t.Errorf("%s: created %v, %d rows, since %s computed %s no data %v", st.name, created, len(hist), latest.Since, latest.ComputedAt, latest.NoData)
			}
		}
		if _, err := s.SaveRuntimeScorecard(ctx, row(login, t0, "x", true)); err != nil {
			t.Fatal(err)
		}

		targets, err := s.RuntimeTargets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byVersion := map[uint]models.RuntimeTarget{}
		for _, tg := range targets {
			byVersion[tg.VersionID] = tg
		}
		if tg := byVersion[cards]; tg.LatestID == nil || tg.LatestNoData || tg.RevisionID == nil || tg.APISlug != "card-payments" {
			t.Errorf("card-payments v1 target: %+v", tg)
		}
		if tg := byVersion[login]; tg.LatestID == nil || !tg.LatestNoData || tg.RevisionID != nil {
			t.Errorf("login v2 target: %+v", tg)
		}
		if len(targets) < 2 {
			t.Errorf("targets: %+v", targets)
		}

		// A year on, only superseded rows go.
		p, err := s.PruneRuntime(ctx, time.Time{}, t0.Add(365*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		hist, _ := s.RuntimeHistory(ctx, cards, 10)
		other, _ := s.RuntimeHistory(ctx, login, 10)
		if p.RuntimeScorecards != 2 || len(hist) != 1 || !hist[0].ComputedAt.Equal(t0.Add(45*time.Minute)) || len(other) != 1 {
			t.Errorf("pruned %d; card-payments keeps %d, login %d", p.RuntimeScorecards, len(hist), len(other))
		}
	})
}
