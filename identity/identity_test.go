package identity

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// discovery serves a provider's discovery document, with or without an
// end_session_endpoint.
func discovery(t *testing.T, endSession bool) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc := map[string]any{
			"issuer": srv.URL, "authorization_endpoint": srv.URL + "/auth", "token_endpoint": srv.URL + "/token",
			"jwks_uri": srv.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"},
		}
		if endSession {
			doc["end_session_endpoint"] = srv.URL + "/logout"
		}
		json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func ready(t *testing.T, p *Provider) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); p.Ready() != nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal(p.Ready())
		}
	}
}

func TestEndSessionURL(t *testing.T) {
	srv := discovery(t, true)
	p := NewProvider(context.Background(), Settings{Issuer: srv.URL, ClientID: "steward"}, slog.New(slog.DiscardHandler))
	ready(t, p)
	u, err := url.Parse(p.EndSessionURL("the-id-token", "https://steward.example.com/login?signed_out=1"))
	if err != nil || u.Path != "/logout" {
		t.Fatalf("end session URL %v %v", u, err)
	}
	q := u.Query()
	if q.Get("id_token_hint") != "the-id-token" || q.Get("client_id") != "steward" || q.Get("post_logout_redirect_uri") != "https://steward.example.com/login?signed_out=1" {
		t.Errorf("query: %v", q)
	}
	none := NewProvider(context.Background(), Settings{Issuer: discovery(t, false).URL, ClientID: "steward"}, slog.New(slog.DiscardHandler))
	ready(t, none)
	if got := none.EndSessionURL("x", "y"); got != "" {
		t.Errorf("a provider without end_session_endpoint: %q, want none", got)
	}
}

func TestDiscoveryIsRetried(t *testing.T) {
	// The provider is down at start-up, then comes up: discovery retries.
	var up atomic.Bool
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/a", "token_endpoint": srv.URL + "/t", "jwks_uri": srv.URL + "/j"})
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := NewProvider(ctx, Settings{Issuer: srv.URL, ClientID: "steward"}, slog.New(slog.DiscardHandler))
	time.Sleep(200 * time.Millisecond)
	if p.Ready() == nil {
		t.Fatal("ready while the provider was down")
	}
	up.Store(true)
	for deadline := time.Now().Add(10 * time.Second); p.Ready() != nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("discovery was not retried: %v", p.Ready())
		}
	}
}

func TestRoles(t *testing.T) {
	s := Settings{AdminGroups: []string{"admins"}, GovernanceGroups: []string{"gov"}, AdminEmails: []string{"Boss@Example.com"}}
	cases := []struct {
		email     string
		groups    []string
		admin, gv bool
	}{
		{"a@example.com", []string{"admins"}, true, false},
		{"b@example.com", []string{"gov", "x"}, false, true},
		{"boss@example.com", nil, true, false},
		{"c@example.com", []string{"admins-not"}, false, false},
	}
	for _, c := range cases {
		a, g := Roles(s, c.email, c.groups)
		if a != c.admin || g != c.gv {
			t.Errorf("%s %v: admin=%v governance=%v", c.email, c.groups, a, g)
		}
	}
}
