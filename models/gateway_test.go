package models_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/traffic"
)

func TestGatewayRoutesReplacedWholePerSource(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.New(t, engine)
			newKong := func(name string) int64 {
				src, err := s.CreateSource(ctx, alice, models.NewSource{Name: name, Kind: traffic.KindKong,
					Settings: traffic.SourceSettings{URL: "http://kong:8001"}})
				if err != nil {
					t.Fatal(err)
				}
				return src.ID
			}
			east, west := newKong("kong east"), newKong("kong west")
			fetched := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
			route := func(id, name string) models.GatewayRoute {
				return models.GatewayRoute{RouteID: id, RouteName: name, ServiceName: "orders", ServiceHost: "orders.internal",
					ServicePort: 8443, ServicePath: "/v1", ServiceProtocol: "https", Paths: []string{"/orders"},
					Hosts: []string{"api.example.com"}, Authenticated: true, HTTPSOnly: true, FetchedAt: fetched}
			}
			replace := func(src int64, routes ...models.GatewayRoute) {
				t.Helper()
				if err := s.ReplaceGatewayRoutes(ctx, src, routes); err != nil {
					t.Fatal(err)
				}
			}
			names := func() []string {
				t.Helper()
				rows, err := s.GatewayRoutes(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, r := range rows {
					out = append(out, r.SourceName+"/"+r.RouteName)
				}
				return out
			}

			replace(east, route("r1", "orders-read"), route("r2", "orders-write"))
			replace(west, route("r1", "orders-read"))
			rows, err := s.GatewayRoutes(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := rows[0]
			want := route("r1", "orders-read")
			want.ID, want.SourceID, want.SourceName, want.Methods = got.ID, east, "kong east", []string{}
			if !got.FetchedAt.Equal(fetched) {
				t.Errorf("fetched at %v, want %v", got.FetchedAt, fetched)
			}
			got.FetchedAt = want.FetchedAt
			if !reflect.DeepEqual(got, want) {
				t.Errorf("stored route:\n got  %+v\n want %+v", got, want)
			}

			// A later pull replaces the source's routes and leaves the
			// other source's alone; a repeated route id keeps its last copy.
			replace(east, route("r3", "billing"), route("r3", "billing-renamed"))
			if got, want := names(), []string{"kong east/billing-renamed", "kong west/orders-read"}; !reflect.DeepEqual(got, want) {
				t.Errorf("after a second pull: %q, want %q", got, want)
			}
			replace(west)
			if got, want := names(), []string{"kong east/billing-renamed"}; !reflect.DeepEqual(got, want) {
				t.Errorf("after an empty pull: %q, want %q", got, want)
			}
			if err := s.DeleteSource(ctx, alice, east); err != nil {
				t.Fatal(err)
			}
			if got := names(); len(got) != 0 {
				t.Errorf("a deleted source's routes remain: %q", got)
			}
		})
	}
}

func TestMatchGatewayRoutes(t *testing.T) {
	targets := []models.MatchTarget{
		{VersionID: 1, APIID: 10, Deployments: []string{"https://api.example.com/orders/v1"}},
		{VersionID: 2, APIID: 10, Deployments: []string{"https://api.example.com/orders/v2"}},
		{VersionID: 3, APIID: 20, Deployments: []string{"https://billing.example.com"}},
		{VersionID: 4, APIID: 30, Deployments: []string{"http://reports.internal:8080/reports"}},
		{VersionID: 5, APIID: 40, Deployments: []string{"shop.example.com/catalog"}},
	}
	tests := []struct {
		name    string
		route   models.GatewayRoute
		version uint
		via     string
	}{
		{"route path under a deployment's base", models.GatewayRoute{Hosts: []string{"API.example.com:443"}, Paths: []string{"/orders/v1/items"}}, 1, models.MatchViaRoute},
		{"route path holding two deployments picks the newest", models.GatewayRoute{Hosts: []string{"api.example.com"}, Paths: []string{"/orders"}}, 2, models.MatchViaRoute},
		{"deployment at the host's root", models.GatewayRoute{Hosts: []string{"billing.example.com"}, Paths: []string{"/invoices"}}, 3, models.MatchViaRoute},
		{"route without paths serves the whole host", models.GatewayRoute{Hosts: []string{"billing.example.com"}}, 3, models.MatchViaRoute},
		{"wildcard host", models.GatewayRoute{Hosts: []string{"*.example.com"}, Paths: []string{"/catalog/items"}}, 5, models.MatchViaRoute},
		{"regex path by its literal prefix", models.GatewayRoute{Hosts: []string{"api.example.com"}, Paths: []string{`~/orders/v1/\d+$`}}, 1, models.MatchViaRoute},
		{"segments, not characters", models.GatewayRoute{Hosts: []string{"api.example.com"}, Paths: []string{"/orders-old"}}, 0, ""},
		{"host-less route by its service's address", models.GatewayRoute{Paths: []string{"/reports"}, ServiceHost: "reports.internal", ServicePath: "/reports/"}, 4, models.MatchViaUpstream},
		{"host-less route without a known upstream", models.GatewayRoute{Paths: []string{"/orders/v1"}, ServiceHost: "orders.internal"}, 0, ""},
		{"unknown host", models.GatewayRoute{Hosts: []string{"shadow.example.com"}, Paths: []string{"/orders"}}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := models.MatchGatewayRoutes([]models.GatewayRoute{tt.route}, targets)
			if len(got) != 1 || got[0].VersionID != tt.version || got[0].Via != tt.via {
				t.Errorf("matched %+v, want version %d via %q", got, tt.version, tt.via)
			}
		})
	}
}

func TestGatewayRouteMatchesNameVersionsAndCoverage(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.New(t, engine)
			seed(t, s)
			if _, err := s.PutDeployment(ctx, alice, "card-payments", "v1", catalog.DeploymentInput{Environment: "prod", BaseURL: "https://pay.example.com/cards"}); err != nil {
				t.Fatal(err)
			}
			src, err := s.CreateSource(ctx, alice, models.NewSource{Name: "kong", Kind: traffic.KindKong, Settings: traffic.SourceSettings{URL: "http://kong:8001"}})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			if err := s.ReplaceGatewayRoutes(ctx, src.ID, []models.GatewayRoute{
				{RouteID: "a", RouteName: "cards-read", Hosts: []string{"pay.example.com"}, Paths: []string{"/cards"}, Authenticated: true, RateLimited: true, FetchedAt: now},
				{RouteID: "b", RouteName: "cards-write", Hosts: []string{"pay.example.com"}, Paths: []string{"/cards/charges"}, Authenticated: true, FetchedAt: now},
				{RouteID: "c", RouteName: "shadow", Hosts: []string{"shadow.example.com"}, FetchedAt: now},
			}); err != nil {
				t.Fatal(err)
			}
			matches, err := s.GatewayRouteMatches(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var versionID uint
			for _, m := range matches {
				switch m.Route.RouteName {
				case "shadow":
					if m.VersionID != 0 || m.APISlug != "" {
						t.Errorf("the shadow route matched %+v", m)
					}
				default:
					if m.APISlug != "card-payments" || m.APIName != "Card Payments" || m.VersionName != "v1" || m.Deployment != "https://pay.example.com/cards" {
						t.Errorf("%s matched %+v", m.Route.RouteName, m)
					}
					versionID = m.VersionID
				}
			}
			cov := models.GatewayCoverageByVersion(matches)
			want := models.GatewayCoverage{Routes: 2, Authenticated: 2, RateLimited: 1}
			if len(cov) != 1 || cov[versionID] != want || !cov[versionID].AllAuthenticated() || cov[versionID].AllRateLimited() {
				t.Errorf("coverage %+v, want %d: %+v", cov, versionID, want)
			}
		})
	}
}
