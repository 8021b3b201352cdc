package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
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
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/retirement"
	"github.com/steward-governance/steward/specs"
	"github.com/steward-governance/steward/static"
)

// retirementSite serves the demo organisation with a retirement case
// proposed for one of the first team's internal production versions, as
// the demo does on first start, and the person the provider signs in as
// an owner of that team. It returns the address and the case's path.
func retirementSite(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	mock, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mock.Shutdown() })
	mock.QueueUser(&mockoidc.MockUser{Subject: "e2e-owner", Email: "owner@example.com", PreferredUsername: "owner"})

	store := storetest.New(t, "sqlite")
	plan, err := demo.Organisation()
	if err != nil {
		t.Fatal(err)
	}
	sys := catalog.SystemActor("demo")
	if _, err := importer.Apply(ctx, store, sys, plan, specs.DefaultLimits(), true); err != nil {
		t.Fatal(err)
	}
	teams, err := store.ListTeams(ctx)
	if err != nil || len(teams) == 0 {
		t.Fatalf("teams: %v", err)
	}
	team := teams[0].Slug
	cands, err := store.ZombieCandidates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var target *models.ZombieCandidate
	for i, c := range cands {
		if c.TeamSlug == team && c.Stage == string(catalog.StageProduction) && c.Visibility == string(catalog.VisibilityInternal) {
			target = &cands[i]
			break
		}
	}
	if target == nil {
		t.Fatalf("team %s has no internal production version", team)
	}
	rc, err := (&retirement.Service{Store: store}).Open(ctx, retirement.Actor{Actor: sys, System: true}, target.APISlug, target.Version,
		retirement.Proposal{Reason: "Demo: make way for the successor.", MigrationNotes: "Move to the successor before the sunset."})
	if err != nil {
		t.Fatal(err)
	}
	// The person the provider signs in, made an owner of the team the
	// way an admin would on the team page.
	u, err := store.UpsertUser(ctx, models.Identity{Issuer: mock.Issuer(), Subject: "e2e-owner", Email: "owner@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SetMember(ctx, sys, team, u.ID, "owner"); err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	cfg, err := config.Load([]string{"--oidc-issuer", mock.Issuer(), "--oidc-client-id", mock.ClientID, "--oidc-client-secret", mock.ClientSecret, "--base-url", base},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	pctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	provider := identity.NewProvider(pctx, identity.Settings{Issuer: mock.Issuer(), ClientID: mock.ClientID, ClientSecret: mock.ClientSecret, RedirectURL: base + "/auth/callback"}, slog.New(slog.DiscardHandler))
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
	return base, retirement.CasePath(rc.ID)
}

// A team owner finds the retirement waiting in their inbox, approves it,
// and reads the deprecation headers on the notice page.
func TestBrowserOwnerApprovesRetirement(t *testing.T) {
	ctx := browser(t)
	base, casePath := retirementSite(t)

	do(t, ctx, "sign in through the provider",
		chromedp.Navigate(base+"/inbox"),
		chromedp.WaitVisible(`[data-testid=sso]`),
		chromedp.Click(`[data-testid=sso]`),
		chromedp.WaitVisible(`[data-testid=inbox]`),
	)
	do(t, ctx, "open the case from the inbox",
		chromedp.Click(`[data-testid=inbox-item] a[href="`+casePath+`"]`),
		chromedp.WaitVisible(`[data-testid=case-state]`),
	)
	if st := text(t, ctx, `[data-testid=case-state]`); st != "proposed" {
		t.Fatalf("case state %q before approval", st)
	}
	if missing := text(t, ctx, `[data-testid=missing-approvals]`); !strings.Contains(missing, "an owner of team") {
		t.Errorf("missing approvals: %q", missing)
	}
	do(t, ctx, "approve",
		chromedp.Click(`[data-testid=approve]`),
		chromedp.WaitVisible(`[data-testid=flash]`),
	)
	if st := text(t, ctx, `[data-testid=case-state]`); st != "approved" {
		t.Errorf("case state %q after approval", st)
	}
	if n := count(t, ctx, `[data-testid=approval]`); n != 1 {
		t.Errorf("%d approvals shown", n)
	}
	do(t, ctx, "open the notice", chromedp.Click(`[data-testid=notice-link]`), chromedp.WaitVisible(`[data-testid=notice-headers]`))
	if dep := text(t, ctx, `[data-header=Deprecation] code`); !strings.HasPrefix(dep, "@") {
		t.Errorf("Deprecation header %q", dep)
	}
	if sunset := text(t, ctx, `[data-header=Sunset] code`); !strings.HasSuffix(sunset, " GMT") {
		t.Errorf("Sunset header %q", sunset)
	}
	if kong := text(t, ctx, `[data-testid=notice-kong]`); !strings.Contains(kong, "response-transformer") {
		t.Errorf("Kong configuration: %q", kong)
	}
	do(t, ctx, "the inbox is empty again",
		chromedp.Navigate(base+"/inbox"),
		chromedp.WaitVisible(`[data-testid=inbox-empty]`),
	)
}
