package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/config"
	"github.com/steward-governance/steward/handlers"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/metrics"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/sealing"
	"github.com/steward-governance/steward/traffic/journal"
)

// site is a running Steward on a fresh database, driven like a browser:
// a cookie jar, no redirects followed automatically, HTML parsed for
// assertions.
type site struct {
	t       *testing.T
	e       *echo.Echo
	srv     *httptest.Server
	client  *http.Client
	store   *models.Store
	journal *journal.Journal // where ingested events go
}

// testSecretKey stands in for STEWARD_SECRET_KEY.
const testSecretKey = "test-secret-key-0123456789abcdef-0123456789"

func newSite(t *testing.T, engine string, tweak ...func(*config.Config)) *site {
	t.Helper()
	store := storetest.New(t, engine)
	cfg, err := config.Load(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range tweak {
		f(cfg)
	}
	jr, err := journal.Open(t.TempDir(), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { jr.Close() })
	box, err := sealing.New(testSecretKey)
	if err != nil {
		t.Fatal(err)
	}
	runner := jobs.NewRunner(store, "test", slog.New(slog.DiscardHandler))
	rollupJob := &jobs.Rollup{Store: store, Journal: jr, Consumer: "test-journal"}
	if err := runner.Register(jobs.Definition{Job: rollupJob, Title: "Traffic rollup", Schedule: "@every 1m"}, "", false); err != nil {
		t.Fatal(err)
	}
	runner.Start()
	t.Cleanup(func() { runner.Stop(context.Background()) })
	e, err := handlers.New(handlers.Deps{
		Store: store, Identities: store, Config: cfg, Log: slog.New(slog.DiscardHandler),
		Static: fstest.MapFS{"app.css": {Data: []byte("body{}")}, "app.js": {Data: []byte("")}},
		Ingest: jr, Sealer: box, ConsumerKey: box.ConsumerKey(), Jobs: runner, Metrics: metrics.New(),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	s := &site{t: t, e: e, srv: srv, client: client, store: store, journal: jr}
	s.signIn("admin")
	return s
}

// newAnonymousSite is newSite without signing in.
func newAnonymousSite(t *testing.T, engine string) *site {
	t.Helper()
	s := newSite(t, engine)
	s.signOut()
	return s
}

// signIn signs the browser in as one of the dev sign-in personas
// (viewer, owner, governance, admin).
func (s *site) signIn(persona string) {
	s.t.Helper()
	p := s.post("/login", "/login/dev", url.Values{"persona": {persona}})
	if p.status != http.StatusSeeOther {
		s.t.Fatalf("sign in as %s: %d %s", persona, p.status, p.text("[data-testid=login-error]"))
	}
}

// signOut ends the session.
func (s *site) signOut() {
	s.t.Helper()
	if p := s.post("/apis", "/logout", nil); p.status != http.StatusSeeOther {
		s.t.Fatalf("sign out: %d", p.status)
	}
}

// page is a response with its parsed HTML.
type page struct {
	status   int
	header   http.Header
	raw      *http.Response
	body     string
	doc      *goquery.Document
	location string
}

func (s *site) do(req *http.Request) *page {
	s.t.Helper()
	res, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	p := &page{status: res.StatusCode, header: res.Header, raw: res, body: string(b), location: res.Header.Get("Location")}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		p.doc, err = goquery.NewDocumentFromReader(strings.NewReader(p.body))
		if err != nil {
			s.t.Fatal(err)
		}
	}
	return p
}

func (s *site) get(path string) *page {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
	return s.do(req)
}

// csrf loads formPage and returns the CSRF token its forms carry.
func (s *site) csrf(formPage string) string {
	s.t.Helper()
	p := s.get(formPage)
	token, ok := p.doc.Find(`input[name="_csrf"]`).First().Attr("value")
	if !ok || token == "" {
		s.t.Fatalf("no CSRF token on %s (status %d)", formPage, p.status)
	}
	return token
}

// post submits a form the way a browser would after loading formPage.
func (s *site) post(formPage, action string, values url.Values) *page {
	s.t.Helper()
	v := url.Values{}
	for k, vs := range values {
		v[k] = vs
	}
	v.Set("_csrf", s.csrf(formPage))
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+action, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.do(req)
}

// text is the trimmed text of the first element matching sel.
func (p *page) text(sel string) string {
	if p.doc == nil {
		return ""
	}
	return strings.TrimSpace(p.doc.Find(sel).First().Text())
}

func (p *page) count(sel string) int {
	if p.doc == nil {
		return 0
	}
	return p.doc.Find(sel).Length()
}

func forEngines(t *testing.T, f func(t *testing.T, engine string)) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) { f(t, engine) })
	}
}

// createToken makes an API token through the tokens page and returns the
// secret the page shows once.
func (s *site) createToken(name, scope, team string) string {
	s.t.Helper()
	p := s.post("/tokens", "/tokens", url.Values{"name": {name}, "scope": {scope}, "team": {team}, "expires_days": {"30"}})
	secret := p.text("[data-testid=new-token-secret]")
	if p.status != http.StatusCreated || !strings.HasPrefix(secret, "stw_") {
		s.t.Fatalf("create token: %d %s", p.status, p.body)
	}
	return secret
}

func (p *page) cookies() []*http.Cookie { return p.raw.Cookies() }
