// Package lifecycle decides how an API version moves between lifecycle
// stages: which moves exist, who may make each one, and the gates a
// standard puts on entering production, deprecation and retirement. It
// knows nothing of HTTP or SQL: the store gathers the Facts, the standard
// supplies the Gates, and Check says what blocks a move in words a person
// can act on.
package lifecycle

import (
	"strings"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/policy"
)

// Kind names a move for people and for the timeline.
type Kind string

// The kinds of move. Before production the stages are a team's own
// business; from production on, consumers may depend on the version, so
// the way out is deprecation and retirement, decided by the team's owners
// or governance, and going back needs a governance lead.
const (
	// Advance moves forward through the pre-release stages or into
	// production.
	Advance Kind = "advance"
	// StepBack moves back among the pre-release stages (testing →
	// development, preview → testing).
	StepBack Kind = "step back"
	// Deprecate announces that a preview or production version will go.
	Deprecate Kind = "deprecate"
	// Undeprecate takes a deprecation back (deprecated → production or
	// preview).
	Undeprecate Kind = "undeprecate"
	// Retire switches a deprecated version off for good.
	Retire Kind = "retire"
	// Demote moves a production version back to a pre-release stage, for a
	// promotion made by mistake.
	Demote Kind = "demote"
	// Reinstate brings a retired version back to deprecated, for a
	// retirement made by mistake.
	Reinstate Kind = "reinstate"
)

// Transition is one allowed move between two stages.
type Transition struct {
	From, To catalog.Stage
	Kind     Kind
	// Action is what policy.Authorize must allow the person making the
	// move: policy.VersionStage, VersionRetire or LifecycleOverride.
	Action policy.Action
	// NeedsReason is set on moves that consumers and auditors will ask
	// about; the others may leave the reason empty.
	NeedsReason bool
}

var preRelease = []catalog.Stage{catalog.StageDesign, catalog.StageDevelopment, catalog.StageTesting, catalog.StagePreview}

// table is every allowed move; see README.md ("Lifecycle") for the why.
var table = buildTable()

func buildTable() []Transition {
	var t []Transition
	add := func(from, to catalog.Stage, k Kind, act policy.Action, reason bool) {
		t = append(t, Transition{From: from, To: to, Kind: k, Action: act, NeedsReason: reason})
	}
	for i, from := range preRelease {
		for j, to := range preRelease {
			switch {
			case j > i:
				add(from, to, Advance, policy.VersionStage, false)
			case j < i:
				add(from, to, StepBack, policy.VersionStage, false)
			}
		}
		add(from, catalog.StageProduction, Advance, policy.VersionStage, false)
	}
	for _, to := range preRelease {
		add(catalog.StageProduction, to, Demote, policy.LifecycleOverride, true)
	}
	add(catalog.StagePreview, catalog.StageDeprecated, Deprecate, policy.VersionRetire, true)
	add(catalog.StageProduction, catalog.StageDeprecated, Deprecate, policy.VersionRetire, true)
	add(catalog.StageDeprecated, catalog.StageProduction, Undeprecate, policy.VersionRetire, true)
	add(catalog.StageDeprecated, catalog.StagePreview, Undeprecate, policy.VersionRetire, true)
	add(catalog.StageDeprecated, catalog.StageRetired, Retire, policy.VersionRetire, true)
	add(catalog.StageRetired, catalog.StageDeprecated, Reinstate, policy.LifecycleOverride, true)
	return t
}

// Transitions lists every allowed move, grouped by the stage it leaves.
func Transitions() []Transition {
	return append([]Transition(nil), table...)
}

// Find returns the move from one stage to another, if there is one.
func Find(from, to catalog.Stage) (Transition, bool) {
	for _, t := range table {
		if t.From == from && t.To == to {
			return t, true
		}
	}
	return Transition{}, false
}

// From lists the moves out of a stage, in lifecycle order of their target.
func From(from catalog.Stage) []Transition {
	var out []Transition
	for _, st := range catalog.Stages {
		if t, ok := Find(from, st); ok {
			out = append(out, t)
		}
	}
	return out
}

// notAllowed explains why there is no move from one stage to another and
// where the version can go instead.
func notAllowed(from, to catalog.Stage) Failure {
	f := Failure{Gate: GateTransition, Field: "to"}
	if from == to {
		f.Message = "The version is already in " + string(to) + "."
		return f
	}
	if _, ok := catalog.ParseStage(string(to)); !ok || to == "" {
		f.Message = "Choose a stage: one of " + stageNames(catalog.Stages) + "."
		return f
	}
	var targets []catalog.Stage
	for _, t := range From(from) {
		targets = append(targets, t.To)
	}
	msg := "A version cannot move from " + string(from) + " to " + string(to) + "."
	if len(targets) > 0 {
		msg += " From " + string(from) + " it can move to " + stageNames(targets) + "."
	}
	switch {
	case to == catalog.StageRetired && (from == catalog.StageProduction || from == catalog.StagePreview):
		msg += " Deprecate it first, so its consumers get a sunset date and migration notes."
	case to == catalog.StageRetired || (to == catalog.StageDeprecated && from != catalog.StageRetired):
		msg += " A version that never reached preview or production has no consumers to warn: delete it instead."
	case from == catalog.StageDeprecated:
		msg += " To start over, create a new version."
	}
	f.Message = msg
	return f
}

// stageNames lists stages as "a, b or c".
func stageNames(stages []catalog.Stage) string {
	names := make([]string, len(stages))
	for i, s := range stages {
		names[i] = string(s)
	}
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
