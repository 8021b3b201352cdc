package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
)

// corpusPair returns a real spec from the shared corpus and the same spec
// with one path (and so its operations) removed: a breaking change.
func corpusPair(t *testing.T) (before, after []byte) {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "corpus", "specs", "1forge.com.json")
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("corpus spec %s is absent", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	paths, _ := doc["paths"].(map[string]any)
	if _, ok := paths["/symbols"]; !ok {
		t.Fatalf("%s has no /symbols path to remove", path)
	}
	delete(paths, "/symbols")
	mutated, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return raw, mutated
}

// putSpec sends a spec through the JSON API with the admin's token.
func putSpec(t *testing.T, s *site, token, version string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, s.srv.URL+"/api/v1/apis/pets/versions/"+version+"/spec", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	p := s.do(req)
	return p.status, p.body
}

// acceptHeld walks a held upload through the exception flow as the signed-
// in admin, for tests whose subject is what comes after a breaking push.
func (s *site) acceptHeld(p *page) {
	s.t.Helper()
	pending, _, _ := strings.Cut(p.location, "?")
	if p.status != http.StatusSeeOther || !strings.Contains(pending, "/pending/") {
		s.t.Fatalf("upload was not held: %d %s", p.status, p.location)
	}
	if r := s.post(pending, pending+"/exception", url.Values{"reason": {"test"}}); r.status != http.StatusSeeOther {
		s.t.Fatalf("request exception: %d", r.status)
	}
	if r := s.post(pending, pending+"/approve", url.Values{}); r.status != http.StatusSeeOther {
		s.t.Fatalf("approve exception: %d", r.status)
	}
}

func TestBreakingPushRefusedHeldOrAccepted(t *testing.T) {
	before, after := corpusPair(t)
	forEngines(t, func(t *testing.T, engine string) {
		s := newSite(t, engine)
		ctx := context.Background()
		sys := catalog.SystemActor("test")
		if _, err := s.store.CreateTeam(ctx, sys, catalog.TeamInput{Slug: "zoo", Name: "Zoo"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.store.CreateAPI(ctx, sys, catalog.APIInput{Slug: "pets", Name: "Pets", TeamSlug: "zoo", Kind: "rest", Visibility: "internal"}); err != nil {
			t.Fatal(err)
		}
		for name, stage := range map[string]string{"v1": "production", "v0": "design", "old": "retired"} {
			if _, err := s.store.CreateVersion(ctx, sys, "pets", catalog.VersionInput{Name: name, Stage: catalog.Stage(stage)}); err != nil {
				t.Fatal(err)
			}
		}
		token := s.createToken("ci", "admin", "")
		for _, v := range []string{"v1", "v0", "old"} {
			if status, body := putSpec(t, s, token, v, before); status != http.StatusCreated {
				t.Fatalf("first upload to %s: %d %s", v, status, body)
			}
		}

		// Production, JSON API: refused with the breaking changes listed.
		status, body := putSpec(t, s, token, "v1", after)
		var refusal struct {
			Error struct {
				Status  int
				Message string
				Changes []struct{ ID, Level, Operation, Text string }
			}
		}
		if err := json.Unmarshal([]byte(body), &refusal); err != nil || status != http.StatusConflict {
			t.Fatalf("breaking push to production: %d %s", status, body)
		}
		if len(refusal.Error.Changes) == 0 || refusal.Error.Changes[0].Level != "breaking" || !strings.Contains(refusal.Error.Changes[0].Operation, "/symbols") ||
			!strings.Contains(refusal.Error.Message, "production") {
			t.Errorf("refusal: %+v", refusal.Error)
		}
		if v, _ := s.store.GetVersion(ctx, "pets", "v1"); len(v.Revisions) != 1 || len(v.Endpoints) != 2 {
			t.Errorf("a refused push stored something: %d revisions, %d endpoints", len(v.Revisions), len(v.Endpoints))
		}

		// Production, version page: held as a pending revision.
		up := s.upload("/apis/pets/versions/v1", "1forge.json", after)
		if up.status != http.StatusSeeOther || !strings.Contains(up.location, "/apis/pets/versions/v1/pending/") {
			t.Fatalf("breaking upload on the page: %d %s", up.status, up.location)
		}
		pending := s.get(up.location)
		if pending.status != http.StatusOK || pending.text("[data-testid=pending-status]") != "held" ||
			pending.count("[data-testid=change][data-level=breaking]") == 0 ||
			!strings.Contains(pending.text("[data-testid=pending-consumers]"), "No runtime data: no traffic source covers this version") {
			t.Errorf("pending page: status %d, %q, %d breaking changes", pending.status, pending.text("[data-testid=pending-status]"), pending.count("[data-testid=change][data-level=breaking]"))
		}
		if v, _ := s.store.GetVersion(ctx, "pets", "v1"); len(v.Revisions) != 1 || len(v.Endpoints) != 2 {
			t.Errorf("a held upload became current: %d revisions, %d endpoints", len(v.Revisions), len(v.Endpoints))
		}
		// Holding the same text again leads to the same pending revision.
		if again := s.upload("/apis/pets/versions/v1", "1forge.json", after); again.location != up.location {
			t.Errorf("second hold: %s, want %s", again.location, up.location)
		}

		// Retired, version page: refused outright, the changes listed.
		ref := s.upload("/apis/pets/versions/old", "1forge.json", after)
		if ref.status != http.StatusConflict || ref.count("ul.problems li") == 0 || !strings.Contains(ref.text("ul.problems"), "/symbols") {
			t.Errorf("breaking upload to a retired version: %d", ref.status)
		}

		// Design: accepted, its changes kept for the changelog.
		if status, body := putSpec(t, s, token, "v0", after); status != http.StatusCreated {
			t.Fatalf("breaking push to design: %d %s", status, body)
		}
		v0, _ := s.store.GetVersion(ctx, "pets", "v0")
		if v0.Current == nil || v0.Current.Number != 2 || v0.Current.BreakingCount == 0 || v0.Current.Changes == "" || len(v0.Endpoints) != 1 {
			t.Errorf("design version after a breaking push: %+v, %d endpoints", v0.Current, len(v0.Endpoints))
		}
		// The version page's changelog lists the revision's changes; the
		// production version lists its held revision.
		page := s.get("/apis/pets/versions/v0")
		entry := page.doc.Find(`[data-testid=changelog-entry][data-revision="2"]`)
		if entry.Length() != 1 || !strings.Contains(entry.Find("[data-testid=changelog-counts]").Text(), "breaking") ||
			entry.Find("li.change-breaking").Length() == 0 {
			t.Errorf("changelog: %d entries for revision 2", entry.Length())
		}
		if p := s.get("/apis/pets/versions/v1"); p.count("[data-testid=pending-revisions] a") != 1 {
			t.Errorf("the production version lists %d held revisions, want 1", p.count("[data-testid=pending-revisions] a"))
		}
	})
}

// TestExceptionFlow walks the exception flow for every role: team members
// ask, governance leads decide, and an approval makes the revision current.
func TestExceptionFlow(t *testing.T) {
	for _, role := range roles[1:] {
		t.Run(role, func(t *testing.T) {
			s := newSite(t, "sqlite")
			fx := s.fixtures() // pets v1, production, revision 2 current
			ctx := context.Background()
			sys := catalog.SystemActor("test")
			held := 0
			hold := func() string {
				t.Helper()
				v, err := s.store.GetVersion(ctx, "pets", "v1")
				if err != nil {
					t.Fatal(err)
				}
				held++
				p, err := s.store.HoldSpec(ctx, sys, "pets", "v1", v.Current.ID, models.SpecUpload{
					Content: []byte(petsV1), Hash: fmt.Sprint("held-", held), Format: "yaml", SpecVersion: "3.0.3",
					Changes: models.RevisionChanges{JSON: `{"changes":[{"id":"api-path-removed-without-deprecation","level":"breaking","operation":"GET /pets/{petId}","text":"api path removed without deprecation"}]}`, Breaking: 1},
				})
				if err != nil {
					t.Fatal(err)
				}
				return fmt.Sprintf("/apis/pets/versions/v1/pending/%d", p.ID)
			}
			as := fx.as(role)
			mayRequest := role == "member" || role == "owner" || role == "admin"
			mayDecide := role == "governance" || role == "admin"

			// Request.
			pending := hold()
			page := as.get(pending)
			if got := page.count("[data-testid=exception-form]") == 1; got != mayRequest {
				t.Errorf("request form shown %v, want %v", got, mayRequest)
			}
			r := as.post(pending, pending+"/exception", url.Values{"reason": {"Clients migrated last quarter."}})
			if want := map[bool]int{true: http.StatusSeeOther, false: http.StatusForbidden}[mayRequest]; r.status != want {
				t.Errorf("request exception: %d, want %d", r.status, want)
			}
			if mayRequest {
				if p := as.post(pending, pending+"/exception", url.Values{"reason": {"again"}}); p.status != http.StatusConflict {
					t.Errorf("second request: %d, want 409", p.status)
				}
				if p := as.get(pending); p.text("[data-testid=pending-status]") != "requested" {
					t.Errorf("after the request: %q", p.text("[data-testid=pending-status]"))
				}
			}

			// Approve, on a fresh pending revision requested by the team.
			pending = hold()
			id := pending[strings.LastIndex(pending, "/")+1:]
			var pid uint
			fmt.Sscan(id, &pid)
			if _, err := s.store.RequestException(ctx, sys, "pets", "v1", pid, "Clients migrated."); err != nil {
				t.Fatal(err)
			}
			if got := as.get(pending).count("[data-testid=approve]") == 1; got != mayDecide {
				t.Errorf("decision shown %v, want %v", got, mayDecide)
			}
			r = as.post(pending, pending+"/approve", url.Values{"note": {"ok"}})
			if want := map[bool]int{true: http.StatusSeeOther, false: http.StatusForbidden}[mayDecide]; r.status != want {
				t.Fatalf("approve: %d, want %d", r.status, want)
			}
			after, _ := s.store.GetVersion(ctx, "pets", "v1")
			if mayDecide {
				if after.Current == nil || after.Current.Number != 3 || !after.Current.Excepted || after.Current.BreakingCount != 1 || len(after.Endpoints) != 2 {
					t.Errorf("after approval: current %+v, %d endpoints", after.Current, len(after.Endpoints))
				}
				if p := as.get(pending); p.text("[data-testid=pending-status]") != "approved" {
					t.Errorf("after approval the page says %q", p.text("[data-testid=pending-status]"))
				}
				events, _ := s.store.AuditFor(ctx, "version", "pets/v1", 10)
				var actions []string
				for _, e := range events {
					actions = append(actions, e.Action)
				}
				for _, want := range []string{"spec.hold", "exception.request", "exception.approve", "spec.upload"} {
					if !strings.Contains(strings.Join(actions, " "), want) {
						t.Errorf("audit has %v, want %s", actions, want)
					}
				}
			} else if after.Current.Number != 2 {
				t.Errorf("a refused approval changed the current revision to %d", after.Current.Number)
			}

			// Deny: the revision stays out and the request is closed.
			pending = hold()
			fmt.Sscan(pending[strings.LastIndex(pending, "/")+1:], &pid)
			if _, err := s.store.RequestException(ctx, sys, "pets", "v1", pid, "Please."); err != nil {
				t.Fatal(err)
			}
			r = as.post(pending, pending+"/deny", url.Values{"note": {"Ship it as v2."}})
			if want := map[bool]int{true: http.StatusSeeOther, false: http.StatusForbidden}[mayDecide]; r.status != want {
				t.Errorf("deny: %d, want %d", r.status, want)
			}
			if mayDecide {
				cur, _ := s.store.GetVersion(ctx, "pets", "v1")
				if p := as.get(pending); p.text("[data-testid=pending-status]") != "denied" || cur.Current.Number != after.Current.Number {
					t.Errorf("after denial: %q, current %d", p.text("[data-testid=pending-status]"), cur.Current.Number)
				}
			}
		})
	}
}

// as is a browser signed in as role.
func (fx *fixtures) as(role string) *site {
	s := fx.s
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(s.srv.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "steward_session", Value: fx.sessions[role]}})
	return &site{t: s.t, srv: s.srv, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, store: s.store}
}

// TestExceptionOnAStaleRevision refuses to approve a revision held against
// a spec that is no longer current: its changes were computed against
// another revision.
func TestExceptionOnAStaleRevision(t *testing.T) {
	s := newSite(t, "sqlite")
	fx := s.fixtures()
	ctx := context.Background()
	sys := catalog.SystemActor("test")
	v, _ := s.store.GetVersion(ctx, "pets", "v1")
	p, err := s.store.HoldSpec(ctx, sys, "pets", "v1", v.Current.ID, models.SpecUpload{Content: []byte(petsV1), Hash: "held", Format: "yaml", SpecVersion: "3.0.3"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.RequestException(ctx, sys, "pets", "v1", p.ID, "Please."); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.store.SaveSpec(ctx, sys, "pets", "v1", models.SpecUpload{Content: []byte(petsV2 + "\n"), Hash: "moved-on", Format: "yaml", SpecVersion: "3.0.3"}); err != nil {
		t.Fatal(err)
	}
	pending := fmt.Sprintf("/apis/pets/versions/v1/pending/%d", p.ID)
	as := fx.as("governance")
	if r := as.post(pending, pending+"/approve", url.Values{}); r.status != http.StatusConflict {
		t.Errorf("approving a stale revision: %d, want 409", r.status)
	}
	if after, _ := s.store.GetVersion(ctx, "pets", "v1"); after.Current.Number != 3 || after.Current.Excepted {
		t.Errorf("current revision %d (excepted %v), want 3 untouched", after.Current.Number, after.Current.Excepted)
	}
}
