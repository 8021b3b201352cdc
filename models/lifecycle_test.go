package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/lifecycle"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/traffic"
)

func TestTransitionVersion(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		seed(t, s) // card-payments v1 in production with a spec; login v2 deprecated
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		gates := lifecycle.DefaultGates
		_, err := s.CreateVersion(ctx, alice, "card-payments", catalog.VersionInput{Name: "v2", Stage: catalog.StageDesign})
		must(err)

		// Production needs a spec: refused with the gate's words, and
		// nothing changes.
		_, err = s.TransitionVersion(ctx, alice, "card-payments", "v2", models.TransitionInput{To: catalog.StageProduction}, gates)
		var blocked *lifecycle.Blocked
		if !errors.As(err, &blocked) || !errors.Is(err, catalog.ErrInvalid) || blocked.Failures[0].Gate != lifecycle.GateRequireSpec {
			t.Fatalf("to production without a spec: %v, want blocked by require-spec", err)
		}
		if v, _ := s.GetVersion(ctx, "card-payments", "v2"); v.Stage != "design" {
			t.Errorf("blocked move changed the stage to %s", v.Stage)
		}
		// Moves the table does not have are refused too.
		if _, err := s.TransitionVersion(ctx, alice, "card-payments", "v2", models.TransitionInput{To: catalog.StageRetired}, gates); !errors.As(err, &blocked) || blocked.Failures[0].Gate != lifecycle.GateTransition {
			t.Errorf("design → retired: %v", err)
		}

		// A move recorded with who and why.
		rec, err := s.TransitionVersion(ctx, alice, "card-payments", "v2", models.TransitionInput{To: catalog.StageTesting, Reason: "QA starts"}, gates)
		must(err)
		if rec.FromStage != "design" || rec.ToStage != "testing" || rec.Actor != alice.Name || rec.Reason != "QA starts" || rec.Override {
			t.Errorf("recorded %+v", rec)
		}

		// The caller's view of the stage is checked: a stale one conflicts.
		_, err = s.TransitionVersion(ctx, alice, "card-payments", "v2", models.TransitionInput{From: catalog.StageDesign, To: catalog.StagePreview}, gates)
		if !errors.Is(err, catalog.ErrConflict) || !strings.Contains(err.Error(), "moved to testing meanwhile") {
			t.Errorf("stale from: %v, want a conflict", err)
		}

		// Renaming keeps the stage; changing it there is refused.
		if _, err := s.UpdateVersion(ctx, alice, "card-payments", "v2", catalog.VersionInput{Name: "v2", Stage: catalog.StageProduction}); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("UpdateVersion changing the stage: %v, want refused", err)
		}
		if _, err := s.UpdateVersion(ctx, alice, "card-payments", "v2", catalog.VersionInput{Name: "v2-beta"}); err != nil {
			t.Errorf("rename without a stage: %v", err)
		}

		// Deprecation keeps its dates and notes on the version.
		sunset := time.Now().UTC().AddDate(0, 3, 0).Truncate(24 * time.Hour)
		_, err = s.TransitionVersion(ctx, alice, "card-payments", "v1", models.TransitionInput{To: catalog.StageDeprecated, Reason: "v2 is out"}, gates)
		if !errors.As(err, &blocked) || len(blocked.Failures) != 2 {
			t.Fatalf("deprecation without sunset and notes: %v", err)
		}
		_, err = s.TransitionVersion(ctx, alice, "card-payments", "v1", models.TransitionInput{
			To: catalog.StageDeprecated, Reason: "v2 is out", SunsetDate: &sunset, MigrationNotes: "Call /v2/charges.", Replacement: "v2-beta",
		}, gates)
		must(err)
		v1, err := s.GetVersion(ctx, "card-payments", "v1")
		must(err)
		l := v1.Lifecycle
		if v1.Stage != "deprecated" || l.SunsetDate == nil || !l.SunsetDate.Equal(sunset) || l.DeprecationDate == nil || l.MigrationNotes != "Call /v2/charges." || l.Replacement != "v2-beta" {
			t.Errorf("deprecated v1: stage %s, lifecycle %+v", v1.Stage, l)
		}
		// Its owners may extend the notice; a date that has passed is refused.
		later := sunset.AddDate(0, 1, 0)
		must(s.SetSunsetDate(ctx, alice, "card-payments", "v1", later))
		if l, _ := s.VersionLifecycleOf(ctx, v1.ID); l.SunsetDate == nil || !l.SunsetDate.Equal(later) {
			t.Errorf("extended sunset = %v, want %v", l.SunsetDate, later)
		}
		if err := s.SetSunsetDate(ctx, alice, "card-payments", "v1", time.Now().AddDate(0, 0, -3)); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("a sunset in the past: %v", err)
		}
		if err := s.SetSunsetDate(ctx, alice, "card-payments", "v2-beta", later); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("a sunset on a version that is not deprecated: %v", err)
		}
		// Deprecation fields go with a move to deprecated only.
		var ve *catalog.ValidationError
		if _, err := s.TransitionVersion(ctx, alice, "card-payments", "v2-beta", models.TransitionInput{To: catalog.StagePreview, SunsetDate: &sunset}, gates); !errors.As(err, &ve) || ve.Fields["sunset_date"] == "" {
			t.Errorf("a sunset date on a move to preview: %v", err)
		}
		// Taking the deprecation back clears the dates.
		_, err = s.TransitionVersion(ctx, alice, "card-payments", "v1", models.TransitionInput{To: catalog.StageProduction, Reason: "v2 slipped"}, gates)
		must(err)
		l2, err := s.VersionLifecycleOf(ctx, v1.ID)
		must(err)
		if l2.SunsetDate != nil || l2.DeprecationDate != nil || l2.MigrationNotes == "" {
			t.Errorf("after un-deprecating: %+v, want the dates cleared and the notes kept", l2)
		}

		// The timeline: newest first, the creation at the bottom.
		tl, err := s.VersionTimeline(ctx, v1.ID, 0)
		must(err)
		var got []string
		for _, r := range tl {
			got = append(got, r.FromStage+">"+r.ToStage)
		}
		if strings.Join(got, " ") != "deprecated>production production>deprecated >production" {
			t.Errorf("v1 timeline = %v", got)
		}
		api, err := s.GetAPI(ctx, "card-payments")
		must(err)
		all, err := s.APITimeline(ctx, api.ID, 3)
		must(err)
		if len(all) != 3 || all[0].VersionName != "v1" || all[0].ToStage != "production" {
			t.Errorf("API timeline = %+v", all)
		}
		// Every move is audited.
		events, err := s.AuditFor(ctx, "version", "card-payments/v1", 10)
		must(err)
		if events[0].Action != "version.transition" || !strings.Contains(events[0].Detail, "v2 slipped") {
			t.Errorf("newest audit event = %+v", events[0])
		}
	})
}

func TestRetirementGateReadsTrafficAndCoverage(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		seed(t, s) // login v2 is deprecated
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		gates := lifecycle.DefaultGates
		now := time.Now().UTC()
		retire := models.TransitionInput{To: catalog.StageRetired, Reason: "replaced by v3", At: now}
		v, err := s.GetVersion(ctx, "login", "v2")
		must(err)

		// No source can see the API: silence proves nothing.
		_, err = s.TransitionVersion(ctx, alice, "login", "v2", retire, gates)
		var blocked *lifecycle.Blocked
		if !errors.As(err, &blocked) || !strings.Contains(blocked.Failures[0].Message, "no traffic source has read") {
			t.Fatalf("retire without coverage: %v", err)
		}
		// Someone who may not override cannot.
		noRight := retire
		noRight.OverrideReason = "I am sure"
		if _, err = s.TransitionVersion(ctx, alice, "login", "v2", noRight, gates); !errors.As(err, &blocked) || blocked.Failures[len(blocked.Failures)-1].Gate != lifecycle.GateOverride {
			t.Errorf("override without the right: %v", err)
		}

		// A source bound to another API does not count; one that sees
		// every API and has read for 60 days does.
		other, err := s.CreateSource(ctx, alice, models.NewSource{Name: "cards gateway", Kind: traffic.KindKong, APISlug: "card-payments"})
		must(err)
		must(s.RecordSourceRead(ctx, other.ID, models.SourceRead{From: now.AddDate(0, 0, -60), To: now}))
		if _, err = s.TransitionVersion(ctx, alice, "login", "v2", retire, gates); !errors.As(err, &blocked) {
			t.Fatalf("a source of another API counted: %v", err)
		}
		edge, err := s.CreateSource(ctx, alice, models.NewSource{Name: "edge logs", Kind: traffic.KindNginxLog})
		must(err)
		must(s.RecordSourceRead(ctx, edge.ID, models.SourceRead{From: now.AddDate(0, 0, -60), To: now.Add(-time.Hour)}))

		// A legitimate call three days ago blocks it, with the date.
		called := now.Add(-72 * time.Hour).Truncate(time.Hour)
		must(s.DB().Create(&models.EndpointTraffic{VersionID: v.ID, Method: "GET", Template: "/login", Hour: called.Truncate(time.Hour),
			FirstSeen: called, LastSeen: called.Add(30 * time.Minute), LastLegitimate: ptrTime(called.Add(20 * time.Minute))}).Error)
		// Newer traffic that is not legitimate (a scanner) does not count.
		probe := now.Add(-2 * time.Hour).Truncate(time.Hour)
		must(s.DB().Create(&models.EndpointTraffic{VersionID: v.ID, Method: "GET", Template: "/.env", Hour: probe, FirstSeen: probe, LastSeen: probe}).Error)
		facts, err := s.LifecycleFacts(ctx, v.ID, now)
		must(err)
		if facts.LastLegitimate == nil || !facts.LastLegitimate.Equal(called.Add(20*time.Minute)) || len(facts.Coverage) != 1 {
			t.Fatalf("facts = %+v", facts)
		}
		_, err = s.TransitionVersion(ctx, alice, "login", "v2", retire, gates)
		if !errors.As(err, &blocked) || len(blocked.Failures) != 1 || !strings.Contains(blocked.Failures[0].Message, "it was last called on "+lifecycle.FormatTime(called.Add(20*time.Minute))) {
			t.Fatalf("retire after recent traffic: %v", err)
		}

		// Thirty-one days later it is quiet and watched: retired.
		later := retire
		later.At = called.AddDate(0, 0, 31)
		must(s.RecordSourceRead(ctx, edge.ID, models.SourceRead{From: now, To: later.At}))
		rec, err := s.TransitionVersion(ctx, alice, "login", "v2", later, gates)
		must(err)
		if rec.Override || !rec.At.Equal(later.At) {
			t.Errorf("retired: %+v", rec)
		}
	})
}

func TestRetirementOverrideIsRecorded(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		seed(t, s)
		rec, err := s.TransitionVersion(ctx, alice, "login", "v2", models.TransitionInput{
			To: catalog.StageRetired, Reason: "replaced by v3", OverrideReason: "The route was removed from the gateway in January.", OverrideAllowed: true,
		}, lifecycle.DefaultGates)
		if err != nil {
			t.Fatal(err)
		}
		if !rec.Override || rec.OverrideReason != "The route was removed from the gateway in January." {
			t.Errorf("recorded %+v, want the override", rec)
		}
		events, err := s.AuditFor(ctx, "version", "login/v2", 1)
		if err != nil || !strings.Contains(events[0].Detail, "no traffic source has read") {
			t.Errorf("audit of the override = %+v %v, want the gate it set aside", events, err)
		}
		// Reinstating brings it back to deprecated; the sunset has to be
		// set again.
		_, err = s.TransitionVersion(ctx, alice, "login", "v2", models.TransitionInput{To: catalog.StageDeprecated, Reason: "a partner still needs it"}, lifecycle.DefaultGates)
		var blocked *lifecycle.Blocked
		if !errors.As(err, &blocked) || blocked.Failures[0].Gate != lifecycle.GateRequireSunset {
			t.Errorf("reinstating without a sunset: %v", err)
		}
	})
}

func TestLifecycleMigrationKeepsVersions(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := storetest.Unmigrated(t, engine)
			if err := s.MigrateTo("0012_runtime_scorecards"); err != nil {
				t.Fatal(err)
			}
			db := s.DB()
			for _, q := range []string{
				`INSERT INTO teams (slug, name, description, contact, created_at, updated_at) VALUES ('ops', 'Ops', '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`,
				`INSERT INTO apis (slug, name, name_key, description, team_id, kind, visibility, links, demo, created_at, updated_at)
					SELECT 'pager', 'Pager', 'pager', '', id, 'rest', 'internal', '[]', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM teams`,
				`INSERT INTO versions (api_id, name, stage, created_at, updated_at) SELECT id, 'v1', 'preview', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM apis`,
			} {
				if err := db.Exec(q).Error; err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Migrate(); err != nil {
				t.Fatal(err)
			}
			v, err := s.GetVersion(ctx, "pager", "v1")
			if err != nil || v.Stage != "preview" || v.Lifecycle != (models.VersionLifecycle{}) {
				t.Fatalf("version after the upgrade: %+v %v", v, err)
			}
			if _, err := s.TransitionVersion(ctx, alice, "pager", "v1", models.TransitionInput{To: catalog.StageTesting}, lifecycle.DefaultGates); err != nil {
				t.Fatal(err)
			}
			tl, err := s.VersionTimeline(ctx, v.ID, 10)
			if err != nil || len(tl) != 2 || tl[0].FromStage != "preview" || tl[1].ToStage != "preview" {
				t.Errorf("timeline after the upgrade = %+v %v, want the move and the creation at preview", tl, err)
			}
		})
	}
}

func TestCreatedVersionStartsItsTimeline(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		seed(t, s)
		v, err := s.GetVersion(ctx, "card-payments", "v1")
		if err != nil {
			t.Fatal(err)
		}
		tl, err := s.VersionTimeline(ctx, v.ID, 10)
		if err != nil || len(tl) != 1 || tl[0].FromStage != "" || tl[0].ToStage != "production" || !tl[0].At.Equal(v.CreatedAt) {
			t.Errorf("timeline of a new version = %+v %v, want its creation", tl, err)
		}
		// Once it has moved, the creation is still the oldest entry, at
		// the stage it was created at.
		if _, err := s.TransitionVersion(ctx, alice, "card-payments", "v1", models.TransitionInput{To: catalog.StageTesting, Reason: "not ready"}, lifecycle.DefaultGates); err != nil {
			t.Fatal(err)
		}
		tl, err = s.VersionTimeline(ctx, v.ID, 0)
		if err != nil || len(tl) != 2 || tl[1].ToStage != "production" || tl[1].FromStage != "" {
			t.Errorf("timeline after a move = %+v %v", tl, err)
		}
		if one, _ := s.VersionTimeline(ctx, v.ID, 1); len(one) != 1 || one[0].ToStage != "testing" {
			t.Errorf("limited timeline = %+v", one)
		}
	})
}

func ptrTime(t time.Time) *time.Time { return &t }
