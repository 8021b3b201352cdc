package rollup

import "time"

// Coverage is the stretch of time a traffic source is known to have
// reported on: from the first to the last time it delivered data or was
// read without error. Hours inside it with no requests had no traffic;
// hours outside it are unknown. That is what lets a page say "not called
// since March" rather than "no data since March". Coverage keeps one span:
// a source that went silent for a while and came back covers the gap too,
// so record a new Coverage when a source is replaced.
type Coverage struct {
	// From and To are the first and last times the source is known to
	// have reported on.
	From, To time.Time
}

// IsZero reports whether c covers nothing.
func (c Coverage) IsZero() bool { return c.From.IsZero() && c.To.IsZero() }

// Extend returns c stretched to include t.
func (c Coverage) Extend(t time.Time) Coverage {
	return c.Merge(Coverage{From: t, To: t})
}

// Merge returns the smallest span covering both c and o.
func (c Coverage) Merge(o Coverage) Coverage {
	switch {
	case o.IsZero():
		return c
	case c.IsZero():
		return o
	}
	if o.From.Before(c.From) {
		c.From = o.From
	}
	if o.To.After(c.To) {
		c.To = o.To
	}
	return c
}

// Covers reports whether c spans all of from..to.
func (c Coverage) Covers(from, to time.Time) bool {
	return !c.IsZero() && !from.After(to) && !from.Before(c.From) && !to.After(c.To)
}
