package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
)

// discover rolls up traffic to hosts no deployment claims.
func discover(t *testing.T, s *models.Store, rows ...models.DiscoveredTraffic) {
	t.Helper()
	if err := s.ApplyRollup(context.Background(), models.RollupBatch{Discovered: rows}); err != nil {
		t.Fatal(err)
	}
}

func TestDiscoveredHostsClaimAndIgnore(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		seed(t, s)
		hour := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
		discover(t, s,
			models.DiscoveredTraffic{Host: "orders.example.com", Method: "GET", Template: "/orders/{id}", Hour: hour, Requests: 3, Status2xx: 3, HTTPS: 2,
				FirstSeen: hour.Add(5 * time.Minute), LastSeen: hour.Add(50 * time.Minute)},
			models.DiscoveredTraffic{Host: "orders.example.com", Method: "POST", Template: "/orders", Hour: hour.Add(time.Hour), Requests: 1,
				FirstSeen: hour.Add(70 * time.Minute), LastSeen: hour.Add(80 * time.Minute)},
			models.DiscoveredTraffic{Host: "legacy.example.com", Method: "GET", Template: "/status", Hour: hour, Requests: 9,
				FirstSeen: hour, LastSeen: hour.Add(time.Minute)},
		)

		st, err := s.DiscoveredHostState(ctx, "orders.example.com")
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != models.DiscoveredNew || st.Requests != 4 || st.HTTPS != 2 ||
			!st.FirstSeen.Equal(hour.Add(5*time.Minute)) || !st.LastSeen.Equal(hour.Add(80*time.Minute)) || !st.Claimable() {
			t.Errorf("state before any decision: %+v", st)
		}
		if _, err := s.DiscoveredHostState(ctx, "nowhere.example.com"); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("unknown host: %v, want not found", err)
		}

		claim := models.DiscoveryClaim{
			API:        catalog.APIInput{Slug: "orders", Name: "Orders", TeamSlug: "payments", Kind: catalog.KindREST, Visibility: catalog.VisibilityInternal},
			Version:    catalog.VersionInput{Name: "v1", Stage: catalog.StageProduction},
			Deployment: catalog.DeploymentInput{Environment: "production", BaseURL: "https://orders.example.com"},
		}
		if _, err := s.ClaimDiscoveredHost(ctx, alice, "nowhere.example.com", claim); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("claiming an unknown host: %v, want not found", err)
		}
		taken := claim
		taken.API.Slug = "refunds"
		_, err = s.ClaimDiscoveredHost(ctx, alice, "orders.example.com", taken)
		var ve *catalog.ValidationError
		if !errors.As(err, &ve) || ve.Fields["slug"] == "" {
			t.Errorf("claiming into a taken slug: %v, want a slug field error", err)
		}
		if st, _ := s.DiscoveredHostState(ctx, "orders.example.com"); st.Status != models.DiscoveredNew {
			t.Errorf("a failed claim left the host %s", st.Status)
		}

		a, err := s.ClaimDiscoveredHost(ctx, alice, "orders.example.com", claim)
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.GetVersion(ctx, a.Slug, "v1")
		if err != nil {
			t.Fatal(err)
		}
		if v.Stage != "production" || len(v.Deployments) != 1 || v.Deployments[0].BaseURL != "https://orders.example.com" {
			t.Errorf("claimed version: stage %s, deployments %+v", v.Stage, v.Deployments)
		}
		st, _ = s.DiscoveredHostState(ctx, "orders.example.com")
		if st.Status != models.DiscoveredClaimed || st.APISlug != "orders" || st.APIName != "Orders" || st.DecidedBy != alice.Name || st.DecidedAt == nil {
			t.Errorf("state after claiming: %+v", st)
		}
		if _, err := s.ClaimDiscoveredHost(ctx, alice, "orders.example.com", claim); !errors.Is(err, catalog.ErrConflict) {
			t.Errorf("claiming twice: %v, want a conflict", err)
		}
		if err := s.IgnoreDiscoveredHost(ctx, alice, "orders.example.com", "noise"); !errors.Is(err, catalog.ErrConflict) {
			t.Errorf("ignoring a claimed host: %v, want a conflict", err)
		}

		if err := s.IgnoreDiscoveredHost(ctx, alice, "legacy.example.com", "Decommissioned health checks."); err != nil {
			t.Fatal(err)
		}
		hosts, err := s.DiscoveredHosts(ctx, hour.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, h := range hosts {
			got[h.Host] = h.Status + " " + h.APISlug
		}
		if got["orders.example.com"] != "claimed orders" || got["legacy.example.com"] != "ignored " {
			t.Errorf("hosts listed: %v", got)
		}
		decisions, err := s.DiscoveryDecisions(ctx, "legacy.example.com", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(decisions) != 1 || decisions[0].Status != "ignored" || decisions[0].Reason != "Decommissioned health checks." || decisions[0].Actor != alice.Name {
			t.Errorf("decisions: %+v", decisions)
		}
		// An ignored host can still be claimed, by someone who knows better.
		claim.API.Slug, claim.API.Name = "legacy", "Legacy"
		claim.Deployment.BaseURL = "http://legacy.example.com"
		if _, err := s.ClaimDiscoveredHost(ctx, alice, "legacy.example.com", claim); err != nil {
			t.Fatalf("claiming an ignored host: %v", err)
		}
		// When the API a claim created is deleted, the host can be claimed again.
		if err := s.DeleteAPI(ctx, alice, "legacy"); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.DiscoveredHostState(ctx, "legacy.example.com"); !st.Claimable() {
			t.Errorf("a host whose API was deleted is not claimable: %+v", st)
		}
		events, _ := s.AuditFor(ctx, "discovered_host", "legacy.example.com", 10)
		if len(events) != 2 || events[0].Action != "discovered.claim" || events[1].Action != "discovered.ignore" {
			t.Errorf("audit: %+v", events)
		}
	})
}
