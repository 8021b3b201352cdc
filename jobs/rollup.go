package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/traffic"
	"github.com/steward-governance/steward/traffic/journal"
	"github.com/steward-governance/steward/traffic/match"
	"github.com/steward-governance/steward/traffic/rollup"
)

// RollupStore is what the rollup reads and writes.
type RollupStore interface {
	JournalPosition(ctx context.Context, consumer string) (string, error)
	ApplyRollup(ctx context.Context, b models.RollupBatch) error
	MatchTargets(ctx context.Context) ([]models.MatchTarget, error)
	CatalogueGeneration(ctx context.Context) (int64, error)
	Sources(ctx context.Context) ([]models.Source, error)
}

// JournalReader is the part of the journal the rollup consumes.
type JournalReader interface {
	ReadFrom(pos journal.Position, max int, fn func(payload []byte) error) (journal.Position, int, error)
	Truncate(before journal.Position) error
}

// Rollup reads acknowledged events from this replica's journal, matches
// them to the catalogue and merges them into the hourly rollups. Each batch
// and the journal position after it commit together, so a crash replays
// the batch and nothing is counted twice; consumed segments are deleted.
type Rollup struct {
	Store   RollupStore
	Journal JournalReader
	// Consumer names this journal in the database; one per replica.
	Consumer   string
	Classifier *rollup.Classifier
	Log        *slog.Logger
	// BatchEvents bounds the events merged per transaction.
	BatchEvents int

	mu       sync.Mutex
	gen      int64
	matchers *matchers
}

// DefaultRollupBatch is how many events one transaction merges: enough
// that the consumer and status rows each event touches are merged a few
// times rather than hundreds, few enough that the write lock is held for
// seconds, not minutes.
const DefaultRollupBatch = 500_000

// Name names the job.
func (j *Rollup) Name() string { return "rollup" }

// Run drains the journal.
func (j *Rollup) Run(ctx context.Context) error {
	stored, err := j.Store.JournalPosition(ctx, j.Consumer)
	if err != nil {
		return fmt.Errorf("rollup: read position: %w", err)
	}
	var pos journal.Position
	if stored != "" {
		if pos, err = journal.ParsePosition(stored); err != nil {
			return fmt.Errorf("rollup: stored position %q: %w", stored, err)
		}
	}
	batch := j.BatchEvents
	if batch <= 0 {
		batch = DefaultRollupBatch
	}
	progress := Progress(ctx)
	// Reading, decoding and matching the next batch overlaps writing the
	// current one; batches are still written, and the position moved, in
	// journal order.
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	batches := make(chan readBatch, 1)
	go j.read(rctx, pos, batch, batches)
	for rb := range batches {
		if rb.err != nil {
			return rb.err
		}
		b, err := rb.acc.batch()
		if err != nil {
			return err
		}
		b.Consumer, b.Position = j.Consumer, rb.next.String()
		if err := j.Store.ApplyRollup(ctx, b); err != nil {
			return fmt.Errorf("rollup: store batch: %w", err)
		}
		progress.Advance(int64(rb.n))
		progress.Count("events", int64(rb.n))
		progress.Count("undecodable", int64(rb.acc.bad))
		// Segments wholly before the committed position are rolled up.
		if err := j.Journal.Truncate(rb.next); err != nil && j.Log != nil {
			j.Log.Warn("rollup: journal truncation failed", "error", err)
		}
	}
	return ctx.Err()
}

// readBatch is one batch read from the journal, or why reading stopped.
type readBatch struct {
	acc  *accumulator
	next journal.Position
	n    int
	err  error
}

// read reads batches from pos until the journal has no more, sending each
// on out; it closes out when done.
func (j *Rollup) read(ctx context.Context, pos journal.Position, batch int, out chan<- readBatch) {
	defer close(out)
	send := func(rb readBatch) bool {
		select {
		case out <- rb:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for ctx.Err() == nil {
		m, err := j.currentMatchers(ctx)
		if err != nil {
			send(readBatch{err: err})
			return
		}
		acc := newAccumulator(m, j.Classifier)
		next, n, err := j.Journal.ReadFrom(pos, batch, acc.add)
		if err != nil {
			send(readBatch{err: fmt.Errorf("rollup: read journal at %s: %w", pos, err)})
			return
		}
		if n == 0 || !send(readBatch{acc: acc, next: next, n: n}) {
			return
		}
		pos = next
	}
}

// matchers match events: one over the whole catalogue by deployment, and
// for sources bound to an API, one per API whose versions are reachable
// whatever host the SDK reports.
type matchers struct {
	all       *match.Matcher
	byAPI     map[uint]*match.Matcher
	apiOf     map[int64]uint // version → API
	sourceAPI map[int64]uint // source → API, for sources bound to one
}

// anyHost stands in for the host of an event from a source bound to an
// API: the SDK runs inside the application and reports its own host name,
// not the deployment's.
const anyHost = "source.steward.invalid"

func (j *Rollup) currentMatchers(ctx context.Context) (*matchers, error) {
	gen, err := j.Store.CatalogueGeneration(ctx)
	if err != nil {
		return nil, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	// Sources change without touching the catalogue; they are few, so
	// their bindings are re-read every run.
	srcs, err := j.Store.Sources(ctx)
	if err != nil {
		return nil, err
	}
	if j.matchers == nil || gen != j.gen {
		targets, err := j.Store.MatchTargets(ctx)
		if err != nil {
			return nil, err
		}
		m, err := buildMatchers(targets)
		if err != nil && j.Log != nil {
			j.Log.Warn("rollup: some deployments or operations cannot be matched", "error", err)
		}
		j.matchers, j.gen = m, gen
	}
	m := *j.matchers
	m.sourceAPI = map[int64]uint{}
	for _, s := range srcs {
		if s.APIID != nil {
			m.sourceAPI[s.ID] = *s.APIID
		}
	}
	return &m, nil
}

func buildMatchers(rows []models.MatchTarget) (*matchers, error) {
	m := &matchers{byAPI: map[uint]*match.Matcher{}, apiOf: map[int64]uint{}}
	var all []match.Target
	perAPI := map[uint][]match.Target{}
	for _, r := range rows {
		t := match.Target{VersionID: int64(r.VersionID), Deployments: r.Deployments}
		for _, op := range r.Operations {
			t.Operations = append(t.Operations, match.Operation{Method: op.Method, Path: op.Path})
		}
		all = append(all, t)
		m.apiOf[t.VersionID] = r.APIID
		bound := t
		bound.Deployments = nil
		for _, d := range r.Deployments {
			bound.Deployments = append(bound.Deployments, rehost(d))
		}
		if len(bound.Deployments) == 0 {
			bound.Deployments = []string{"https://" + anyHost}
		}
		perAPI[r.APIID] = append(perAPI[r.APIID], bound)
	}
	var errs []error
	var err error
	if m.all, err = match.New(all); err != nil {
		errs = append(errs, err)
	}
	for api, ts := range perAPI {
		mm, err := match.New(ts)
		if err != nil {
			errs = append(errs, err)
		}
		m.byAPI[api] = mm
	}
	return m, errors.Join(errs...)
}

// rehost keeps a deployment URL's base path on the stand-in host.
func rehost(baseURL string) string {
	rest := baseURL
	if _, after, ok := strings.Cut(rest, "://"); ok {
		rest = after
	}
	path := ""
	if k := strings.IndexByte(rest, '/'); k >= 0 {
		path = rest[k:]
	}
	return "https://" + anyHost + path
}

// match matches e as delivered by source: a source bound to an API keeps
// its events within that API.
func (m *matchers) match(source int64, e *traffic.Event) match.Result {
	res := m.all.Match(e)
	api, bound := m.sourceAPI[source]
	if !bound || (res.Matched && m.apiOf[res.VersionID] == api) {
		return res
	}
	if mm := m.byAPI[api]; mm != nil {
		ev := *e
		ev.Host = anyHost
		if r := mm.Match(&ev); r.Matched {
			return r
		}
	}
	return res
}

// accumulator gathers one batch.
type accumulator struct {
	m         *matchers
	r         *rollup.Rollup
	cls       *rollup.Classifier
	statuses  map[statusKey]*models.EndpointStatus
	consumers map[consumerKey]*models.EndpointConsumer
	sources   map[int64]*models.SourceDelta
	// documented remembers the matcher's verdict per endpoint: the rollup
	// key keeps the template, not whether the spec has it.
	documented map[docKey]bool
	bad        int
}

type docKey struct {
	version          int64
	method, template string
}

type statusKey struct {
	version          int64
	method, template string
	status           int
}

type consumerKey struct {
	version                    int64
	method, template, consumer string
	day                        int64
}

func newAccumulator(m *matchers, cls *rollup.Classifier) *accumulator {
	if cls == nil {
		cls = rollup.DefaultClassifier()
	}
	return &accumulator{m: m, r: rollup.New(cls), cls: cls,
		statuses: map[statusKey]*models.EndpointStatus{}, consumers: map[consumerKey]*models.EndpointConsumer{}, sources: map[int64]*models.SourceDelta{},
		documented: map[docKey]bool{}}
}

func (a *accumulator) add(payload []byte) error {
	source, e, err := journal.DecodeEvent(payload)
	if err != nil {
		// A record this build cannot read is skipped and counted, not
		// allowed to block every later event.
		a.bad++
		return nil
	}
	res := a.m.match(source, &e)
	a.r.Add(rollup.KeyFor(res, &e), &e)
	if d := a.sources[source]; d == nil {
		a.sources[source] = &models.SourceDelta{SourceID: source, Events: 1, From: e.Time, To: e.Time, LastEventAt: e.Time}
	} else {
		d.Events++
		d.From, d.To, d.LastEventAt = earlier(d.From, e.Time), later(d.To, e.Time), later(d.LastEventAt, e.Time)
	}
	if !res.Matched {
		return nil
	}
	a.documented[docKey{res.VersionID, res.Method, res.Template}] = res.Documented
	if e.Status > 0 {
		k := statusKey{res.VersionID, res.Method, res.Template, e.Status}
		if s := a.statuses[k]; s == nil {
			a.statuses[k] = &models.EndpointStatus{VersionID: uint(res.VersionID), Method: res.Method, Template: res.Template, Status: e.Status, Requests: 1, LastSeen: e.Time}
		} else {
			s.Requests++
			s.LastSeen = later(s.LastSeen, e.Time)
		}
	}
	if e.Consumer != "" {
		day := e.Time.UTC().Truncate(24 * time.Hour)
		k := consumerKey{res.VersionID, res.Method, res.Template, e.Consumer, day.Unix()}
		legit := int64(0)
		if a.cls.Classify(&e) == rollup.Legitimate {
			legit = 1
		}
		if c := a.consumers[k]; c == nil {
			a.consumers[k] = &models.EndpointConsumer{VersionID: uint(res.VersionID), Method: res.Method, Template: res.Template,
				Consumer: e.Consumer, Day: day, Requests: 1, Legitimate: legit, LastSeen: e.Time}
		} else {
			c.Requests++
			c.Legitimate += legit
			c.LastSeen = later(c.LastSeen, e.Time)
		}
	}
	return nil
}

func (a *accumulator) batch() (models.RollupBatch, error) {
	b := models.RollupBatch{MergeSketches: mergeBuckets}
	for _, bk := range a.r.Buckets() {
		if bk.Key.VersionID == 0 {
			b.Discovered = append(b.Discovered, models.DiscoveredTraffic{
				Host: bk.Key.Host, Method: bk.Key.Method, Template: bk.Key.Template, Hour: bk.Key.Hour,
				Requests: bk.Count, Status2xx: bk.Status2xx, Status4xx: bk.Status4xx, Status5xx: bk.Status5xx,
				HTTPS: bk.HTTPS, Authenticated: bk.Authenticated, Legitimate: bk.Legitimate, FirstSeen: bk.FirstSeen, LastSeen: bk.LastSeen,
			})
			continue
		}
		blob, err := bk.MarshalBinary()
		if err != nil {
			return b, err
		}
		row := models.EndpointTraffic{
			VersionID: uint(bk.Key.VersionID), Method: bk.Key.Method, Template: bk.Key.Template, Hour: bk.Key.Hour,
			Documented: a.documented[docKey{bk.Key.VersionID, bk.Key.Method, bk.Key.Template}], Counters: countersOf(&bk),
			FirstSeen: bk.FirstSeen, LastSeen: bk.LastSeen, Sketches: blob,
		}
		if !bk.LastLegitimate.IsZero() {
			t := bk.LastLegitimate
			row.LastLegitimate = &t
		}
		b.Endpoints = append(b.Endpoints, row)
	}
	for _, s := range a.statuses {
		b.Statuses = append(b.Statuses, *s)
	}
	for _, c := range a.consumers {
		b.Consumers = append(b.Consumers, *c)
	}
	for _, d := range a.sources {
		b.Sources = append(b.Sources, *d)
	}
	return b, nil
}

// countersOf copies a bucket's counters into the stored row's columns.
func countersOf(b *rollup.Bucket) models.Counters {
	return models.Counters{
		Requests: b.Count, Status1xx: b.Status1xx, Status2xx: b.Status2xx, Status3xx: b.Status3xx, Status4xx: b.Status4xx,
		Status5xx: b.Status5xx, StatusOther: b.StatusUnknown, BytesSum: b.ResponseBytes, BytesKnown: b.ResponseBytesKnown,
		HTTPS: b.HTTPS, Authenticated: b.Authenticated, RateLimited: b.RateLimitHeaders, Compressed: b.Compressed,
		HSTS: b.HSTS, SecurityHeaders: b.SecurityHeaders, Legitimate: b.Legitimate,
	}
}

// mergeBuckets merges an incoming bucket blob into a stored one.
func mergeBuckets(stored, incoming []byte) ([]byte, error) {
	var a, b rollup.Bucket
	if len(stored) > 0 {
		if err := a.UnmarshalBinary(stored); err != nil {
			return nil, err
		}
	}
	if err := b.UnmarshalBinary(incoming); err != nil {
		return nil, err
	}
	a.Merge(&b)
	return a.MarshalBinary()
}

func earlier(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
