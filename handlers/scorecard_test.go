package handlers_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/jobs"
)

func TestScorecardPagesAndAPI(t *testing.T) {
	forEngines(t, func(t *testing.T, engine string) {
		s := newSite(t, engine)
		ctx := context.Background()
		if err := s.store.EnsureDefaultStandard(ctx, "extends: [\"steward:recommended\"]\n"); err != nil {
			t.Fatal(err)
		}
		s.seedPets()
		if p := s.get("/apis/pets/versions/v1/scorecard"); p.count("[data-testid=scorecard-none]") != 1 {
			t.Error("a version without a spec says there is nothing to score")
		}
		s.upload("/apis/pets/versions/v1", "pets.yaml", []byte(petsV1))
		if p := s.get("/apis/pets/versions/v1/scorecard"); p.count("[data-testid=scorecard-pending]") != 1 {
			t.Error("before the job runs the page says it is not scored yet")
		}
		token := s.createToken("reader", "read", "")
		if p := s.call(http.MethodGet, "/api/v1/apis/pets/versions/v1/scorecard", token, ""); p.status != 404 || !strings.Contains(p.body, "Not scored yet") {
			t.Errorf("unscored scorecard in JSON: %d %s", p.status, p.body)
		}

		job := &jobs.Scoring{Store: s.store, Log: slog.New(slog.DiscardHandler)}
		if err := job.Run(ctx); err != nil {
			t.Fatal(err)
		}
		page := s.get("/apis/pets/versions/v1/scorecard")
		grade := page.text("[data-testid=scorecard] .grade")
		if len(grade) != 1 || !strings.Contains("ABCDF", grade) || page.text("[data-testid=overall]") == "" {
			t.Fatalf("scorecard page: grade %q overall %q", grade, page.text("[data-testid=overall]"))
		}
		if page.count("[data-testid=categories] rect.bar-fill") == 0 || page.count("[data-testid=rule]") < 10 {
			t.Errorf("categories drawn %d, rules listed %d", page.count("[data-testid=categories] rect.bar-fill"), page.count("[data-testid=rule]"))
		}
		if page.count(".rule-fail") == 0 || page.count(`.evidence a[href^="/apis/pets/versions/v1/revisions/1#L"]`) == 0 {
			t.Error("failed rules link their findings to spec lines")
		}
		if !strings.Contains(page.text(".rule-fail"), "How to fix") {
			t.Error("failed rules say how to fix them")
		}

		// The JSON API returns the same scorecard.
		p := s.call(http.MethodGet, "/api/v1/apis/pets/versions/v1/scorecard", token, "")
		var sc struct {
			Status       string `json:"status"`
			Grade        string `json:"grade"`
			SpecRevision int    `json:"spec_revision"`
			Rules        []struct {
				Rule, Status string
			} `json:"rules"`
		}
		if err := json.Unmarshal([]byte(p.body), &sc); err != nil || p.status != 200 {
			t.Fatalf("scorecard JSON: %d %s", p.status, p.body)
		}
		if sc.Status != "scored" || sc.Grade != grade || sc.SpecRevision != 1 || len(sc.Rules) == 0 {
			t.Errorf("scorecard JSON: %+v", sc)
		}

		// The catalogue shows the grade and filters by it.
		cat := s.get("/apis?grade=" + grade)
		if cat.count("[data-testid=api-item]") != 1 || cat.text("[data-testid=api-item] .grade") != grade {
			t.Errorf("grade filter and badge: %d items, badge %q", cat.count("[data-testid=api-item]"), cat.text("[data-testid=api-item] .grade"))
		}
		if cat := s.get("/apis?grade=none"); cat.count("[data-testid=api-item]") != 0 {
			t.Error("grade=none lists only APIs not scored yet")
		}
		if v := s.get("/apis/pets/versions/v1"); v.text("[data-testid=score-summary] .grade") != grade {
			t.Error("the version page shows its grade")
		}

		// A new revision makes the scorecard stale until the job runs again.
		s.acceptHeld(s.upload("/apis/pets/versions/v1", "pets.yaml", []byte(petsV2)))
		if p := s.get("/apis/pets/versions/v1/scorecard"); p.count("[data-testid=scorecard-stale]") != 1 {
			t.Error("a scorecard of an older revision says it is stale")
		}
		// Backdate the first scorecard, so the second counts as a move
		// since last week on the governance overview.
		if err := s.store.DB().Exec("UPDATE scorecards SET computed_at = ?", time.Now().AddDate(0, 0, -8)).Error; err != nil {
			t.Fatal(err)
		}
		job.Run(ctx)
		p2 := s.get("/apis/pets/versions/v1/scorecard")
		if p2.count("[data-testid=scorecard-stale]") != 0 || p2.count("[data-testid=score-history] svg.line-chart circle.dot") != 2 {
			t.Errorf("after re-scoring: stale %d, chart points %d", p2.count("[data-testid=scorecard-stale]"), p2.count("[data-testid=score-history] svg.line-chart circle.dot"))
		}

		// The governance overview and the team page summarise the scores.
		gov := s.get("/governance")
		if !strings.Contains(gov.text("[data-testid=governance-average]"), "1 scored version") || gov.count("[data-testid=worst-rules] tbody tr") == 0 {
			t.Errorf("governance: %q, %d worst rules", gov.text("[data-testid=governance-average]"), gov.count("[data-testid=worst-rules] tbody tr"))
		}
		if gov.count(`[data-testid=grade-distribution] a[href^="/apis?grade="]`) == 0 {
			t.Error("each grade bar links to its APIs")
		}
		moved := changed(p2, page)
		if n := gov.count("[data-testid=movers] tbody tr"); (n == 1) != moved {
			t.Errorf("movers lists %d versions; the score moved: %v", n, moved)
		}
		if team := s.get("/teams/zoo"); team.text("[data-testid=team-average]") == "" || team.count("[data-testid=team-worst-rules] tbody tr") == 0 {
			t.Error("the team page shows its average and worst rules")
		}
	})
}

// changed reports whether two scorecard pages show different overall scores.
func changed(a, b *page) bool {
	return a.text("[data-testid=overall]") != b.text("[data-testid=overall]")
}
