package scorecard

import (
	"time"

	"github.com/steward-governance/steward/rules"
)

// Grace is the grace period of a newly published standard version: until
// Until, the rules it adds to the version it replaced show as warnings and
// count for nothing, so teams see what is coming before their score moves.
type Grace struct {
	Until time.Time
	// Rules names the rules that are new: enabled in the standard, not
	// enabled in the version it replaced.
	Rules map[string]bool
}

// NewGrace compares std with previous, the standard it replaces, and
// returns the grace period that lasts until until.
func NewGrace(std, previous Standard, until time.Time) Grace {
	before := map[string]bool{}
	for _, r := range previous.Rules {
		if r.Severity != rules.Off {
			before[r.Name] = true
		}
	}
	g := Grace{Until: until, Rules: map[string]bool{}}
	for _, r := range std.Rules {
		if r.Severity != rules.Off && !before[r.Name] {
			g.Rules[r.Name] = true
		}
	}
	return g
}

// ActiveAt reports whether the grace period still runs at now and spares
// any rule.
func (g Grace) ActiveAt(now time.Time) bool {
	return len(g.Rules) > 0 && now.Before(g.Until)
}

// Apply returns std as scoring sees it at now: during the grace period the
// new rules are warnings with no weight, so they are shown but not scored.
// std itself is left as it was.
func (g Grace) Apply(std Standard, now time.Time) Standard {
	if !g.ActiveAt(now) {
		return std
	}
	out := std
	out.Rules = make([]Rule, len(std.Rules))
	for i, r := range std.Rules {
		if g.Rules[r.Name] {
			r.Severity, r.Weight = rules.Warn, 0
		}
		out.Rules[i] = r
	}
	return out
}

// Mark records on sc's results which rules were spared by the grace
// period at now, and until when.
func (g Grace) Mark(sc *Scorecard, now time.Time) {
	if !g.ActiveAt(now) {
		return
	}
	for i := range sc.Rules {
		if g.Rules[sc.Rules[i].Rule] {
			until := g.Until
			sc.Rules[i].GraceUntil = &until
		}
	}
}
