package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/sealing"
)

func TestWebhooksPage(t *testing.T) {
	s := newSite(t, "sqlite")
	if _, err := s.store.CreateTeam(t.Context(), catalog.SystemActor("test"), catalog.TeamInput{Slug: "zoo", Name: "Zoo"}); err != nil {
		t.Fatal(err)
	}
	p := s.get("/admin/webhooks")
	if p.status != http.StatusOK || p.count("[data-testid=no-webhooks]") != 1 || p.count("[data-testid=email-off]") != 1 {
		t.Fatalf("empty webhooks page: %d %q", p.status, p.text("main"))
	}
	if p.count("select[name=audience] option[value='team:zoo']") != 1 {
		t.Error("the audience choices lack team zoo")
	}
	const hookURL = "https://hooks.slack.example/services/T0001/B0001/abcdSECRETpathWXYZ"
	const secret = "whsec-0123456789-abcdef"
	good := url.Values{"name": {"#api-governance"}, "url": {hookURL}, "secret": {secret}, "events": {"retirement.*"}, "audience": {"governance"}}
	with := func(k, v string) url.Values {
		out := url.Values{}
		for key, vs := range good {
			out[key] = vs
		}
		out.Set(k, v)
		return out
	}
	cases := []struct {
		name       string
		form       url.Values
		wantStatus int
		wantField  string
		wantIn     string
	}{
		{"no name", with("name", ""), http.StatusUnprocessableEntity, "name", "name"},
		{"not a URL", with("url", "hooks.slack.example/x"), http.StatusUnprocessableEntity, "url", "https://"},
		{"other scheme", with("url", "ftp://hooks.example/x"), http.StatusUnprocessableEntity, "url", "https://"},
		{"short secret", with("secret", "hunter2"), http.StatusUnprocessableEntity, "secret", "16"},
		{"bad kinds", with("events", "Retirement"), http.StatusUnprocessableEntity, "events", "retirement.*"},
		{"unknown audience", with("audience", "everyone"), http.StatusUnprocessableEntity, "audience", "audiences listed"},
		{"deleted team", with("audience", "team:gone"), http.StatusUnprocessableEntity, "audience", "no longer exists"},
		{"good", good, http.StatusSeeOther, "", ""},
		{"same name again", good, http.StatusConflict, "name", "exists"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := s.post("/admin/webhooks", "/admin/webhooks", c.form)
			if p.status != c.wantStatus {
				t.Fatalf("status %d, want %d: %s", p.status, c.wantStatus, p.text("main"))
			}
			if c.wantField == "" {
				return
			}
			if msg := p.text("[data-testid=error-" + c.wantField + "]"); !strings.Contains(msg, c.wantIn) {
				t.Errorf("error on %s: %q, want it to mention %q", c.wantField, msg, c.wantIn)
			}
			if strings.Contains(p.body, secret) {
				t.Error("the re-rendered form echoes the secret")
			}
			if p.header.Get("Cache-Control") != "no-store" {
				t.Error("a page that may hold a webhook URL is cacheable")
			}
		})
	}

	hooks, err := s.store.Webhooks(t.Context())
	if err != nil || len(hooks) != 1 {
		t.Fatalf("webhooks stored: %d %v", len(hooks), err)
	}
	h := hooks[0]
	box, _ := sealing.New(testSecretKey)
	if u, err := box.Open(h.URLSealed, models.WebhookURLContext(h.ID)); err != nil || u != hookURL {
		t.Errorf("sealed URL opens to %q, %v", u, err)
	}
	if sec, err := box.Open(h.SecretSealed, models.WebhookSecretContext(h.ID)); err != nil || sec != secret {
		t.Errorf("sealed secret opens to %q, %v", sec, err)
	}
	if h.Events != "retirement.*" || h.Audience != "governance" || h.CreatedBy != "admin@example.com" {
		t.Errorf("stored webhook = %+v", h)
	}

	p = s.get("/admin/webhooks")
	row := "tr[data-webhook='#api-governance'] "
	if got := p.text(row + "code"); got != "https://hooks.slack.example/…WXYZ" {
		t.Errorf("endpoint shown as %q, want only the host and last characters", got)
	}
	if strings.Contains(p.body, "abcdSECRETpath") || strings.Contains(p.body, secret) {
		t.Error("the page shows the webhook's URL or secret")
	}
	if got := p.text(row + ".webhook-state"); got != "active" {
		t.Errorf("state = %q", got)
	}

	// Send test queues a delivery for this webhook, listed at once.
	id := "/admin/webhooks/" + strconv.FormatInt(h.ID, 10)
	if p := s.post("/admin/webhooks", id+"/test", nil); p.status != http.StatusSeeOther {
		t.Fatalf("send test: %d %s", p.status, p.text("main"))
	}
	p = s.get("/admin/webhooks")
	if got := p.text("[data-testid=deliveries] tr[data-status=pending] td:nth-child(3)"); got != "webhook: #api-governance" {
		t.Errorf("test delivery listed as %q\n%s", got, p.text("[data-testid=deliveries]"))
	}

	if p := s.post("/admin/webhooks", id+"/enabled", url.Values{"enabled": {"false"}}); p.status != http.StatusSeeOther {
		t.Fatalf("pause: %d", p.status)
	}
	if got := s.get("/admin/webhooks").text(row + ".webhook-state"); got != "paused" {
		t.Errorf("state after pause = %q", got)
	}
	if p := s.post("/admin/webhooks", "/admin/webhooks/999999/test", nil); p.status != http.StatusNotFound {
		t.Errorf("test of an unknown webhook: %d", p.status)
	}
	if p := s.post("/admin/webhooks", id+"/delete", nil); p.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", p.status)
	}
	if p := s.get("/admin/webhooks"); p.count("[data-testid=no-webhooks]") != 1 || p.count("[data-testid=no-deliveries]") != 1 {
		t.Errorf("after delete: %q", p.text("main"))
	}
	events, _ := s.store.AuditFor(t.Context(), "webhook", "#api-governance", 10)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "webhook.delete webhook.enable webhook.test webhook.create" {
		t.Errorf("audit = %q", got)
	}
}

func TestWebhooksPageIsForAdmins(t *testing.T) {
	s := newSite(t, "sqlite")
	for _, persona := range []string{"viewer", "owner", "governance"} {
		s.signOut()
		s.signIn(persona)
		if p := s.get("/admin/webhooks"); p.status != http.StatusForbidden {
			t.Errorf("%s opening /admin/webhooks: %d, want 403", persona, p.status)
		}
		p := s.post("/tokens", "/admin/webhooks", url.Values{"name": {"x"}, "url": {"https://example.com"}, "secret": {"0123456789abcdef"}})
		if p.status != http.StatusForbidden {
			t.Errorf("%s adding a webhook: %d, want 403", persona, p.status)
		}
		if got := s.get("/apis").count("a[href='/admin/webhooks']"); got != 0 {
			t.Errorf("%s sees the webhooks link", persona)
		}
	}
	if hooks, _ := s.store.Webhooks(t.Context()); len(hooks) != 0 {
		t.Errorf("%d webhooks were stored", len(hooks))
	}
}
