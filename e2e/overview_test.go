package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/config"
	"github.com/steward-governance/steward/demo"
	"github.com/steward-governance/steward/handlers"
	"github.com/steward-governance/steward/importer"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/specs"
	"github.com/steward-governance/steward/static"
)

// overviewSite serves the demo organisation after one run of the overview
// job, signing people in as the dev personas (no identity provider, on
// loopback). It returns the address and the store, to compare the pages
// with the stored figures.
func overviewSite(t *testing.T) (string, *models.Store) {
	t.Helper()
	ctx := context.Background()
	store := storetest.New(t, "sqlite")
	plan, err := demo.Organisation()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := importer.Apply(ctx, store, catalog.SystemActor("demo"), plan, specs.DefaultLimits(), true); err != nil {
		t.Fatal(err)
	}
	if err := (&jobs.GovernanceSnapshot{Store: store}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	e, err := handlers.New(handlers.Deps{Store: store, Identities: store, Config: cfg, Log: slog.New(slog.DiscardHandler), Static: static.Files, DemoData: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv.URL, store
}

// The dashboard shows the stored figures with the industry's beside them,
// says which are not measured yet, and each figure leads to the APIs
// behind it.
func TestBrowserGovernanceOverviewFollowsAFigure(t *testing.T) {
	ctx := browser(t)
	base, store := overviewSite(t)
	snap, err := store.LatestGovernanceSnapshot(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	ownerless, _ := snap.Figure(models.FigureOwnerlessAPIs)
	if !ownerless.Measured || ownerless.Numerator == 0 {
		t.Fatalf("the demo organisation has no API without an owner to follow: %+v", ownerless)
	}

	do(t, ctx, "sign in as the admin persona",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(`[data-testid=persona-admin]`),
		chromedp.Click(`[data-testid=persona-admin]`),
		chromedp.WaitVisible(`[data-testid=signed-in-as]`),
	)
	do(t, ctx, "open the governance overview",
		chromedp.Navigate(base+"/governance"),
		chromedp.WaitVisible(`[data-testid=overview-figures]`),
	)
	if n := count(t, ctx, `[data-testid=overview-figures] article`); n != len(models.FigureDefs) {
		t.Errorf("%d figures on the dashboard, want %d", n, len(models.FigureDefs))
	}
	card := `[data-testid=figure-ownerless_apis] `
	if v := text(t, ctx, card+`[data-testid=figure-value]`); v != "100%" {
		t.Errorf("APIs without an owner: %q", v)
	}
	// No traffic source reports in the demo: said, with Treblle's figure
	// beside it all the same.
	plain := `[data-testid=figure-plain_http_traffic] `
	if n := count(t, ctx, plain+`[data-testid=figure-not-measured]`); n != 1 {
		t.Errorf("plain HTTP without traffic: %q", text(t, ctx, `[data-testid=figure-plain_http_traffic]`))
	}
	if ind := text(t, ctx, plain+`[data-testid=figure-industry]`); !strings.Contains(ind, "42%") || !strings.Contains(ind, "Treblle, Anatomy of an API 2025") {
		t.Errorf("industry figure: %q", ind)
	}
	if at := text(t, ctx, card+`[data-testid=figure-computed-at]`); !strings.Contains(at, "Computed") {
		t.Errorf("computed at: %q", at)
	}
	if n := count(t, ctx, `[data-testid=leader-row]`); n == 0 {
		t.Error("no team on the leaderboard")
	}

	do(t, ctx, "follow the figure to its APIs",
		chromedp.Click(card+`[data-testid=figure-link]`),
		chromedp.WaitVisible(`[data-testid=figure-members]`),
	)
	if title := text(t, ctx, `[data-testid=figure-page-title]`); title != "APIs without an owner" {
		t.Errorf("figure page %q", title)
	}
	if got := text(t, ctx, `[data-testid=member-count]`); got != strconv.FormatInt(ownerless.Numerator, 10)+" APIs" {
		t.Errorf("member count %q, want %d APIs", got, ownerless.Numerator)
	}
	if n := count(t, ctx, `[data-testid=member-row]`); int64(n) != min(ownerless.Numerator, 50) {
		t.Errorf("%d rows on the first page", n)
	}
	do(t, ctx, "open the first API",
		chromedp.Click(`[data-testid=member-row] [data-testid=member-link]`),
		chromedp.WaitVisible(`[data-testid=api-name]`),
	)
}
