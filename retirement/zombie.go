package retirement

import (
	"fmt"
	"slices"
	"time"
)

// Verdict is what the zombie job concluded about a version or endpoint.
type Verdict string

// Verdicts.
const (
	// Zombie: live, yet no legitimate request in the window while the
	// traffic sources were watching.
	Zombie Verdict = "zombie"
	// Active: a legitimate request in the window.
	Active Verdict = "active"
	// Unknown: no legitimate request seen, but the sources did not cover
	// the whole window, so silence proves nothing.
	Unknown Verdict = "unknown"
)

// Span is a stretch of time a traffic source covered.
type Span struct{ From, To time.Time }

// CoverageLag is how far behind now coverage may end and still count as
// current: rollups and pulls run every few minutes, and a push source's
// coverage ends at its last event.
const CoverageLag = 24 * time.Hour

// coverageGap is the largest gap between two sources' spans that still
// joins them: sources are read at different moments.
const coverageGap = time.Hour

// Covered reports whether spans, together, cover [from, to) allowing for
// CoverageLag at the end.
func Covered(spans []Span, from, to time.Time) bool {
	merged := merge(spans)
	for _, s := range merged {
		if !s.From.After(from) && !s.To.Before(to.Add(-CoverageLag)) {
			return true
		}
	}
	return false
}

// merge joins overlapping or nearly touching spans, oldest first.
func merge(spans []Span) []Span {
	s := slices.Clone(spans)
	slices.SortFunc(s, func(a, b Span) int { return a.From.Compare(b.From) })
	var out []Span
	for _, sp := range s {
		if sp.To.Before(sp.From) {
			continue
		}
		if n := len(out); n > 0 && !sp.From.After(out[n-1].To.Add(coverageGap)) {
			if sp.To.After(out[n-1].To) {
				out[n-1].To = sp.To
			}
			continue
		}
		out = append(out, sp)
	}
	return out
}

// Judge decides whether something with the given last legitimate request
// (nil: none on record) is a zombie after days of silence at now, given
// what the sources covered; the reason says why in a sentence.
func Judge(spans []Span, lastLegitimate *time.Time, days int, now time.Time) (Verdict, string) {
	from := now.Add(-time.Duration(days) * 24 * time.Hour)
	if lastLegitimate != nil && !lastLegitimate.Before(from) {
		return Active, fmt.Sprintf("Legitimate traffic in the last %d days (latest %s).", days, lastLegitimate.UTC().Format("2 Jan 2006 15:04 MST"))
	}
	if !Covered(spans, from, now) {
		if len(spans) == 0 {
			return Unknown, "No traffic source sees this API, so its silence proves nothing."
		}
		return Unknown, fmt.Sprintf("The traffic sources that see this API do not cover the whole of the last %d days, so its silence proves nothing.", days)
	}
	last := "none on record"
	if lastLegitimate != nil {
		last = "the last on " + lastLegitimate.UTC().Format("2 Jan 2006")
	}
	return Zombie, fmt.Sprintf("No legitimate request in the last %d days while the traffic sources were watching (%s).", days, last)
}
