package rules

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/steward-governance/steward/lifecycle"
)

func TestLifecycleGates(t *testing.T) {
	parse := func(t *testing.T, src string, fsys fstest.MapFS) *Ruleset {
		t.Helper()
		rs, err := Parse([]byte(src), "std.yaml", fsys)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	t.Run("defaults when no ruleset says anything", func(t *testing.T) {
		if got := parse(t, "rules: {}\n", nil).LifecycleGates(); got != lifecycle.DefaultGates {
			t.Errorf("gates = %+v, want the defaults %+v", got, lifecycle.DefaultGates)
		}
		if got := (*Ruleset)(nil).LifecycleGates(); got != lifecycle.DefaultGates {
			t.Errorf("nil ruleset: %+v", got)
		}
		rec, err := Builtin("steward:recommended")
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.LifecycleGates(); got != lifecycle.DefaultGates {
			t.Errorf("steward:recommended = %+v, want the defaults", got)
		}
	})
	t.Run("every setting", func(t *testing.T) {
		rs := parse(t, `x-steward-lifecycle:
  production: {min-grade: c, require-spec: false}
  deprecated: {require-sunset: false, require-migration-notes: false}
  retired: {quiet-days: 45}
`, nil)
		want := lifecycle.Gates{
			Production: lifecycle.ProductionGate{MinGrade: "C"},
			Retired:    lifecycle.RetiredGate{QuietDays: 45},
		}
		if got := rs.LifecycleGates(); got != want {
			t.Errorf("gates = %+v, want %+v", got, want)
		}
	})
	t.Run("inherited setting by setting through extends", func(t *testing.T) {
		fsys := fstest.MapFS{
			"base.yaml": {Data: []byte("x-steward-lifecycle:\n  production: {min-grade: B}\n  retired: {quiet-days: 60}\n")},
		}
		rs := parse(t, "extends: [./base.yaml]\nx-steward-lifecycle:\n  retired: {quiet-days: 14}\n", fsys)
		g := rs.LifecycleGates()
		if g.Production.MinGrade != "B" || !g.Production.RequireSpec || g.Retired.QuietDays != 14 || !g.Deprecated.RequireSunset {
			t.Errorf("gates = %+v, want min-grade B inherited, quiet-days 14 own, the rest defaults", g)
		}
		none := parse(t, "extends: [./base.yaml]\nx-steward-lifecycle:\n  production: {min-grade: none}\n", fsys).LifecycleGates()
		if none.Production.MinGrade != "" || none.Retired.QuietDays != 60 {
			t.Errorf("min-grade none: %+v", none)
		}
	})
}

func TestLifecycleGateErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"x-steward-lifecycle: strict\n", `std.yaml:1:22: x-steward-lifecycle: x-steward-lifecycle must be an object from lifecycle stages to their gates, such as {production: {min-grade: C}}, got "strict"`},
		{"x-steward-lifecycle:\n  testing: {min-grade: C}\n", `std.yaml:2:3: x-steward-lifecycle.testing: "testing" has no gates: gates can be set for production, deprecated and retired`},
		{"x-steward-lifecycle:\n  production: C\n", `std.yaml:2:15: x-steward-lifecycle.production: the gates of production must be an object with require-spec, min-grade, got "C"`},
		{"x-steward-lifecycle:\n  production:\n    min-grade: E\n", `std.yaml:3:16: x-steward-lifecycle.production.min-grade: production.min-grade must be one of A, B, C, D, F or none, got "E"`},
		{"x-steward-lifecycle:\n  production:\n    min-grade: 3\n", `std.yaml:3:16: x-steward-lifecycle.production.min-grade: production.min-grade must be one of A, B, C, D, F or none, got 3`},
		{"x-steward-lifecycle:\n  production:\n    require-spec: yes please\n", `std.yaml:3:19: x-steward-lifecycle.production.require-spec: production.require-spec must be true or false, got "yes please"`},
		{"x-steward-lifecycle:\n  production:\n    min-score: 70\n", `std.yaml:3:5: x-steward-lifecycle.production.min-score: unknown gate "min-score" of production: want require-spec or min-grade`},
		{"x-steward-lifecycle:\n  deprecated: {require-sunset: 1}\n", `std.yaml:2:32: x-steward-lifecycle.deprecated.require-sunset: deprecated.require-sunset must be true or false, got 1`},
		{"x-steward-lifecycle:\n  retired:\n    quiet-days: -1\n", `std.yaml:3:17: x-steward-lifecycle.retired.quiet-days: retired.quiet-days must be a whole number of days from 0 (no traffic check) to 3650, got -1`},
		{"x-steward-lifecycle:\n  retired:\n    quiet-days: 7.5\n", `std.yaml:3:17: x-steward-lifecycle.retired.quiet-days: retired.quiet-days must be a whole number`},
		{"x-steward-lifecycle:\n  retired:\n    quiet-days: \"30\"\n", `std.yaml:3:17: x-steward-lifecycle.retired.quiet-days: retired.quiet-days must be a whole number`},
	} {
		_, err := Parse([]byte(tc.src), "std.yaml", nil)
		var le *LoadError
		if !errors.As(err, &le) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q:\n error %v\n want %q", tc.src, err, tc.want)
		}
	}
}
