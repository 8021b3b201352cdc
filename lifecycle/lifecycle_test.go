package lifecycle

import (
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/policy"
)

// TestTransitionTable pins every pair of stages: the allowed moves with
// their kind and the policy action they need, everything else refused.
func TestTransitionTable(t *testing.T) {
	const (
		D, V, T, P, PR, DE, R = catalog.StageDesign, catalog.StageDevelopment, catalog.StageTesting, catalog.StagePreview, catalog.StageProduction, catalog.StageDeprecated, catalog.StageRetired
	)
	type move struct {
		kind   Kind
		action policy.Action
		reason bool
	}
	adv := move{Advance, policy.VersionStage, false}
	back := move{StepBack, policy.VersionStage, false}
	demote := move{Demote, policy.LifecycleOverride, true}
	want := map[[2]catalog.Stage]move{
		{D, V}: adv, {D, T}: adv, {D, P}: adv, {D, PR}: adv,
		{V, D}: back, {V, T}: adv, {V, P}: adv, {V, PR}: adv,
		{T, D}: back, {T, V}: back, {T, P}: adv, {T, PR}: adv,
		{P, D}: back, {P, V}: back, {P, T}: back, {P, PR}: adv,
		{P, DE}: {Deprecate, policy.VersionRetire, true},
		{PR, D}: demote, {PR, V}: demote, {PR, T}: demote, {PR, P}: demote,
		{PR, DE}: {Deprecate, policy.VersionRetire, true},
		{DE, PR}: {Undeprecate, policy.VersionRetire, true},
		{DE, P}:  {Undeprecate, policy.VersionRetire, true},
		{DE, R}:  {Retire, policy.VersionRetire, true},
		{R, DE}:  {Reinstate, policy.LifecycleOverride, true},
	}
	for _, from := range catalog.Stages {
		for _, to := range catalog.Stages {
			got, ok := Find(from, to)
			w, allowed := want[[2]catalog.Stage{from, to}]
			if ok != allowed {
				t.Errorf("%s → %s: allowed = %v, want %v", from, to, ok, allowed)
				continue
			}
			if !ok {
				fs := Gates{}.Check(from, to, Facts{})
				if len(fs) != 1 || fs[0].Gate != GateTransition || fs[0].Message == "" {
					t.Errorf("%s → %s: failures %+v, want one transition failure", from, to, fs)
				}
				continue
			}
			if got.Kind != w.kind || got.Action != w.action || got.NeedsReason != w.reason {
				t.Errorf("%s → %s = %+v, want %+v", from, to, got, w)
			}
		}
	}
	if n := len(Transitions()); n != len(want) {
		t.Errorf("%d transitions, want %d", n, len(want))
	}
}

func TestRefusedMovesSayWhereToGo(t *testing.T) {
	for _, tc := range []struct {
		from, to catalog.Stage
		want     string
	}{
		{catalog.StageProduction, catalog.StageRetired, "A version cannot move from production to retired. From production it can move to design, development, testing, preview or deprecated. Deprecate it first"},
		{catalog.StageDesign, catalog.StageRetired, "delete it instead"},
		{catalog.StageRetired, catalog.StageProduction, "From retired it can move to deprecated."},
		{catalog.StageTesting, catalog.StageTesting, "The version is already in testing."},
		{catalog.StageTesting, "beta", "Choose a stage: one of design, development, testing, preview, production, deprecated or retired."},
	} {
		fs := DefaultGates.Check(tc.from, tc.to, Facts{})
		if len(fs) != 1 || !strings.Contains(fs[0].Message, tc.want) {
			t.Errorf("%s → %s: %+v, want %q", tc.from, tc.to, fs, tc.want)
		}
	}
}

func TestGates(t *testing.T) {
	now := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	days := func(n int) time.Time { return now.Add(time.Duration(n) * 24 * time.Hour) }
	ptr := func(t time.Time) *time.Time { return &t }
	score := func(n int) *int { return &n }
	covered := []Span{{From: days(-90), To: now.Add(-time.Hour)}}
	strict := DefaultGates
	strict.Production.MinGrade = "C"
	deprecation := Facts{Now: now, Reason: "v2 replaces it", SunsetDate: ptr(days(90)), MigrationNotes: "Use v2."}
	retirement := Facts{Now: now, Reason: "nobody calls it", Coverage: covered, LastLegitimate: ptr(days(-40))}
	with := func(f Facts, change func(*Facts)) Facts { change(&f); return f }

	tests := []struct {
		name       string
		gates      Gates
		from, to   catalog.Stage
		facts      Facts
		want       []string // one substring per failure, in order
		overridden int
	}{
		{"production without a spec", DefaultGates, catalog.StagePreview, catalog.StageProduction, Facts{Now: now},
			[]string{"Production needs a spec, and this version has none. Upload its OpenAPI description"}, 0},
		{"production with a spec and no minimum grade", DefaultGates, catalog.StagePreview, catalog.StageProduction, Facts{Now: now, HasSpec: true}, nil, 0},
		{"production without a spec when the standard does not ask for one", Gates{}, catalog.StageDesign, catalog.StageProduction, Facts{Now: now}, nil, 0},
		{"grade too low", strict, catalog.StageTesting, catalog.StageProduction, Facts{Now: now, HasSpec: true, Scored: true, Grade: "D", Score: score(62)},
			[]string{"Production needs a grade of at least C; the latest scorecard is D (62). Fix the failing rules on the scorecard, then try again."}, 0},
		{"grade good enough", strict, catalog.StageTesting, catalog.StageProduction, Facts{Now: now, HasSpec: true, Scored: true, Grade: "B", Score: score(85)}, nil, 0},
		{"grade exactly the minimum", strict, catalog.StageTesting, catalog.StageProduction, Facts{Now: now, HasSpec: true, Scored: true, Grade: "C", Score: score(70)}, nil, 0},
		{"current spec not scored yet", strict, catalog.StageTesting, catalog.StageProduction, Facts{Now: now, HasSpec: true, Grade: "A"},
			[]string{"the current spec has not been scored yet"}, 0},
		{"scorecard without a grade", strict, catalog.StageTesting, catalog.StageProduction, Facts{Now: now, HasSpec: true, Scored: true},
			[]string{"the latest scorecard has no grade"}, 0},
		{"a minimum grade needs a spec", Gates{Production: ProductionGate{MinGrade: "B"}}, catalog.StageTesting, catalog.StageProduction, Facts{Now: now},
			[]string{"Production needs a spec"}, 0},

		{"deprecation with everything", DefaultGates, catalog.StageProduction, catalog.StageDeprecated, deprecation, nil, 0},
		{"deprecation without anything", DefaultGates, catalog.StageProduction, catalog.StageDeprecated, Facts{Now: now},
			[]string{"Say why you deprecate the version", "Deprecation needs a sunset date", "Deprecation needs migration notes"}, 0},
		{"deprecation with a sunset in the past", DefaultGates, catalog.StageProduction, catalog.StageDeprecated,
			with(deprecation, func(f *Facts) { f.SunsetDate = ptr(days(-2)) }),
			[]string{"The sunset date 18 Mar 2026 has passed; choose today or a later day."}, 0},
		{"deprecation with the sunset today", DefaultGates, catalog.StageProduction, catalog.StageDeprecated,
			with(deprecation, func(f *Facts) { f.SunsetDate = ptr(time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)) }), nil, 0},
		{"sunset before the deprecation date", DefaultGates, catalog.StageProduction, catalog.StageDeprecated,
			with(deprecation, func(f *Facts) { f.DeprecationDate = ptr(days(100)) }),
			[]string{"is before the deprecation date 28 Jun 2026"}, 0},
		{"deprecation when the standard asks for nothing", Gates{}, catalog.StagePreview, catalog.StageDeprecated, Facts{Now: now, Reason: "replaced"}, nil, 0},

		{"retirement after a quiet, watched month", DefaultGates, catalog.StageDeprecated, catalog.StageRetired, retirement, nil, 0},
		{"retirement with recent traffic", DefaultGates, catalog.StageDeprecated, catalog.StageRetired,
			with(retirement, func(f *Facts) { f.LastLegitimate = ptr(time.Date(2026, 3, 12, 14, 0, 0, 0, time.UTC)) }),
			[]string{"Retiring needs 30 days without legitimate traffic, and it was last called on 12 Mar 2026 14:00 UTC. Move its remaining consumers to the replacement and wait until 11 Apr 2026 with no further calls, or ask a governance lead to override"}, 0},
		{"retirement with no source at all", DefaultGates, catalog.StageDeprecated, catalog.StageRetired,
			with(retirement, func(f *Facts) { f.Coverage, f.LastLegitimate = nil, nil }),
			[]string{"no traffic source has read this API's traffic, so silence proves nothing"}, 0},
		{"retirement with coverage that started late", DefaultGates, catalog.StageDeprecated, catalog.StageRetired,
			with(retirement, func(f *Facts) { f.Coverage = []Span{{From: days(-12), To: now}} }),
			[]string{"only since 8 Mar 2026 (12 days). The earliest retirement is 7 Apr 2026"}, 0},
		{"retirement with coverage that stopped", DefaultGates, catalog.StageDeprecated, catalog.StageRetired,
			with(retirement, func(f *Facts) { f.Coverage = []Span{{From: days(-90), To: days(-3)}} }),
			[]string{"only up to 17 Mar 2026 12:00 UTC, so the days since are unknown"}, 0},
		{"coverage pieced together from two sources", DefaultGates, catalog.StageDeprecated, catalog.StageRetired,
			with(retirement, func(f *Facts) { f.Coverage = []Span{{From: days(-10), To: now}, {From: days(-60), To: days(-5)}} }), nil, 0},
		{"coverage with a gap", DefaultGates, catalog.StageDeprecated, catalog.StageRetired,
			with(retirement, func(f *Facts) { f.Coverage = []Span{{From: days(-10), To: now}, {From: days(-60), To: days(-20)}} }),
			[]string{"only since 10 Mar 2026"}, 0},
		{"no coverage, overridden by a governance lead", DefaultGates, catalog.StageDeprecated, catalog.StageRetired,
			with(retirement, func(f *Facts) {
				f.Coverage, f.OverrideReason, f.OverrideAllowed = nil, "The gateway route was removed in January.", true
			}), nil, 1},
		{"recent traffic and no coverage, overridden", DefaultGates, catalog.StageDeprecated, catalog.StageRetired,
			with(retirement, func(f *Facts) {
				f.Coverage, f.LastLegitimate, f.OverrideReason, f.OverrideAllowed = nil, ptr(days(-1)), "Only our own monitor calls it.", true
			}), nil, 2},
		{"an override by someone who may not", DefaultGates, catalog.StageDeprecated, catalog.StageRetired,
			with(retirement, func(f *Facts) { f.Coverage, f.OverrideReason = nil, "trust me" }),
			[]string{"no traffic source", "Only a governance lead can override the quiet-traffic gate"}, 0},
		{"quiet days off", Gates{}, catalog.StageDeprecated, catalog.StageRetired, Facts{Now: now, Reason: "done"}, nil, 0},
		{"retirement needs a reason", DefaultGates, catalog.StageDeprecated, catalog.StageRetired,
			with(retirement, func(f *Facts) { f.Reason = " " }), []string{"Say why you retire the version"}, 0},
		{"advancing needs no reason", DefaultGates, catalog.StageDesign, catalog.StageDevelopment, Facts{Now: now}, nil, 0},
		{"demoting needs one", DefaultGates, catalog.StageProduction, catalog.StageTesting, Facts{Now: now}, []string{"Say why you move back from production"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.gates.Evaluate(tc.from, tc.to, tc.facts)
			if len(out.Failures) != len(tc.want) {
				t.Fatalf("failures %+v, want %d: %q", out.Failures, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(out.Failures[i].Message, w) {
					t.Errorf("failure %d = %q, want it to contain %q", i, out.Failures[i].Message, w)
				}
			}
			if len(out.Overridden) != tc.overridden {
				t.Errorf("overridden %+v, want %d", out.Overridden, tc.overridden)
			}
		})
	}
}

func TestRequirements(t *testing.T) {
	g := DefaultGates
	g.Production.MinGrade = "B"
	if got := strings.Join(g.Requirements(catalog.StageProduction), "; "); got != "a current spec; a grade of at least B on the latest scorecard" {
		t.Errorf("production: %q", got)
	}
	if got := strings.Join(DefaultGates.Requirements(catalog.StageRetired), "; "); !strings.Contains(got, "30 days without legitimate traffic") {
		t.Errorf("retired: %q", got)
	}
	if got := DefaultGates.Requirements(catalog.StageTesting); len(got) != 0 {
		t.Errorf("testing: %q", got)
	}
}
