package rollup

import (
	"time"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/DataDog/sketches-go/ddsketch/store"
	"github.com/axiomhq/hyperloglog"

	"github.com/steward-governance/steward/traffic"
)

// LatencyAccuracy is the relative accuracy of latency quantiles: a
// reported p95 is within 1% of a latency some request actually had at that
// rank.
const LatencyAccuracy = 0.01

// maxLatencyBins bounds a latency sketch's memory (8 bytes a bin). At 1%
// accuracy 2,048 bins span a factor of e^40 between the fastest and the
// slowest request, so no real latency range ever reaches the bound.
const maxLatencyBins = 2048

// latencyMapping is shared by every sketch: sketches merge only when their
// mappings are equal, and the encoded form leaves it out.
var latencyMapping = func() mapping.IndexMapping {
	m, err := mapping.NewLogarithmicMapping(LatencyAccuracy)
	if err != nil {
		panic(err) // the accuracy is a constant in range
	}
	return m
}()

func newLatencyStore() store.Store { return store.NewCollapsingLowestDenseStore(maxLatencyBins) }

func newLatencySketch() *ddsketch.DDSketch {
	return ddsketch.NewDDSketch(latencyMapping, newLatencyStore(), newLatencyStore())
}

// Bucket is everything kept about one endpoint in one hour. The counters
// are plain fields so that storage can keep them in columns; the latency
// sketch and the distinct-consumer sketch travel in MarshalBinary's blob.
// A zero Bucket is empty and ready to merge into. A Bucket is not safe for
// concurrent use: even reading the consumer estimate compacts its sketch.
type Bucket struct {
	// Key is the bucket's endpoint and hour.
	Key Key

	// Count is the number of requests.
	Count int64
	// Legitimate is the number of requests that were neither probes nor
	// scanners (see Classifier).
	Legitimate int64

	// Status1xx to Status5xx count responses by status class;
	// StatusUnknown counts those whose status the source did not report
	// (or reported outside 100-599).
	Status1xx, Status2xx, Status3xx, Status4xx, Status5xx, StatusUnknown int64

	// Timed is the number of requests whose duration is known: the ones
	// in the latency quantiles.
	Timed int64
	// ResponseBytes is the total response size of the requests whose size
	// is known; ResponseBytesKnown is how many those are.
	ResponseBytes, ResponseBytesKnown int64

	// HTTPS counts requests made over HTTPS, Authenticated those carrying
	// credentials, and the rest responses carrying rate-limit headers,
	// compression, Strict-Transport-Security and browser-hardening
	// headers (see traffic.Event).
	HTTPS, Authenticated, RateLimitHeaders, Compressed, HSTS, SecurityHeaders int64

	// FirstSeen and LastSeen are the times of the first and last request;
	// LastLegitimate that of the last legitimate one, zero if none.
	FirstSeen, LastSeen, LastLegitimate time.Time

	latency   *ddsketch.DDSketch  // milliseconds; nil until a timed request
	consumers *hyperloglog.Sketch // nil until a request with a consumer
}

// add counts e in b; legitimate says what the classifier made of it.
// scratch is a buffer add may reuse, so that hashing the consumer does not
// allocate.
func (b *Bucket) add(e *traffic.Event, legitimate bool, scratch *[]byte) {
	b.Count++
	switch s := e.Status; {
	case s >= 100 && s < 200:
		b.Status1xx++
	case s >= 200 && s < 300:
		b.Status2xx++
	case s >= 300 && s < 400:
		b.Status3xx++
	case s >= 400 && s < 500:
		b.Status4xx++
	case s >= 500 && s < 600:
		b.Status5xx++
	default:
		b.StatusUnknown++
	}
	if e.Duration > 0 {
		if b.latency == nil {
			b.latency = newLatencySketch()
		}
		if b.latency.Add(float64(e.Duration)/float64(time.Millisecond)) == nil {
			b.Timed++
		}
	}
	if e.ResponseBytes >= 0 {
		b.ResponseBytes += e.ResponseBytes
		b.ResponseBytesKnown++
	}
	if e.Scheme == "https" {
		b.HTTPS++
	}
	b.Authenticated += count(e.Authenticated)
	b.RateLimitHeaders += count(e.RateLimitHeaders)
	b.Compressed += count(e.Compressed)
	b.HSTS += count(e.HSTS)
	b.SecurityHeaders += count(e.SecurityHeaders)
	if e.Consumer != "" {
		if b.consumers == nil {
			b.consumers = hyperloglog.New14()
		}
		*scratch = append((*scratch)[:0], e.Consumer...)
		b.consumers.Insert(*scratch)
	}
	t := e.Time
	if b.FirstSeen.IsZero() || t.Before(b.FirstSeen) {
		b.FirstSeen = t
	}
	if t.After(b.LastSeen) {
		b.LastSeen = t
	}
	if legitimate {
		b.Legitimate++
		if t.After(b.LastLegitimate) {
			b.LastLegitimate = t
		}
	}
}

func count(flag bool) int64 {
	if flag {
		return 1
	}
	return 0
}

// Merge adds o's requests to b, as if b had seen them itself. It leaves
// b.Key alone and shares nothing with o, so o stays usable.
func (b *Bucket) Merge(o *Bucket) {
	b.Count += o.Count
	b.Legitimate += o.Legitimate
	b.Status1xx += o.Status1xx
	b.Status2xx += o.Status2xx
	b.Status3xx += o.Status3xx
	b.Status4xx += o.Status4xx
	b.Status5xx += o.Status5xx
	b.StatusUnknown += o.StatusUnknown
	b.Timed += o.Timed
	b.ResponseBytes += o.ResponseBytes
	b.ResponseBytesKnown += o.ResponseBytesKnown
	b.HTTPS += o.HTTPS
	b.Authenticated += o.Authenticated
	b.RateLimitHeaders += o.RateLimitHeaders
	b.Compressed += o.Compressed
	b.HSTS += o.HSTS
	b.SecurityHeaders += o.SecurityHeaders
	if !o.FirstSeen.IsZero() && (b.FirstSeen.IsZero() || o.FirstSeen.Before(b.FirstSeen)) {
		b.FirstSeen = o.FirstSeen
	}
	if o.LastSeen.After(b.LastSeen) {
		b.LastSeen = o.LastSeen
	}
	if o.LastLegitimate.After(b.LastLegitimate) {
		b.LastLegitimate = o.LastLegitimate
	}
	if o.latency != nil {
		if b.latency == nil {
			b.latency = newLatencySketch()
		}
		// Both sketches use latencyMapping, the only way MergeWith fails.
		_ = b.latency.MergeWith(o.latency)
	}
	if o.consumers != nil {
		if b.consumers == nil {
			b.consumers = hyperloglog.New14()
		}
		// Both sketches have precision 14, the only way Merge fails.
		_ = b.consumers.Merge(o.consumers)
	}
}

// Clone returns a copy of b that shares no state with it.
func (b *Bucket) Clone() Bucket {
	c := *b
	c.latency, c.consumers = nil, nil
	if b.latency != nil {
		c.latency = b.latency.Copy()
	}
	if b.consumers != nil {
		c.consumers = b.consumers.Clone()
	}
	return c
}

// Latency returns the latency at quantile q (0.95 for p95) within
// LatencyAccuracy, or 0 when no request was timed.
func (b *Bucket) Latency(q float64) time.Duration {
	if b.latency == nil || b.latency.IsEmpty() {
		return 0
	}
	ms, err := b.latency.GetValueAtQuantile(q)
	if err != nil {
		return 0
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// Consumers estimates the number of distinct consumers, typically within
// 1% (HyperLogLog, 2^14 registers).
func (b *Bucket) Consumers() uint64 {
	if b.consumers == nil {
		return 0
	}
	return b.consumers.Estimate()
}
