package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/traffic"
)

// resources name the collections of the synthetic APIs.
var resources = []string{"orders", "customers", "invoices", "payments", "shipments", "products", "accounts", "tickets",
	"subscriptions", "refunds", "carts", "reviews", "devices", "users", "reports", "webhooks"}

// operation is one documented method on one path template, with concrete
// paths that match it.
type operation struct {
	method, template string
	paths            []string // full request paths, base path included
}

// apiVersion is one version of a synthetic API as traffic reaches it.
type apiVersion struct {
	api     int
	host    string // the production deployment's host
	base    string // its base path, "/v1"
	ops     []operation
	popular float64 // share of its API's traffic
}

// synthCatalogue is a catalogue of APIs with deployments and documented
// operations, and the traffic its consumers send.
type synthCatalogue struct {
	apis      int
	versions  []apiVersion
	byAPI     [][]int    // version indexes per API
	consumers [][]string // consumer hashes per API
	shadow    []string   // hosts no deployment names: discovered APIs
}

// newSynthCatalogue plans versions API versions (two per API: v1 with 30%
// of the traffic, v2 with 70%), each with four resources of five
// operations plus a nested one.
func newSynthCatalogue(seed uint64, versions int) *synthCatalogue {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	c := &synthCatalogue{apis: (versions + 1) / 2}
	c.byAPI = make([][]int, c.apis)
	c.consumers = make([][]string, c.apis)
	for a := range c.apis {
		for k := range 30 {
			c.consumers[a] = append(c.consumers[a], fmt.Sprintf("%016x%016x", r.Uint64(), uint64(a*1000+k)))
		}
	}
	for v := range versions {
		a := v / 2
		name := "v" + strconv.Itoa(v%2+1)
		av := apiVersion{api: a, host: apiSlug(a) + ".example.com", base: "/" + name, popular: 0.3}
		if v%2 == 1 {
			av.popular = 0.7
		}
		if v%2 == 0 && v+1 == versions {
			av.popular = 1 // an odd count leaves the last API one version
		}
		for k := range 4 {
			res := resources[(a+k)%len(resources)]
			col, item := "/"+res, "/"+res+"/{id}"
			ops := []struct{ method, template string }{
				{"GET", col}, {"POST", col}, {"GET", item}, {"PUT", item}, {"DELETE", item},
			}
			if k == 0 {
				ops = append(ops, struct{ method, template string }{"GET", item + "/history"})
			}
			for _, op := range ops {
				o := operation{method: op.method, template: op.template}
				for range 40 {
					id := strconv.Itoa(1 + r.IntN(99_999))
					o.paths = append(o.paths, av.base+fillTemplate(op.template, id))
				}
				av.ops = append(av.ops, o)
			}
		}
		c.byAPI[a] = append(c.byAPI[a], len(c.versions))
		c.versions = append(c.versions, av)
	}
	for k := range 20 {
		c.shadow = append(c.shadow, fmt.Sprintf("legacy-%02d.internal.example.com", k))
	}
	return c
}

func apiSlug(a int) string { return fmt.Sprintf("%s-api-%03d", resources[a%len(resources)], a) }

func fillTemplate(t, id string) string {
	out := make([]byte, 0, len(t)+len(id))
	for i := 0; i < len(t); i++ {
		if t[i] == '{' {
			for i < len(t) && t[i] != '}' {
				i++
			}
			out = append(out, id...)
			continue
		}
		out = append(out, t[i])
	}
	return string(out)
}

// create writes the catalogue through the store, as admins and the
// importer would: teams, APIs, versions with production and staging
// deployments, and each version's documented operations.
func (c *synthCatalogue) create(ctx context.Context, s *models.Store) error {
	sys := catalog.SystemActor("bench")
	for t := range 5 {
		if _, err := s.CreateTeam(ctx, sys, catalog.TeamInput{Slug: fmt.Sprintf("team-%d", t), Name: fmt.Sprintf("Team %d", t)}); err != nil {
			return err
		}
	}
	for a := range c.apis {
		slug := apiSlug(a)
		if _, err := s.CreateAPI(ctx, sys, catalog.APIInput{Slug: slug, Name: slug, TeamSlug: fmt.Sprintf("team-%d", a%5),
			Kind: catalog.KindREST, Visibility: catalog.VisibilityInternal}); err != nil {
			return err
		}
		for _, vi := range c.byAPI[a] {
			v := c.versions[vi]
			name := v.base[1:]
			stage := catalog.StageProduction
			if name == "v1" && len(c.byAPI[a]) > 1 {
				stage = catalog.StageDeprecated
			}
			if _, err := s.CreateVersion(ctx, sys, slug, catalog.VersionInput{Name: name, Stage: stage}); err != nil {
				return err
			}
			for env, url := range map[string]string{"production": "https://" + v.host + v.base, "staging": "https://" + slug + ".staging.example.com" + v.base} {
				if _, err := s.PutDeployment(ctx, sys, slug, name, catalog.DeploymentInput{Environment: env, BaseURL: url}); err != nil {
					return err
				}
			}
			var eps []models.Endpoint
			for _, op := range v.ops {
				eps = append(eps, models.Endpoint{Method: op.method, Path: op.template})
			}
			if _, _, err := s.SaveSpec(ctx, sys, slug, name, models.SpecUpload{Content: []byte(`{}`), Hash: slug + "/" + name, Format: "json",
				SpecVersion: "3.0.3", Title: slug, Endpoints: eps}); err != nil {
				return err
			}
		}
	}
	return nil
}

// eventSource says which source delivers an event: the gateway sees
// every API by its deployments; the SDK inside API 0 reports its pods'
// host names and is bound to that API.
type eventSource int

const (
	fromGateway eventSource = iota
	fromSDK
)

// trafficGenerator produces plausible events in time order: most calls to
// documented operations of popular APIs, and the rest that a real gateway
// sees (undocumented paths, unknown hosts, probes, scanners).
type trafficGenerator struct {
	c    *synthCatalogue
	r    *rand.Rand
	zipf *rand.Zipf
	// agents are the user agents of legitimate callers.
	agents []string
}

func newTrafficGenerator(c *synthCatalogue, seed uint64) *trafficGenerator {
	r := rand.New(rand.NewPCG(seed, 0x7a11))
	return &trafficGenerator{c: c, r: r, zipf: rand.NewZipf(r, 1.1, 1, uint64(c.apis-1)),
		agents: []string{"okhttp/4.12.0", "python-requests/2.32.3", "Go-http-client/2.0", "axios/1.7.7", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6)", "curl/8.5.0"}}
}

// next fills e with the next event, at time t, and says who delivered it.
func (g *trafficGenerator) next(e *traffic.Event, t time.Time) eventSource {
	r := g.r
	*e = traffic.Event{Time: t, Scheme: "https", Duration: g.latency(), ResponseBytes: int64(200 + r.IntN(8000)),
		UserAgent: g.agents[r.IntN(len(g.agents))], HSTS: true, SecurityHeaders: r.IntN(10) < 8}
	if r.IntN(100) < 3 {
		e.Scheme, e.HSTS = "http", false
	}
	x := r.IntN(100)
	switch {
	case x < 2: // health checks and uptime probes
		v := g.c.versions[r.IntN(len(g.c.versions))]
		e.Method, e.Host, e.Path, e.Status, e.UserAgent = "GET", v.host, "/healthz", 200, "kube-probe/1.30"
		e.Duration, e.ResponseBytes = time.Millisecond, 15
		return fromGateway
	case x < 4: // scanners
		v := g.c.versions[r.IntN(len(g.c.versions))]
		e.Method, e.Host, e.Status, e.UserAgent = "GET", v.host, 404, "Mozilla/5.0 zgrab/0.x"
		e.Path = [...]string{"/.env", "/wp-login.php", "/admin/config.php", "/.git/config", "/actuator/health"}[r.IntN(5)]
		return fromGateway
	case x < 8: // hosts no deployment names
		e.Method, e.Host, e.Status = g.method(), g.c.shadow[r.IntN(len(g.c.shadow))], g.status()
		e.Path = "/" + resources[r.IntN(len(resources))] + "/" + strconv.Itoa(1+r.IntN(5000))
		e.Consumer, e.Authenticated = g.c.consumers[r.IntN(g.c.apis)][r.IntN(30)], r.IntN(2) == 0
		return fromGateway
	}
	a := int(g.zipf.Uint64())
	vs := g.c.byAPI[a]
	vi := vs[len(vs)-1]
	if len(vs) > 1 && r.Float64() < g.c.versions[vs[0]].popular {
		vi = vs[0]
	}
	v := &g.c.versions[vi]
	op := &v.ops[r.IntN(len(v.ops))]
	e.Method, e.Host, e.Path, e.Status = op.method, v.host, op.paths[r.IntN(len(op.paths))], g.status()
	if x < 12 { // undocumented: an extra segment on a documented path
		e.Path += "/debug"
	}
	if r.IntN(100) < 95 {
		e.Consumer, e.Authenticated = g.c.consumers[a][r.IntN(30)], true
	}
	e.RateLimitHeaders = r.IntN(2) == 0
	e.Compressed = e.ResponseBytes > 1024 && r.IntN(10) < 7
	if a == 0 && r.IntN(100) < 60 {
		// The SDK inside API 0 reports the pod it runs in, not the
		// deployment's host.
		e.Host = fmt.Sprintf("%s-7f9c4-%d", apiSlug(0), r.IntN(6))
		return fromSDK
	}
	return fromGateway
}

func (g *trafficGenerator) method() string {
	return [...]string{"GET", "GET", "GET", "POST", "PUT", "DELETE"}[g.r.IntN(6)]
}

func (g *trafficGenerator) status() int {
	x := g.r.IntN(1000)
	switch {
	case x < 900:
		return [...]int{200, 200, 200, 201, 204}[g.r.IntN(5)]
	case x < 980:
		return [...]int{400, 401, 403, 404, 404, 409, 422, 429}[g.r.IntN(8)]
	default:
		return [...]int{500, 502, 503}[g.r.IntN(3)]
	}
}

// latency is a long-tailed server time: mostly tens of milliseconds, a
// few seconds at worst.
func (g *trafficGenerator) latency() time.Duration {
	ms := 5 + 40*g.r.ExpFloat64()
	if g.r.IntN(100) == 0 {
		ms *= 20
	}
	return time.Duration(ms * float64(time.Millisecond))
}
