package models

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"gorm.io/gorm"
)

// migrateGatewayRoutes adds the routes pulled from gateways' configuration
// (Kong's Admin API): one row per route, replaced whole by each successful
// pull, so a failed pull leaves the last good picture in place.
func migrateGatewayRoutes(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE gateway_routes (
			id {{id}},
			source_id {{ref}} NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
			route_id VARCHAR(255) NOT NULL,
			route_name TEXT NOT NULL DEFAULT '',
			service_name TEXT NOT NULL DEFAULT '',
			service_host TEXT NOT NULL DEFAULT '',
			service_port INTEGER NOT NULL DEFAULT 0,
			service_path TEXT NOT NULL DEFAULT '',
			service_protocol VARCHAR(20) NOT NULL DEFAULT '',
			paths TEXT NOT NULL DEFAULT '[]',
			methods TEXT NOT NULL DEFAULT '[]',
			hosts TEXT NOT NULL DEFAULT '[]',
			authenticated {{bool}} NOT NULL DEFAULT {{false}},
			rate_limited {{bool}} NOT NULL DEFAULT {{false}},
			https_only {{bool}} NOT NULL DEFAULT {{false}},
			fetched_at {{time}} NOT NULL,
			UNIQUE (source_id, route_id))`,
	)
}

// GatewayRoute is one route a gateway serves, as the last successful pull of
// its source saw it. Paths, Methods and Hosts are as the gateway lists them:
// empty Methods means every method, empty Hosts every host, and a path
// starting with "~" is a regular expression.
type GatewayRoute struct {
	ID              int64
	SourceID        int64
	SourceName      string `gorm:"->;-:migration"`
	RouteID         string
	RouteName       string
	ServiceName     string
	ServiceHost     string
	ServicePort     int
	ServicePath     string
	ServiceProtocol string
	Paths           []string `gorm:"serializer:json"`
	Methods         []string `gorm:"serializer:json"`
	Hosts           []string `gorm:"serializer:json"`
	// Authenticated, RateLimited and HTTPSOnly say whether the gateway's
	// plugins and protocols enforce these for every request the route
	// accepts.
	Authenticated bool
	RateLimited   bool
	HTTPSOnly     bool `gorm:"column:https_only"`
	FetchedAt     time.Time
}

// TableName keeps GORM on the migration's table.
func (GatewayRoute) TableName() string { return "gateway_routes" }

// ReplaceGatewayRoutes makes routes the source's routes, removing the ones
// its previous pull stored, all or nothing. Routes repeating a route id
// (a gateway changed while it was paged through) keep the last one.
func (s *Store) ReplaceGatewayRoutes(ctx context.Context, sourceID int64, routes []GatewayRoute) error {
	rows := make([]GatewayRoute, 0, len(routes))
	at := map[string]int{}
	for _, r := range routes {
		r.ID, r.SourceID, r.FetchedAt = 0, sourceID, r.FetchedAt.UTC()
		for _, l := range []*[]string{&r.Paths, &r.Methods, &r.Hosts} {
			if *l == nil {
				*l = []string{}
			}
		}
		if i, dup := at[r.RouteID]; dup {
			rows[i] = r
			continue
		}
		at[r.RouteID] = len(rows)
		rows = append(rows, r)
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("DELETE FROM gateway_routes WHERE source_id = ?", sourceID).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		return tx.Omit("SourceName").CreateInBatches(&rows, 200).Error
	})
	return translate(err, "replace gateway routes")
}

// GatewayRoutes lists every stored gateway route with its source's name,
// by source, service and route name.
func (s *Store) GatewayRoutes(ctx context.Context) ([]GatewayRoute, error) {
	var out []GatewayRoute
	err := s.db.WithContext(ctx).Table("gateway_routes").
		Select("gateway_routes.*, sources.name AS source_name").
		Joins("JOIN sources ON sources.id = gateway_routes.source_id").
		Order("sources.name, gateway_routes.service_name, gateway_routes.route_name, gateway_routes.route_id").
		Find(&out).Error
	if err != nil {
		return nil, translate(err, "list gateway routes")
	}
	return out, nil
}

// GatewayRouteMatch says which catalogue deployment a gateway route serves.
type GatewayRouteMatch struct {
	Route GatewayRoute
	// VersionID is the version whose deployment the route serves; 0 when
	// no deployment fits: a gateway route not in the catalogue.
	VersionID uint
	APIID     uint
	// Deployment is the base URL that matched.
	Deployment string
	// Via is how: MatchViaRoute or MatchViaUpstream.
	Via string
	// APISlug, APIName and VersionName name the version for pages; only
	// Store.GatewayRouteMatches fills them.
	APISlug, APIName, VersionName string
}

// How a gateway route was matched to a deployment.
const (
	// MatchViaRoute: one of the route's hosts and paths falls within the
	// deployment's base URL, or the other way round. Clients call the
	// gateway at the deployment's address.
	MatchViaRoute = "route"
	// MatchViaUpstream: the route's service forwards to the deployment's
	// address. The catalogue lists the address behind the gateway.
	MatchViaUpstream = "upstream"
)

// GatewayRouteMatches matches every stored gateway route to the catalogue
// (see MatchGatewayRoutes) and names the versions matched.
func (s *Store) GatewayRouteMatches(ctx context.Context) ([]GatewayRouteMatch, error) {
	routes, err := s.GatewayRoutes(ctx)
	if err != nil {
		return nil, err
	}
	targets, err := s.MatchTargets(ctx)
	if err != nil {
		return nil, fmt.Errorf("models: gateway route matches: %w", err)
	}
	matches := MatchGatewayRoutes(routes, targets)
	var names []struct {
		ID                            uint
		APISlug, APIName, VersionName string
	}
	if err := s.db.WithContext(ctx).Table("versions").
		Select("versions.id, apis.slug AS api_slug, apis.name AS api_name, versions.name AS version_name").
		Joins("JOIN apis ON apis.id = versions.api_id").Scan(&names).Error; err != nil {
		return nil, fmt.Errorf("models: gateway route matches: %w", err)
	}
	byID := make(map[uint]int, len(names))
	for i, n := range names {
		byID[n.ID] = i
	}
	for i := range matches {
		if k, ok := byID[matches[i].VersionID]; ok && matches[i].VersionID != 0 {
			matches[i].APISlug, matches[i].APIName, matches[i].VersionName = names[k].APISlug, names[k].APIName, names[k].VersionName
		}
	}
	return matches, nil
}

// MatchGatewayRoutes says, for each route, which deployment of targets it
// serves, in the routes' order. Host names compare without port or case,
// paths by whole segments (a regular-expression path by its literal
// prefix). In order:
//
//  1. A route's hosts and paths: a deployment on one of the hosts whose
//     base path holds one of the route's paths, or lies under it. A route
//     without hosts answers on every host, so its hosts cannot place it.
//  2. The route's service: a deployment at the address the gateway
//     forwards to (its host and path).
//
// Among several fitting deployments the closest wins: an exact host over a
// wildcard, a base path holding the route's path over one under it, the
// longer base path, then the newest version (the highest id).
func MatchGatewayRoutes(routes []GatewayRoute, targets []MatchTarget) []GatewayRouteMatch {
	var deps []deployment
	for _, t := range targets {
		for _, raw := range t.Deployments {
			if host, base, ok := splitBaseURL(raw); ok {
				deps = append(deps, deployment{version: t.VersionID, api: t.APIID, url: raw, host: host, base: base})
			}
		}
	}
	out := make([]GatewayRouteMatch, len(routes))
	for i, r := range routes {
		out[i].Route = r
		best, bestScore := -1, 0
		consider := func(k, score int) {
			if score > bestScore || (score == bestScore && score > 0 && deps[k].version > deps[best].version) {
				best, bestScore = k, score
			}
		}
		paths := r.Paths
		if len(paths) == 0 {
			paths = []string{"/"}
		}
		for _, h := range r.Hosts {
			for _, p := range paths {
				for k := range deps {
					consider(k, fitScore(h, literalPath(p), deps[k]))
				}
			}
		}
		via := MatchViaRoute
		if best < 0 && r.ServiceHost != "" {
			for k := range deps {
				consider(k, fitScore(r.ServiceHost, cleanPath(r.ServicePath), deps[k]))
			}
			via = MatchViaUpstream
		}
		if best >= 0 {
			d := deps[best]
			out[i].VersionID, out[i].APIID, out[i].Deployment, out[i].Via = d.version, d.api, d.url, via
		}
	}
	return out
}

// GatewayCoverage is what a gateway enforces on a version: of the routes
// serving it, how many authenticate, rate-limit and accept HTTPS only.
type GatewayCoverage struct {
	Routes, Authenticated, RateLimited, HTTPSOnly int
}

// AllAuthenticated reports whether every route serving the version
// requires authentication.
func (c GatewayCoverage) AllAuthenticated() bool { return c.Routes > 0 && c.Authenticated == c.Routes }

// AllRateLimited reports whether every route serving the version is rate
// limited.
func (c GatewayCoverage) AllRateLimited() bool { return c.Routes > 0 && c.RateLimited == c.Routes }

// AllHTTPSOnly reports whether every route serving the version refuses
// plain HTTP.
func (c GatewayCoverage) AllHTTPSOnly() bool { return c.Routes > 0 && c.HTTPSOnly == c.Routes }

// GatewayCoverageByVersion sums matched routes per version; unmatched
// routes are left out.
func GatewayCoverageByVersion(matches []GatewayRouteMatch) map[uint]GatewayCoverage {
	out := map[uint]GatewayCoverage{}
	for _, m := range matches {
		if m.VersionID == 0 {
			continue
		}
		c := out[m.VersionID]
		c.Routes++
		if m.Route.Authenticated {
			c.Authenticated++
		}
		if m.Route.RateLimited {
			c.RateLimited++
		}
		if m.Route.HTTPSOnly {
			c.HTTPSOnly++
		}
		out[m.VersionID] = c
	}
	return out
}

// deployment is a catalogue base URL split for matching.
type deployment struct {
	version, api uint
	url          string
	host         string // lower-case, no port
	base         string // "" for the root, else "/v1" with no trailing slash
}

// splitBaseURL reads a deployment's base URL as the traffic matcher does:
// without a scheme it is https.
func splitBaseURL(raw string) (host, base string, ok bool) {
	s := strings.TrimSpace(raw)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return "", "", false
	}
	return strings.ToLower(strings.TrimSuffix(u.Hostname(), ".")), cleanPath(u.Path), true
}

// fitScore rates how well a gateway host and path fit a deployment; 0 when
// they do not.
func fitScore(host, path string, d deployment) int {
	hs := hostScore(host, d.host)
	if hs == 0 {
		return 0
	}
	var ps int
	switch {
	case underPath(path, d.base): // the deployment holds the route
		ps = 20_000 + len(d.base)
	case underPath(d.base, path): // the route holds the deployment
		ps = 10_000 + len(path)
	default:
		return 0
	}
	return hs*100_000 + ps
}

// hostScore compares a gateway host pattern with a deployment's host:
// 2 for the same name, 1 for a wildcard ("*.example.com", "example.*")
// that covers it, 0 otherwise.
func hostScore(pattern, host string) int {
	pattern = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(pattern), "."))
	if h, _, err := net.SplitHostPort(pattern); err == nil {
		pattern = h
	}
	switch {
	case pattern == "":
		return 0
	case pattern == host:
		return 2
	case strings.HasPrefix(pattern, "*.") && strings.HasSuffix(host, pattern[1:]) && len(host) > len(pattern)-1:
		return 1
	case strings.HasSuffix(pattern, ".*") && strings.HasPrefix(host, pattern[:len(pattern)-1]) && len(host) > len(pattern)-1:
		return 1
	}
	return 0
}

// literalPath is a route path without its regular-expression part: the
// whole segments before the first special character of a "~" path.
func literalPath(p string) string {
	rx, ok := strings.CutPrefix(p, "~")
	if !ok {
		return cleanPath(p)
	}
	rx = strings.TrimPrefix(rx, "^")
	if k := strings.IndexAny(rx, `\.^$*+?()[]{}|`); k >= 0 {
		rx = rx[:k]
		if j := strings.LastIndexByte(rx, '/'); j >= 0 {
			rx = rx[:j]
		} else {
			rx = ""
		}
	}
	return cleanPath(rx)
}

// cleanPath turns a path into the form paths compare in: "/v1/" and "v1"
// become "/v1", "/" and "" become "".
func cleanPath(p string) string {
	var b strings.Builder
	for seg := range strings.SplitSeq(p, "/") {
		if seg != "" {
			b.WriteByte('/')
			b.WriteString(seg)
		}
	}
	return b.String()
}

// underPath reports whether path p lies under base, by whole segments.
func underPath(p, base string) bool {
	return base == "" || p == base || strings.HasPrefix(p, base+"/")
}
