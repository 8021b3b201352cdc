package kong

import (
	"cmp"
	"slices"
	"strings"
)

// Endpoint is one Kong route with the service it forwards to and the facts
// governance asks about it.
type Endpoint struct {
	RouteID    string
	RouteName  string
	Paths      []string
	Methods    []string // empty means every method
	Hosts      []string
	Protocols  []string // empty means Kong's default, http and https
	Expression string   // set instead of Paths and the like by the expressions router
	StripPath  bool
	Tags       []string // the route's tags

	// The service fields are empty when the route has no service, or names
	// one the snapshot does not hold.
	ServiceID       string
	ServiceName     string
	ServiceProtocol string
	ServiceHost     string
	ServicePort     int
	ServicePath     string
	// ServiceEnabled is false when the service is disabled or missing, in
	// which case Kong does not proxy the route.
	ServiceEnabled bool

	// Authenticated is true when enabled authentication plugins cover every
	// protocol the route accepts: key-auth, key-auth-enc, jwt, oauth2,
	// oauth2-introspection, basic-auth, hmac-auth, ldap-auth,
	// ldap-auth-advanced, openid-connect, mtls-auth, header-cert-auth, saml
	// or vault-auth. It does not look at plugin config, so an auth plugin
	// with an anonymous consumer still counts.
	Authenticated bool
	// RateLimited is true when enabled rate-limiting plugins cover every
	// protocol the route accepts: rate-limiting, rate-limiting-advanced,
	// response-ratelimiting, service-protection,
	// graphql-rate-limiting-advanced or ai-rate-limiting-advanced.
	RateLimited bool
	// HTTPSOnly is true when every protocol the route accepts is encrypted
	// (https, grpcs, wss, tls, tls_passthrough): it excludes http, and
	// plain grpc, ws, tcp and udp too.
	HTTPSOnly bool

	// Plugins are the enabled plugins that take effect on the route, one per
	// name, sorted by name; a plugin limited to protocols the route does not
	// accept is left out.
	Plugins []AppliedPlugin
}

// AppliedPlugin is a plugin in effect on a route and where it was configured.
type AppliedPlugin struct {
	Name  string
	ID    string
	Scope Scope
}

// Scope is where a plugin was configured.
type Scope string

// The scopes, from least to most specific. For one plugin name, Kong runs
// the most specific enabled instance.
const (
	ScopeGlobal  Scope = "global"
	ScopeService Scope = "service"
	ScopeRoute   Scope = "route"
)

var authPlugins = map[string]bool{
	"key-auth":             true,
	"key-auth-enc":         true,
	"jwt":                  true,
	"oauth2":               true,
	"oauth2-introspection": true,
	"basic-auth":           true,
	"hmac-auth":            true,
	"ldap-auth":            true,
	"ldap-auth-advanced":   true,
	"openid-connect":       true,
	"mtls-auth":            true,
	"header-cert-auth":     true,
	"saml":                 true,
	"vault-auth":           true,
}

var rateLimitPlugins = map[string]bool{
	"rate-limiting":                  true,
	"rate-limiting-advanced":         true,
	"response-ratelimiting":          true,
	"service-protection":             true,
	"graphql-rate-limiting-advanced": true,
	"ai-rate-limiting-advanced":      true,
}

var encryptedProtocols = map[string]bool{
	"https":           true,
	"grpcs":           true,
	"wss":             true,
	"tls":             true,
	"tls_passthrough": true,
}

// defaultRouteProtocols is what Kong gives a route created without protocols.
var defaultRouteProtocols = []string{"http", "https"}

// Endpoints returns one Endpoint per route, sorted by service name, route
// name and route ID.
//
// A plugin applies to a route when it is global, on the route's service, or
// on the route (a plugin on both a route and a service applies only where
// both match). Disabled plugins and plugins scoped to a consumer or consumer
// group are left out: the first do not run, the second run only for some
// callers.
func (s *Snapshot) Endpoints() []Endpoint {
	services := make(map[string]Service, len(s.Services))
	for _, svc := range s.Services {
		services[svc.ID] = svc
	}
	var global []Plugin
	byService := make(map[string][]Plugin)
	byRoute := make(map[string][]Plugin)
	for _, p := range s.Plugins {
		switch {
		case !p.Enabled, p.ConsumerID != "", p.ConsumerGroupID != "":
			// Does not run, or runs only for some callers.
		case p.RouteID != "":
			byRoute[p.RouteID] = append(byRoute[p.RouteID], p)
		case p.ServiceID != "":
			byService[p.ServiceID] = append(byService[p.ServiceID], p)
		default:
			global = append(global, p)
		}
	}

	endpoints := make([]Endpoint, 0, len(s.Routes))
	for _, r := range s.Routes {
		e := Endpoint{
			RouteID:    r.ID,
			RouteName:  r.Name,
			Paths:      r.Paths,
			Methods:    r.Methods,
			Hosts:      r.Hosts,
			Protocols:  r.Protocols,
			Expression: r.Expression,
			StripPath:  r.StripPath,
			Tags:       r.Tags,
			ServiceID:  r.ServiceID,
			HTTPSOnly:  encryptedOnly(r.Protocols),
		}
		if svc, ok := services[r.ServiceID]; ok {
			e.ServiceName = svc.Name
			e.ServiceProtocol = svc.Protocol
			e.ServiceHost = svc.Host
			e.ServicePort = svc.Port
			e.ServicePath = svc.Path
			e.ServiceEnabled = svc.Enabled
		}

		effective := effectivePlugins(r, global, byService[r.ServiceID], byRoute[r.ID])
		e.Authenticated = covers(effective, authPlugins, r.Protocols)
		e.RateLimited = covers(effective, rateLimitPlugins, r.Protocols)
		for _, p := range effective {
			if runsOnAny(p, r.Protocols) {
				e.Plugins = append(e.Plugins, AppliedPlugin{Name: p.Name, ID: p.ID, Scope: scopeOf(p)})
			}
		}
		endpoints = append(endpoints, e)
	}

	slices.SortFunc(endpoints, func(a, b Endpoint) int {
		return cmp.Or(
			strings.Compare(a.ServiceName, b.ServiceName),
			strings.Compare(a.RouteName, b.RouteName),
			strings.Compare(a.RouteID, b.RouteID),
		)
	})
	return endpoints
}

// effectivePlugins picks, for each plugin name, the most specific instance
// that applies to r, as Kong does, and returns them sorted by name.
func effectivePlugins(r Route, global, onService, onRoute []Plugin) []Plugin {
	type pick struct {
		plugin Plugin
		rank   int
	}
	best := make(map[string]pick)
	consider := func(p Plugin, rank int) {
		cur, ok := best[p.Name]
		if !ok || rank > cur.rank || (rank == cur.rank && p.ID < cur.plugin.ID) {
			best[p.Name] = pick{plugin: p, rank: rank}
		}
	}
	for _, p := range global {
		consider(p, 0)
	}
	for _, p := range onService {
		consider(p, 1)
	}
	for _, p := range onRoute {
		switch {
		case p.ServiceID == "":
			consider(p, 2)
		case p.ServiceID == r.ServiceID:
			consider(p, 3)
		}
	}

	plugins := make([]Plugin, 0, len(best))
	for _, p := range best {
		plugins = append(plugins, p.plugin)
	}
	slices.SortFunc(plugins, func(a, b Plugin) int { return strings.Compare(a.Name, b.Name) })
	return plugins
}

func scopeOf(p Plugin) Scope {
	switch {
	case p.RouteID != "":
		return ScopeRoute
	case p.ServiceID != "":
		return ScopeService
	default:
		return ScopeGlobal
	}
}

// covers reports whether plugins of the given kind, between them, run for
// every protocol the route accepts. A plugin limited to https leaves the
// http side of an http+https route open.
func covers(plugins []Plugin, kind map[string]bool, routeProtocols []string) bool {
	for _, proto := range orDefault(routeProtocols) {
		covered := slices.ContainsFunc(plugins, func(p Plugin) bool {
			return kind[p.Name] && runsOn(p, proto)
		})
		if !covered {
			return false
		}
	}
	return true
}

// runsOn reports whether p runs for requests over proto; a plugin without
// protocols runs for all.
func runsOn(p Plugin, proto string) bool {
	return len(p.Protocols) == 0 || slices.Contains(p.Protocols, proto)
}

func runsOnAny(p Plugin, routeProtocols []string) bool {
	return slices.ContainsFunc(orDefault(routeProtocols), func(proto string) bool { return runsOn(p, proto) })
}

func orDefault(routeProtocols []string) []string {
	if len(routeProtocols) == 0 {
		return defaultRouteProtocols
	}
	return routeProtocols
}

func encryptedOnly(protocols []string) bool {
	if len(protocols) == 0 {
		return false // Kong's default includes http
	}
	for _, proto := range protocols {
		if !encryptedProtocols[proto] {
			return false
		}
	}
	return true
}
