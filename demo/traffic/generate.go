package demotraffic

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"slices"
	"sort"
	"time"

	"github.com/steward-governance/steward/catalog"
)

// Defaults and bounds of Options.
const (
	// DefaultDays is how many days of history the events cover.
	DefaultDays = 14
	// DefaultEvents is about how many events Generate makes: enough for
	// every live version to show a traffic tab, few enough to send in
	// seconds on first start.
	DefaultEvents = 30_000
	// MaxEvents caps Options.Events.
	MaxEvents = 500_000
)

// Labels that mark the traffic as demo traffic.
const (
	// SDKName is the payloads' sdk field.
	SDKName = "steward-demo"
	// UserAgent is the User-Agent of Send's requests to Steward.
	UserAgent = "steward-demo-traffic/1"
)

// Options tune Generate. The zero value means the defaults and the
// current time.
type Options struct {
	// Seed makes the events: the same seed, catalogue and Now give the
	// same events.
	Seed uint64
	// Now is when the history ends; zero means time.Now(). Pass it for
	// reproducible events.
	Now time.Time
	// Days is how many days the history covers; 0 means DefaultDays.
	Days int
	// Events is about how many events to make; 0 means DefaultEvents.
	Events int
}

func (o Options) withDefaults() Options {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC().Truncate(time.Second)
	if o.Days <= 0 {
		o.Days = DefaultDays
	}
	if o.Events <= 0 {
		o.Events = DefaultEvents
	}
	o.Events = min(o.Events, MaxEvents)
	return o
}

// Kind is what the generator meant a request to be.
type Kind uint8

// The kinds of request the generator makes.
const (
	// Documented requests call an operation the version's spec documents.
	Documented Kind = iota
	// UndocumentedPath requests call a path no spec on the deployment
	// documents.
	UndocumentedPath
	// UndocumentedMethod requests call a documented path with a method
	// the spec does not document on it.
	UndocumentedMethod
	// HealthProbe requests are kube-probe GETs of /healthz.
	HealthProbe
	// Shadow requests go to a host that is not in the catalogue.
	Shadow
)

// String names the kind for logs and tests.
func (k Kind) String() string {
	switch k {
	case Documented:
		return "documented"
	case UndocumentedPath:
		return "undocumented path"
	case UndocumentedMethod:
		return "undocumented method"
	case HealthProbe:
		return "health probe"
	case Shadow:
		return "shadow"
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Event is one generated request, as an SDK would report it. Payload
// writes it in the Treblle format.
type Event struct {
	// Time is when the request arrived, UTC, whole seconds.
	Time time.Time
	// Kind is what the request was meant to be.
	Kind Kind
	// API and Version name the catalogue version the request was aimed
	// at; both are "" for shadow hosts.
	API, Version string
	// Method is the upper-case HTTP method.
	Method string
	// Scheme is "http" or "https"; Host is the authority as the URL
	// writes it (host name, with a port when the deployment has one).
	Scheme, Host string
	// Path is the request path, unescaped; RawQuery its query string.
	Path, RawQuery string
	// Route is the route template the SDK reports, "" when none.
	Route string
	// Status is the response's status code.
	Status int
	// Duration is the server-side time to respond, to 10 µs.
	Duration time.Duration
	// ResponseBytes is the response body's size.
	ResponseBytes int64
	// UserAgent and ClientIP describe the caller.
	UserAgent, ClientIP string
	// Consumer names the demo consumer that made an authenticated call;
	// "" for anonymous calls and probes.
	Consumer string
	// Authenticated is true when the request carried credentials.
	Authenticated bool
	// Gzip is true when the SDK gzips this payload on its way to Steward.
	Gzip bool

	authHeader, authValue string
	requestID             string
	serverIP              string
	compressed            bool
	rateLimit             bool
	hsts                  bool
	securityHeaders       bool
}

// URL returns the request's absolute URL.
func (e *Event) URL() string {
	u := url.URL{Scheme: e.Scheme, Host: e.Host, Path: e.Path, RawQuery: e.RawQuery}
	return u.String()
}

// Shares of the mix, documented in the package comment.
const (
	probeShare            = 0.04
	shadowShare           = 0.03
	undocumentedPathShare = 0.06
	wrongMethodShare      = 0.03
	missingRouteShare     = 0.15 // undocumented paths answered 404
	productionEnvShare    = 0.92
	minEventsPerVersion   = 12
)

// stageWeight is how much traffic a version in stage gets relative to its
// API's production version.
func stageWeight(s catalog.Stage) float64 {
	switch s {
	case catalog.StageDeprecated:
		return 0.35
	case catalog.StagePreview:
		return 0.2
	}
	return 1
}

// Generate makes the demo traffic for catalogue, oldest event first. It is
// deterministic: the same catalogue (in any order), Options.Seed and
// Options.Now give the same events.
func Generate(catalogue []Version, opts Options) []Event {
	opts = opts.withDefaults()
	g := &generator{
		rng:   rand.New(rand.NewPCG(opts.Seed, 0x5eed_de30_7a11_c0de)),
		start: opts.Now.Add(-time.Duration(opts.Days) * 24 * time.Hour),
		span:  int64(opts.Days) * 24 * 3600,
	}
	sorted := slices.Clone(catalogue)
	slices.SortStableFunc(sorted, func(a, b Version) int {
		return cmp.Or(cmp.Compare(a.API, b.API), cmp.Compare(a.Name, b.Name))
	})
	targets := buildTargets(sorted)
	shadows := shadowTargets(sorted)

	probes := int(float64(opts.Events) * probeShare)
	shadow := int(float64(opts.Events) * shadowShare)
	rest := opts.Events - probes - shadow
	events := make([]Event, 0, opts.Events+len(targets)*minEventsPerVersion)

	var sum float64
	for _, t := range targets {
		sum += t.weight
	}
	if len(targets) > 0 {
		floor := min(minEventsPerVersion, rest/(2*len(targets)))
		for _, t := range targets {
			n := max(floor, int(math.Round(float64(rest)*t.weight/sum)))
			for range n {
				events = append(events, g.call(t, g.when(t.v.Stage)))
			}
		}
	}

	mounts, owners := probeMounts(targets)
	for i, m := range mounts {
		n := probes / max(1, len(mounts))
		if i < probes%len(mounts) {
			n++
		}
		for range n {
			events = append(events, g.probe(owners[i], m))
		}
	}

	for i, t := range shadows {
		n := shadow * 2 / 3
		if i > 0 {
			n = shadow - n
		}
		for range n {
			events = append(events, g.call(t, g.when("")))
		}
	}

	sort.SliceStable(events, func(i, j int) bool { return events[i].Time.Before(events[j].Time) })
	return events
}

// generator holds the random source; everything drawn from it is drawn in
// catalogue order, which keeps the events reproducible.
type generator struct {
	rng   *rand.Rand
	start time.Time
	span  int64 // seconds
}

// rhythm is how busy an hour is, from 1 (weekday working hours, UTC) down.
func rhythm(t time.Time) float64 {
	w := 0.12
	switch h := t.Hour(); {
	case h >= 8 && h < 18:
		w = 1
	case h >= 6 && h < 22:
		w = 0.45
	}
	if d := t.Weekday(); d == time.Saturday || d == time.Sunday {
		w *= 0.35
	}
	return w
}

// when draws a time in the window, following the daily rhythm; deprecated
// versions fade over the window and preview ones grow. Shadow traffic
// passes stage "" and follows the rhythm alone.
func (g *generator) when(stage catalog.Stage) time.Time {
	for {
		off := g.rng.Int64N(g.span)
		t := g.start.Add(time.Duration(off) * time.Second)
		frac := float64(off) / float64(g.span)
		w := rhythm(t)
		switch stage {
		case catalog.StageDeprecated:
			w *= 0.25 + 0.75*(1-frac)
		case catalog.StagePreview:
			w *= 0.3 + 0.7*frac
		}
		if g.rng.Float64() < w {
			return t
		}
	}
}

// uniform draws a time in the window with no rhythm.
func (g *generator) uniform() time.Time {
	return g.start.Add(time.Duration(g.rng.Int64N(g.span)) * time.Second)
}
