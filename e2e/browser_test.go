// Package e2e drives Steward in a real browser (Debian's Chromium through
// chromedp) against the real server on a real database seeded with the
// demo organisation.
package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/config"
	"github.com/steward-governance/steward/demo"
	"github.com/steward-governance/steward/handlers"
	"github.com/steward-governance/steward/identity"
	"github.com/steward-governance/steward/importer"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/specs"
	"github.com/steward-governance/steward/static"
)

// browser starts headless Chromium, or skips outside CI when there is none.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("STEWARD_CHROMIUM")
	if path == "" {
		for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if found, err := exec.LookPath(p); err == nil {
				path = found
				break
			}
		}
	}
	if path == "" {
		if storetest.InCI() {
			t.Fatal("Chromium is required in CI (apt-get install -y chromium)")
		}
		t.Skip("skipping browser test: no Chromium found (apt-get install -y chromium); CI runs it")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

// demoSite serves Steward over a SQLite database seeded with the demo
// organisation, signing people in through an OIDC provider running in the
// test (mockoidc speaks the real protocol: discovery, code flow with PKCE,
// signed ID tokens).
func demoSite(t *testing.T) string {
	t.Helper()
	mock, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mock.Shutdown() })
	mock.QueueUser(&mockoidc.MockUser{Subject: "e2e-1", Email: "owner@example.com", PreferredUsername: "owner"})

	store := storetest.New(t, "sqlite")
	plan, err := demo.Organisation()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := importer.Apply(context.Background(), store, catalog.SystemActor("demo"), plan, specs.DefaultLimits(), true); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	cfg, err := config.Load([]string{"--oidc-issuer", mock.Issuer(), "--oidc-client-id", mock.ClientID, "--oidc-client-secret", mock.ClientSecret, "--base-url", base},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	provider := identity.NewProvider(ctx, identity.Settings{Issuer: mock.Issuer(), ClientID: mock.ClientID, ClientSecret: mock.ClientSecret, RedirectURL: base + "/auth/callback"}, slog.New(slog.DiscardHandler))
	for deadline := time.Now().Add(10 * time.Second); provider.Ready() != nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("provider discovery: %v", provider.Ready())
		}
	}
	e, err := handlers.New(handlers.Deps{Store: store, Identities: store, OIDC: provider, Config: cfg, Log: slog.New(slog.DiscardHandler), Static: static.Files, DemoData: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = e
	srv.Start()
	t.Cleanup(srv.Close)
	return base
}

// text and count read the page; they fail the test on a browser error.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return v
}

func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+"`"+sel+"`"+`).length`))
	if err != nil {
		t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestBrowserSearchOpenAPIAndSpec(t *testing.T) {
	ctx := browser(t)
	base := demoSite(t)

	// An anonymous visit lands on the sign-in page; single sign-on goes to
	// the provider and back.
	do(t, ctx, "sign in through the provider",
		chromedp.Navigate(base+"/apis"),
		chromedp.WaitVisible(`[data-testid=sso]`),
		chromedp.Click(`[data-testid=sso]`),
		chromedp.WaitVisible(`[data-testid=result-count]`),
	)
	if user := text(t, ctx, `[data-testid=signed-in-as]`); user != "owner@example.com" {
		t.Errorf("signed in as %q", user)
	}
	if banner := text(t, ctx, `[data-testid=demo-banner]`); !strings.Contains(banner, "Demo organisation") {
		t.Errorf("demo banner: %q", banner)
	}
	if n := count(t, ctx, `[data-testid=api-item]`); n != catalog.DefaultPageSize {
		t.Errorf("first page shows %d APIs", n)
	}

	// Typing filters as you type: the script swaps the results in place.
	do(t, ctx, "type a search",
		chromedp.SendKeys(`#q`, "petstore"),
		chromedp.WaitVisible(`#catalog-results a.api-name[href="/apis/pet-store"]`),
	)
	if n := count(t, ctx, `[data-testid=api-item]`); n == 0 || n >= catalog.DefaultPageSize {
		t.Errorf("search left %d APIs", n)
	}

	do(t, ctx, "open the API, its version and its spec",
		chromedp.Click(`#catalog-results a.api-name[href="/apis/pet-store"]`),
		chromedp.WaitVisible(`[data-testid=api-name]`),
	)
	if name := text(t, ctx, `[data-testid=api-name]`); name != "Pet Store" {
		t.Errorf("API page for %q", name)
	}
	do(t, ctx, "open version v3",
		chromedp.Click(`[data-testid=versions] a[href$="/versions/v3"]`),
		chromedp.WaitVisible(`[data-testid=version-stage]`),
	)
	if stage := text(t, ctx, `[data-testid=version-stage]`); stage != "production" {
		t.Errorf("v3 stage %q", stage)
	}
	do(t, ctx, "open the spec view", chromedp.Click(`[data-testid=view-spec]`), chromedp.WaitVisible(`[data-testid=spec-title]`))
	if n := count(t, ctx, `[data-testid=operation]`); n < 10 {
		t.Errorf("spec view shows %d operations", n)
	}

	// Open an operation, then the raw view.
	do(t, ctx, "expand an operation", chromedp.Click(`[data-testid=operation] summary`))
	open, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("[data-testid=operation]").open`))
	if err != nil || !open {
		t.Errorf("operation did not open: %v", err)
	}
	do(t, ctx, "open the raw view", chromedp.Click(`[data-testid=raw-link]`), chromedp.WaitVisible(`[data-testid=raw-spec]`))
	if n := count(t, ctx, `[data-testid=raw-spec] .ln`); n < 50 {
		t.Errorf("raw view shows %d lines", n)
	}
}
