package demotraffic

import (
	"cmp"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/steward-governance/steward/catalog"
)

// target is one version (or shadow host) ready to be called.
type target struct {
	v        Version
	p        profile
	shadow   bool
	weight   float64
	mounts   []mount
	mountCum []float64
	ops      []op
	opCum    []float64
	hidden   []op // undocumented endpoints
	wrong    []op // documented paths with an undocumented method
}

// op is one endpoint the generator calls.
type op struct {
	method, path string
	slow         bool
	size         float64 // median response bytes on success
	collection   bool
}

// buildTargets turns the live, not silent versions of a sorted catalogue
// into targets.
func buildTargets(catalogue []Version) []*target {
	silent := map[string]bool{}
	for _, v := range SilentVersions(catalogue) {
		silent[versionKey(v.API, v.Name)] = true
	}
	// What every version, live or not, documents on each host and base
	// path: an undocumented call must be undocumented for all of them.
	templates := map[string][]*regexp.Regexp{}
	documented := map[string]bool{} // mount key, method, template
	for _, v := range catalogue {
		var res []*regexp.Regexp
		for _, o := range v.Operations {
			res = append(res, templateRE(o.Path))
		}
		for _, d := range v.Deployments {
			m, ok := parseMount(d, v.BasePath)
			if !ok {
				continue
			}
			templates[m.key()] = append(templates[m.key()], res...)
			for _, o := range v.Operations {
				documented[m.key()+" "+strings.ToUpper(o.Method)+" "+o.Path] = true
			}
		}
	}

	var out []*target
	for _, v := range catalogue {
		if !live(v.Stage) || silent[versionKey(v.API, v.Name)] {
			continue
		}
		t := &target{v: v, p: profileOf(v.API)}
		t.weight = t.p.popularity * stageWeight(v.Stage)
		for _, d := range v.Deployments {
			if m, ok := parseMount(d, v.BasePath); ok {
				t.mounts = append(t.mounts, m)
			}
		}
		if len(t.mounts) == 0 {
			continue
		}
		t.mountCum = mountWeights(t.mounts, v.Stage)
		t.ops = operations(v)
		t.opCum = opWeights(v.API, t.ops)
		t.hidden = hiddenFor(v, t.ops, t.mounts, templates)
		t.wrong = wrongMethodsFor(v, t.ops, t.mounts, documented)
		if len(t.ops) == 0 && len(t.hidden) == 0 {
			continue
		}
		out = append(out, t)
	}
	return out
}

// mountWeights sends production and deprecated versions' calls mostly to
// their production deployment; other versions spread evenly.
func mountWeights(mounts []mount, stage catalog.Stage) []float64 {
	prod := 0
	for _, m := range mounts {
		if m.env == "production" {
			prod++
		}
	}
	cum := make([]float64, len(mounts))
	total := 0.0
	for i, m := range mounts {
		w := 1.0
		if prod > 0 && prod < len(mounts) && stage != catalog.StagePreview {
			if m.env == "production" {
				w = productionEnvShare / float64(prod)
			} else {
				w = (1 - productionEnvShare) / float64(len(mounts)-prod)
			}
		}
		total += w
		cum[i] = total
	}
	return cum
}

// methods the generator calls; others in a spec are left out.
var callable = map[string]float64{"GET": 4, "POST": 1.5, "PUT": 1, "PATCH": 1, "DELETE": 0.5, "HEAD": 0.2, "OPTIONS": 0.2}

// operations returns the version's documented operations the generator
// can call, with their traits.
func operations(v Version) []op {
	var ops []op
	seen := map[string]bool{}
	for _, o := range v.Operations {
		m := strings.ToUpper(o.Method)
		if callable[m] == 0 || !strings.HasPrefix(o.Path, "/") || strings.ContainsAny(o.Path, "?#") || seen[m+" "+o.Path] {
			continue
		}
		seen[m+" "+o.Path] = true
		ops = append(ops, newOp(v.API, m, o.Path))
	}
	return ops
}

func newOp(api, method, path string) op {
	id := api + " " + method + " " + path
	last := path[strings.LastIndexByte(path, '/')+1:]
	o := op{method: method, path: path, slow: unit("slow", id) < 0.12, collection: !strings.Contains(last, "{")}
	switch {
	case method == "GET" && o.collection:
		o.size = 2000 * math.Pow(20, unit("size", id))
	case method == "GET":
		o.size = 500 * math.Pow(8, unit("size", id))
	case method == "DELETE", method == "HEAD", method == "OPTIONS":
		o.size = 0
	default:
		o.size = 300 * math.Pow(5, unit("size", id))
	}
	return o
}

// opWeights makes a few operations of an API popular and GETs the most
// common, so some documented operations go unseen.
func opWeights(api string, ops []op) []float64 {
	rank := make([]int, len(ops))
	for i := range rank {
		rank[i] = i
	}
	slices.SortStableFunc(rank, func(a, b int) int {
		return cmp.Compare(hash("op", api+" "+ops[a].method+" "+ops[a].path), hash("op", api+" "+ops[b].method+" "+ops[b].path))
	})
	w := make([]float64, len(ops))
	for r, i := range rank {
		w[i] = callable[ops[i].method] / math.Pow(float64(r+1), 0.9)
	}
	cum := make([]float64, len(ops))
	total := 0.0
	for i := range w {
		total += w[i]
		cum[i] = total
	}
	return cum
}

// hiddenEndpoints are the undocumented endpoints versions grow: internal,
// legacy and beta routes nobody wrote down.
var hiddenEndpoints = []op{
	{method: "POST", path: "/internal/reindex", size: 60},
	{method: "POST", path: "/internal/cache/flush", size: 40},
	{method: "GET", path: "/admin/export", size: 48000, collection: true},
	{method: "GET", path: "/debug/config", size: 3200},
	{method: "GET", path: "/v0/legacy/{id}", size: 900},
	{method: "POST", path: "/batch", size: 2400},
	{method: "GET", path: "/search/suggest", size: 700, collection: true},
	{method: "POST", path: "/bulk/import", size: 150},
	{method: "GET", path: "/reports/{id}/download", size: 64000},
	{method: "GET", path: "/beta/recommendations", size: 5200, collection: true},
	{method: "POST", path: "/webhooks/test", size: 80},
	{method: "GET", path: "/_internal/stats", size: 1500},
}

// hiddenFor picks two undocumented endpoints for v that no version on its
// deployments documents: first an export next to the spec's first
// resource (/pets/export.csv), then from hiddenEndpoints in an order
// hashed from the API.
func hiddenFor(v Version, ops []op, mounts []mount, templates map[string][]*regexp.Regexp) []op {
	var candidates []op
	if len(ops) > 0 {
		first := ops[0].path
		if seg, _, _ := strings.Cut(strings.TrimPrefix(first, "/"), "/"); seg != "" && !strings.Contains(seg, "{") {
			candidates = append(candidates, op{method: "GET", path: "/" + seg + "/export.csv", size: 24000, collection: true})
		}
	}
	pool := slices.Clone(hiddenEndpoints)
	slices.SortStableFunc(pool, func(a, b op) int {
		return cmp.Compare(hash("hidden", v.API+" "+a.path), hash("hidden", v.API+" "+b.path))
	})
	candidates = append(candidates, pool...)

	var out []op
	for _, c := range candidates {
		sample := strings.ReplaceAll(c.path, "{id}", "12345")
		free := true
		for _, m := range mounts {
			for _, re := range templates[m.key()] {
				if re.MatchString(sample) {
					free = false
					break
				}
			}
		}
		if free {
			out = append(out, c)
			if len(out) == 2 {
				break
			}
		}
	}
	return out
}

var wrongMethods = []string{"DELETE", "PATCH", "PUT", "POST", "GET"}

// wrongMethodsFor picks up to three documented paths of v, the popular
// ones first, each with a method no version on v's deployments documents
// on it.
func wrongMethodsFor(v Version, ops []op, mounts []mount, documented map[string]bool) []op {
	var out []op
	seen := map[string]bool{}
	order := make([]int, len(ops))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(hash("op", v.API+" "+ops[a].method+" "+ops[a].path), hash("op", v.API+" "+ops[b].method+" "+ops[b].path))
	})
	for _, i := range order {
		path := ops[i].path
		if seen[path] || strings.Contains(path, "+}") || strings.Contains(path, "...}") {
			continue
		}
		seen[path] = true
		start := int(hash("wrong", v.API+" "+path) % uint64(len(wrongMethods)))
		for k := range wrongMethods {
			m := wrongMethods[(start+k)%len(wrongMethods)]
			taken := false
			for _, mt := range mounts {
				taken = taken || documented[mt.key()+" "+m+" "+path]
			}
			if !taken {
				o := newOp(v.API, m, path)
				out = append(out, o)
				break
			}
		}
		if len(out) == 3 {
			break
		}
	}
	return out
}

// probeMounts lists each host and base path of the targets once, with
// the first target deployed there.
func probeMounts(targets []*target) ([]mount, []*target) {
	var mounts []mount
	var owners []*target
	seen := map[string]bool{}
	for _, t := range targets {
		for _, m := range t.mounts {
			if !seen[m.key()] {
				seen[m.key()] = true
				mounts = append(mounts, m)
				owners = append(owners, t)
			}
		}
	}
	return mounts, owners
}

// shadowAPI is a host that serves traffic but is in no catalogue.
type shadowAPI struct {
	host      string
	plainHTTP float64
	endpoints []op
}

// shadowAPIs are the candidates; the first two whose host the catalogue
// does not use get traffic.
var shadowAPIs = []shadowAPI{
	{"legacy-billing.example.com", 0.8, []op{
		{method: "GET", path: "/invoices", size: 14000, collection: true},
		{method: "GET", path: "/invoices/{id}", size: 1800},
		{method: "GET", path: "/invoices/{id}/pdf", size: 52000},
		{method: "POST", path: "/payments", size: 600},
		{method: "GET", path: "/customers/{id}/balance", size: 240},
	}},
	{"partner-sync.example.com", 0.5, []op{
		{method: "POST", path: "/sync/batches", size: 300},
		{method: "GET", path: "/sync/batches/{batchId}", size: 900},
		{method: "GET", path: "/partners/{partnerId}/feed", size: 22000, collection: true},
	}},
	{"reports-old.example.com", 0.9, []op{
		{method: "GET", path: "/reports/{reportId}", size: 30000},
		{method: "GET", path: "/reports", size: 8000, collection: true},
	}},
	{"crm-bridge.example.com", 0.3, []op{
		{method: "GET", path: "/contacts/{contactId}", size: 1200},
		{method: "PUT", path: "/contacts/{contactId}", size: 1200},
	}},
}

// shadowTargets returns two shadow hosts the catalogue does not use.
func shadowTargets(catalogue []Version) []*target {
	used := map[string]bool{}
	for _, v := range catalogue {
		for _, d := range v.Deployments {
			if m, ok := parseMount(d, v.BasePath); ok {
				used[m.host] = true
			}
		}
	}
	var out []*target
	for _, s := range shadowAPIs {
		if used[s.host] {
			continue
		}
		p := profileOf("shadow:" + s.host)
		p.plainHTTP, p.open, p.unauthenticated = s.plainHTTP, true, 0.35
		p.routes, p.rateLimits, p.hsts, p.securityHeaders = false, false, false, false
		t := &target{
			v:      Version{Stage: catalog.StageProduction},
			p:      p,
			shadow: true,
			mounts: []mount{{env: "production", scheme: "https", authority: s.host, host: s.host}},
			ops:    s.endpoints,
		}
		t.mountCum = []float64{1}
		t.opCum = opWeights(s.host, t.ops)
		out = append(out, t)
		if len(out) == 2 {
			break
		}
	}
	return out
}
