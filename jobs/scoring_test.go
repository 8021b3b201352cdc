package jobs_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/scorecard"
)

const weakSpec = `{"openapi":"3.0.3","info":{"title":"Weak","version":"1"},"servers":[{"url":"http://weak.example.com"}],
"paths":{"/things":{"get":{"responses":{"200":{"description":"ok"}}}}}}`

const betterSpec = `{"openapi":"3.0.3","info":{"title":"Better","version":"1","description":"Things.","contact":{"name":"Team","email":"team@example.com"}},
"servers":[{"url":"https://better.example.com/v1"}],"tags":[{"name":"things","description":"Things"}],
"paths":{"/things":{"get":{"operationId":"listThings","summary":"List things","description":"Lists things.","tags":["things"],
"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"type":"array","items":{"type":"string"}},"example":["a"]}}}}}}}}`

func TestScoringJobScoresStaleVersions(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			st := storetest.New(t, engine)
			ctx := context.Background()
			if err := st.EnsureDefaultStandard(ctx, "extends: [\"steward:recommended\"]\n"); err != nil {
				t.Fatal(err)
			}
			sys := catalog.SystemActor("test")
			st.CreateTeam(ctx, sys, catalog.TeamInput{Slug: "t", Name: "T"})
			st.CreateAPI(ctx, sys, catalog.APIInput{Slug: "things", Name: "Things", TeamSlug: "t", Kind: "rest", Visibility: "internal"})
			st.CreateVersion(ctx, sys, "things", catalog.VersionInput{Name: "v1", Stage: "production"})
			st.CreateVersion(ctx, sys, "things", catalog.VersionInput{Name: "v2", Stage: "design"}) // no spec: nothing to score
			if _, _, err := st.SaveSpec(ctx, sys, "things", "v1", models.SpecUpload{Content: []byte(weakSpec), Hash: "w", Format: "json", SpecVersion: "3.0.3"}); err != nil {
				t.Fatal(err)
			}
			job := &jobs.Scoring{Store: st, Log: slog.New(slog.DiscardHandler)}
			if err := job.Run(ctx); err != nil {
				t.Fatal(err)
			}
			vid, _ := st.VersionIDOf(ctx, "things", "v1")
			first, err := st.LatestScorecard(ctx, vid)
			if err != nil {
				t.Fatalf("no scorecard after the run: %v", err)
			}
			var sc scorecard.Scorecard
			if err := json.Unmarshal([]byte(first.Result), &sc); err != nil {
				t.Fatal(err)
			}
			if first.Status != "scored" || first.Overall == nil || first.Grade == "" || sc.Grade != scorecard.Grade(first.Grade) {
				t.Fatalf("scorecard: %+v", first)
			}
			a, _ := st.GetAPI(ctx, "things")
			if a.Grade != first.Grade {
				t.Errorf("API grade %q, want the production version's %q", a.Grade, first.Grade)
			}
			// Nothing stale: a second run stores nothing new.
			job.Run(ctx)
			if again, _ := st.LatestScorecard(ctx, vid); again.ID != first.ID {
				t.Error("a second run re-scored an unchanged version")
			}
			// A better spec is re-scored and scores higher.
			st.SaveSpec(ctx, sys, "things", "v1", models.SpecUpload{Content: []byte(betterSpec), Hash: "b", Format: "json", SpecVersion: "3.0.3"})
			if err := job.Run(ctx); err != nil {
				t.Fatal(err)
			}
			second, _ := st.LatestScorecard(ctx, vid)
			if second.ID == first.ID || *second.Overall <= *first.Overall {
				t.Errorf("re-score after a better spec: %d → %d", *first.Overall, *second.Overall)
			}
			hist, _ := st.ScoreHistory(ctx, vid, 10)
			if len(hist) != 2 || hist[0].ID != first.ID {
				t.Errorf("history: %+v", hist)
			}
		})
	}
}

// The zombie job's verdict counts in the governance category: a version
// that turns zombie is re-scored with the zombie check failed, and passes
// again once it has legitimate traffic.
func TestZombieVerdictCountsInGovernance(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			st := storetest.New(t, engine)
			ctx := context.Background()
			if err := st.EnsureDefaultStandard(ctx, "extends: [\"steward:recommended\"]\n"); err != nil {
				t.Fatal(err)
			}
			sys := catalog.SystemActor("test")
			st.CreateTeam(ctx, sys, catalog.TeamInput{Slug: "t", Name: "T"})
			st.CreateAPI(ctx, sys, catalog.APIInput{Slug: "things", Name: "Things", TeamSlug: "t", Kind: "rest", Visibility: "internal"})
			st.CreateVersion(ctx, sys, "things", catalog.VersionInput{Name: "v1", Stage: "production"})
			if _, _, err := st.SaveSpec(ctx, sys, "things", "v1", models.SpecUpload{Content: []byte(betterSpec), Hash: "b", Format: "json", SpecVersion: "3.0.3"}); err != nil {
				t.Fatal(err)
			}
			vid, _ := st.VersionIDOf(ctx, "things", "v1")
			job := &jobs.Scoring{Store: st, Log: slog.New(slog.DiscardHandler)}
			zombieCheck := func() (scorecard.Status, int) {
				t.Helper()
				if err := job.Run(ctx); err != nil {
					t.Fatal(err)
				}
				row, err := st.LatestScorecard(ctx, vid)
				if err != nil {
					t.Fatal(err)
				}
				var sc scorecard.Scorecard
				if err := json.Unmarshal([]byte(row.Result), &sc); err != nil {
					t.Fatal(err)
				}
				for _, r := range sc.Rules {
					if r.Rule == scorecard.ZombieRule {
						if r.Category != "governance" {
							t.Errorf("zombie check in category %q", r.Category)
						}
						return r.Status, *row.Overall
					}
				}
				t.Fatal("no zombie check on the scorecard")
				return "", 0
			}
			verdict := func(v string) {
				t.Helper()
				if err := st.SaveZombieVerdicts(ctx, []models.ZombieVerdict{{VersionID: vid, Verdict: v, Days: 30, ComputedAt: time.Now().UTC()}}, nil); err != nil {
					t.Fatal(err)
				}
			}
			status, before := zombieCheck()
			if status != scorecard.NotApplicable {
				t.Errorf("without a verdict: %s, want not applicable", status)
			}
			verdict(scorecard.VerdictZombie)
			status, zombie := zombieCheck()
			if status != scorecard.Fail || zombie >= before {
				t.Errorf("zombie: check %s, score %d (was %d); want a failed check and a lower score", status, zombie, before)
			}
			verdict(scorecard.VerdictActive)
			if status, after := zombieCheck(); status != scorecard.Pass || after < before {
				t.Errorf("active again: check %s, score %d; want a pass and at least %d", status, after, before)
			}
		})
	}
}
