package rollup

import (
	"slices"
	"time"

	"github.com/steward-governance/steward/traffic"
)

// Rollup aggregates events into buckets in memory. It is not safe for
// concurrent use; to use several cores, give each goroutine its own Rollup
// and merge their buckets.
type Rollup struct {
	classifier *Classifier
	agents     agentCache
	buckets    map[Key]*Bucket
	scratch    []byte
}

// New returns an empty Rollup that classifies requests with c, or with
// DefaultClassifier when c is nil.
func New(c *Classifier) *Rollup {
	if c == nil {
		c = DefaultClassifier()
	}
	return &Rollup{classifier: c, buckets: make(map[Key]*Bucket)}
}

// Add counts e in the bucket of k. k.Hour is taken to the start of its UTC
// hour; when zero, e's hour is used.
func (r *Rollup) Add(k Key, e *traffic.Event) {
	if k.Hour.IsZero() {
		k.Hour = e.Hour()
	} else {
		k.Hour = k.Hour.UTC().Truncate(time.Hour)
	}
	b := r.buckets[k]
	if b == nil {
		b = &Bucket{Key: k}
		r.buckets[k] = b
	}
	b.add(e, r.classifier.classify(e, &r.agents) == Legitimate, &r.scratch)
}

// Len returns the number of buckets.
func (r *Rollup) Len() int { return len(r.buckets) }

// Buckets returns copies of the buckets, ordered by hour, version, host,
// method and template. The copies share nothing with the Rollup, so
// merging stored buckets into them leaves the Rollup as it was.
func (r *Rollup) Buckets() []Bucket {
	out := make([]Bucket, 0, len(r.buckets))
	for _, b := range r.buckets {
		out = append(out, b.Clone())
	}
	slices.SortFunc(out, func(a, b Bucket) int { return a.Key.compare(b.Key) })
	return out
}
