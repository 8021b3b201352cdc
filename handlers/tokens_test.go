package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// call sends a JSON API request with a bearer token and no cookies.
func (s *site) call(method, path, token, body string) *page {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return &page{status: res.StatusCode, header: res.Header, raw: res, body: b.String()}
}

func TestTokensScopesRevocationAndAudit(t *testing.T) {
	s := newSite(t, "sqlite")
	s.seedPets()
	read := s.createToken("reader", "read", "")
	specs := s.createToken("ci", "write-specs", "")

	cases := []struct {
		name, method, path, token, body string
		status                          int
		want                            string
	}{
		{"no token, no cookie", http.MethodGet, "/api/v1/apis", "", "", 401, "Bearer"},
		{"unknown token", http.MethodGet, "/api/v1/apis", "stw_nope", "", 401, "unknown, revoked or expired"},
		{"malformed header", http.MethodGet, "/api/v1/apis", "", "", 401, ""},
		{"read token reads", http.MethodGet, "/api/v1/apis/pets", read, "", 200, `"slug":"pets"`},
		{"read token cannot upload", http.MethodPut, "/api/v1/apis/pets/versions/v1/spec", read, petsV1, 403, "read-only"},
		{"spec token uploads", http.MethodPut, "/api/v1/apis/pets/versions/v1/spec", specs, petsV1, 201, `"changed":true`},
		{"spec token cannot edit the API", http.MethodDelete, "/api/v1/apis/pets", specs, "", 403, "only read and upload specs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := s.call(c.method, c.path, c.token, c.body)
			if c.name == "malformed header" {
				req, _ := http.NewRequest(http.MethodGet, s.srv.URL+c.path, nil)
				req.Header.Set("Authorization", "Token abc")
				res, _ := http.DefaultClient.Do(req)
				res.Body.Close()
				p = &page{status: res.StatusCode}
			}
			if p.status != c.status || !strings.Contains(p.body, c.want) {
				t.Errorf("status %d, body %s; want %d containing %q", p.status, p.body, c.status, c.want)
			}
		})
	}

	// The audit log records which token made the change.
	audit := s.get("/admin/audit?action=spec.upload")
	if !strings.Contains(audit.text("[data-testid=audit] tbody"), "token ci") {
		t.Errorf("audit row does not name the token: %q", audit.text("[data-testid=audit] tbody"))
	}

	// Revoking makes the token useless at once.
	tokens := s.get("/tokens")
	action, _ := tokens.doc.Find(`form[action^="/tokens/"][action$="/revoke"]`).First().Attr("action")
	if p := s.post("/tokens", action, url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", p.status)
	}
	revoked := 0
	for _, tk := range []string{read, specs} {
		if s.call(http.MethodGet, "/api/v1/apis", tk, "").status == 401 {
			revoked++
		}
	}
	if revoked != 1 {
		t.Errorf("%d tokens refused after revoking one", revoked)
	}
	if !strings.Contains(s.get("/tokens").text("[data-testid=tokens]"), "revoked") {
		t.Error("the token list shows the revoked state")
	}

	// A browser session may read the JSON API but not change it.
	if p := s.post("/apis", "/api/v1/apis", url.Values{}); p.status != http.StatusUnauthorized && p.status != http.StatusForbidden {
		t.Errorf("cookie-authenticated API write: %d", p.status)
	}
}

func TestTokenFormErrors(t *testing.T) {
	s := newSite(t, "sqlite")
	p := s.post("/tokens", "/tokens", url.Values{"name": {""}, "scope": {"root"}, "expires_days": {"9999"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", p.status)
	}
	for field, want := range map[string]string{"name": "name", "scope": "read, write specs or admin", "expires_days": "1 to 365"} {
		if got := p.text("[data-testid=error-" + field + "]"); !strings.Contains(got, want) {
			t.Errorf("%s: %q", field, got)
		}
	}
	if p.count("[data-testid=new-token]") != 0 {
		t.Error("no token may be shown after a refused form")
	}
}

func TestSignInIsRateLimited(t *testing.T) {
	s := newAnonymousSite(t, "sqlite")
	limited := 0
	for i := 0; i < 80 && limited == 0; i++ {
		p := s.get("/login/oidc")
		if p.status == http.StatusTooManyRequests {
			limited++
			if p.header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
	}
	if limited == 0 {
		t.Error("80 sign-in attempts in a burst were never limited")
	}
}

func TestViewerSeesNoEditButtons(t *testing.T) {
	s := newSite(t, "sqlite")
	s.seedPets()
	s.signOut()
	s.signIn("viewer")
	api := s.get("/apis/pets")
	if api.count("[data-testid=edit-api]")+api.count("[data-testid=delete-api]") != 0 {
		t.Error("a viewer is offered edit or delete")
	}
	if v := s.get("/apis/pets/versions/v1"); v.count("[data-testid=spec-upload]") != 0 {
		t.Error("a viewer is offered the spec upload")
	}
	if p := s.post("/apis/pets", "/apis/pets/delete", nil); p.status != http.StatusForbidden || !strings.Contains(p.text(".error-message"), "owners of team zoo") {
		t.Errorf("viewer deleting: %d %q", p.status, p.text(".error-message"))
	}
}
