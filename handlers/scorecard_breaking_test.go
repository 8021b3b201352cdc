package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/scorecard"
)

// uploadAll uploads specs to a version page in turn; an upload the policy
// holds is let through by an exception, as a team and a governance lead
// would.
func (s *site) uploadAll(version string, specs ...string) {
	s.t.Helper()
	for _, spec := range specs {
		p := s.upload("/apis/pets/versions/"+version, "pets.yaml", []byte(spec))
		if strings.Contains(p.location, "/pending/") {
			s.acceptHeld(p)
		} else if p.status != http.StatusSeeOther {
			s.t.Fatalf("upload to %s: %d", version, p.status)
		}
	}
}

// TestBreakingChangesOnTheScorecard: the breaking-changes check is a
// governance rule on every scorecard. Under stdV1 petsV1 passes the one
// documentation rule, so a failing check halves the score.
func TestBreakingChangesOnTheScorecard(t *testing.T) {
	forEngines(t, func(t *testing.T, engine string) {
		s := newAPISite(t, engine)
		if err := s.store.EnsureDefaultStandard(context.Background(), stdV1); err != nil {
			t.Fatal(err)
		}
		s.seedPets() // v1, production
		for name, stage := range map[string]string{"v0": "design", "v2": "production"} {
			if p := s.post("/apis/pets/versions/new", "/apis/pets/versions", url.Values{"name": {name}, "stage": {stage}}); p.status != http.StatusSeeOther {
				t.Fatalf("create %s: %d", name, p.status)
			}
		}
		s.uploadAll("v1", petsV1)
		s.uploadAll("v0", petsV1, petsV2)
		s.uploadAll("v2", petsV1, petsV2)
		s.score()

		tests := []struct {
			name, version string
			status        string // the badge
			detail        string
			overall       string
			evidence      bool
		}{
			{name: "a first revision has nothing to compare", version: "v1", status: "not applicable", detail: "Not compared", overall: "100"},
			{name: "breaking changes at the design stage are allowed", version: "v0", status: "pass", detail: "which the standard allows at the design stage", overall: "100"},
			{name: "breaking changes let through by an exception cost governance points", version: "v2", status: "fail",
				detail: "let through by an exception to the breaking-change policy", overall: "50", evidence: true},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				card := s.get("/apis/pets/versions/" + tc.version + "/scorecard")
				row := card.ruleRow(scorecard.BreakingChangesRule)
				if row.Length() != 1 {
					t.Fatalf("no %s line on the scorecard", scorecard.BreakingChangesRule)
				}
				if got := strings.TrimSpace(row.Find(".badge").First().Text()); got != tc.status {
					t.Errorf("result %q, want %q", got, tc.status)
				}
				if got := row.Find("[data-testid=rule-detail]").Text(); !strings.Contains(got, tc.detail) {
					t.Errorf("detail %q, want %q", got, tc.detail)
				}
				if got := strings.TrimSpace(row.Find("td").Eq(2).Text()); got != "governance" {
					t.Errorf("category %q", got)
				}
				if got := card.text("[data-testid=overall]"); got != tc.overall {
					t.Errorf("overall %s, want %s", got, tc.overall)
				}
				howToFix := row.Find(".how-to-fix").Text()
				if tc.status == "fail" != strings.Contains(howToFix, "new version") {
					t.Errorf("how to fix shown %q for a %s", howToFix, tc.status)
				}
				evidence := row.Find(".evidence li")
				if (evidence.Length() > 0) != tc.evidence || tc.evidence && !strings.Contains(evidence.Text(), "GET /pets/{petId}") {
					t.Errorf("evidence: %q", evidence.Text())
				}
				if tc.status == "fail" && row.Find("[data-testid=waiver-request]").Length() != 1 {
					t.Error("the team may ask to waive the check, like any failing rule")
				}
			})
		}

		// The JSON scorecard says the same.
		r := s.call(t, apiStep{method: http.MethodGet, path: "/api/v1/apis/pets/versions/v2/scorecard"})
		check := ruleJSON(t, r, scorecard.BreakingChangesRule)
		if check["status"] != "fail" || check["category"] != "governance" || fmt.Sprint(check["weight"]) != "5" || fmt.Sprint(check["failed_targets"]) != "1" ||
			!strings.Contains(fmt.Sprint(check["detail"]), "exception") || check["how_to_fix"] == nil || len(check["evidence"].([]any)) == 0 {
			t.Errorf("the check in JSON: %v", check)
		}
	})
}

// ruleJSON finds one rule's result in a JSON scorecard.
func ruleJSON(t *testing.T, r *apiResponse, rule string) map[string]any {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("scorecard: %d %s", r.status, r.raw)
	}
	for _, it := range r.list(t, "rules") {
		if m := it.(map[string]any); m["rule"] == rule {
			return m
		}
	}
	t.Fatalf("no rule %s in %s", rule, r.raw)
	return nil
}

// TestScorecardJSONGraceAndWaivers: the JSON scorecard carries what the
// page shows about grace periods, waivers and waiver requests, and the
// governance overview leaves rules in their grace period out of the rules
// failed most.
func TestScorecardJSONGraceAndWaivers(t *testing.T) {
	forEngines(t, func(t *testing.T, engine string) {
		s := newAPISite(t, engine)
		if err := s.store.EnsureDefaultStandard(context.Background(), stdV1); err != nil {
			t.Fatal(err)
		}
		s.seedPets()
		s.uploadAll("v1", petsV1, petsV2) // the check fails: an exception let petsV2 in
		s.score()
		const jsonURL = "/api/v1/apis/pets/versions/v1/scorecard"

		// A waiver request awaits a decision.
		if p := s.requestWaiver(scorecard.BreakingChangesRule, "Every consumer moved to DELETE.", "30"); p.status != http.StatusSeeOther {
			t.Fatalf("request waiver: %d %s", p.status, p.text(".field-error"))
		}
		check := ruleJSON(t, s.call(t, apiStep{method: http.MethodGet, path: jsonURL}), scorecard.BreakingChangesRule)
		req, _ := check["waiver_request"].(map[string]any)
		if check["status"] != "fail" || req["reason"] != "Every consumer moved to DELETE." || req["requested_by"] != "admin@example.com" || req["expires"] == nil {
			t.Errorf("pending waiver request in JSON: %v", check)
		}
		if gov := s.get("/governance"); !strings.Contains(gov.text("[data-testid=worst-rules] tbody"), scorecard.BreakingChangesRule) {
			t.Errorf("the failing check is among the rules failed most: %q", gov.text("[data-testid=worst-rules]"))
		}

		// A new rule in its grace period: in the JSON with its date, and
		// not among the rules failed most.
		s.post("/standards", "/standards/organisation/drafts", nil)
		s.saveDraft(stdV2)
		until := time.Now().UTC().AddDate(0, 0, 30)
		if p := s.post("/standards/organisation/draft", "/standards/organisation/draft/publish", url.Values{"number": {"2"}, "effective_date": {until.Format(time.DateOnly)}}); p.status != http.StatusSeeOther {
			t.Fatalf("publish: %d", p.status)
		}
		s.score()
		r := s.call(t, apiStep{method: http.MethodGet, path: jsonURL})
		grace := ruleJSON(t, r, "pets-title-short")
		if grace["status"] != "fail" || !strings.HasPrefix(fmt.Sprint(grace["grace_until"]), until.Format(time.DateOnly)) || grace["severity"] != "warn" {
			t.Errorf("a rule in its grace period in JSON: %v", grace)
		}
		gov := s.get("/governance")
		worst := gov.text("[data-testid=worst-rules] tbody")
		if strings.Contains(worst, "pets-title-short") || !strings.Contains(worst, scorecard.BreakingChangesRule) {
			t.Errorf("rules failed most: %q", worst)
		}
		if note := gov.text("[data-testid=worst-rules-grace]"); !strings.Contains(note, "1 rule new in the standard is left out until "+until.Format("2 Jan 2006")) {
			t.Errorf("grace note: %q", note)
		}

		// The waiver approved, the check is waived, with its waiver.
		list := s.get("/waivers")
		action, _ := list.doc.Find("[data-testid=pending-waiver] form").Attr("action")
		if p := s.post("/waivers", action, url.Values{"note": {"ok"}}); p.status != http.StatusSeeOther {
			t.Fatalf("approve waiver %s: %d", action, p.status)
		}
		s.score()
		check = ruleJSON(t, s.call(t, apiStep{method: http.MethodGet, path: jsonURL}), scorecard.BreakingChangesRule)
		w, _ := check["waiver"].(map[string]any)
		if check["status"] != "waived" || w["reason"] != "Every consumer moved to DELETE." || w["granted_by"] != "admin@example.com" || w["expires"] == nil || check["waiver_request"] != nil {
			t.Errorf("waived check in JSON: %v", check)
		}
	})
}
