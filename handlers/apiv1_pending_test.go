package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// petsLimitRequired is petsV2 with GET /pets's limit parameter required:
// a breaking change for every client that leaves it out.
var petsLimitRequired = strings.Replace(petsV2, "          in: query\n", "          in: query\n          required: true\n", 1)

// holdBreaking uploads petsLimitRequired (with a distinguishing comment)
// on the page of pets v1, a production version whose current spec is
// petsV2, so the policy holds it. It returns the pending revision's id.
func (s *site) holdBreaking(n int) string {
	s.t.Helper()
	p := s.upload("/apis/pets/versions/v1", "pets.yaml", []byte(fmt.Sprintf("%s# %d\n", petsLimitRequired, n)))
	pending, _, _ := strings.Cut(p.location, "?")
	if p.status != http.StatusSeeOther || !strings.Contains(pending, "/pending/") {
		s.t.Fatalf("upload was not held: %d %s", p.status, p.location)
	}
	return pending[strings.LastIndex(pending, "/")+1:]
}

// TestAPIv1PendingRevisions walks the exception flow through the JSON API
// as each role would: anyone reads, the team requests and withdraws,
// governance leads decide; every answer is checked against the OpenAPI
// document.
func TestAPIv1PendingRevisions(t *testing.T) {
	forEngines(t, func(t *testing.T, engine string) {
		s := newAPISite(t, engine)
		fx := s.site.fixtures() // pets v1, production, revision 2 current
		a, b, c := s.holdBreaking(1), s.holdBreaking(2), s.holdBreaking(3)
		base := "/api/v1/apis/pets/versions/v1/pending-revisions/"
		as := func(role string, steps ...apiStep) {
			t.Helper()
			s.token = fx.tokens[role]
			s.run(t, steps)
		}

		as("viewer",
			apiStep{name: "list everything, newest first", method: "GET", path: "/api/v1/pending-revisions", status: http.StatusOK,
				expect: map[string]any{"total": 3, "limit": 25, "offset": 0, "items.0.id": c, "items.2.id": a, "items.0.status": "held",
					"items.0.api.slug": "pets", "items.0.api.name": "Pets", "items.0.version": "v1", "items.0.team": "zoo", "items.0.stage": "production",
					"items.0.policy": "hold", "items.0.base_revision": 2, "items.0.breaking": 1, "items.0.request": nil, "items.0.decision": nil,
					"items.0.revision": nil, "items.0.url": "/apis/pets/versions/v1/pending/" + c},
				check: func(t *testing.T, r *apiResponse) {
					if r.get("items.0.changes") != nil {
						t.Error("the list leaves the changes out")
					}
				}},
			apiStep{name: "get one with its changes", method: "GET", path: base + a, status: http.StatusOK,
				expect:   map[string]any{"id": a, "status": "held", "changes.0.level": "breaking", "changes.0.operation": "GET /pets"},
				contains: map[string]string{"changes.0.id": "required", "changes.0.text": "limit"}},
			apiStep{name: "a viewer may not request an exception", method: "POST", path: base + a + "/exception", body: `{"reason": "Please."}`,
				status: http.StatusForbidden, contains: map[string]string{"error.message": "only members of team zoo"}},
			apiStep{name: "a viewer may not withdraw", method: "POST", path: base + c + "/withdraw", status: http.StatusForbidden},
			apiStep{name: "unknown id", method: "GET", path: base + "9999", status: http.StatusNotFound,
				expect: map[string]any{"error.message": `version "v1" of API "pets" has no pending revision 9999`}},
			apiStep{name: "id that is not a number", method: "GET", path: base + "abc", status: http.StatusNotFound,
				contains: map[string]string{"error.message": "whole numbers"}},
			apiStep{name: "unknown version", method: "GET", path: "/api/v1/apis/pets/versions/v9/pending-revisions/" + a, status: http.StatusNotFound,
				expect: map[string]any{"error.message": `API "pets" has no version "v9"`}},
		)

		as("member",
			apiStep{name: "no body", method: "POST", path: base + a + "/exception", body: "", contentType: "application/json", status: http.StatusBadRequest,
				contains: map[string]string{"error.message": "empty"}},
			apiStep{name: "a blank reason", method: "POST", path: base + a + "/exception", body: `{"reason": "  "}`, status: http.StatusUnprocessableEntity,
				contains: map[string]string{"error.fields.reason": "required"}},
			apiStep{name: "a reason too long", method: "POST", path: base + a + "/exception", body: `{"reason": "` + strings.Repeat("x", 2001) + `"}`,
				status: http.StatusUnprocessableEntity, contains: map[string]string{"error.fields.reason": "under 2000 characters"}},
			apiStep{name: "an unknown field", method: "POST", path: base + a + "/exception", body: `{"reason": "x", "note": "y"}`, status: http.StatusBadRequest,
				contains: map[string]string{"error.message": `unknown field "note"; this endpoint accepts reason`}},
			apiStep{name: "request an exception", method: "POST", path: base + a + "/exception", body: `{"reason": "Clients migrated last quarter."}`,
				status: http.StatusOK, expect: map[string]any{"status": "requested", "request.reason": "Clients migrated last quarter.",
					"request.by": "member@example.com", "decision": nil, "changes.0.level": "breaking"}},
			apiStep{name: "request it twice", method: "POST", path: base + a + "/exception", body: `{"reason": "Again."}`, status: http.StatusConflict,
				contains: map[string]string{"error.message": "already been requested"}},
			apiStep{name: "a member may not approve", method: "POST", path: base + a + "/approve", body: `{"reason": "Mine."}`, status: http.StatusForbidden,
				contains: map[string]string{"error.message": "only governance leads"}},
			apiStep{name: "request for an unknown id", method: "POST", path: base + "9999/exception", body: `{"reason": "x"}`, status: http.StatusNotFound},
			apiStep{name: "request another", method: "POST", path: base + b + "/exception", body: `{"reason": "Needed for the launch."}`, status: http.StatusOK,
				expect: map[string]any{"status": "requested"}},
			apiStep{name: "withdraw one", method: "POST", path: base + c + "/withdraw", status: http.StatusOK,
				expect: map[string]any{"status": "withdrawn", "decision.outcome": "withdrawn", "decision.by": "member@example.com", "revision": nil}},
			apiStep{name: "withdraw it twice", method: "POST", path: base + c + "/withdraw", status: http.StatusConflict,
				contains: map[string]string{"error.message": "already withdrawn"}},
			apiStep{name: "no exception for a withdrawn revision", method: "POST", path: base + c + "/exception", body: `{"reason": "x"}`, status: http.StatusConflict,
				contains: map[string]string{"error.message": "withdrawn"}},
		)

		as("governance",
			apiStep{name: "a governance lead outside the team may not request", method: "POST", path: base + a + "/exception", body: `{"reason": "x"}`,
				status: http.StatusForbidden},
			apiStep{name: "a decision needs a reason", method: "POST", path: base + a + "/approve", body: `{"reason": ""}`, status: http.StatusUnprocessableEntity,
				contains: map[string]string{"error.fields.reason": "required"}},
			apiStep{name: "approve", method: "POST", path: base + a + "/approve", body: `{"reason": "Consumers confirmed."}`, status: http.StatusOK,
				expect: map[string]any{"status": "approved", "decision.outcome": "approved", "decision.reason": "Consumers confirmed.",
					"decision.by": "governance@example.com", "revision": 3, "request.reason": "Clients migrated last quarter."}},
			apiStep{name: "decide it twice", method: "POST", path: base + a + "/approve", body: `{"reason": "Again."}`, status: http.StatusConflict,
				contains: map[string]string{"error.message": "no exception request to decide: it is approved"}},
			apiStep{name: "deny after approving", method: "POST", path: base + a + "/deny", body: `{"reason": "No."}`, status: http.StatusConflict},
			apiStep{name: "a withdrawn revision has nothing to decide", method: "POST", path: base + c + "/deny", body: `{"reason": "No."}`, status: http.StatusConflict},
			apiStep{name: "deny", method: "POST", path: base + b + "/deny", body: `{"reason": "Ship it as v2."}`, status: http.StatusOK,
				expect: map[string]any{"status": "denied", "decision.outcome": "denied", "decision.reason": "Ship it as v2.", "revision": nil}},
		)

		as("viewer",
			apiStep{name: "nothing waits any more", method: "GET", path: "/api/v1/pending-revisions?status=open", status: http.StatusOK,
				expect: map[string]any{"total": 0, "items": []string{}}},
			apiStep{name: "filter by status", method: "GET", path: "/api/v1/pending-revisions?status=approved", status: http.StatusOK,
				expect: map[string]any{"total": 1, "items.0.id": a, "items.0.revision": 3}},
			apiStep{name: "filter by API and version, one per page", method: "GET", path: "/api/v1/pending-revisions?api=pets&version=v1&limit=1&offset=1", status: http.StatusOK,
				expect: map[string]any{"total": 3, "limit": 1, "offset": 1, "items.0.id": b},
				check: func(t *testing.T, r *apiResponse) {
					if n := len(r.list(t, "items")); n != 1 {
						t.Errorf("%d items, want 1", n)
					}
				}},
			apiStep{name: "unknown status", method: "GET", path: "/api/v1/pending-revisions?status=pending", status: http.StatusBadRequest,
				contains: map[string]string{"error.fields.status": `unknown status "pending"`}},
			apiStep{name: "version without API", method: "GET", path: "/api/v1/pending-revisions?version=v1", status: http.StatusBadRequest,
				contains: map[string]string{"error.fields.version": "name the API too"}},
			apiStep{name: "bad limit", method: "GET", path: "/api/v1/pending-revisions?limit=0", status: http.StatusBadRequest,
				contains: map[string]string{"error.fields.limit": "whole number"}},
			apiStep{name: "unknown parameter", method: "GET", path: "/api/v1/pending-revisions?team=zoo", status: http.StatusBadRequest,
				contains: map[string]string{"error.fields.team": "unknown query parameter"}},
			apiStep{name: "unknown API", method: "GET", path: "/api/v1/pending-revisions?api=nope", status: http.StatusNotFound,
				expect: map[string]any{"error.message": `there is no API "nope"`}},
		)

		// A token scoped to uploads may not ask for exceptions.
		s.token = s.createToken("ci", "write-specs", "")
		s.run(t, []apiStep{{name: "a write-specs token", method: "POST", path: base + b + "/withdraw", status: http.StatusForbidden,
			contains: map[string]string{"error.message": "scope write-specs"}}})

		// The approval made the revision current; the page of the
		// withdrawn one says so; every step is audited.
		ctx := context.Background()
		if v, _ := s.store.GetVersion(ctx, "pets", "v1"); v.Current == nil || v.Current.Number != 3 || !v.Current.Excepted {
			t.Errorf("after approval: current %+v", v.Current)
		}
		if p := fx.as("member").get("/apis/pets/versions/v1/pending/" + c); p.text("[data-testid=pending-status]") != "withdrawn" ||
			!strings.Contains(p.text("[data-testid=exception-decision]"), "Withdrawn by member@example.com") || p.count("[data-testid=withdraw]") != 0 {
			t.Errorf("withdrawn page: %q, %q", p.text("[data-testid=pending-status]"), p.text("[data-testid=exception-decision]"))
		}
		events, _ := s.store.AuditFor(ctx, "version", "pets/v1", 50)
		var actions []string
		for _, e := range events {
			actions = append(actions, e.Action+":"+e.Actor)
		}
		for _, want := range []string{"exception.request:member@example.com", "exception.approve:governance@example.com",
			"exception.deny:governance@example.com", "spec.withdraw:member@example.com"} {
			if !strings.Contains(strings.Join(actions, " "), want) {
				t.Errorf("audit has %v, want %s", actions, want)
			}
		}
	})
}

// TestWithdrawOnThePage: the team withdraws a held revision from its page;
// others are not offered the button.
func TestWithdrawOnThePage(t *testing.T) {
	s := newSite(t, "sqlite")
	fx := s.fixtures()
	id := s.holdBreaking(1)
	pending := "/apis/pets/versions/v1/pending/" + id
	for _, tc := range []struct {
		role  string
		offer bool
	}{{"viewer", false}, {"governance", false}, {"member", true}, {"owner", true}} {
		if got := fx.as(tc.role).get(pending).count("[data-testid=withdraw-form]") == 1; got != tc.offer {
			t.Errorf("%s: withdraw offered %v, want %v", tc.role, got, tc.offer)
		}
	}
	if p := fx.as("viewer").post(pending, pending+"/withdraw", nil); p.status != http.StatusForbidden {
		t.Errorf("a viewer withdraws: %d", p.status)
	}
	member := fx.as("member")
	if p := member.post(pending, pending+"/withdraw", nil); p.status != http.StatusSeeOther || p.location != pending+"?done=withdrawn" {
		t.Fatalf("withdraw: %d %s", p.status, p.location)
	}
	page := member.get(pending + "?done=withdrawn")
	if page.text("[data-testid=pending-status]") != "withdrawn" || !strings.Contains(page.text("[data-testid=flash]"), "Withdrawn") {
		t.Errorf("after withdrawing: %q %q", page.text("[data-testid=pending-status]"), page.text("[data-testid=flash]"))
	}
	if v := member.get("/apis/pets/versions/v1"); v.count("[data-testid=pending-revisions] a") != 0 {
		t.Error("the version page no longer lists a withdrawn revision")
	}
	if p := member.post(pending, pending+"/withdraw", nil); p.status != http.StatusConflict {
		t.Errorf("withdrawing twice: %d", p.status)
	}
}
