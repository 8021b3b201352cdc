package scorecard

import (
	"encoding/json"
	"fmt"

	"github.com/steward-governance/steward/breaking"
	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/rules"
)

// BreakingChangesRule names the governance check of the breaking-change
// policy. It is not a lint rule: it reads how the scored revision differs
// from the one before it, which the spec's text alone cannot tell.
const BreakingChangesRule = "steward-breaking-changes"

// breakingChangesWeight is the check's weight: like the heaviest
// governance rules of steward:recommended, since a breaking change to a
// version in use hurts every consumer at once.
const breakingChangesWeight = 5

// BreakingChangesCheck is the check as a rule of a standard: StandardOf
// adds it to every standard, so it is scored, waived and shown like any
// other rule.
func BreakingChangesCheck() Rule {
	return Rule{
		Name: BreakingChangesRule,
		Description: "The current revision keeps to the standard's breaking-change policy: no breaking change from the " +
			"revision before it at a stage whose policy holds or refuses them, and none let through by an exception.",
		Category: rules.Governance,
		Weight:   breakingChangesWeight,
		Severity: rules.Error,
		HowToFix: "Ship breaking changes as a new version and keep this one compatible: upload a revision that restores " +
			"what the changes removed or narrowed, and the check passes once the current revision has no breaking change " +
			"from the one before it. If every consumer has agreed to the change, ask for a waiver of this rule.",
	}
}

// Revision is what scoring knows of the scored spec revision besides its
// text: the stage of its version now, and how it differs from the
// revision before it.
type Revision struct {
	Stage catalog.Stage
	// Compared is set when the revision was compared with the one before
	// it; a first revision, or a pair that could not be compared, leaves
	// the check not applicable.
	Compared bool
	// Excepted is set when the revision became current through an
	// exception a governance lead approved.
	Excepted bool
	// Breaking lists its breaking changes from the revision before.
	Breaking []breaking.Change
	// Zombie is the zombie job's verdict on the version ("zombie",
	// "active", "unknown" or "" when none), over ZombieDays days.
	Zombie     string
	ZombieDays int
}

// RevisionOf reads what the check needs from a stored revision: its
// version's stage, its classified changes (the JSON of a breaking.Report,
// empty when it was not compared) and whether an exception let it
// through. Changes that do not decode count as not compared.
func RevisionOf(stage catalog.Stage, changes string, excepted bool) Revision {
	rev := Revision{Stage: stage, Excepted: excepted}
	if changes == "" {
		return rev
	}
	var report breaking.Report
	if err := json.Unmarshal([]byte(changes), &report); err != nil {
		return rev
	}
	rev.Compared = true
	for _, ch := range report.Changes {
		if ch.Level == breaking.Breaking {
			rev.Breaking = append(rev.Breaking, ch)
		}
	}
	return rev
}

// breakingPolicy is the standard's policy for breaking changes at stage.
func (std Standard) breakingPolicy(stage catalog.Stage) rules.BreakingPolicy {
	if p, ok := std.BreakingPolicies[stage]; ok {
		return p
	}
	return (*rules.Ruleset)(nil).BreakingPolicyFor(stage)
}

// checkBreakingChanges fills in res, the check's line, for rev. A revision
// fails when it has breaking changes from the one before it and either an
// exception let them through or the policy of its version's stage does
// not allow them now (the version moved on to a stage that holds them, or
// the standard changed). It is one target: the revision passes or fails
// whole, and its breaking changes are the evidence.
func checkBreakingChanges(std Standard, rev Revision, res *RuleResult) {
	n := len(rev.Breaking)
	what := fmt.Sprintf("%d breaking changes", n)
	if n == 1 {
		what = "1 breaking change"
	}
	policy := std.breakingPolicy(rev.Stage)
	switch {
	case !rev.Compared:
		res.Status = NotApplicable
		res.Detail = "Not compared with a revision before it (a first revision, or a pair that could not be compared)."
		return
	case n == 0:
		res.Status = Pass
		res.Detail = "No breaking change from the revision before."
	case rev.Excepted:
		res.Status = Fail
		res.Detail = fmt.Sprintf("%s from the revision before, let through by an exception to the breaking-change policy.", what)
	case policy != rules.BreakingAllow:
		res.Status = Fail
		res.Detail = fmt.Sprintf("%s from the revision before, and the standard's policy for %s versions is %s.", what, rev.Stage, policy)
	default:
		res.Status = Pass
		res.Detail = fmt.Sprintf("%s from the revision before, which the standard allows at the %s stage.", what, rev.Stage)
	}
	res.Targets = 1
	if res.Status == Pass {
		res.Credit = res.Weight
		return
	}
	res.FailedTargets, res.Findings = 1, n
	for i, ch := range rev.Breaking {
		if i == MaxEvidence {
			break
		}
		msg := ch.Text
		if ch.Operation != "" {
			msg = ch.Operation + ": " + msg
		}
		// Only the new side is linked: the evidence points into the
		// scored revision, and a removed element has no place there.
		res.Evidence = append(res.Evidence, Evidence{Message: msg, Severity: rules.Error, Path: ch.New.Path, Line: ch.New.Line, Column: ch.New.Column})
	}
}
