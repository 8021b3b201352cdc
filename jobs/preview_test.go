package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/scorecard"
)

// A standard whose scores are easy to predict: every spec here has a
// description (v1 scores 100); v2 adds a rule on short titles, which
// "Things" fails and "Th" passes.
const (
	hasDescription = "rules:\n  has-description:\n    severity: error\n    given: $.info\n    then:\n      field: description\n      function: truthy\n"
	shortTitle     = hasDescription + "  short-title:\n    severity: error\n    given: $.info\n    then:\n      field: title\n      function: length\n      functionOptions: {max: 2}\n"
)

func titled(title string) string {
	return fmt.Sprintf(`{"openapi":"3.0.3","info":{"title":%q,"version":"1","description":"Things."},"paths":{}}`, title)
}

// previewCatalogue is an organisation standard at v1 with a draft v2, and
// versions things/long ("Things") and things/short ("Th") with specs.
func previewCatalogue(t *testing.T, engine string) (*models.Store, catalog.Actor) {
	t.Helper()
	st := storetest.New(t, engine)
	ctx := context.Background()
	sys := catalog.SystemActor("test")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.EnsureDefaultStandard(ctx, hasDescription))
	_, err := st.CreateTeam(ctx, sys, catalog.TeamInput{Slug: "t", Name: "T"})
	must(err)
	_, err = st.CreateAPI(ctx, sys, catalog.APIInput{Slug: "things", Name: "Things", TeamSlug: "t", Kind: "rest", Visibility: "internal"})
	must(err)
	for _, v := range []struct{ name, title string }{{"long", "Things"}, {"short", "Th"}} {
		_, err = st.CreateVersion(ctx, sys, "things", catalog.VersionInput{Name: v.name, Stage: "production"})
		must(err)
		_, _, err = st.SaveSpec(ctx, sys, "things", v.name, models.SpecUpload{Content: []byte(titled(v.title)), Hash: v.name, Format: "json", SpecVersion: "3.0.3"})
		must(err)
	}
	_, created, err := st.SaveStandardDraft(ctx, sys, models.DefaultStandardSlug, models.DraftInput{Ruleset: shortTitle}, true)
	must(err)
	if !created {
		t.Fatal("saving without a draft starts one")
	}
	return st, sys
}

func TestPreviewScoresEveryVersionUnderBothStandards(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			st, sys := previewCatalogue(t, engine)
			ctx := context.Background()
			pv, err := st.StartPreview(ctx, sys, models.DefaultStandardSlug, 2)
			if err != nil {
				t.Fatal(err)
			}
			job := &jobs.Preview{Store: st, Log: slog.New(slog.DiscardHandler)}
			if err := job.Run(ctx, pv.ID); err != nil {
				t.Fatal(err)
			}
			done, _ := st.GetPreview(ctx, pv.ID)
			if done.Status != models.PreviewDone || done.Processed != 2 || done.Total != 2 || done.FinishedAt == nil {
				t.Fatalf("preview: %+v", done)
			}
			rows, err := st.PreviewResults(ctx, pv.ID)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, r := range rows {
				got[r.Version] = fmt.Sprintf("%d→%d %s %s", *r.ScoreNow, *r.ScoreDraft, r.NewFailing, r.Error)
			}
			want := map[string]string{"long": `100→50 ["short-title"] `, "short": "100→100 [] "}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("results %v, want %v", got, want)
			}
			// Running it again does nothing: it is no longer running.
			if err := job.Run(ctx, pv.ID); err != nil {
				t.Fatal(err)
			}
			if again, _ := st.PreviewResults(ctx, pv.ID); len(again) != 2 {
				t.Errorf("a finished preview ran again: %d results", len(again))
			}
		})
	}
}

// stopAfterFirst starts a newer preview as soon as the running one has
// stored its first result, as a person clicking again would.
type stopAfterFirst struct {
	*models.Store
	t     *testing.T
	saved int
}

func (s *stopAfterFirst) SavePreviewResult(ctx context.Context, r models.PreviewResult) error {
	err := s.Store.SavePreviewResult(ctx, r)
	if err == nil {
		s.saved++
		if _, serr := s.StartPreview(ctx, catalog.SystemActor("someone else"), models.DefaultStandardSlug, 2); serr != nil {
			s.t.Fatal(serr)
		}
	}
	return err
}

func TestNewerPreviewStopsTheRunningOne(t *testing.T) {
	st, sys := previewCatalogue(t, "sqlite")
	ctx := context.Background()
	first, err := st.StartPreview(ctx, sys, models.DefaultStandardSlug, 2)
	if err != nil {
		t.Fatal(err)
	}
	wrapped := &stopAfterFirst{Store: st, t: t}
	job := &jobs.Preview{Store: wrapped, Log: slog.New(slog.DiscardHandler)}
	if err := job.Run(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	stopped, _ := st.GetPreview(ctx, first.ID)
	if stopped.Status != models.PreviewCancelled || stopped.Processed != 1 || wrapped.saved != 1 {
		t.Errorf("the older preview: %+v after %d results", stopped, wrapped.saved)
	}
	// Editing the draft stops the newest one too: it previews old text.
	newest, _ := st.LatestPreview(ctx, stopped.DraftID)
	if newest.ID == first.ID || newest.Status != models.PreviewRunning {
		t.Fatalf("the newer preview: %+v", newest)
	}
	if _, _, err := st.SaveStandardDraft(ctx, sys, models.DefaultStandardSlug, models.DraftInput{Ruleset: shortTitle + "  # edited\n"}, false); err != nil {
		t.Fatal(err)
	}
	if p, _ := st.GetPreview(ctx, newest.ID); p.Status != models.PreviewCancelled || p.Error != "the draft changed" {
		t.Errorf("after an edit: %+v", p)
	}
	if err := st.SavePreviewResult(ctx, models.PreviewResult{PreviewID: newest.ID, VersionID: 1}); !errors.Is(err, models.ErrPreviewStopped) {
		t.Errorf("a stopped preview accepts results: %v", err)
	}
}

func TestScoringSparesNewRulesUntilTheEffectiveDate(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			st, sys := previewCatalogue(t, engine)
			ctx := context.Background()
			until := time.Now().UTC().Add(48 * time.Hour)
			if _, err := st.PublishStandardDraft(ctx, sys, models.DefaultStandardSlug, 2, &until); err != nil {
				t.Fatal(err)
			}
			job := &jobs.Scoring{Store: st, Log: slog.New(slog.DiscardHandler)}
			if err := job.Run(ctx); err != nil {
				t.Fatal(err)
			}
			vid, _ := st.VersionIDOf(ctx, "things", "long")
			card := func() scorecard.Scorecard {
				row, err := st.LatestScorecard(ctx, vid)
				if err != nil {
					t.Fatal(err)
				}
				var sc scorecard.Scorecard
				if err := json.Unmarshal([]byte(row.Result), &sc); err != nil {
					t.Fatal(err)
				}
				return sc
			}
			sc := card()
			var short scorecard.RuleResult
			for _, r := range sc.Rules {
				if r.Rule == "short-title" {
					short = r
				}
			}
			if sc.Overall != 100 || short.Status != scorecard.Fail || short.GraceUntil == nil || short.GraceUntil.Sub(until).Abs() > time.Millisecond || short.Scored() {
				t.Fatalf("in the grace period: overall %d, rule %+v", sc.Overall, short)
			}
			// The date passes: the next run re-scores, in full.
			past := time.Now().UTC().Add(-time.Hour)
			st.DB().Exec("UPDATE scorecards SET computed_at = ?", past.Add(-time.Minute))
			st.DB().Exec("UPDATE standard_versions SET effective_at = ? WHERE number = 2", past)
			if err := job.Run(ctx); err != nil {
				t.Fatal(err)
			}
			if sc := card(); sc.Overall != 50 {
				t.Errorf("after the grace period: %d", sc.Overall)
			}
		})
	}
}
