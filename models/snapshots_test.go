package models_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
)

func TestGovernanceSnapshotsReplaceLatestAndKeepOneADay(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		if _, err := s.LatestGovernanceSnapshot(ctx, ""); !errors.Is(err, catalog.ErrNotFound) {
			t.Fatalf("before any run: %v, want not found", err)
		}
		day1 := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		verdictsAt := day1.Add(-time.Hour)
		run := func(at time.Time, plain int64, members []models.FigureMember, keepSince time.Time) {
			t.Helper()
			err := s.SaveGovernanceSnapshot(ctx, models.SnapshotRun{
				ComputedAt: at,
				Scopes: []models.SnapshotScope{
					{Figures: []models.Figure{
						{Key: models.FigurePlainHTTP, Measured: true, Numerator: plain, Denominator: 100},
						{Key: models.FigureZombieVersions, Measured: true, Numerator: 1, Denominator: 4, DataAt: &verdictsAt},
					}},
					{TeamSlug: "payments", Figures: []models.Figure{{Key: models.FigurePlainHTTP, Measured: false, Reason: "No requests."}}},
				},
				Members:        members,
				KeepDailySince: keepSince,
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		members := []models.FigureMember{
			{Figure: models.FigurePlainHTTP, Position: 1, TeamSlug: "payments", APISlug: "cards", APIName: "Cards", Counted: true, Detail: "40% of 50 requests over plain HTTP"},
			{Figure: models.FigurePlainHTTP, Position: 2, TeamSlug: "identity", APISlug: "login", APIName: "Login", Counted: true, Detail: "4% of 50"},
			{Figure: models.FigurePlainHTTP, Position: 3, TeamSlug: "payments", APISlug: "refunds", APIName: "Refunds", Counted: false, Detail: "0% of 10"},
			{Figure: models.FigureShadowAPIs, Position: 1, Host: "shadow.example.com", Counted: true},
		}
		run(day1, 22, members, time.Time{})
		run(day1.Add(time.Hour), 21, members, time.Time{}) // same day: replaces both the latest and the day's row
		run(day1.Add(24*time.Hour), 20, members[:1], time.Time{})

		latest, err := s.LatestGovernanceSnapshot(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		f, ok := latest.Figure(models.FigurePlainHTTP)
		if !ok || f.Numerator != 20 || !latest.ComputedAt.Equal(day1.Add(24*time.Hour)) {
			t.Errorf("latest organisation snapshot: %+v at %s", f, latest.ComputedAt)
		}
		if z, _ := latest.Figure(models.FigureZombieVersions); z.DataAt == nil || !z.DataAt.Equal(verdictsAt) {
			t.Errorf("zombie figure's data time: %v, want %s", z.DataAt, verdictsAt)
		}
		if v, ok := f.Value(models.UnitShare); !ok || v != 0.2 {
			t.Errorf("value %v %v, want 0.2", v, ok)
		}
		team, err := s.LatestGovernanceSnapshot(ctx, "payments")
		if err != nil {
			t.Fatal(err)
		}
		if tf, _ := team.Figure(models.FigurePlainHTTP); tf.Measured || tf.Reason != "No requests." {
			t.Errorf("team figure: %+v", tf)
		}
		all, err := s.LatestGovernanceSnapshots(ctx)
		if err != nil || len(all) != 2 || all[0].TeamSlug != "" || all[1].TeamSlug != "payments" {
			t.Fatalf("latest snapshots: %v %+v", err, all)
		}

		history, err := s.GovernanceHistory(ctx, day1.Add(-48*time.Hour), "")
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, h := range history {
			f, _ := h.Figure(models.FigurePlainHTTP)
			got = append(got, f.Numerator)
		}
		if len(got) != 2 || got[0] != 21 || got[1] != 20 || !history[0].Day.Equal(day1.Truncate(24*time.Hour)) {
			t.Errorf("organisation history: %v (%+v)", got, history)
		}
		if h, _ := s.GovernanceHistory(ctx, day1.Add(-48*time.Hour)); len(h) != 4 {
			t.Errorf("history of every scope: %d rows, want 4", len(h))
		}

		// Members belong to the latest organisation snapshot only.
		ms, total, err := s.GovernanceMembers(ctx, models.MemberQuery{SnapshotID: latest.ID, Figure: models.FigurePlainHTTP})
		if err != nil || total != 1 || len(ms) != 1 || ms[0].APISlug != "cards" {
			t.Errorf("members after the third run: %v %d %+v", err, total, ms)
		}
		run(day1.Add(25*time.Hour), 20, members, time.Time{})
		latest, _ = s.LatestGovernanceSnapshot(ctx, "")
		yes, no := true, false
		for _, c := range []struct {
			name  string
			q     models.MemberQuery
			total int64
			first string
		}{
			{"counted", models.MemberQuery{Counted: &yes}, 2, "cards"},
			{"all", models.MemberQuery{}, 3, "cards"},
			{"others", models.MemberQuery{Counted: &no}, 1, "refunds"},
			{"team", models.MemberQuery{Team: "identity"}, 1, "login"},
			{"page", models.MemberQuery{Limit: 1, Offset: 1}, 3, "login"},
		} {
			c.q.SnapshotID, c.q.Figure = latest.ID, models.FigurePlainHTTP
			ms, total, err := s.GovernanceMembers(ctx, c.q)
			if err != nil || total != c.total || len(ms) == 0 || ms[0].APISlug != c.first {
				t.Errorf("%s: %v %d %+v", c.name, err, total, ms)
			}
		}
		if ms, _, _ := s.GovernanceMembers(ctx, models.MemberQuery{SnapshotID: latest.ID, Figure: models.FigureShadowAPIs}); len(ms) != 1 || ms[0].Host != "shadow.example.com" {
			t.Errorf("shadow members: %+v", ms)
		}

		// Retention drops the daily rows of days before the cut.
		run(day1.Add(26*time.Hour), 20, nil, day1.Add(24*time.Hour))
		if h, _ := s.GovernanceHistory(ctx, day1.Add(-48*time.Hour), ""); len(h) != 1 {
			t.Errorf("after retention: %d organisation days, want 1", len(h))
		}
	})
}

func TestOverviewCataloguePicksThePrimaryVersion(t *testing.T) {
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
		// card-payments v1 is in production; v2, newer, in preview: the
		// production version stays the primary one.
		if _, err := s.CreateVersion(ctx, alice, "card-payments", catalog.VersionInput{Name: "v2", Stage: catalog.StagePreview}); err != nil {
			t.Fatal(err)
		}
		up := models.SpecUpload{Content: []byte(`{"openapi":"3.0.3"}`), Hash: "h2", Format: "json", SpecVersion: "3.0.3"}
		if _, _, err := s.SaveSpec(ctx, alice, "card-payments", "v2", up); err != nil {
			t.Fatal(err)
		}
		score := func(version string, overall int, status string, findings int) uint {
			t.Helper()
			v, err := s.GetVersion(ctx, "card-payments", version)
			if err != nil {
				t.Fatal(err)
			}
			result := `{"Rules":[{"Rule":"steward-versioning","Category":"governance","Status":"` + status + `","Findings":` + strconv.Itoa(findings) + `},{"Rule":"info-contact","Status":"fail","Findings":1}]}`
			if err := s.SaveScorecard(ctx, models.ScorecardRow{VersionID: v.ID, RevisionID: *v.CurrentRevisionID, StandardVersionID: sv.ID,
				ComputedAt: time.Now(), Status: "complete", Overall: &overall, Grade: "B", Result: result}); err != nil {
				t.Fatal(err)
			}
			return v.ID
		}
		v1 := score("v1", 81, "pass", 0)
		score("v2", 40, "fail", 2)

		apis, versions, err := s.OverviewCatalogue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byAPI := map[string]models.OverviewAPI{}
		for _, a := range apis {
			byAPI[a.Slug] = a
		}
		cards := byAPI["card-payments"]
		if cards.PrimaryVersionID != v1 || cards.Primary != "v1" || cards.PrimaryScore == nil || *cards.PrimaryScore != 81 || !cards.HasSpec || cards.TeamSlug != "payments" {
			t.Errorf("card-payments: %+v", cards)
		}
		if r := byAPI["refunds"]; r.HasSpec || r.PrimaryVersionID != 0 {
			t.Errorf("refunds: %+v", r)
		}
		endpoints := map[string]int{}
		for _, v := range versions {
			endpoints[v.APISlug+" "+v.Name] = v.Endpoints
		}
		if endpoints["card-payments v1"] != 2 || len(versions) != 3 {
			t.Errorf("versions: %v", endpoints)
		}
		outcomes, err := s.LatestRuleOutcomes(ctx, []uint{v1}, []string{"steward-versioning"})
		if err != nil || len(outcomes[v1]) != 1 || outcomes[v1][0].Status != "pass" {
			t.Errorf("rule outcomes: %v %+v", err, outcomes)
		}
		findings, err := s.OpenFindingsByVersion(ctx)
		if err != nil || findings[v1].Findings != 1 || findings[v1].Rules != 1 {
			t.Errorf("open findings: %v %+v", err, findings)
		}
	})
}
