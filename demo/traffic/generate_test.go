package demotraffic

import (
	"bytes"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/traffic/ingest"
	"github.com/steward-governance/steward/traffic/match"
)

var testNow = time.Date(2026, 5, 14, 9, 30, 0, 0, time.UTC)

const testKey = "sk_demo_source_key"

var testHasher = ingest.NewHasher([]byte("demotraffic-test-key-0123456789abcdef"))

func TestGenerateIsDeterministic(t *testing.T) {
	cat := smallCatalogue()
	opts := Options{Seed: 7, Now: testNow, Events: 3000}
	a := Generate(cat, opts)

	shuffled := slices.Clone(cat)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	tests := []struct {
		name string
		cat  []Version
		opts Options
		same bool
	}{
		{"same seed", cat, opts, true},
		{"same seed, catalogue in another order", shuffled, opts, true},
		{"another seed", cat, Options{Seed: 8, Now: testNow, Events: 3000}, false},
		{"another now", cat, Options{Seed: 7, Now: testNow.Add(time.Hour), Events: 3000}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Generate(tt.cat, tt.opts)
			same := len(a) == len(b)
			for i := 0; same && i < len(a); i++ {
				same = bytes.Equal(a[i].Payload(testKey), b[i].Payload(testKey)) && a[i].Gzip == b[i].Gzip
			}
			if same != tt.same {
				t.Errorf("payloads the same = %v, want %v (%d and %d events)", same, tt.same, len(a), len(b))
			}
		})
	}
}

func TestGenerateWindowAndRhythm(t *testing.T) {
	tests := []struct {
		name   string
		opts   Options
		events int
	}{
		{"defaults", Options{Seed: 1, Now: testNow}, DefaultEvents},
		{"three days, small", Options{Seed: 2, Now: testNow, Days: 3, Events: 2000}, 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := Generate(smallCatalogue(), tt.opts)
			if n := len(events); n < tt.events*95/100 || n > tt.events*110/100 {
				t.Errorf("%d events, want about %d", n, tt.events)
			}
			days := cmpOr(tt.opts.Days, DefaultDays)
			start := testNow.Add(-time.Duration(days) * 24 * time.Hour)
			var working, night int
			for i, e := range events {
				if e.Time.Before(start) || !e.Time.Before(testNow) {
					t.Fatalf("event %d at %v, outside [%v, %v)", i, e.Time, start, testNow)
				}
				if i > 0 && e.Time.Before(events[i-1].Time) {
					t.Fatalf("event %d at %v comes before event %d at %v", i, e.Time, i-1, events[i-1].Time)
				}
				if e.Time.Location() != time.UTC || e.Time.Nanosecond() != 0 {
					t.Fatalf("event %d time %v is not whole UTC seconds", i, e.Time)
				}
				if e.Kind == HealthProbe {
					continue
				}
				switch h := e.Time.Hour(); {
				case h >= 10 && h < 14:
					working++
				case h >= 0 && h < 4:
					night++
				}
			}
			// Equal four-hour spans: working hours several times busier.
			if working < 3*night {
				t.Errorf("%d calls 10:00-14:00, %d calls 00:00-04:00; want working hours at least 3 times busier", working, night)
			}
		})
	}
}

func cmpOr(v, fallback int) int {
	if v == 0 {
		return fallback
	}
	return v
}

func TestGenerateOnlyLiveVersions(t *testing.T) {
	events := Generate(smallCatalogue(), Options{Seed: 3, Now: testNow, Events: 4000})
	got := map[string]int{}
	for _, e := range events {
		got[e.API+" "+e.Version]++
	}
	for _, v := range []string{"draft v1", "retired v1", "dev v1"} {
		if got[v] > 0 {
			t.Errorf("%s got %d events, want none: it is not live", v, got[v])
		}
	}
	for _, v := range []string{"pets v1", "pets v2", "legacy v1", "orders v1"} {
		if got[v] == 0 {
			t.Errorf("%s got no events", v)
		}
	}
	for _, e := range events {
		if e.API == "legacy" && e.Scheme != "http" {
			t.Fatalf("legacy is deployed at http:// but was called over %s", e.Scheme)
		}
	}
}

func TestGenerateMix(t *testing.T) {
	cat := loadDemoCatalogue(t)
	events := Generate(cat, Options{Seed: 1, Now: testNow})

	silent := SilentVersions(cat)
	silentKeys := map[string]bool{}
	production := 0
	for _, v := range cat {
		if v.Stage == catalog.StageProduction {
			production++
		}
	}
	for _, v := range silent {
		if v.Stage != catalog.StageProduction {
			t.Errorf("silent version %s %s is %s, want production", v.API, v.Name, v.Stage)
		}
		silentKeys[versionKey(v.API, v.Name)] = true
	}
	if len(silent) < 2 || len(silent)*100 > 15*production {
		t.Errorf("%d of %d production versions are silent, want a few (2 to 15%%)", len(silent), production)
	}

	hosts := map[string]bool{}
	for _, v := range cat {
		for _, d := range v.Deployments {
			if m, ok := parseMount(d, v.BasePath); ok {
				hosts[m.host] = true
			}
		}
	}

	var kinds [5]int
	var calls, plainHTTP, anonymous, client, server int
	perVersion := map[string]int{}
	shadowHosts := map[string]bool{}
	type apiFacts struct{ n, rateLimit, compressed, hsts, https int }
	facts := map[string]*apiFacts{}
	consumersOf := map[string]map[string]bool{}
	for _, e := range events {
		kinds[e.Kind]++
		perVersion[versionKey(e.API, e.Version)]++
		if e.Kind == Shadow {
			shadowHosts[e.Host] = true
		}
		if e.Kind == HealthProbe {
			continue
		}
		calls++
		if e.Scheme == "http" {
			plainHTTP++
		}
		if !e.Authenticated {
			anonymous++
		} else if e.API != "" {
			if consumersOf[e.API] == nil {
				consumersOf[e.API] = map[string]bool{}
			}
			consumersOf[e.API][e.Consumer] = true
		}
		switch {
		case e.Status >= 500:
			server++
		case e.Status >= 400:
			client++
		}
		f := facts[e.API]
		if f == nil {
			f = &apiFacts{}
			facts[e.API] = f
		}
		f.n++
		if e.rateLimit {
			f.rateLimit++
		}
		if e.compressed {
			f.compressed++
		}
		if e.Scheme == "https" {
			f.https++
			if e.hsts {
				f.hsts++
			}
		}
	}

	n := len(events)
	shareChecks := []struct {
		name    string
		count   int
		of      int
		lo, hi  float64
		comment string
	}{
		{"undocumented paths", kinds[UndocumentedPath], n, 0.03, 0.09, "of all events"},
		{"undocumented methods", kinds[UndocumentedMethod], n, 0.01, 0.05, "of all events"},
		{"health probes", kinds[HealthProbe], n, 0.03, 0.05, "of all events"},
		{"shadow hosts", kinds[Shadow], n, 0.02, 0.04, "of all events"},
		{"plain http", plainHTTP, calls, 0.05, 0.35, "of calls"},
		{"unauthenticated", anonymous, calls, 0.05, 0.35, "of calls"},
		{"4xx", client, calls, 0.03, 0.2, "of calls"},
		{"5xx", server, calls, 0.002, 0.04, "of calls"},
	}
	for _, c := range shareChecks {
		share := float64(c.count) / float64(c.of)
		if share < c.lo || share > c.hi {
			t.Errorf("%s: %.3f %s, want %.3f to %.3f", c.name, share, c.comment, c.lo, c.hi)
		}
	}
	if n < DefaultEvents*95/100 || n > DefaultEvents*110/100 {
		t.Errorf("%d events, want about %d", n, DefaultEvents)
	}

	if len(shadowHosts) != 2 {
		t.Errorf("shadow hosts %v, want two", shadowHosts)
	}
	for h := range shadowHosts {
		if hosts[h] {
			t.Errorf("shadow host %s is in the catalogue", h)
		}
	}

	for _, v := range cat {
		k := versionKey(v.API, v.Name)
		switch {
		case silentKeys[k] && perVersion[k] > 0:
			t.Errorf("silent version %s %s got %d events", v.API, v.Name, perVersion[k])
		case !live(v.Stage) && perVersion[k] > 0:
			t.Errorf("%s version %s %s got %d events", v.Stage, v.API, v.Name, perVersion[k])
		case live(v.Stage) && !silentKeys[k] && len(v.Deployments) > 0 && perVersion[k] == 0:
			t.Errorf("%s version %s %s got no events", v.Stage, v.API, v.Name)
		}
	}

	// Runtime scores must differ between APIs: some send each header on
	// every response, some on none.
	var allRate, noRate, someCompressed, noCompressed, allHSTS, noHSTS int
	for api, f := range facts {
		if api == "" {
			continue
		}
		switch f.rateLimit {
		case f.n:
			allRate++
		case 0:
			noRate++
		}
		if f.compressed > 0 {
			someCompressed++
		} else {
			noCompressed++
		}
		if f.https > 0 && f.hsts == f.https {
			allHSTS++
		} else if f.hsts == 0 {
			noHSTS++
		}
	}
	for _, c := range []struct {
		name string
		n    int
	}{
		{"APIs with rate-limit headers everywhere", allRate}, {"APIs without rate-limit headers", noRate},
		{"APIs compressing", someCompressed}, {"APIs never compressing", noCompressed},
		{"APIs with HSTS on every https response", allHSTS}, {"APIs without HSTS", noHSTS},
	} {
		if c.n < 5 {
			t.Errorf("%s: %d, want at least 5", c.name, c.n)
		}
	}
	for api, cs := range consumersOf {
		if facts[api].n >= 100 && len(cs) < 2 {
			t.Errorf("API %s has %d consumers over %d calls, want at least 2", api, len(cs), facts[api].n)
		}
	}
}

// TestGeneratedPayloadsDecode decodes every payload of the default demo
// traffic as Steward's ingest endpoint does.
func TestGeneratedPayloadsDecode(t *testing.T) {
	events := Generate(loadDemoCatalogue(t), Options{Seed: 1, Now: testNow})
	consumers := map[string]string{} // demo consumer → hashed consumer
	for i := range events {
		e := &events[i]
		env, got, err := ingest.DecodeTreblle(e.Payload(testKey), testHasher)
		if err != nil {
			t.Fatalf("event %d (%s %s): %v", i, e.Method, e.URL(), err)
		}
		if env.SDK != SDKName || !slices.Contains(env.Keys(""), testKey) {
			t.Fatalf("event %d: envelope sdk %q keys %v, want %q with %q", i, env.SDK, env.Keys(""), SDKName, testKey)
		}
		u, _ := url.Parse(e.URL())
		want := []struct {
			field     string
			got, want any
		}{
			{"Time", got.Time, e.Time},
			{"Method", got.Method, e.Method},
			{"Scheme", got.Scheme, e.Scheme},
			{"Host", got.Host, strings.ToLower(u.Hostname())},
			{"Path", got.Path, e.Path},
			{"Route", got.Route, e.Route},
			{"Status", got.Status, e.Status},
			{"ResponseBytes", got.ResponseBytes, e.ResponseBytes},
			{"UserAgent", got.UserAgent, e.UserAgent},
			{"Authenticated", got.Authenticated, e.Authenticated},
			{"Compressed", got.Compressed, e.compressed},
			{"HSTS", got.HSTS, e.hsts},
			{"SecurityHeaders", got.SecurityHeaders, e.securityHeaders},
			{"RateLimitHeaders", got.RateLimitHeaders, e.rateLimit || e.Status == 429},
		}
		for _, w := range want {
			if w.got != w.want {
				t.Fatalf("event %d (%s %s): %s = %v, want %v", i, e.Method, e.URL(), w.field, w.got, w.want)
			}
		}
		if d := got.Duration - e.Duration; d < -time.Microsecond || d > time.Microsecond {
			t.Fatalf("event %d: Duration = %v, want %v", i, got.Duration, e.Duration)
		}
		if got.Consumer == "" {
			t.Fatalf("event %d: no consumer", i)
		}
		if e.Consumer != "" {
			if prev, ok := consumers[e.Consumer]; ok && prev != got.Consumer {
				t.Fatalf("event %d: consumer %s hashed to %s and %s", i, e.Consumer, prev, got.Consumer)
			}
			consumers[e.Consumer] = got.Consumer
		}
	}
	distinct := map[string]bool{}
	for _, h := range consumers {
		distinct[h] = true
	}
	if len(distinct) != len(consumers) {
		t.Errorf("%d demo consumers hash to %d consumers, want them apart", len(consumers), len(distinct))
	}
}

// TestGeneratedTrafficMatches runs the demo traffic through Steward's
// matcher: documented calls are documented, undocumented ones land in
// drift, shadow hosts in discovery, and silent versions stay silent.
func TestGeneratedTrafficMatches(t *testing.T) {
	cat := loadDemoCatalogue(t)
	ids := map[string]int64{}
	var targets []match.Target
	for i, v := range cat {
		id := int64(i + 1)
		ids[versionKey(v.API, v.Name)] = id
		tg := match.Target{VersionID: id, BasePath: v.BasePath}
		for _, d := range v.Deployments {
			tg.Deployments = append(tg.Deployments, d.BaseURL)
		}
		for _, o := range v.Operations {
			tg.Operations = append(tg.Operations, match.Operation{Method: o.Method, Path: o.Path})
		}
		targets = append(targets, tg)
	}
	m, err := match.New(targets)
	if err != nil {
		t.Logf("matcher: %v", err)
	}
	silent := map[int64]bool{}
	for _, v := range SilentVersions(cat) {
		silent[ids[versionKey(v.API, v.Name)]] = true
	}

	events := Generate(cat, Options{Seed: 1, Now: testNow})
	var total, ok, aimed [5]int
	for i := range events {
		e := &events[i]
		_, ev, err := ingest.DecodeTreblle(e.Payload(testKey), testHasher)
		if err != nil {
			t.Fatal(err)
		}
		r := m.Match(&ev)
		if silent[r.VersionID] {
			t.Errorf("%s %s (%s, aimed at %s %s) matched silent version %d", e.Method, e.URL(), e.Kind, e.API, e.Version, r.VersionID)
		}
		total[e.Kind]++
		if r.VersionID == ids[versionKey(e.API, e.Version)] {
			aimed[e.Kind]++
		}
		var fits bool
		switch e.Kind {
		case Documented:
			fits = r.Matched && r.Documented
		case UndocumentedPath:
			fits = r.Matched && r.Inferred
		case UndocumentedMethod:
			fits = r.Matched && !r.Documented && !r.Inferred
		case HealthProbe:
			fits = r.Matched
		case Shadow:
			fits = !r.Matched
		}
		if fits {
			ok[e.Kind]++
		}
	}
	// Where versions share a host and base path (a deprecated version and
	// its successor, the Azure APIs on management.azure.com), the matcher
	// gives calls no spec documents, probes included, to the newest
	// version there: fewer of those land on the version aimed at.
	for _, c := range []struct {
		kind       Kind
		fits, aims float64
	}{
		{Documented, 0.97, 0.9},
		{UndocumentedPath, 0.95, 0.7},
		{UndocumentedMethod, 0.95, 0.9},
		{HealthProbe, 1, 0.7},
		{Shadow, 1, 1},
	} {
		n := float64(total[c.kind])
		fits, aims := float64(ok[c.kind])/n, float64(aimed[c.kind])/n
		t.Logf("%s: %d events, %.3f as meant, %.3f on the version aimed at", c.kind, total[c.kind], fits, aims)
		if fits < c.fits {
			t.Errorf("%s: %.3f matched as meant, want at least %.3f", c.kind, fits, c.fits)
		}
		if c.kind != Shadow && aims < c.aims {
			t.Errorf("%s: %.3f matched the version aimed at, want at least %.3f", c.kind, aims, c.aims)
		}
	}
}
