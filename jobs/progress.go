package jobs

import (
	"context"
	"maps"
	"sync"
)

// Tracker collects a running job's progress and counts; the runner writes
// them to the run record every second so the admin page can show them.
type Tracker struct {
	mu     sync.Mutex
	done   int64
	total  int64
	counts map[string]int64
}

// Snapshot is a tracker's state at one moment.
type Snapshot struct {
	Done, Total int64
	Counts      map[string]int64
}

type trackerKey struct{}

// Progress returns the tracker of the run ctx belongs to; outside a
// recorded run it returns a tracker nobody reads, so jobs need not check.
func Progress(ctx context.Context) *Tracker {
	if t, ok := ctx.Value(trackerKey{}).(*Tracker); ok {
		return t
	}
	return &Tracker{}
}

// SetTotal says how many items the run will handle, when known.
func (t *Tracker) SetTotal(n int64) {
	t.mu.Lock()
	t.total = n
	t.mu.Unlock()
}

// Advance adds n handled items.
func (t *Tracker) Advance(n int64) {
	t.mu.Lock()
	t.done += n
	t.mu.Unlock()
}

// Count adds n to a named count shown with the run ("events", "failed").
func (t *Tracker) Count(name string, n int64) {
	t.mu.Lock()
	if t.counts == nil {
		t.counts = map[string]int64{}
	}
	t.counts[name] += n
	t.mu.Unlock()
}

// Snapshot copies the tracker's state.
func (t *Tracker) Snapshot() Snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Snapshot{Done: t.done, Total: t.total, Counts: maps.Clone(t.counts)}
}
