package rollup

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/steward-governance/steward/traffic"
	"github.com/steward-governance/steward/traffic/match"
)

var hour = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// plain returns b's exported fields only, for comparing with ==.
func plain(b Bucket) Bucket {
	b.latency, b.consumers = nil, nil
	return b
}

func TestRollupAdd(t *testing.T) {
	k := Key{VersionID: 7, Method: "GET", Template: "/pets/{petId}"}
	events := []traffic.Event{
		{Time: hour.Add(10 * time.Minute), Path: "/v1/pets/1", Scheme: "https", Status: 200, Duration: 20 * time.Millisecond, ResponseBytes: 1000, Consumer: "a", Authenticated: true, HSTS: true, SecurityHeaders: true, Compressed: true},
		{Time: hour.Add(5 * time.Minute), Path: "/v1/pets/2", Scheme: "https", Status: 404, Duration: 5 * time.Millisecond, ResponseBytes: 50, Consumer: "b"},
		{Time: hour.Add(50 * time.Minute), Path: "/v1/pets/3", Scheme: "http", Status: 429, ResponseBytes: -1, Consumer: "a", Authenticated: true, RateLimitHeaders: true},
		{Time: hour.Add(55 * time.Minute), Path: "/v1/pets/4", Scheme: "https", Status: 503, Duration: time.Second, ResponseBytes: 0, UserAgent: "kube-probe/1.29"},
		{Time: hour.Add(30 * time.Minute), Path: "/v1/pets/5", Scheme: "https", Status: 0, Duration: 10 * time.Millisecond, ResponseBytes: 10, Consumer: "c", Authenticated: true},
		{Time: hour.Add(40 * time.Minute), Path: "/v1/pets/6", Scheme: "https", Status: 101, ResponseBytes: -1, Authenticated: true},
		{Time: hour.Add(45 * time.Minute), Path: "/v1/pets/7", Scheme: "https", Status: 304, ResponseBytes: 0, Authenticated: true},
	}
	r := New(nil)
	for i := range events {
		r.Add(k, &events[i])
	}
	got := r.Buckets()
	if len(got) != 1 {
		t.Fatalf("Buckets() = %d buckets, want 1", len(got))
	}
	want := Bucket{
		Key:   Key{VersionID: 7, Method: "GET", Template: "/pets/{petId}", Hour: hour},
		Count: 7, Legitimate: 5,
		Status1xx: 1, Status2xx: 1, Status3xx: 1, Status4xx: 2, Status5xx: 1, StatusUnknown: 1,
		Timed: 4, ResponseBytes: 1060, ResponseBytesKnown: 5,
		HTTPS: 6, Authenticated: 5, RateLimitHeaders: 1, Compressed: 1, HSTS: 1, SecurityHeaders: 1,
		FirstSeen: hour.Add(5 * time.Minute), LastSeen: hour.Add(55 * time.Minute), LastLegitimate: hour.Add(50 * time.Minute),
	}
	if plain(got[0]) != want {
		t.Errorf("bucket\n got %+v\nwant %+v", plain(got[0]), want)
	}
	if c := got[0].Consumers(); c != 3 {
		t.Errorf("Consumers() = %d, want 3", c)
	}
	if p := got[0].Latency(0.5); p < 9900*time.Microsecond || p > 10100*time.Microsecond {
		t.Errorf("Latency(0.5) = %v, want 10ms within 1%%", p)
	}
}

func TestRollupKeysAndOrder(t *testing.T) {
	r := New(nil)
	add := func(k Key, at time.Time) { r.Add(k, &traffic.Event{Time: at, Status: 200, ResponseBytes: -1}) }
	later := hour.Add(time.Hour)
	add(Key{VersionID: 2, Method: "GET", Template: "/b"}, later.Add(time.Minute))
	add(Key{VersionID: 2, Method: "GET", Template: "/a"}, hour.Add(time.Minute))
	add(Key{Host: "x.example.com", Method: "GET", Template: "/z"}, hour.Add(2*time.Minute))
	add(Key{VersionID: 1, Method: "POST", Template: "/a"}, hour.Add(3*time.Minute))
	add(Key{VersionID: 1, Method: "GET", Template: "/a", Hour: hour.Add(59 * time.Minute).In(time.FixedZone("CET", 3600))}, later.Add(5*time.Minute))
	add(Key{VersionID: 1, Method: "GET", Template: "/a"}, hour.Add(4*time.Minute))
	var got []string
	for _, b := range r.Buckets() {
		got = append(got, fmt.Sprintf("%s %d %s %s %s ×%d", b.Key.Hour.Format("15"), b.Key.VersionID, b.Key.Host, b.Key.Method, b.Key.Template, b.Count))
	}
	want := []string{
		"09 0 x.example.com GET /z ×1",
		"09 1  GET /a ×2", // the key's own hour wins over the event's
		"09 1  POST /a ×1",
		"09 2  GET /a ×1",
		"10 2  GET /b ×1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Buckets()\n got %q\nwant %q", got, want)
	}
}

func TestBucketsShareNothingWithTheRollup(t *testing.T) {
	r := New(nil)
	k := Key{VersionID: 1, Method: "GET", Template: "/a"}
	r.Add(k, &traffic.Event{Time: hour, Status: 200, Duration: time.Millisecond, Consumer: "a", ResponseBytes: -1})
	stored := r.Buckets()[0]
	first := r.Buckets()[0]
	first.Merge(&stored)
	first.Merge(&stored)
	again := r.Buckets()[0]
	if again.Count != 1 || again.Timed != 1 || again.Consumers() != 1 {
		t.Errorf("after merging into a returned bucket the rollup has Count %d, Timed %d, Consumers %d; want 1, 1, 1", again.Count, again.Timed, again.Consumers())
	}
}

func TestKeyFor(t *testing.T) {
	e := &traffic.Event{Time: hour.Add(42 * time.Minute), Host: "api.example.com", Method: "GET", Path: "/v1/pets/1"}
	tests := []struct {
		res  match.Result
		want Key
	}{
		{match.Result{VersionID: 3, Method: "GET", Template: "/pets/{petId}", Matched: true, Documented: true}, Key{VersionID: 3, Method: "GET", Template: "/pets/{petId}", Hour: hour}},
		{match.Result{VersionID: 3, Method: "GET", Template: "/owners/{id}", Matched: true, Inferred: true}, Key{VersionID: 3, Method: "GET", Template: "/owners/{id}", Hour: hour}},
		{match.Result{Method: "GET", Template: "/v1/pets/{id}", Inferred: true}, Key{Host: "api.example.com", Method: "GET", Template: "/v1/pets/{id}", Hour: hour}},
	}
	for _, tt := range tests {
		if got := KeyFor(tt.res, e); got != tt.want {
			t.Errorf("KeyFor(%+v) = %+v, want %+v", tt.res, got, tt.want)
		}
	}
}

// exactQuantile is the value the sketch's rank convention points at.
func exactQuantile(sorted []time.Duration, q float64) time.Duration {
	return sorted[int(q*float64(len(sorted)-1))]
}

func TestLatencyWithinSketchAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	tests := []struct {
		name string
		draw func() time.Duration
	}{
		{"constant 42ms", func() time.Duration { return 42 * time.Millisecond }},
		{"uniform 1ms-1s", func() time.Duration { return ms(1 + rng.Float64()*999) }},
		{"exponential mean 80ms", func() time.Duration { return ms(rng.ExpFloat64() * 80) }},
		{"log-normal median 30ms", func() time.Duration { return ms(30 * math.Exp(rng.NormFloat64())) }},
		{"bimodal cache hits and misses", func() time.Duration {
			if rng.IntN(10) < 8 {
				return ms(2 + rng.Float64())
			}
			return ms(250 + 100*rng.Float64())
		}},
		{"sub-millisecond", func() time.Duration { return time.Duration(50_000 + rng.IntN(900_000)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(nil)
			k := Key{VersionID: 1, Method: "GET", Template: "/x"}
			var durations []time.Duration
			for range 20_000 {
				d := tt.draw()
				if d <= 0 {
					continue
				}
				durations = append(durations, d)
				r.Add(k, &traffic.Event{Time: hour, Status: 200, Duration: d, ResponseBytes: -1})
			}
			slices.Sort(durations)
			b := r.Buckets()[0]
			for _, q := range []float64{0.5, 0.9, 0.95, 0.99, 0.999} {
				exact, got := exactQuantile(durations, q), b.Latency(q)
				if rel := math.Abs(float64(got-exact)) / float64(exact); rel > LatencyAccuracy+1e-6 {
					t.Errorf("Latency(%v) = %v, exact %v: off by %.3f%%, more than %.0f%%", q, got, exact, 100*rel, 100*LatencyAccuracy)
				}
			}
		})
	}
}

func TestConsumersEstimate(t *testing.T) {
	for _, distinct := range []int{1, 100, 10_000, 50_000} {
		r := New(nil)
		k := Key{VersionID: 1, Method: "GET", Template: "/x"}
		for i := range 3 * distinct {
			r.Add(k, &traffic.Event{Time: hour, Status: 200, ResponseBytes: -1, Consumer: fmt.Sprintf("consumer-%08x", i%distinct*2654435761)})
		}
		got := float64(r.Buckets()[0].Consumers())
		if rel := math.Abs(got-float64(distinct)) / float64(distinct); rel > 0.02 {
			t.Errorf("%d distinct consumers: estimate %.0f, off by %.2f%%", distinct, got, 100*rel)
		}
	}
}

// events makes n realistic events over keys endpoints and 24 hours.
func events(seed uint64, n, keys int) ([]Key, []traffic.Event) {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	agents := []string{"okhttp/4.12.0", "python-requests/2.31.0", "Go-http-client/2.0", "kube-probe/1.29", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", "curl/8.4.0", "ELB-HealthChecker/2.0"}
	paths := []string{"/v1/orders/42", "/v1/orders", "/health", "/v1/customers/7/notes", "/wp-login.php"}
	endpoints := make([]Key, keys)
	for i := range endpoints {
		if i%10 == 9 {
			endpoints[i] = Key{Host: fmt.Sprintf("svc%d.internal", i%7), Method: "GET", Template: fmt.Sprintf("/unknown/%d/{id}", i)}
		} else {
			endpoints[i] = Key{VersionID: int64(1 + i/10), Method: []string{"GET", "POST", "PUT", "DELETE"}[i%4], Template: fmt.Sprintf("/resource%d/{id}", i)}
		}
	}
	start := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	ks := make([]Key, n)
	es := make([]traffic.Event, n)
	for i := range es {
		status := 200
		switch p := rng.IntN(100); {
		case p < 3:
			status = 500 + rng.IntN(4)
		case p < 12:
			status = []int{400, 401, 403, 404, 409, 422, 429}[rng.IntN(7)]
		case p < 15:
			status = 304
		case p < 16:
			status = 0
		}
		size := int64(rng.IntN(50_000))
		if rng.IntN(20) == 0 {
			size = -1
		}
		var consumer string
		if rng.IntN(10) > 0 {
			consumer = fmt.Sprintf("%016x", uint64(rng.IntN(2000))*0x9E3779B97F4A7C15)
		}
		ks[i] = endpoints[rng.IntN(keys)]
		es[i] = traffic.Event{
			Time:             start.Add(time.Duration(rng.Int64N(int64(24 * time.Hour)))),
			Method:           ks[i].Method,
			Scheme:           []string{"https", "https", "https", "http"}[rng.IntN(4)],
			Path:             paths[rng.IntN(len(paths))],
			Status:           status,
			Duration:         time.Duration(float64(30*time.Millisecond) * math.Exp(rng.NormFloat64())),
			ResponseBytes:    size,
			UserAgent:        agents[rng.IntN(len(agents))],
			Consumer:         consumer,
			Authenticated:    rng.IntN(5) > 0,
			RateLimitHeaders: rng.IntN(3) == 0,
			HSTS:             rng.IntN(2) == 0,
			Compressed:       rng.IntN(2) == 0,
			SecurityHeaders:  rng.IntN(4) == 0,
		}
		ks[i].Hour = es[i].Hour()
	}
	return ks, es
}

func TestMergeOfHalvesEqualsWhole(t *testing.T) {
	ks, es := events(5, 60_000, 40)
	whole, first, second := New(nil), New(nil), New(nil)
	for i := range es {
		whole.Add(ks[i], &es[i])
		if i%2 == 0 {
			first.Add(ks[i], &es[i])
		} else {
			second.Add(ks[i], &es[i])
		}
	}
	merged := map[Key]*Bucket{}
	for _, half := range [][]Bucket{first.Buckets(), second.Buckets()} {
		for i := range half {
			b := &half[i]
			if m := merged[b.Key]; m != nil {
				m.Merge(b)
			} else {
				merged[b.Key] = b
			}
		}
	}
	want := whole.Buckets()
	if len(merged) != len(want) {
		t.Fatalf("halves have %d keys, whole %d", len(merged), len(want))
	}
	for i := range want {
		w := &want[i]
		g := merged[w.Key]
		if g == nil {
			t.Fatalf("halves lack key %+v", w.Key)
		}
		if plain(*g) != plain(*w) {
			t.Errorf("key %+v\nmerged %+v\n whole %+v", w.Key, plain(*g), plain(*w))
		}
		for _, q := range []float64{0, 0.5, 0.95, 0.99, 1} {
			if g.Latency(q) != w.Latency(q) {
				t.Errorf("key %+v: merged Latency(%v) = %v, whole %v", w.Key, q, g.Latency(q), w.Latency(q))
			}
		}
		if g.Consumers() != w.Consumers() {
			t.Errorf("key %+v: merged Consumers() = %d, whole %d", w.Key, g.Consumers(), w.Consumers())
		}
	}
	if ws, ms := Summarise(want), Summarise(slices.Collect(func(yield func(Bucket) bool) {
		for _, b := range merged {
			if !yield(*b) {
				return
			}
		}
	})); !reflect.DeepEqual(ws, ms) {
		t.Errorf("Summarise\nmerged %+v\n whole %+v", ms, ws)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	full := New(nil)
	ks, es := events(7, 5_000, 1)
	for i := range es {
		full.Add(ks[i], &es[i])
	}
	many := New(nil)
	k := Key{VersionID: 1, Method: "GET", Template: "/x"}
	for i := range 40_000 { // enough consumers for a dense sketch
		many.Add(k, &traffic.Event{Time: hour, Status: 200, Duration: time.Duration(i+1) * time.Microsecond, ResponseBytes: 1, Consumer: fmt.Sprint(i)})
	}
	tests := []struct {
		name   string
		bucket Bucket
	}{
		{"empty", Bucket{}},
		{"counters only", Bucket{Count: 3, StatusUnknown: 3, ResponseBytes: 1 << 40, ResponseBytesKnown: 3, FirstSeen: hour, LastSeen: hour.Add(time.Minute)}},
		{"realistic hour", full.Buckets()[0]},
		{"dense consumers", many.Buckets()[0]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := tt.bucket.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			got := Bucket{Key: tt.bucket.Key}
			if err := got.UnmarshalBinary(data); err != nil {
				t.Fatal(err)
			}
			if plain(got) != plain(tt.bucket) {
				t.Errorf("round trip\n got %+v\nwant %+v", plain(got), plain(tt.bucket))
			}
			for _, q := range []float64{0.5, 0.99} {
				if got.Latency(q) != tt.bucket.Latency(q) {
					t.Errorf("Latency(%v) = %v after the round trip, %v before", q, got.Latency(q), tt.bucket.Latency(q))
				}
			}
			if got.Consumers() != tt.bucket.Consumers() {
				t.Errorf("Consumers() = %d after the round trip, %d before", got.Consumers(), tt.bucket.Consumers())
			}
			t.Logf("%d bytes", len(data))
		})
	}
}

func TestUnmarshalRejectsBadBlobs(t *testing.T) {
	r := New(nil)
	r.Add(Key{VersionID: 1}, &traffic.Event{Time: hour, Status: 200, Duration: time.Millisecond, Consumer: "a", ResponseBytes: 5})
	b := r.Buckets()[0]
	good, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string][]byte{
		"empty":          nil,
		"future version": append([]byte{2}, good[1:]...),
		"trailing bytes": append(slices.Clone(good), 0),
	}
	for n := 1; n < len(good); n++ {
		tests[fmt.Sprintf("cut to %d bytes", n)] = good[:n]
	}
	for name, data := range tests {
		before := b.Clone()
		if err := b.UnmarshalBinary(data); err == nil {
			t.Errorf("%s: UnmarshalBinary succeeded, want an error", name)
		}
		if plain(b) != plain(before) {
			t.Errorf("%s: failed UnmarshalBinary changed the bucket", name)
		}
	}
}

func TestSummarise(t *testing.T) {
	at := func(m int) time.Time { return hour.Add(time.Duration(m) * time.Minute) }
	tests := []struct {
		name    string
		buckets []Bucket
		want    Summary
	}{
		{"nothing", nil, Summary{}},
		{
			"two hours",
			[]Bucket{
				{Count: 10, Legitimate: 8, Status2xx: 6, Status4xx: 2, Status5xx: 1, StatusUnknown: 1, ResponseBytes: 900, ResponseBytesKnown: 9, HTTPS: 10, Authenticated: 5, RateLimitHeaders: 2, Compressed: 4, HSTS: 10, SecurityHeaders: 1, FirstSeen: at(3), LastSeen: at(50), LastLegitimate: at(40)},
				{Count: 10, Legitimate: 2, Status2xx: 9, Status5xx: 1, ResponseBytes: 100, ResponseBytesKnown: 1, HTTPS: 5, Authenticated: 5, FirstSeen: at(70), LastSeen: at(110), LastLegitimate: at(90)},
			},
			Summary{
				Requests: 20, Legitimate: 10,
				HTTPSShare: 0.75, AuthenticatedShare: 0.5, RateLimitHeadersShare: 0.1, CompressedShare: 0.2, HSTSShare: 0.5, SecurityHeadersShare: 0.05,
				ClientErrorRate: 2.0 / 19, ServerErrorRate: 2.0 / 19,
				AverageResponseBytes: 100,
				FirstSeen:            at(3), LastSeen: at(110), LastLegitimate: at(90),
			},
		},
		{
			"no status known",
			[]Bucket{{Count: 4, StatusUnknown: 4, FirstSeen: at(1), LastSeen: at(2)}},
			Summary{Requests: 4, FirstSeen: at(1), LastSeen: at(2)},
		},
	}
	for _, tt := range tests {
		if got := Summarise(tt.buckets); got != tt.want {
			t.Errorf("%s: Summarise\n got %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
}

func TestSummariseSketches(t *testing.T) {
	r := New(nil)
	for h := range 3 {
		for i := range 1000 {
			r.Add(Key{VersionID: 1, Method: "GET", Template: "/x"}, &traffic.Event{
				Time: hour.Add(time.Duration(h) * time.Hour), Status: 200, ResponseBytes: -1,
				Duration: time.Duration(h*1000+i+1) * time.Millisecond, Consumer: fmt.Sprint(i % 500),
			})
		}
	}
	s := Summarise(r.Buckets())
	for _, q := range []struct {
		got, exact time.Duration
	}{{s.P50, 1500 * time.Millisecond}, {s.P95, 2850 * time.Millisecond}, {s.P99, 2970 * time.Millisecond}} {
		if rel := math.Abs(float64(q.got-q.exact)) / float64(q.exact); rel > LatencyAccuracy+0.001 {
			t.Errorf("quantile %v, exact %v", q.got, q.exact)
		}
	}
	if s.Timed != 3000 {
		t.Errorf("Timed = %d, want 3000", s.Timed)
	}
	if s.Consumers < 490 || s.Consumers > 510 {
		t.Errorf("Consumers = %d across hours, want about 500 (the same 500 each hour)", s.Consumers)
	}
}

func TestCoverage(t *testing.T) {
	at := func(h int) time.Time { return hour.Add(time.Duration(h) * time.Hour) }
	seen := Coverage{}.Extend(at(2)).Extend(at(0)).Extend(at(5))
	if want := (Coverage{From: at(0), To: at(5)}); seen != want {
		t.Fatalf("Extend: %+v, want %+v", seen, want)
	}
	tests := []struct {
		name     string
		c        Coverage
		from, to time.Time
		want     bool
	}{
		{"inside", seen, at(1), at(3), true},
		{"exactly", seen, at(0), at(5), true},
		{"starts before", seen, at(-1), at(3), false},
		{"ends after", seen, at(1), at(6), false},
		{"backwards", seen, at(3), at(1), false},
		{"nothing covers nothing", Coverage{}, time.Time{}, time.Time{}, false},
		{"merged with later", seen.Merge(Coverage{From: at(4), To: at(9)}), at(1), at(8), true},
		{"merged with zero", seen.Merge(Coverage{}), at(0), at(5), true},
		{"zero merged", Coverage{}.Merge(seen), at(0), at(5), true},
	}
	for _, tt := range tests {
		if got := tt.c.Covers(tt.from, tt.to); got != tt.want {
			t.Errorf("%s: %+v.Covers(%v, %v) = %v, want %v", tt.name, tt.c, tt.from, tt.to, got, tt.want)
		}
	}
}

func TestAddToAnExistingBucketDoesNotAllocate(t *testing.T) {
	r := New(nil)
	k := Key{VersionID: 1, Method: "GET", Template: "/pets/{petId}"}
	e := traffic.Event{
		Time: hour, Path: "/v1/pets/1", Scheme: "https", Status: 200, Duration: 12 * time.Millisecond, ResponseBytes: 512,
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
		Consumer:  "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", // longer than any stack buffer
	}
	if allocs := testing.AllocsPerRun(100, func() { r.Add(k, &e) }); allocs != 0 {
		t.Errorf("Add allocates %v times per event, want 0", allocs)
	}
}
