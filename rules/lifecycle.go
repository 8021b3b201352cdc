package rules

import (
	"math"
	"strings"

	"github.com/steward-governance/steward/lifecycle"
	"github.com/steward-governance/steward/rules/doc"
)

// lifecycleKey is the top-level property that sets the lifecycle gates:
//
//	x-steward-lifecycle:
//	  production: {require-spec: true, min-grade: C}
//	  deprecated: {require-sunset: true, require-migration-notes: true}
//	  retired: {quiet-days: 30}
const lifecycleKey = "x-steward-lifecycle"

// maxQuietDays bounds quiet-days: ten years is already no gate at all.
const maxQuietDays = 3650

// LifecycleSettings are the gates a ruleset sets on entering a lifecycle
// stage (x-steward-lifecycle). A nil field is not set here: it is
// inherited through extends, else lifecycle.DefaultGates applies; use
// LifecycleGates for the result.
type LifecycleSettings struct {
	RequireSpec           *bool
	MinGrade              *string // "" once set to none
	RequireSunset         *bool
	RequireMigrationNotes *bool
	QuietDays             *int
}

// LifecycleGates returns the gates the ruleset sets, own or inherited,
// with lifecycle.DefaultGates for the rest.
func (rs *Ruleset) LifecycleGates() lifecycle.Gates {
	g := lifecycle.DefaultGates
	if rs == nil {
		return g
	}
	s := rs.Lifecycle
	if s.RequireSpec != nil {
		g.Production.RequireSpec = *s.RequireSpec
	}
	if s.MinGrade != nil {
		g.Production.MinGrade = *s.MinGrade
	}
	if s.RequireSunset != nil {
		g.Deprecated.RequireSunset = *s.RequireSunset
	}
	if s.RequireMigrationNotes != nil {
		g.Deprecated.RequireMigrationNotes = *s.RequireMigrationNotes
	}
	if s.QuietDays != nil {
		g.Retired.QuietDays = *s.QuietDays
	}
	return g
}

// inheritFrom takes every setting parent makes, replacing earlier ones: a
// later extends entry wins, and the ruleset's own entries, read after its
// extends, win over all.
func (s *LifecycleSettings) inheritFrom(parent LifecycleSettings) {
	if parent.RequireSpec != nil {
		s.RequireSpec = parent.RequireSpec
	}
	if parent.MinGrade != nil {
		s.MinGrade = parent.MinGrade
	}
	if parent.RequireSunset != nil {
		s.RequireSunset = parent.RequireSunset
	}
	if parent.RequireMigrationNotes != nil {
		s.RequireMigrationNotes = parent.RequireMigrationNotes
	}
	if parent.QuietDays != nil {
		s.QuietDays = parent.QuietDays
	}
}

// lifecycleGateNames are the settings of each stage that has gates.
var lifecycleGateNames = map[string][]string{
	"production": {"require-spec", "min-grade"},
	"deprecated": {"require-sunset", "require-migration-notes"},
	"retired":    {"quiet-days"},
}

// lifecycleSettings reads x-steward-lifecycle: an object from the stages
// that have gates to their settings. Each setting replaces the inherited
// one; settings left out stay inherited.
func (b *builder) lifecycleSettings(n *doc.Node) error {
	if n.Kind != doc.Object {
		return b.errAt(n, "%s must be an object from lifecycle stages to their gates, such as {production: {min-grade: C}}, got %s", lifecycleKey, describe(n))
	}
	for i, stage := range n.Keys {
		v := n.Children[i]
		names, ok := lifecycleGateNames[stage]
		if !ok {
			return b.keyErr(v, "%q has no gates: gates can be set for production, deprecated and retired", stage)
		}
		if v.Kind != doc.Object {
			return b.errAt(v, "the gates of %s must be an object with %s, got %s", stage, strings.Join(names, ", "), describe(v))
		}
		for j, name := range v.Keys {
			if err := b.lifecycleGate(stage, name, v.Children[j], names); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *builder) lifecycleGate(stage, name string, v *doc.Node, names []string) error {
	s := &b.rs.Lifecycle
	flag := func(into **bool) error {
		if v.Kind != doc.Bool {
			return b.errAt(v, "%s.%s must be true or false, got %s", stage, name, describe(v))
		}
		val := v.Value == "true"
		*into = &val
		return nil
	}
	switch stage + "." + name {
	case "production.require-spec":
		return flag(&s.RequireSpec)
	case "production.min-grade":
		switch {
		case v.Kind == doc.Null || (v.Kind == doc.String && strings.EqualFold(v.Value, "none")):
			none := ""
			s.MinGrade = &none
		case v.Kind == doc.String && lifecycle.ValidGrade(strings.ToUpper(v.Value)):
			g := strings.ToUpper(v.Value)
			s.MinGrade = &g
		default:
			return b.errAt(v, "production.min-grade must be one of %s or none, got %s", strings.Join(lifecycle.Grades, ", "), describe(v))
		}
		return nil
	case "deprecated.require-sunset":
		return flag(&s.RequireSunset)
	case "deprecated.require-migration-notes":
		return flag(&s.RequireMigrationNotes)
	case "retired.quiet-days":
		if v.Kind != doc.Number || v.Num != math.Trunc(v.Num) || v.Num < 0 || v.Num > maxQuietDays {
			return b.errAt(v, "retired.quiet-days must be a whole number of days from 0 (no traffic check) to %d, got %s", maxQuietDays, describe(v))
		}
		d := int(v.Num)
		s.QuietDays = &d
		return nil
	}
	return b.keyErr(v, "unknown gate %q of %s: want %s", name, stage, strings.Join(names, " or "))
}

// keyErr is an error about an object key, placed on the key itself.
func (b *builder) keyErr(v *doc.Node, format string, args ...any) error {
	e := b.errAt(v, format, args...).(*LoadError)
	if v.KeyPos.Line > 0 {
		e.Pos = v.KeyPos
	}
	return e
}
