package lifecycle

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/steward-governance/steward/catalog"
)

// Gates are the conditions a standard sets on entering a stage
// (x-steward-lifecycle); DefaultGates are what applies when it says
// nothing.
type Gates struct {
	Production ProductionGate
	Deprecated DeprecatedGate
	Retired    RetiredGate
}

// ProductionGate guards production: what consumers rely on must be
// described and meet the standard.
type ProductionGate struct {
	// RequireSpec asks for a current spec.
	RequireSpec bool
	// MinGrade is the worst grade the latest scorecard of the current spec
	// may have (A, B, C, D or F); empty means any grade, or none.
	MinGrade string
}

// DeprecatedGate guards deprecation: consumers must learn when the
// version goes and what to do about it.
type DeprecatedGate struct {
	RequireSunset         bool
	RequireMigrationNotes bool
}

// RetiredGate guards retirement: nobody may still be calling the version.
type RetiredGate struct {
	// QuietDays is how many days before the move the sources that can see
	// the API must have watched it without a legitimate request; 0 turns
	// the traffic check off.
	QuietDays int
}

// DefaultGates apply where the standard sets no x-steward-lifecycle:
// production needs a spec (no minimum grade until a governance lead sets
// one), deprecation a sunset date and migration notes, retirement 30 quiet
// days, the same span the zombie job looks at.
var DefaultGates = Gates{
	Production: ProductionGate{RequireSpec: true},
	Deprecated: DeprecatedGate{RequireSunset: true, RequireMigrationNotes: true},
	Retired:    RetiredGate{QuietDays: 30},
}

// Grades lists the grades from best to worst, as scorecards give them.
var Grades = []string{"A", "B", "C", "D", "F"}

// ValidGrade reports whether g is one of Grades.
func ValidGrade(g string) bool { return gradeRank(g) >= 0 }

func gradeRank(g string) int {
	for i, x := range Grades {
		if x == g {
			return i
		}
	}
	return -1
}

// CoverageSlack is how far behind now the traffic sources may have read
// and still count as watching: pulls run every few minutes and pushes
// arrive in batches, so the last hours are never complete.
const CoverageSlack = 24 * time.Hour

// Span is a stretch of time a traffic source has read.
type Span struct {
	From, To time.Time
}

// Facts are what the gates look at, gathered by the store for one version
// and one move. The deprecation fields are those the version will have
// after the move: what the request sets, else what it had.
type Facts struct {
	// Now is when the move happens.
	Now time.Time
	// HasSpec says the version has a current spec.
	HasSpec bool
	// Scored says the latest scorecard was made from the current spec;
	// Grade and Score are that scorecard's (Grade empty when it found
	// nothing to grade).
	Scored bool
	Grade  string
	Score  *int
	// SunsetDate, DeprecationDate, MigrationNotes and Replacement describe
	// the deprecation.
	SunsetDate      *time.Time
	DeprecationDate *time.Time
	MigrationNotes  string
	Replacement     string
	// Reason is why the move is made.
	Reason string
	// LastLegitimate is the newest legitimate request any source saw; nil
	// when none ever did.
	LastLegitimate *time.Time
	// Coverage are the spans the sources that can see the API have read.
	Coverage []Span
	// OverrideReason is a governance lead's written reason to retire
	// despite the traffic gate; OverrideAllowed says the person moving the
	// version may override (policy.LifecycleOverride), or that Steward
	// itself moves it.
	OverrideReason  string
	OverrideAllowed bool
}

// Gate names, as the standard writes them; a Failure names one.
const (
	GateTransition            = "transition"
	GateReason                = "reason"
	GateRequireSpec           = "production.require-spec"
	GateMinGrade              = "production.min-grade"
	GateRequireSunset         = "deprecated.require-sunset"
	GateSunsetDate            = "deprecated.sunset-date"
	GateRequireMigrationNotes = "deprecated.require-migration-notes"
	GateQuietDays             = "retired.quiet-days"
	GateOverride              = "retired.override"
)

// Failure is one reason a move is blocked: the gate, the form field to fix
// when there is one, and a sentence saying what failed and what to do.
type Failure struct {
	Gate    string `json:"gate"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Outcome is what checking a move found.
type Outcome struct {
	// Transition is the move, when it exists.
	Transition Transition
	// Failures block the move.
	Failures []Failure
	// Overridden are failures a governance lead's override set aside; the
	// move is recorded as an override when there are any.
	Overridden []Failure
}

// Blocked is the error of a move the gates refused. It wraps
// catalog.ErrInvalid, so every layer answers it with 422.
type Blocked struct {
	From, To catalog.Stage
	Failures []Failure
}

// Error lists the failures.
func (b *Blocked) Error() string {
	msgs := make([]string, len(b.Failures))
	for i, f := range b.Failures {
		msgs[i] = f.Message
	}
	return "lifecycle: " + string(b.From) + " → " + string(b.To) + " is blocked: " + strings.Join(msgs, " ")
}

// Unwrap makes errors.Is(err, catalog.ErrInvalid) true.
func (b *Blocked) Unwrap() error { return catalog.ErrInvalid }

// Check returns what blocks a move from one stage to another; none means
// it may go ahead. Who may make the move is policy's question
// (Transition.Action), asked before.
func (g Gates) Check(from, to catalog.Stage, f Facts) []Failure {
	return g.Evaluate(from, to, f).Failures
}

// Evaluate checks a move and also reports the failures an override set
// aside, which the timeline records.
func (g Gates) Evaluate(from, to catalog.Stage, f Facts) Outcome {
	t, ok := Find(from, to)
	if !ok {
		return Outcome{Failures: []Failure{notAllowed(from, to)}}
	}
	out := Outcome{Transition: t}
	if t.NeedsReason && strings.TrimSpace(f.Reason) == "" {
		out.Failures = append(out.Failures, Failure{Gate: GateReason, Field: "reason",
			Message: "Say why you " + verb(t.Kind) + " the version: the reason goes on its timeline for its consumers and auditors."})
	}
	switch to {
	case catalog.StageProduction:
		out.Failures = append(out.Failures, g.Production.check(f)...)
	case catalog.StageDeprecated:
		out.Failures = append(out.Failures, g.Deprecated.check(f)...)
	case catalog.StageRetired:
		quiet := g.Retired.check(f)
		switch {
		case len(quiet) == 0:
		case strings.TrimSpace(f.OverrideReason) == "":
			out.Failures = append(out.Failures, quiet...)
		case !f.OverrideAllowed:
			out.Failures = append(out.Failures, quiet...)
			out.Failures = append(out.Failures, Failure{Gate: GateOverride, Field: "override_reason",
				Message: "Only a governance lead can override the quiet-traffic gate; leave the override reason empty, or ask a governance lead to retire the version."})
		default:
			out.Overridden = quiet
		}
	}
	return out
}

func verb(k Kind) string {
	switch k {
	case Deprecate:
		return "deprecate"
	case Undeprecate:
		return "take back the deprecation of"
	case Retire:
		return "retire"
	case Demote:
		return "move back from production"
	case Reinstate:
		return "reinstate"
	}
	return "move"
}

func (g ProductionGate) check(f Facts) []Failure {
	if !f.HasSpec {
		if g.RequireSpec || g.MinGrade != "" {
			return []Failure{{Gate: GateRequireSpec,
				Message: "Production needs a spec, and this version has none. Upload its OpenAPI description on the version page, then try again."}}
		}
		return nil
	}
	if g.MinGrade == "" {
		return nil
	}
	need := "Production needs a grade of at least " + g.MinGrade
	switch {
	case !f.Scored:
		return []Failure{{Gate: GateMinGrade,
			Message: need + ", and the current spec has not been scored yet. Scorecards are computed shortly after an upload; try again once the version page shows a grade."}}
	case f.Grade == "" || gradeRank(f.Grade) < 0:
		return []Failure{{Gate: GateMinGrade,
			Message: need + ", and the latest scorecard has no grade (it found nothing it could score). Open the scorecard to see why, then try again."}}
	case gradeRank(f.Grade) > gradeRank(g.MinGrade):
		score := ""
		if f.Score != nil {
			score = " (" + strconv.Itoa(*f.Score) + ")"
		}
		return []Failure{{Gate: GateMinGrade,
			Message: need + "; the latest scorecard is " + f.Grade + score + ". Fix the failing rules on the scorecard, then try again."}}
	}
	return nil
}

func (g DeprecatedGate) check(f Facts) []Failure {
	var out []Failure
	switch {
	case f.SunsetDate == nil:
		if g.RequireSunset {
			out = append(out, Failure{Gate: GateRequireSunset, Field: "sunset_date",
				Message: "Deprecation needs a sunset date: the day the version stops answering, sent to consumers in the Sunset header. Set one, then try again."})
		}
	case f.SunsetDate.Before(day(f.Now)):
		out = append(out, Failure{Gate: GateSunsetDate, Field: "sunset_date",
			Message: "The sunset date " + FormatDate(*f.SunsetDate) + " has passed; choose today or a later day."})
	case f.DeprecationDate != nil && f.SunsetDate.Before(*f.DeprecationDate):
		out = append(out, Failure{Gate: GateSunsetDate, Field: "sunset_date",
			Message: "The sunset date " + FormatDate(*f.SunsetDate) + " is before the deprecation date " + FormatDate(*f.DeprecationDate) + "; the version can only stop answering after it is deprecated."})
	}
	if g.RequireMigrationNotes && strings.TrimSpace(f.MigrationNotes) == "" {
		out = append(out, Failure{Gate: GateRequireMigrationNotes, Field: "migration_notes",
			Message: "Deprecation needs migration notes: tell consumers what to use instead and how to move. Write them, then try again."})
	}
	return out
}

const overrideHint = "or ask a governance lead to override with a written reason."

func (g RetiredGate) check(f Facts) []Failure {
	if g.QuietDays <= 0 {
		return nil
	}
	n := g.QuietDays
	need := "Retiring needs " + plural(n, "day") + " without legitimate traffic"
	windowStart := f.Now.Add(-time.Duration(n) * 24 * time.Hour)
	var out []Failure
	if f.LastLegitimate != nil && f.LastLegitimate.After(windowStart) {
		until := f.LastLegitimate.Add(time.Duration(n) * 24 * time.Hour)
		out = append(out, Failure{Gate: GateQuietDays,
			Message: need + ", and it was last called on " + FormatTime(*f.LastLegitimate) + ". Move its remaining consumers to the replacement and wait until " +
				FormatDate(until) + " with no further calls, " + overrideHint})
	}
	span, ok := latestSpan(f.Coverage)
	switch {
	case !ok:
		out = append(out, Failure{Gate: GateQuietDays,
			Message: need + ", and no traffic source has read this API's traffic, so silence proves nothing. Connect a source that sees it (Admin → Sources) and wait " +
				plural(n, "day") + ", " + overrideHint})
	case span.To.Before(f.Now.Add(-CoverageSlack)):
		out = append(out, Failure{Gate: GateQuietDays,
			Message: need + ", and the traffic sources have read this API's traffic only up to " + FormatTime(span.To) +
				", so the days since are unknown. Get the sources reading again (Admin → Sources), " + overrideHint})
	case span.From.After(windowStart):
		earliest := span.From.Add(time.Duration(n) * 24 * time.Hour)
		days := int(f.Now.Sub(span.From) / (24 * time.Hour))
		out = append(out, Failure{Gate: GateQuietDays,
			Message: need + ", and the traffic sources have read this API's traffic only since " + FormatDate(span.From) + " (" + plural(days, "day") +
				"). The earliest retirement is " + FormatDate(earliest) + "; wait until then, " + overrideHint})
	}
	return out
}

// latestSpan merges overlapping spans and returns the one that reaches
// furthest: the unbroken coverage up to the sources' latest read.
func latestSpan(spans []Span) (Span, bool) {
	var valid []Span
	for _, s := range spans {
		if !s.From.IsZero() && !s.To.IsZero() && !s.To.Before(s.From) {
			valid = append(valid, s)
		}
	}
	if len(valid) == 0 {
		return Span{}, false
	}
	sort.Slice(valid, func(i, j int) bool { return valid[i].To.After(valid[j].To) })
	cur := valid[0]
	for changed := true; changed; {
		changed = false
		for _, s := range valid[1:] {
			if s.From.Before(cur.From) && !s.To.Before(cur.From) {
				cur.From, changed = s.From, true
			}
		}
	}
	return cur, true
}

// Requirements describes in words what entering a stage needs under these
// gates, for the page that offers the move.
func (g Gates) Requirements(to catalog.Stage) []string {
	var out []string
	switch to {
	case catalog.StageProduction:
		if g.Production.RequireSpec || g.Production.MinGrade != "" {
			out = append(out, "a current spec")
		}
		if g.Production.MinGrade != "" {
			out = append(out, "a grade of at least "+g.Production.MinGrade+" on the latest scorecard")
		}
	case catalog.StageDeprecated:
		if g.Deprecated.RequireSunset {
			out = append(out, "a sunset date")
		}
		if g.Deprecated.RequireMigrationNotes {
			out = append(out, "migration notes")
		}
	case catalog.StageRetired:
		if g.Retired.QuietDays > 0 {
			out = append(out, plural(g.Retired.QuietDays, "day")+" without legitimate traffic, seen by the traffic sources, or a governance lead's override")
		}
	}
	return out
}

// FormatDate writes a day as the pages and messages show it: 2 Jan 2006.
func FormatDate(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

// FormatTime writes a moment as the pages and messages show it.
func FormatTime(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }

// ParseDate reads a day as a form sends it (2006-01-02), at midnight UTC.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("write the date as YYYY-MM-DD, such as 2026-09-30")
	}
	return t, nil
}

func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
