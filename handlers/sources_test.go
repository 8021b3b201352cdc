package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSourcesPage(t *testing.T) {
	s := newSite(t, "sqlite")
	if p := s.get("/admin/sources"); p.count("[data-testid=no-sources]") != 1 || !strings.Contains(p.text("[data-testid=nginx-format]"), "log_format steward") {
		t.Fatalf("empty sources page: %d %q", p.status, p.text("main"))
	}
	cases := []struct {
		name       string
		form       url.Values
		wantStatus int
		wantField  string
		wantIn     string
	}{
		{"no name", url.Values{"kind": {"treblle"}}, http.StatusUnprocessableEntity, "name", "name"},
		{"unknown kind", url.Values{"name": {"x"}, "kind": {"apigee"}}, http.StatusUnprocessableEntity, "kind", "kinds listed"},
		{"kong without URL", url.Values{"name": {"kong"}, "kind": {"kong"}}, http.StatusUnprocessableEntity, "url", "Kong Admin API address"},
		{"kong with a bad URL", url.Values{"name": {"kong"}, "kind": {"kong"}, "url": {"kong:8001"}}, http.StatusUnprocessableEntity, "url", "http(s) URL"},
		{"log with a relative path", url.Values{"name": {"edge"}, "kind": {"nginx-log"}, "path": {"logs/access.log"}}, http.StatusUnprocessableEntity, "path", "absolute"},
		{"token on a log source", url.Values{"name": {"edge"}, "kind": {"nginx-log"}, "path": {"/var/log/a.log"}, "token": {"t"}}, http.StatusUnprocessableEntity, "token", "Only Kong"},
		{"SDK source for an unknown API", url.Values{"name": {"sdk"}, "kind": {"treblle"}, "api": {"no-such-api"}}, http.StatusUnprocessableEntity, "api", "No API has this slug"},
		{"kong with a token", url.Values{"name": {"edge kong"}, "kind": {"kong"}, "url": {"http://kong:8001"}, "token": {"kong-admin-secret"}}, http.StatusSeeOther, "", ""},
		{"same name again", url.Values{"name": {"edge kong"}, "kind": {"kong"}, "url": {"http://kong:8001"}}, http.StatusConflict, "name", "exists"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := s.post("/admin/sources", "/admin/sources", c.form)
			if p.status != c.wantStatus {
				t.Fatalf("status %d, want %d", p.status, c.wantStatus)
			}
			if c.wantField == "" {
				return
			}
			msg := p.text("[data-testid=error-" + c.wantField + "]")
			if !strings.Contains(msg, c.wantIn) {
				t.Errorf("error on %s: %q, want it to mention %q", c.wantField, msg, c.wantIn)
			}
			if c.form.Get("name") != "" && p.doc.Find("input[name=name]").AttrOr("value", "") != c.form.Get("name") {
				t.Error("the form lost what was typed")
			}
		})
	}
	srcs, err := s.store.Sources(t.Context())
	if err != nil || len(srcs) != 1 {
		t.Fatalf("sources stored: %d %v", len(srcs), err)
	}
	if !srcs[0].HasSecret() || strings.Contains(srcs[0].SecretSealed, "kong-admin-secret") {
		t.Errorf("the admin token is not sealed: %q", srcs[0].SecretSealed)
	}
	page := s.get("/admin/sources")
	if got := page.text("tr[data-source='edge kong'] .source-state"); got != "waiting for data" {
		t.Errorf("new source state: %q", got)
	}
	if strings.Contains(page.body, "kong-admin-secret") {
		t.Error("the sources page shows the admin token")
	}
	if p := s.post("/admin/sources", "/admin/sources/999/delete", nil); p.status != http.StatusNotFound {
		t.Errorf("deleting an unknown source: %d", p.status)
	}
}
