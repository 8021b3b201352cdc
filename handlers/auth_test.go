package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/steward-governance/steward/config"
	"github.com/steward-governance/steward/handlers"
	"github.com/steward-governance/steward/identity"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
)

// oidcSite is Steward configured for single sign-on against an OIDC
// provider running in-process (mockoidc), which speaks the real protocol:
// discovery, authorization code with PKCE, signed ID tokens, JWKS.
type oidcSite struct {
	*site
	mock *mockoidc.MockOIDC
	// tamper, when set, rewrites the ID token's claims in the provider's
	// token response, to test that Steward refuses what it should.
	tamper func(jwt.MapClaims)
}

func newOIDCSite(t *testing.T) *oidcSite {
	t.Helper()
	mock, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	o := &oidcSite{mock: mock}
	if err := mock.AddMiddleware(o.tamperTokens); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := mock.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mock.Shutdown() })

	store := storetest.New(t, "sqlite")
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	cfg, err := config.Load([]string{
		"--oidc-issuer", mock.Issuer(), "--oidc-client-id", mock.ClientID, "--oidc-client-secret", mock.ClientSecret,
		"--base-url", base, "--admin-groups", "steward-admins",
	}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	provider := identity.NewProvider(ctx, identity.Settings{
		Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID, ClientSecret: cfg.OIDCClientSecret,
		RedirectURL: base + "/auth/callback", GroupsClaim: "groups", AdminGroups: cfg.AdminGroups, Scopes: []string{"profile", "email", "groups"},
	}, slog.New(slog.DiscardHandler))
	for deadline := time.Now().Add(10 * time.Second); provider.Ready() != nil; {
		if time.Now().After(deadline) {
			t.Fatalf("provider discovery: %v", provider.Ready())
		}
		time.Sleep(20 * time.Millisecond)
	}
	e, err := handlers.New(handlers.Deps{
		Store: store, Identities: store, OIDC: provider, Config: cfg, Log: slog.New(slog.DiscardHandler),
		Static: fstest.MapFS{"app.css": {Data: []byte("")}, "app.js": {Data: []byte("")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = e
	srv.Start()
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	o.site = &site{t: t, srv: srv, client: client, store: store}
	return o
}

// tamperTokens re-signs the ID token of token responses after o.tamper
// changed its claims, with the provider's own key, so only the claims are wrong.
func (o *oidcSite) tamperTokens(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.tamper == nil || !strings.HasSuffix(r.URL.Path, "/token") {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err == nil {
			if raw, ok := body["id_token"].(string); ok {
				claims := jwt.MapClaims{}
				if _, _, err := jwt.NewParser().ParseUnverified(raw, claims); err == nil {
					o.tamper(claims)
					if signed, err := o.mock.Keypair.SignJWT(claims); err == nil {
						body["id_token"] = signed
					}
				}
			}
		}
		b, _ := json.Marshal(body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		w.Write(b)
	})
}

// startLogin follows Steward's redirect to the provider and the provider's
// redirect back, returning the callback URL without visiting it.
func (o *oidcSite) startLogin(next string) string {
	o.t.Helper()
	p := o.get("/login/oidc?next=" + url.QueryEscape(next))
	if p.status != http.StatusFound || !strings.HasPrefix(p.location, o.mock.AuthorizationEndpoint()) {
		o.t.Fatalf("start sign-in: %d %q", p.status, p.location)
	}
	auth, _ := url.Parse(p.location)
	q := auth.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
		o.t.Fatalf("the authorization request lacks PKCE, nonce or state: %s", p.location)
	}
	res, err := o.client.Get(p.location)
	if err != nil {
		o.t.Fatal(err)
	}
	res.Body.Close()
	cb := res.Header.Get("Location")
	if !strings.HasPrefix(cb, o.srv.URL+"/auth/callback?") {
		o.t.Fatalf("provider redirect: %d %q", res.StatusCode, cb)
	}
	return cb
}

func (o *oidcSite) visit(abs string) *page {
	o.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, abs, nil)
	return o.do(req)
}

func (o *oidcSite) signedIn() bool {
	o.t.Helper()
	p := o.get("/apis")
	return p.status == http.StatusOK && p.text("[data-testid=signed-in-as]") != ""
}

func TestOIDCSignIn(t *testing.T) {
	o := newOIDCSite(t)
	if p := o.get("/teams"); p.status != http.StatusSeeOther || p.location != "/login?next=%2Fteams" {
		t.Fatalf("anonymous visit: %d %q", p.status, p.location)
	}
	o.mock.QueueUser(&mockoidc.MockUser{Subject: "u-1", Email: "ana@example.com", PreferredUsername: "ana", Groups: []string{"steward-admins"}})
	cb := o.startLogin("/teams")
	p := o.visit(cb)
	if p.status != http.StatusSeeOther || p.location != "/teams" {
		t.Fatalf("callback: %d %q %s", p.status, p.location, p.text("[data-testid=login-error]"))
	}
	var ck *http.Cookie
	for _, c := range p.cookies() {
		if c.Name == "steward_session" {
			ck = c
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie: %+v", ck)
	}
	teams := o.get("/teams")
	if teams.text("[data-testid=signed-in-as]") != "ana@example.com" || teams.count(`a[href="/teams/new"]`) != 1 {
		t.Errorf("signed in as %q; an admin (from the group) sees Create a team", teams.text("[data-testid=signed-in-as]"))
	}
	u, err := o.store.UpsertUser(context.Background(), models.Identity{Issuer: o.mock.Issuer(), Subject: "u-1", Email: "ana@example.com", Admin: true})
	if err != nil || !u.Admin {
		t.Errorf("user record: %+v %v", u, err)
	}

	// Replaying the same callback (code and state) must not sign anyone in.
	fresh := newAnonymousClient(o.site)
	if p := fresh.visit(cb); p.status != http.StatusBadRequest || !strings.Contains(p.text("[data-testid=login-error]"), "already used") {
		t.Errorf("replayed callback: %d %q", p.status, p.text("[data-testid=login-error]"))
	}

	// Sign-out ends the session; the old cookie no longer works.
	if p := o.post("/apis", "/logout", nil); p.status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", p.status)
	}
	stolen := newAnonymousClient(o.site)
	stolen.client.Jar.SetCookies(mustURL(o.srv.URL), []*http.Cookie{{Name: "steward_session", Value: ck.Value}})
	if stolen.signedIn() {
		t.Error("the session survived sign-out")
	}
}

func TestOIDCRejections(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(jwt.MapClaims)
		mangle func(cb string) string
		want   string
	}{
		{name: "missing state", mangle: func(cb string) string { return dropParam(cb, "state") }, want: "incomplete"},
		{name: "wrong state", mangle: func(cb string) string { return setParam(cb, "state", "forged") }, want: "expired or was already used"},
		{name: "wrong nonce", tamper: func(c jwt.MapClaims) { c["nonce"] = "someone-else" }, want: "could not verify"},
		{name: "expired ID token", tamper: func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }, want: "could not verify"},
		{name: "wrong audience", tamper: func(c jwt.MapClaims) { c["aud"] = "another-client" }, want: "could not verify"},
		{name: "wrong issuer", tamper: func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }, want: "could not verify"},
		{name: "provider error", mangle: func(cb string) string { return setParam(dropParam(cb, "code"), "error", "access_denied") }, want: "did not sign you in"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := newOIDCSite(t)
			o.tamper = c.tamper
			cb := o.startLogin("/apis")
			if c.mangle != nil {
				cb = c.mangle(cb)
			}
			p := o.visit(cb)
			if p.status != http.StatusBadRequest || !strings.Contains(p.text("[data-testid=login-error]"), c.want) {
				t.Errorf("status %d, message %q; want 400 mentioning %q", p.status, p.text("[data-testid=login-error]"), c.want)
			}
			for _, ck := range p.cookies() {
				if ck.Name == "steward_session" && ck.Value != "" {
					t.Error("a session cookie was set")
				}
			}
			if o.signedIn() {
				t.Error("signed in after a rejected callback")
			}
		})
	}
}

func TestNextStaysOnSite(t *testing.T) {
	o := newOIDCSite(t)
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"} {
		cb := o.startLogin(next)
		if p := o.visit(cb); p.status != http.StatusSeeOther || p.location != "/apis" {
			t.Errorf("next %q: redirected to %q", next, p.location)
		}
	}
}

func TestProviderDownIsReported(t *testing.T) {
	store := storetest.New(t, "sqlite")
	cfg, _ := config.Load([]string{"--oidc-issuer", "http://127.0.0.1:1/nowhere", "--oidc-client-id", "x", "--base-url", "http://127.0.0.1:9"}, func(string) string { return "" }, io.Discard)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	provider := identity.NewProvider(ctx, identity.Settings{Issuer: cfg.OIDCIssuer, ClientID: "x"}, slog.New(slog.DiscardHandler))
	e, _ := handlers.New(handlers.Deps{Store: store, Identities: store, OIDC: provider, Config: cfg, Log: slog.New(slog.DiscardHandler),
		Static: fstest.MapFS{"app.css": {Data: nil}, "app.js": {Data: nil}}})
	srv := httptest.NewServer(e)
	defer srv.Close()
	s := &site{t: t, srv: srv, client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, store: store}
	if p := s.get("/login"); p.count("[data-testid=provider-down]") != 1 {
		t.Error("the sign-in page must say the provider is unreachable")
	}
	if p := s.get("/readyz"); p.status != http.StatusServiceUnavailable || !strings.Contains(p.body, "identity provider") {
		t.Errorf("readyz: %d %q", p.status, p.body)
	}
	if p := s.get("/login/oidc"); p.status != http.StatusServiceUnavailable {
		t.Errorf("starting sign-in with the provider down: %d", p.status)
	}
}

func newAnonymousClient(s *site) *oidcSite {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &oidcSite{site: &site{t: s.t, srv: s.srv, client: c, store: s.store}}
}

func mustURL(s string) *url.URL {
	u, _ := url.Parse(s)
	return u
}

func setParam(raw, k, v string) string {
	u, _ := url.Parse(raw)
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

func dropParam(raw, k string) string {
	u, _ := url.Parse(raw)
	q := u.Query()
	q.Del(k)
	u.RawQuery = q.Encode()
	return u.String()
}
