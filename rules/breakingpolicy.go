package rules

import (
	"strings"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/rules/doc"
)

// BreakingPolicy is what happens to a spec upload that introduces breaking
// changes, for one lifecycle stage (x-steward-breaking-changes).
type BreakingPolicy string

// The policies, from the most permissive.
const (
	// BreakingAllow stores the revision as current; its changes go to the
	// version's changelog.
	BreakingAllow BreakingPolicy = "allow"
	// BreakingHold refuses the push through the JSON API (409) and, on the
	// version page, keeps the revision pending until a governance lead
	// approves an exception.
	BreakingHold BreakingPolicy = "hold"
	// BreakingRefuse refuses the push everywhere, with the list of breaking
	// changes: at these stages no exception makes sense and a new version
	// is the way forward.
	BreakingRefuse BreakingPolicy = "refuse"
)

// breakingChangesKey is the top-level property that sets the policy.
const breakingChangesKey = "x-steward-breaking-changes"

// DefaultBreakingPolicy is the policy of a stage that no ruleset in the
// chain sets: breaking changes are free before anyone depends on a version,
// held for approval once consumers may (preview, production), and refused
// on versions on their way out.
var DefaultBreakingPolicy = map[catalog.Stage]BreakingPolicy{
	catalog.StageDesign:      BreakingAllow,
	catalog.StageDevelopment: BreakingAllow,
	catalog.StageTesting:     BreakingAllow,
	catalog.StagePreview:     BreakingHold,
	catalog.StageProduction:  BreakingHold,
	catalog.StageDeprecated:  BreakingRefuse,
	catalog.StageRetired:     BreakingRefuse,
}

// BreakingPolicyFor returns the policy for breaking changes at a stage:
// the ruleset's own or inherited entry, else DefaultBreakingPolicy. An
// unknown stage is held, the cautious choice.
func (rs *Ruleset) BreakingPolicyFor(stage catalog.Stage) BreakingPolicy {
	if rs != nil {
		if p, ok := rs.BreakingChanges[stage]; ok {
			return p
		}
	}
	if p, ok := DefaultBreakingPolicy[stage]; ok {
		return p
	}
	return BreakingHold
}

func stageList() string {
	names := make([]string, len(catalog.Stages))
	for i, s := range catalog.Stages {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// breakingChanges reads x-steward-breaking-changes: an object from
// lifecycle stages to allow, hold or refuse. Its entries replace inherited
// ones.
func (b *builder) breakingChanges(n *doc.Node) error {
	if n.Kind != doc.Object {
		return b.errAt(n, "%s must be an object from lifecycle stages to allow, hold or refuse, such as {production: hold}, got %s", breakingChangesKey, describe(n))
	}
	for i, k := range n.Keys {
		v := n.Children[i]
		stage, ok := catalog.ParseStage(k)
		if !ok || string(stage) != k {
			e := b.errAt(v, "unknown lifecycle stage %q: want %s", k, stageList()).(*LoadError)
			if v.KeyPos.Line > 0 {
				e.Pos = v.KeyPos
			}
			return e
		}
		p := BreakingPolicy(v.Value)
		if v.Kind != doc.String || (p != BreakingAllow && p != BreakingHold && p != BreakingRefuse) {
			return b.errAt(v, "the breaking-change policy of stage %s must be allow, hold or refuse, got %s", k, describe(v))
		}
		if b.rs.BreakingChanges == nil {
			b.rs.BreakingChanges = map[catalog.Stage]BreakingPolicy{}
		}
		b.rs.BreakingChanges[stage] = p
	}
	return nil
}
