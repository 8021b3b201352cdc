package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
)

// stdV1 is a small organisation standard whose scores are easy to
// predict: petsV1 has a description, so it passes and scores 100.
const stdV1 = `rules:
  info-has-description:
    description: The API has a description.
    severity: error
    given: $.info
    then:
      field: description
      function: truthy
`

// stdV2 adds a rule petsV1 fails ("Pets" is longer than two letters):
// one rule of two passing, petsV1 scores 50 under it.
const stdV2 = stdV1 + `  pets-title-short:
    description: Titles are two letters at most.
    severity: error
    given: $.info
    then:
      field: title
      function: length
      functionOptions:
        max: 2
`

// seedStandardAndPets publishes stdV1 as the organisation standard,
// registers pets v1 with petsV1 and scores it.
func (s *site) seedStandardAndPets() {
	s.t.Helper()
	if err := s.store.EnsureDefaultStandard(context.Background(), stdV1); err != nil {
		s.t.Fatal(err)
	}
	s.seedPets()
	if p := s.upload("/apis/pets/versions/v1", "pets.yaml", []byte(petsV1)); p.status != http.StatusSeeOther {
		s.t.Fatalf("upload: %d", p.status)
	}
	s.score()
}

// switchTo signs the browser out and in again as another persona.
func (s *site) switchTo(persona string) {
	s.t.Helper()
	s.signOut()
	s.signIn(persona)
}

// score runs the scoring job to the end, as the scheduler would.
func (s *site) score() {
	s.t.Helper()
	job := &jobs.Scoring{Store: s.store, Log: slog.New(slog.DiscardHandler)}
	if err := job.Run(context.Background()); err != nil {
		s.t.Fatal(err)
	}
}

// overall is the overall score a scorecard page shows.
func (s *site) overall(version string) string {
	s.t.Helper()
	return s.get("/apis/pets/versions/" + version + "/scorecard").text("[data-testid=overall]")
}

// ruleRow finds a rule's line on a scorecard page.
func (p *page) ruleRow(rule string) *goquery.Selection {
	return p.doc.Find("[data-testid=rule]").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.TrimSpace(s.Find("code").First().Text()) == rule
	})
}

// saveDraft posts the draft editor.
func (s *site) saveDraft(ruleset string) *page {
	s.t.Helper()
	return s.post("/standards/organisation/draft", "/standards/organisation/draft", url.Values{"ruleset": {ruleset}, "notes": {"Short titles."}})
}

// waitForPreview reloads the preview page until the preview has ended.
func (s *site) waitForPreview() *page {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		p := s.get("/standards/organisation/draft/preview")
		status, _ := p.doc.Find("[data-testid=preview-status]").Attr("data-status")
		if status != "running" {
			return p
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the preview still runs after a minute: %s", p.text("[data-testid=preview-status]"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestDraftRulesetsThatDoNotLoadAreRefusedWithTheirLocation(t *testing.T) {
	s := newAPISite(t, "sqlite")
	if err := s.store.EnsureDefaultStandard(context.Background(), stdV1); err != nil {
		t.Fatal(err)
	}
	s.switchTo("governance")
	if p := s.post("/standards", "/standards/organisation/drafts", nil); p.status != http.StatusSeeOther || p.location != "/standards/organisation/draft?done=draft-created" {
		t.Fatalf("new draft: %d %q", p.status, p.location)
	}
	cases := []struct {
		name, ruleset      string
		message, line, pat string
	}{
		{"invalid YAML", "rules:\n  x: [unclosed\n", "did not find expected ',' or ']'", "", ""},
		{"unknown function", "rules:\n  my-rule:\n    given: $.info\n    then:\n      function: nosuchfn\n", `unknown function "nosuchfn"`, "line 5, column 17", "rules.my-rule.then.function"},
		{"bad regex", "rules:\n  my-rule:\n    given: $.info\n    then:\n      field: title\n      function: pattern\n      functionOptions:\n        match: \"([a-z\"\n", "unterminated character class", "line 8, column 9", "rules.my-rule.then.functionOptions"},
		{"bad JSONPath", "rules:\n  my-rule:\n    given: \"$.info[?(\"\n    then:\n      function: truthy\n", `invalid JSONPath "$.info[?("`, "line 3, column 12", "rules.my-rule.given"},
		{"extends itself", "extends: [organisation.yaml]\nrules: {}\n", "circular extends: organisation.yaml -> organisation.yaml", "line 1, column 11", "extends.0"},
		{"empty", "  \n", "The ruleset is empty", "", ""},
		{"no rule enabled", "rules:\n  my-rule:\n    severity: off\n    given: $.info\n    then:\n      function: truthy\n", "enables no rule", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := s.saveDraft(tc.ruleset)
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", p.status)
			}
			if got := p.text("[data-testid=ruleset-error-message]"); !strings.Contains(got, tc.message) {
				t.Errorf("message %q, want it to contain %q", got, tc.message)
			}
			if got := p.text("[data-testid=ruleset-error-line]"); got != tc.line {
				t.Errorf("location %q, want %q", got, tc.line)
			}
			if got := p.text("[data-testid=ruleset-error-path]"); got != tc.pat {
				t.Errorf("path %q, want %q", got, tc.pat)
			}
			if got := p.doc.Find("textarea#ruleset").Text(); got != tc.ruleset {
				t.Errorf("the editor lost the text: %q", got)
			}

			// The JSON API refuses it the same way, with the location.
			r := s.call(t, apiStep{method: http.MethodPut, path: "/api/v1/standards/organisation/draft", body: tc.ruleset, contentType: "application/yaml"})
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.get("error.message").(string), tc.message) {
				t.Fatalf("API: %d %s", r.status, r.raw)
			}
			if tc.line != "" && !strings.HasPrefix(tc.line+",", fmt.Sprintf("line %v,", r.get("error.problems.0.line"))) {
				t.Errorf("API problem line: %s", r.raw)
			}
		})
	}
	// Nothing was stored: the draft still has the published text.
	if p := s.get("/standards/organisation/draft"); p.doc.Find("textarea#ruleset").Text() != stdV1 {
		t.Errorf("a refused ruleset was stored: %q", p.doc.Find("textarea#ruleset").Text())
	}

	// A ruleset that loads is the draft, through the API too.
	s.run(t, []apiStep{
		{name: "save", method: http.MethodPut, path: "/api/v1/standards/organisation/draft", body: stdV2, contentType: "application/yaml", status: http.StatusOK,
			expect: map[string]any{"number": 2, "status": "draft", "ruleset": stdV2}},
		{name: "read", method: http.MethodGet, path: "/api/v1/standards/organisation", status: http.StatusOK,
			expect: map[string]any{"slug": "organisation", "current.number": 1, "draft.number": 2, "versions.0.number": 2, "versions.1.status": "published"}},
		{name: "unknown standard", method: http.MethodPut, path: "/api/v1/standards/nope/draft", body: stdV2, contentType: "application/yaml", status: http.StatusNotFound},
	})
}

func TestPreviewPublishAndRescore(t *testing.T) {
	forEngines(t, func(t *testing.T, engine string) {
		s := newSite(t, engine)
		s.seedStandardAndPets()
		// A second version whose title already meets the new rule: the
		// draft leaves it unchanged, so it sorts after pets v1.
		if p := s.post("/apis/pets/versions/new", "/apis/pets/versions", url.Values{"name": {"v2"}, "stage": {"design"}}); p.status != http.StatusSeeOther {
			t.Fatalf("create v2: %d", p.status)
		}
		s.upload("/apis/pets/versions/v2", "pets.yaml", []byte(strings.Replace(petsV1, "title: Pets", "title: Pz", 1)))
		s.score()
		if got := s.overall("v1"); got != "100" {
			t.Fatalf("pets v1 scores %s under v1, want 100", got)
		}

		s.switchTo("governance")
		page := s.get("/standards")
		if page.count("[data-testid=standard-version][data-status=published]") != 1 || page.count("[data-testid=new-draft]") != 1 {
			t.Fatalf("standards page: %s", page.body)
		}
		s.post("/standards", "/standards/organisation/drafts", nil)
		if p := s.get("/standards/organisation/draft"); p.doc.Find("textarea#ruleset").Text() != stdV1 {
			t.Fatalf("a new draft starts from the published text: %q", p.doc.Find("textarea#ruleset").Text())
		}
		if p := s.saveDraft(stdV2); p.status != http.StatusSeeOther || p.location != "/standards/organisation/draft?done=draft-saved" {
			t.Fatalf("save: %d %q %s", p.status, p.location, p.text("[data-testid=ruleset-error]"))
		}

		// A preview still running shows its progress and refreshes itself.
		ctx := context.Background()
		stale, err := s.store.StartPreview(ctx, catalog.SystemActor("test"), "organisation", 2)
		if err != nil {
			t.Fatal(err)
		}
		running := s.get("/standards/organisation/draft/preview")
		if running.count(`meta[http-equiv=refresh][content="3"]`) != 1 || running.text("[data-testid=preview-progress]") != "0 of 0" {
			t.Errorf("running preview: refresh %d, progress %q", running.count(`meta[http-equiv=refresh]`), running.text("[data-testid=preview-progress]"))
		}

		// Starting a preview cancels the one running and scores every
		// version under both standards.
		if p := s.post("/standards/organisation/draft", "/standards/organisation/draft/preview", nil); p.status != http.StatusSeeOther {
			t.Fatalf("start preview: %d", p.status)
		}
		if pv, _ := s.store.GetPreview(ctx, stale.ID); pv.Status != models.PreviewCancelled {
			t.Errorf("the older preview is %s, want cancelled", pv.Status)
		}
		done := s.waitForPreview()
		if status, _ := done.doc.Find("[data-testid=preview-status]").Attr("data-status"); status != "done" || done.text("[data-testid=preview-progress]") != "2 of 2" {
			t.Fatalf("preview: %s, %s", status, done.text("[data-testid=preview-status]"))
		}
		if done.count(`meta[http-equiv=refresh]`) != 0 {
			t.Error("a finished preview stops refreshing")
		}
		rows := done.doc.Find("[data-testid=preview-row]")
		want := []struct{ name, now, draft, delta, newly string }{
			{"Pets v1", "A 100", "F 50", "-50", "pets-title-short"},
			{"Pets v2", "A 100", "A 100", "0", ""},
		}
		if rows.Length() != len(want) {
			t.Fatalf("%d preview rows, want %d", rows.Length(), len(want))
		}
		rows.Each(func(i int, r *goquery.Selection) {
			got := []string{
				strings.TrimSpace(r.Find("[data-testid=preview-name]").Text()),
				strings.Join(strings.Fields(r.Find("[data-testid=score-now]").Text()), " "),
				strings.Join(strings.Fields(r.Find("[data-testid=score-draft]").Text()), " "),
				strings.TrimSpace(r.Find("[data-testid=score-delta]").Text()),
				strings.TrimSpace(r.Find("[data-testid=new-failing]").Text()),
			}
			w := want[i]
			if strings.Join(got, "|") != strings.Join([]string{w.name, w.now, w.draft, w.delta, w.newly}, "|") {
				t.Errorf("row %d: %q, want %+v", i, got, w)
			}
		})

		// The two versions compare as text.
		diff := s.get("/standards/organisation/diff?from=1&to=2")
		if !strings.Contains(diff.doc.Find("tr.diff-add").Text(), "pets-title-short") {
			t.Errorf("diff: %s", diff.text("[data-testid=diff]"))
		}

		// Publishing supersedes v1, keeps it, and every scorecard is
		// recomputed under v2.
		if p := s.post("/standards/organisation/draft", "/standards/organisation/draft/publish", url.Values{"number": {"2"}}); p.status != http.StatusSeeOther || p.location != "/standards?done=published" {
			t.Fatalf("publish: %d %q %s", p.status, p.location, p.body)
		}
		list := s.get("/standards")
		if list.count("[data-testid=standard-version][data-number=\"2\"][data-status=published]") != 1 || list.count("[data-testid=standard-version][data-number=\"1\"][data-status=superseded]") != 1 {
			t.Errorf("versions after publishing: %s", list.text("[data-testid=standard-versions]"))
		}
		if !strings.Contains(list.text("[data-testid=history]"), "governance@example.com published version 2") {
			t.Errorf("history: %s", list.text("[data-testid=history]"))
		}
		if p := s.get("/apis/pets/versions/v1/scorecard"); p.count("[data-testid=scorecard-stale]") != 1 {
			t.Error("until the job runs, scorecards say the standard changed")
		}
		s.score()
		card := s.get("/apis/pets/versions/v1/scorecard")
		if card.text("[data-testid=overall]") != "50" || !strings.Contains(card.text("[data-testid=scorecard] p.muted"), " v2 ") {
			t.Errorf("after publishing: overall %q, %q", card.text("[data-testid=overall]"), card.text("[data-testid=scorecard] p.muted"))
		}
		if row := card.ruleRow("pets-title-short"); !row.HasClass("rule-fail") || row.Find("[data-testid=grace]").Length() != 0 {
			t.Errorf("the new rule counts at once without an effective date")
		}
	})
}

func TestEffectiveDateKeepsNewRulesFromLoweringScores(t *testing.T) {
	forEngines(t, func(t *testing.T, engine string) {
		s := newSite(t, engine)
		s.seedStandardAndPets()
		s.switchTo("governance")
		s.post("/standards", "/standards/organisation/drafts", nil)
		s.saveDraft(stdV2)

		// The date must be ahead.
		p := s.post("/standards/organisation/draft", "/standards/organisation/draft/publish", url.Values{"number": {"2"}, "effective_date": {time.Now().UTC().Format(time.DateOnly)}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("[data-testid=error-effective_date]"), "after today") {
			t.Fatalf("today as effective date: %d %s", p.status, p.text("[data-testid=error-effective_date]"))
		}
		until := time.Now().UTC().AddDate(0, 0, 30)
		p = s.post("/standards/organisation/draft", "/standards/organisation/draft/publish", url.Values{"number": {"2"}, "effective_date": {until.Format(time.DateOnly)}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("publish: %d %s", p.status, p.body)
		}
		if s.get("/standards").count("[data-testid=effective] .grace-badge") != 1 {
			t.Error("the list says the new version is in its grace period")
		}
		s.score()
		card := s.get("/apis/pets/versions/v1/scorecard")
		row := card.ruleRow("pets-title-short")
		if card.text("[data-testid=overall]") != "100" || !row.HasClass("rule-fail") || !strings.Contains(row.Find("[data-testid=grace]").Text(), until.Format("2 Jan 2006")) {
			t.Fatalf("in the grace period: overall %q, rule %q", card.text("[data-testid=overall]"), row.Text())
		}
		if !strings.Contains(row.Text(), "warn") {
			t.Errorf("a rule in its grace period shows as a warning: %q", row.Text())
		}

		// Once the date has passed, the next run scores the rule in full:
		// move the clock by moving the dates an hour back.
		hourAgo := time.Now().UTC().Add(-time.Hour)
		if err := s.store.DB().Exec("UPDATE scorecards SET computed_at = ?", hourAgo.Add(-time.Minute)).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.store.DB().Exec("UPDATE standard_versions SET effective_at = ? WHERE number = 2", hourAgo).Error; err != nil {
			t.Fatal(err)
		}
		s.score()
		card = s.get("/apis/pets/versions/v1/scorecard")
		if card.text("[data-testid=overall]") != "50" || card.ruleRow("pets-title-short").Find("[data-testid=grace]").Length() != 0 {
			t.Errorf("after the grace period: overall %q", card.text("[data-testid=overall]"))
		}
	})
}

// TestOnlyGovernanceLeadsManageStandards checks every action as a viewer
// (refused) and that the pages offer them only to governance leads.
func TestOnlyGovernanceLeadsManageStandards(t *testing.T) {
	s := newSite(t, "sqlite")
	s.seedStandardAndPets()
	s.switchTo("governance")
	s.post("/standards", "/standards/organisation/drafts", nil)
	s.switchTo("viewer")
	if p := s.get("/standards"); p.status != http.StatusOK || p.count("[data-testid=new-draft], [data-testid=edit-draft]") != 0 {
		t.Errorf("a viewer reads the standard without its actions: %d", p.status)
	}
	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, "/standards/organisation/drafts"},
		{http.MethodGet, "/standards/organisation/draft"},
		{http.MethodPost, "/standards/organisation/draft"},
		{http.MethodPost, "/standards/organisation/draft/preview"},
		{http.MethodGet, "/standards/organisation/draft/preview"},
		{http.MethodPost, "/standards/organisation/draft/publish"},
		{http.MethodPost, "/standards/organisation/draft/delete"},
		{http.MethodGet, "/waivers"},
		{http.MethodPost, "/waivers/1/approve"},
		{http.MethodPost, "/waivers/1/deny"},
		{http.MethodPost, "/apis/pets/versions/v1/waivers"},
	} {
		var p *page
		if tc.method == http.MethodGet {
			p = s.get(tc.path)
		} else {
			p = s.post("/standards", tc.path, url.Values{"ruleset": {stdV2}, "number": {"2"}, "rule": {"pets-title-short"}, "reason": {"x"}, "expires_days": {"9"}})
		}
		if p.status != http.StatusForbidden {
			t.Errorf("%s %s as a viewer: %d, want 403", tc.method, tc.path, p.status)
		}
	}
	token := s.createToken("viewer script", "admin", "")
	if p := s.call(http.MethodPut, "/api/v1/standards/organisation/draft", token, stdV2); p.status != http.StatusForbidden {
		t.Errorf("PUT draft as a viewer: %d", p.status)
	}
	if d, _ := s.store.GetStandard(context.Background(), "organisation"); d.Draft().Ruleset != stdV1 {
		t.Error("a refused request changed the draft")
	}
}
