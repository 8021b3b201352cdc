package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/config"
	"github.com/steward-governance/steward/handlers"
	"github.com/steward-governance/steward/identity"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/sealing"
	"github.com/steward-governance/steward/static"
	"github.com/steward-governance/steward/traffic/journal"
)

// runtimeSite serves Steward with its runtime parts (ingest journal, the
// rollup job on a runner) over a catalogue of one API, "orders", whose v1
// runs at https://orders.example.com and documents GET /orders and
// GET /orders/{id}. The person signing in is an admin.
func runtimeSite(t *testing.T) string {
	t.Helper()
	mock, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mock.Shutdown() })
	mock.QueueUser(&mockoidc.MockUser{Subject: "e2e-admin", Email: "admin@example.com", PreferredUsername: "admin"})

	store := storetest.New(t, "sqlite")
	ctx, sys := context.Background(), catalog.SystemActor("e2e")
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(store.CreateTeam(ctx, sys, catalog.TeamInput{Slug: "commerce", Name: "Commerce"}))
	must(store.CreateAPI(ctx, sys, catalog.APIInput{Slug: "orders", Name: "Orders", TeamSlug: "commerce", Kind: catalog.KindREST, Visibility: catalog.VisibilityInternal}))
	must(store.CreateVersion(ctx, sys, "orders", catalog.VersionInput{Name: "v1", Stage: catalog.StageProduction}))
	must(store.PutDeployment(ctx, sys, "orders", "v1", catalog.DeploymentInput{Environment: "prod", BaseURL: "https://orders.example.com"}))
	_, _, err = store.SaveSpec(ctx, sys, "orders", "v1", models.SpecUpload{Content: []byte(`{}`), Hash: "h", Format: "json", SpecVersion: "3.0.3",
		Endpoints: []models.Endpoint{{Method: "GET", Path: "/orders"}, {Method: "GET", Path: "/orders/{id}"}}})
	if err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	cfg, err := config.Load([]string{"--oidc-issuer", mock.Issuer(), "--oidc-client-id", mock.ClientID, "--oidc-client-secret", mock.ClientSecret,
		"--base-url", base, "--admin-emails", "admin@example.com"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	provider := identity.NewProvider(sctx, identity.Settings{Issuer: mock.Issuer(), ClientID: mock.ClientID, ClientSecret: mock.ClientSecret,
		RedirectURL: base + "/auth/callback", AdminEmails: cfg.AdminEmails}, slog.New(slog.DiscardHandler))
	for deadline := time.Now().Add(10 * time.Second); provider.Ready() != nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("provider discovery: %v", provider.Ready())
		}
	}
	jr, err := journal.Open(t.TempDir(), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { jr.Close() })
	box, err := sealing.New("e2e-secret-key-0123456789abcdef-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	runner := jobs.NewRunner(store, "e2e", slog.New(slog.DiscardHandler))
	if err := runner.Register(jobs.Definition{Job: &jobs.Rollup{Store: store, Journal: jr, Consumer: "e2e"}, Title: "Traffic rollup", Schedule: "@every 1m", PerReplica: true}, "", false); err != nil {
		t.Fatal(err)
	}
	runner.Start()
	t.Cleanup(func() { runner.Stop(context.Background()) })
	e, err := handlers.New(handlers.Deps{Store: store, Identities: store, OIDC: provider, Config: cfg, Log: slog.New(slog.DiscardHandler), Static: static.Files,
		Ingest: jr, Sealer: box, ConsumerKey: box.ConsumerKey(), Jobs: runner})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = e
	srv.Start()
	t.Cleanup(srv.Close)
	return base
}

// sdkEvent is one request as a Treblle SDK reports it.
func sdkEvent(key, url string, status int, at time.Time) []byte {
	b, _ := json.Marshal(map[string]any{
		"api_key": key, "sdk": "go", "version": "2.0.1",
		"data": map[string]any{
			"request": map[string]any{"timestamp": at.UTC().Format("2006-01-02 15:04:05"), "ip": "198.51.100.7", "url": url, "method": "GET",
				"headers": map[string]any{"Authorization": "Bearer e2e-token"}},
			"response": map[string]any{"code": status, "size": 420, "load_time": 35, "headers": map[string]any{"Content-Type": "application/json"}},
		},
	})
	return b
}

// An admin adds an SDK source in the browser, an SDK sends events with its
// key, the admin runs the rollup from the jobs page and reads the
// version's traffic tab.
func TestBrowserSourceIngestRollupTraffic(t *testing.T) {
	ctx := browser(t)
	base := runtimeSite(t)
	do(t, ctx, "sign in and open the sources page",
		chromedp.Navigate(base+"/admin/sources"),
		chromedp.WaitVisible(`[data-testid=sso]`),
		chromedp.Click(`[data-testid=sso]`),
		chromedp.WaitVisible(`[data-testid=source-form]`),
	)
	if text(t, ctx, `[data-testid=no-sources]`) == "" {
		t.Error("a fresh Steward shows sources")
	}
	do(t, ctx, "add an SDK source",
		chromedp.SendKeys(`#name`, "orders SDK"),
		chromedp.SetValue(`#kind`, "treblle"),
		chromedp.Submit(`[data-testid=source-form]`),
		chromedp.WaitVisible(`[data-testid=new-source-key]`),
	)
	key := text(t, ctx, `[data-testid=new-source-key]`)
	if !strings.HasPrefix(key, handlers.IngestKeyPrefix) {
		t.Fatalf("ingest key shown: %q", key)
	}

	now := time.Now().Add(-30 * time.Minute)
	for i, ev := range []struct {
		url    string
		status int
	}{{"https://orders.example.com/orders", 200}, {"https://orders.example.com/orders/17", 200}, {"https://orders.example.com/orders/18", 500}, {"http://orders.example.com/orders/19", 200}} {
		res, err := http.Post(base+"/ingest/treblle", "application/json", bytes.NewReader(sdkEvent(key, ev.url, ev.status, now.Add(time.Duration(i)*time.Second))))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusAccepted {
			t.Fatalf("ingest %s: %d", ev.url, res.StatusCode)
		}
	}

	do(t, ctx, "run the rollup from the jobs page",
		chromedp.Navigate(base+"/admin/jobs"),
		chromedp.WaitVisible(`tr[data-job=rollup] [data-testid=run-now]`),
		chromedp.Click(`tr[data-job=rollup] [data-testid=run-now]`),
		chromedp.WaitVisible(`[data-testid=run-status]`),
	)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		// The run page refreshes itself while the run goes on.
		if s := text(t, ctx, `[data-testid=run-status]`); s == "succeeded" {
			break
		} else if s == "failed" || time.Now().After(deadline) {
			t.Fatalf("rollup run: %s", s)
		}
	}

	do(t, ctx, "open the traffic tab from the version page",
		chromedp.Navigate(base+"/apis/orders/versions/v1"),
		chromedp.WaitVisible(`[data-testid=traffic-link]`),
		chromedp.Click(`[data-testid=traffic-link]`),
		chromedp.WaitVisible(`[data-testid=traffic-summary]`),
	)
	summary := strings.Join(strings.Fields(text(t, ctx, `[data-testid=traffic-summary]`)), " ")
	for _, want := range []string{"Requests 4", "HTTPS 75%"} {
		if !strings.Contains(summary, want) {
			t.Errorf("traffic summary %q lacks %q", summary, want)
		}
	}
	if n := count(t, ctx, `[data-testid=requests-chart] rect.seg`); n < 2 {
		t.Errorf("requests chart draws %d segments, want 2xx and 5xx", n)
	}
	if got := text(t, ctx, `tr[data-endpoint="GET /orders/{id}"] td:nth-child(3)`); got != "3" {
		t.Errorf("GET /orders/{id} requests: %q", got)
	}
}
