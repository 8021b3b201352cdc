package demotraffic

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// pick returns the index cum's weights select for a draw.
func (g *generator) pick(cum []float64) int {
	r := g.rng.Float64() * cum[len(cum)-1]
	i, _ := slices.BinarySearch(cum, r)
	return min(i, len(cum)-1)
}

// call makes one request to t at time at.
func (g *generator) call(t *target, at time.Time) Event {
	p := &t.p
	e := Event{Time: at, API: t.v.API, Version: t.v.Name, Gzip: p.gzipPayloads, serverIP: p.serverIP}
	m := t.mounts[g.pick(t.mountCum)]
	e.Scheme, e.Host = m.scheme, m.authority
	if m.scheme == "https" && g.rng.Float64() < p.plainHTTP {
		e.Scheme, e.Host = "http", m.host
	}

	var o op
	exists := true
	switch r := g.rng.Float64(); {
	case t.shadow:
		e.Kind, o = Shadow, t.ops[g.pick(t.opCum)]
	case len(t.hidden) > 0 && (r < undocumentedPathShare || len(t.ops) == 0):
		e.Kind, o = UndocumentedPath, t.hidden[g.rng.IntN(len(t.hidden))]
		exists = g.rng.Float64() >= missingRouteShare
	case len(t.wrong) > 0 && r < undocumentedPathShare+wrongMethodShare:
		e.Kind, o = UndocumentedMethod, t.wrong[g.rng.IntN(len(t.wrong))]
	default:
		e.Kind, o = Documented, t.ops[g.pick(t.opCum)]
	}
	e.Method = o.method
	e.Path = m.base + g.fill(o.path, at)
	if e.Path == "" {
		e.Path = "/"
	}
	if o.method == "GET" && o.collection && g.rng.Float64() < 0.3 {
		e.RawQuery = fmt.Sprintf("limit=50&page=%d", 1+g.rng.IntN(5))
	}
	if p.routes && exists {
		e.Route = m.base + o.path
	}

	anonymous := g.rng.Float64() < p.unauthenticated
	if anonymous {
		e.UserAgent = anonymousAgents[g.rng.IntN(len(anonymousAgents))]
		e.ClientIP = fmt.Sprintf("203.0.113.%d", 200+g.rng.IntN(24))
	} else {
		c := p.consumers[g.zipf(len(p.consumers))]
		e.Consumer, e.UserAgent, e.ClientIP, e.Authenticated = c.name, c.userAgent, c.ip, true
		e.authHeader, e.authValue = c.credential()
	}
	e.requestID = fmt.Sprintf("%016x%016x", g.rng.Uint64(), g.rng.Uint64())

	e.Status = g.status(p, e.Kind, o, exists, anonymous)
	e.Duration = g.duration(p, o, e.Status)
	e.ResponseBytes = g.size(o, e.Status)
	e.compressed = p.compresses && e.ResponseBytes >= 1024
	e.rateLimit = p.rateLimits
	e.hsts = p.hsts && e.Scheme == "https"
	e.securityHeaders = p.securityHeaders
	return e
}

// zipf picks one of n consumers, the first most often.
func (g *generator) zipf(n int) int {
	total := 0.0
	for i := range n {
		total += 1 / float64(i+1)
	}
	r := g.rng.Float64() * total
	for i := range n {
		r -= 1 / float64(i+1)
		if r < 0 {
			return i
		}
	}
	return n - 1
}

// status decides the answer to a call.
func (g *generator) status(p *profile, kind Kind, o op, exists, anonymous bool) int {
	if anonymous && !p.open {
		switch r := g.rng.Float64(); {
		case r < 0.80:
			return 401
		case r < 0.85:
			return 403
		}
	}
	if !exists {
		return 404
	}
	if kind == UndocumentedMethod && g.rng.Float64() < 0.5 {
		return 405
	}
	switch r := g.rng.Float64(); {
	case r < p.serverErrors:
		return []int{500, 500, 500, 500, 500, 502, 502, 503, 503, 504}[g.rng.IntN(10)]
	case r < p.serverErrors+p.clientErrors:
		if p.rateLimits && g.rng.Float64() < 0.15 {
			return 429
		}
		switch {
		case o.method == "GET" && !o.collection:
			return []int{404, 404, 404, 400}[g.rng.IntN(4)]
		case o.method == "GET":
			return 400
		case o.method == "DELETE":
			return []int{404, 409}[g.rng.IntN(2)]
		}
		return []int{400, 400, 422, 422, 409, 404}[g.rng.IntN(6)]
	}
	switch o.method {
	case "POST":
		if strings.Contains(o.path, "batch") || strings.Contains(o.path, "internal") || strings.Contains(o.path, "import") {
			return 202
		}
		if g.rng.Float64() < 0.7 {
			return 201
		}
		return 200
	case "DELETE", "OPTIONS":
		return 204
	}
	return 200
}

// duration is how long the server took: fast refusals, timeouts at 30 s,
// otherwise log-normal around the API's median, slower for slow endpoints
// and writes.
func (g *generator) duration(p *profile, o op, status int) time.Duration {
	z := g.rng.NormFloat64()
	var ms float64
	switch status {
	case 401, 403, 405, 429:
		ms = logNormal(3, 0.4, z)
	case 404:
		ms = logNormal(6, 0.5, z)
	case 504:
		ms = logNormal(30000, 0.02, z)
	case 503:
		ms = logNormal(5, 0.5, z)
	default:
		median := p.medianLatency
		if o.slow {
			median *= 6
		}
		if o.method != "GET" {
			median *= 1.4
		}
		if status >= 500 {
			median *= 0.6
		}
		ms = logNormal(median, 0.55, z)
	}
	return roundMillis(max(ms, 0.2))
}

// size is the response body's size.
func (g *generator) size(o op, status int) int64 {
	switch {
	case status == 204 || o.method == "HEAD":
		return 0
	case status >= 400:
		return int64(logNormal(160, 0.3, g.rng.NormFloat64()))
	case o.size == 0:
		return 0
	}
	return int64(logNormal(o.size, 0.6, g.rng.NormFloat64()))
}

// paramPattern finds a template's parameters.
var paramPattern = regexp.MustCompile(`\{[^{}]*\}`)

// fill puts plausible values in a template's parameters: numbers or
// UUIDs for ids, dates for dates, names for names.
func (g *generator) fill(template string, at time.Time) string {
	return paramPattern.ReplaceAllStringFunc(template, func(p string) string {
		return g.paramValue(strings.Trim(p, "{}+*."), at)
	})
}

func (g *generator) paramValue(name string, at time.Time) string {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "subscription"):
		return uuid(uint64(g.rng.IntN(3)))
	case n == "format" || n == "ext" || n == "extension":
		return "json"
	case strings.Contains(n, "date") || n == "day":
		return at.AddDate(0, 0, -g.rng.IntN(30)).Format("2006-01-02")
	case strings.Contains(n, "year") || n == "season":
		return fmt.Sprint(at.Year() - g.rng.IntN(3))
	case strings.Contains(n, "version"):
		return fmt.Sprint(1 + g.rng.IntN(3))
	case strings.HasSuffix(n, "id") || strings.HasSuffix(n, "uuid") || strings.HasSuffix(n, "key") || strings.HasSuffix(n, "number"):
		if hash("id-style", n)%2 == 0 {
			return fmt.Sprint(1000 + g.rng.IntN(90000))
		}
		return uuid(g.rng.Uint64())
	case strings.Contains(n, "name"):
		return fmt.Sprintf("demo-%s-%d", []string{"east", "west", "core", "edge", "main"}[g.rng.IntN(5)], 1+g.rng.IntN(40))
	}
	return fmt.Sprintf("item-%d", 1+g.rng.IntN(500))
}

// uuid writes a version-4-shaped UUID made from seed.
func uuid(seed uint64) string {
	a, b := hash("uuid", fmt.Sprint(seed)), hash("uuid-node", fmt.Sprint(seed))
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", uint32(a>>32), uint16(a>>16), uint16(a)&0xfff, 0x8000|uint16(b>>48)&0x3fff, b&0xffffffffffff)
}

// probe makes one kube-probe health check of a deployment, at any hour.
func (g *generator) probe(owner *target, m mount) Event {
	e := Event{
		Time: g.uniform(), Kind: HealthProbe, API: owner.v.API, Version: owner.v.Name,
		Method: "GET", Scheme: m.scheme, Host: m.authority, Path: m.base + "/healthz",
		UserAgent: probeAgent, Gzip: owner.p.gzipPayloads, serverIP: owner.p.serverIP,
		Status: 200, ResponseBytes: 2,
	}
	h := hash("node", m.key())
	e.ClientIP = fmt.Sprintf("10.0.%d.%d", h%8, 1+(h>>8)%250)
	if g.rng.Float64() < 0.005 {
		e.Status, e.ResponseBytes = 503, 19
	}
	e.Duration = roundMillis(logNormal(1.5, 0.4, g.rng.NormFloat64()))
	e.requestID = fmt.Sprintf("%016x%016x", g.rng.Uint64(), g.rng.Uint64())
	return e
}
