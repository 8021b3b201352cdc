package kong

import (
	"reflect"
	"strings"
	"testing"
)

func TestSnapshotEndpoints(t *testing.T) {
	orders := Service{ID: "svc-orders", Name: "orders", Protocol: "http", Host: "orders.internal", Port: 80, Enabled: true}
	billing := Service{ID: "svc-billing", Name: "billing", Protocol: "http", Host: "billing.internal", Port: 80, Enabled: true}
	route := func(id, serviceID string, protocols ...string) Route {
		return Route{ID: id, Name: id, ServiceID: serviceID, Protocols: protocols, Paths: []string{"/" + id}}
	}
	plugin := func(id, name string) Plugin {
		return Plugin{ID: id, Name: name, Enabled: true}
	}
	onService := func(p Plugin, serviceID string) Plugin { p.ServiceID = serviceID; return p }
	onRoute := func(p Plugin, routeID string) Plugin { p.RouteID = routeID; return p }
	disabled := func(p Plugin) Plugin { p.Enabled = false; return p }
	forProtocols := func(p Plugin, protocols ...string) Plugin { p.Protocols = protocols; return p }

	// want describes one endpoint as "route: flags plugins", flags being a
	// (authenticated), r (rate limited), s (HTTPS only) or - (none).
	tests := []struct {
		name     string
		services []Service
		routes   []Route
		plugins  []Plugin
		want     []string
	}{
		{
			name:     "no plugins",
			services: []Service{orders},
			routes:   []Route{route("list", "svc-orders", "http", "https")},
			want:     []string{"list: -"},
		},
		{
			name:     "global plugins apply to every route",
			services: []Service{orders, billing},
			routes:   []Route{route("list", "svc-orders"), route("pay", "svc-billing")},
			plugins:  []Plugin{plugin("g1", "openid-connect"), plugin("g2", "rate-limiting")},
			want: []string{
				"pay: ar openid-connect@global rate-limiting@global",
				"list: ar openid-connect@global rate-limiting@global",
			},
		},
		{
			name:     "service plugins apply only to that service's routes",
			services: []Service{orders, billing},
			routes:   []Route{route("list", "svc-orders"), route("pay", "svc-billing")},
			plugins:  []Plugin{onService(plugin("s1", "key-auth"), "svc-orders")},
			want:     []string{"pay: -", "list: a key-auth@service"},
		},
		{
			name:     "route plugins apply only to that route",
			services: []Service{orders},
			routes:   []Route{route("create", "svc-orders"), route("list", "svc-orders")},
			plugins:  []Plugin{onRoute(plugin("r1", "response-ratelimiting"), "create")},
			want:     []string{"create: r response-ratelimiting@route", "list: -"},
		},
		{
			name:     "disabled plugins do not count",
			services: []Service{orders},
			routes:   []Route{route("list", "svc-orders")},
			plugins: []Plugin{
				disabled(plugin("g1", "rate-limiting")),
				disabled(onService(plugin("s1", "basic-auth"), "svc-orders")),
				disabled(onRoute(plugin("r1", "jwt"), "list")),
			},
			want: []string{"list: -"},
		},
		{
			name:     "a disabled route plugin does not switch off an enabled global one",
			services: []Service{orders},
			routes:   []Route{route("list", "svc-orders")},
			plugins: []Plugin{
				plugin("g1", "key-auth"),
				disabled(onRoute(plugin("r1", "key-auth"), "list")),
			},
			want: []string{"list: a key-auth@global"},
		},
		{
			name:     "route beats service beats global for the same name",
			services: []Service{orders},
			routes:   []Route{route("create", "svc-orders"), route("list", "svc-orders")},
			plugins: []Plugin{
				plugin("g1", "rate-limiting"),
				onService(plugin("s1", "rate-limiting"), "svc-orders"),
				onRoute(plugin("r1", "rate-limiting"), "create"),
			},
			want: []string{"create: r rate-limiting@route", "list: r rate-limiting@service"},
		},
		{
			name:     "plugins for one consumer or consumer group do not count",
			services: []Service{orders},
			routes:   []Route{route("list", "svc-orders")},
			plugins: []Plugin{
				{ID: "c1", Name: "rate-limiting-advanced", Enabled: true, ConsumerID: "partner"},
				{ID: "c2", Name: "rate-limiting", Enabled: true, ConsumerGroupID: "gold", RouteID: "list"},
			},
			want: []string{"list: -"},
		},
		{
			name:     "a plugin on a route and a service needs both to match",
			services: []Service{orders, billing},
			routes:   []Route{route("list", "svc-orders"), route("pay", "svc-billing")},
			plugins: []Plugin{
				onService(onRoute(plugin("rs1", "hmac-auth"), "list"), "svc-orders"),
				onService(onRoute(plugin("rs2", "mtls-auth"), "pay"), "svc-orders"),
			},
			want: []string{"pay: -", "list: a hmac-auth@route"},
		},
		{
			name:     "a plugin for other protocols does not cover the route",
			services: []Service{orders},
			routes:   []Route{route("list", "svc-orders", "http", "https")},
			plugins:  []Plugin{forProtocols(plugin("g1", "key-auth"), "grpc", "grpcs")},
			want:     []string{"list: -"},
		},
		{
			name:     "auth for https only leaves the http side open",
			services: []Service{orders},
			routes:   []Route{route("list", "svc-orders", "http", "https"), route("secure", "svc-orders", "https")},
			plugins:  []Plugin{forProtocols(plugin("g1", "jwt"), "https")},
			want:     []string{"list: - jwt@global", "secure: as jwt@global"},
		},
		{
			name:     "two auth plugins can cover a route between them",
			services: []Service{orders},
			routes:   []Route{route("list", "svc-orders", "http", "https")},
			plugins: []Plugin{
				forProtocols(plugin("g1", "key-auth"), "http"),
				forProtocols(plugin("g2", "basic-auth"), "https"),
			},
			want: []string{"list: a basic-auth@global key-auth@global"},
		},
		{
			name:     "plugins that are neither auth nor rate limiting",
			services: []Service{orders},
			routes:   []Route{route("list", "svc-orders")},
			plugins:  []Plugin{plugin("g1", "cors"), plugin("g2", "acl")},
			want:     []string{"list: - acl@global cors@global"},
		},
		{
			name:     "HTTPS only means no unencrypted protocol",
			services: []Service{orders},
			routes: []Route{
				route("a-https", "svc-orders", "https"),
				route("b-both", "svc-orders", "http", "https"),
				route("c-default", "svc-orders"),
				route("d-grpcs", "svc-orders", "grpcs"),
				route("e-grpc", "svc-orders", "grpc"),
				route("f-wss", "svc-orders", "wss", "https"),
				route("g-tcp", "svc-orders", "tcp", "tls"),
			},
			want: []string{"a-https: s", "b-both: -", "c-default: -", "d-grpcs: s", "e-grpc: -", "f-wss: s", "g-tcp: -"},
		},
		{
			name:    "route without a service, and one whose service is missing",
			routes:  []Route{route("orphan", ""), route("stale", "svc-gone")},
			plugins: []Plugin{plugin("g1", "key-auth"), onService(plugin("s1", "rate-limiting"), "svc-gone")},
			want:    []string{"orphan: a key-auth@global", "stale: ar key-auth@global rate-limiting@service"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := &Snapshot{Services: tt.services, Routes: tt.routes, Plugins: tt.plugins}
			var got []string
			for _, e := range snap.Endpoints() {
				flags := ""
				if e.Authenticated {
					flags += "a"
				}
				if e.RateLimited {
					flags += "r"
				}
				if e.HTTPSOnly {
					flags += "s"
				}
				if flags == "" {
					flags = "-"
				}
				line := []string{e.RouteName + ":", flags}
				for _, p := range e.Plugins {
					line = append(line, p.Name+"@"+string(p.Scope))
				}
				got = append(got, strings.Join(line, " "))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("endpoints:\n got  %q\n want %q", got, tt.want)
			}
		})
	}
}

func TestSnapshotEndpointsCopiesServiceAndRoute(t *testing.T) {
	snap := &Snapshot{
		Services: []Service{{ID: "s", Name: "legacy", Protocol: "https", Host: "legacy.internal", Port: 8443, Path: "/api", Enabled: false}},
		Routes: []Route{{ID: "r", Name: "legacy-read", ServiceID: "s", Protocols: []string{"https"},
			Methods: []string{"GET"}, Hosts: []string{"api.example.com"}, Paths: []string{"/legacy"},
			StripPath: true, Tags: []string{"deprecated"}}},
	}
	want := Endpoint{
		RouteID: "r", RouteName: "legacy-read", Paths: []string{"/legacy"}, Methods: []string{"GET"},
		Hosts: []string{"api.example.com"}, Protocols: []string{"https"}, StripPath: true, Tags: []string{"deprecated"},
		ServiceID: "s", ServiceName: "legacy", ServiceProtocol: "https", ServiceHost: "legacy.internal",
		ServicePort: 8443, ServicePath: "/api", ServiceEnabled: false, HTTPSOnly: true,
	}
	got := snap.Endpoints()
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("Endpoints:\n got  %+v\n want %+v", got, want)
	}
}
