package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
)

// seedWaiverCase scores pets v1 under stdV2 (50: pets-title-short fails)
// and makes the viewer persona a plain member of the zoo team, signed in.
func (s *site) seedWaiverCase() {
	s.t.Helper()
	ctx := context.Background()
	if err := s.store.EnsureDefaultStandard(ctx, stdV2); err != nil {
		s.t.Fatal(err)
	}
	s.seedPets()
	s.upload("/apis/pets/versions/v1", "pets.yaml", []byte(petsV1))
	s.score()
	if got := s.overall("v1"); got != "50" {
		s.t.Fatalf("pets v1 scores %s under stdV2, want 50", got)
	}
	s.switchTo("viewer")
	u, err := s.store.FindUserByEmail(ctx, "viewer@example.com")
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.store.SetMember(ctx, catalog.SystemActor("test"), "zoo", u.ID, "member"); err != nil {
		s.t.Fatal(err)
	}
}

const scorecardURL = "/apis/pets/versions/v1/scorecard"

func (s *site) requestWaiver(rule, reason, days string) *page {
	s.t.Helper()
	return s.post(scorecardURL, "/apis/pets/versions/v1/waivers", url.Values{"rule": {rule}, "reason": {reason}, "expires_days": {days}})
}

func TestWaiverRequestedByAMemberAndApprovedByGovernance(t *testing.T) {
	forEngines(t, func(t *testing.T, engine string) {
		s := newSite(t, engine)
		s.seedWaiverCase()

		card := s.get(scorecardURL)
		if card.ruleRow("pets-title-short").Find("[data-testid=waiver-request]").Length() != 1 || card.ruleRow("info-has-description").Find("[data-testid=waiver-request]").Length() != 0 {
			t.Fatal("members are offered a waiver on failing rules only")
		}
		for _, tc := range []struct {
			name, rule, reason, days, field string
		}{
			{"no reason", "pets-title-short", " ", "30", "reason"},
			{"no days", "pets-title-short", "Brand name.", "", "expires_days"},
			{"too long", "pets-title-short", "Brand name.", "366", "expires_days"},
			{"a passing rule", "info-has-description", "Brand name.", "30", "rule"},
			{"an unknown rule", "no-such-rule", "Brand name.", "30", "rule"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := s.requestWaiver(tc.rule, tc.reason, tc.days)
				if p.status != http.StatusUnprocessableEntity || p.count("[data-testid=error-"+tc.field+"]") != 1 {
					t.Fatalf("status %d, errors %q", p.status, p.doc.Find(".field-error").Text())
				}
				if tc.rule == "pets-title-short" && p.ruleRow(tc.rule).Find("details[open] textarea").Text() != strings.TrimSpace(tc.reason) {
					t.Error("the form comes back open, as typed")
				}
			})
		}

		p := s.requestWaiver("pets-title-short", "Pets is our brand name.", "30")
		if p.status != http.StatusSeeOther || p.location != scorecardURL+"?done=waiver-requested" {
			t.Fatalf("request: %d %q", p.status, p.location)
		}
		card = s.get(scorecardURL)
		if !strings.Contains(card.ruleRow("pets-title-short").Find("[data-testid=waiver-pending]").Text(), "awaiting a governance lead") || card.count("[data-testid=waiver-request]") != 0 {
			t.Error("the scorecard says the waiver is pending, and offers no second one")
		}
		if again := s.requestWaiver("pets-title-short", "Again.", "30"); again.status != http.StatusUnprocessableEntity || !strings.Contains(again.text("[data-testid=error-rule]"), "already waiting") {
			t.Errorf("a second request: %d %q", again.status, again.text("[data-testid=error-rule]"))
		}

		s.switchTo("governance")
		if card := s.get(scorecardURL); card.count("[data-testid=pending-waivers-note]") != 1 || card.count("[data-testid=waiver-request]") != 0 {
			t.Error("governance leads see the pending request, and request none themselves")
		}
		list := s.get("/waivers")
		if list.count(`[data-testid=pending-waiver][data-rule="pets-title-short"]`) != 1 || !strings.Contains(list.text("[data-testid=pending-waiver]"), "Pets is our brand name.") {
			t.Fatalf("waivers page: %s", list.text("[data-testid=pending-waivers]"))
		}
		id, _ := list.doc.Find("[data-testid=pending-waiver] form").Attr("action")
		if p := s.post("/waivers", id, url.Values{"note": {"Fine until the rename."}}); p.status != http.StatusSeeOther || p.location != "/waivers?done=waiver-approved" {
			t.Fatalf("approve %s: %d %q", id, p.status, p.location)
		}
		list = s.get("/waivers")
		if list.count("[data-testid=no-pending]") != 1 || list.count("[data-testid=decided-waiver][data-status=approved]") != 1 || !strings.Contains(list.text("[data-testid=decided-waiver]"), "Fine until the rename.") {
			t.Errorf("after approving: %s", list.text("main"))
		}
		if p := s.post("/waivers", id, nil); p.status != http.StatusConflict {
			t.Errorf("approving twice: %d", p.status)
		}

		// The next scoring run leaves the rule out of the score.
		s.score()
		card = s.get(scorecardURL)
		row := card.ruleRow("pets-title-short")
		if card.text("[data-testid=overall]") != "100" || !row.HasClass("rule-waived") || !strings.Contains(row.Find("[data-testid=waived]").Text(), "Pets is our brand name.") {
			t.Errorf("waived: overall %q, row %q", card.text("[data-testid=overall]"), row.Text())
		}
		events, _ := s.store.AuditFor(context.Background(), "version", "pets/v1", 10)
		var actions []string
		for _, e := range events {
			actions = append(actions, e.Action)
		}
		if !strings.Contains(strings.Join(actions, " "), "waiver.approve waiver.request") {
			t.Errorf("audit of pets/v1: %v", actions)
		}

		// When the waiver expires, the rule counts again.
		now := time.Now().UTC()
		db := s.store.DB()
		for _, q := range []struct {
			sql string
			at  time.Time
		}{
			{"UPDATE waivers SET decided_at = ?", now.Add(-3 * time.Hour)},
			{"UPDATE scorecards SET computed_at = ?", now.Add(-2 * time.Hour)},
			{"UPDATE waivers SET expires_at = ?", now.Add(-time.Hour)},
		} {
			if err := db.Exec(q.sql, q.at).Error; err != nil {
				t.Fatal(err)
			}
		}
		s.score()
		if card := s.get(scorecardURL); card.text("[data-testid=overall]") != "50" || !card.ruleRow("pets-title-short").HasClass("rule-fail") {
			t.Errorf("after expiry: overall %q", card.text("[data-testid=overall]"))
		}
	})
}

func TestDeniedWaiverLeavesTheScore(t *testing.T) {
	s := newSite(t, "sqlite")
	s.seedWaiverCase()
	s.requestWaiver("pets-title-short", "Brand name.", "7")
	s.switchTo("governance")
	id, _ := s.get("/waivers").doc.Find("[data-testid=pending-waiver] [data-testid=deny]").Attr("formaction")
	if p := s.post("/waivers", id, url.Values{"note": {"Rename it."}}); p.status != http.StatusSeeOther || p.location != "/waivers?done=waiver-denied" {
		t.Fatalf("deny %s: %d %q", id, p.status, p.location)
	}
	if s.get("/waivers").count("[data-testid=decided-waiver][data-status=denied]") != 1 {
		t.Error("the denial is listed")
	}
	s.score()
	s.switchTo("viewer")
	card := s.get(scorecardURL)
	if card.text("[data-testid=overall]") != "50" || card.ruleRow("pets-title-short").Find("[data-testid=waiver-request]").Length() != 1 {
		t.Errorf("after a denial the score stays and the team may ask again: %q", card.text("[data-testid=overall]"))
	}
}
