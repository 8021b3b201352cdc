package scorecard

import (
	"fmt"

	"github.com/steward-governance/steward/rules"
)

// ZombieRule names the governance check of zombie detection: a live
// version nobody legitimately calls costs upkeep and attack surface and
// should be retired. Like the breaking-changes check it is not a lint
// rule: it reads the zombie job's verdict on the version.
const ZombieRule = "steward-zombie"

// zombieWeight matches the middle of steward:recommended's governance
// rules: a zombie is a debt, not an outage.
const zombieWeight = 3

// ZombieCheck is the check as a rule of a standard; StandardOf adds it.
func ZombieCheck() Rule {
	return Rule{
		Name: ZombieRule,
		Description: "A production or preview version has had legitimate traffic within the zombie window, " +
			"judged only where the traffic sources covered the whole window.",
		Category: rules.Governance,
		Weight:   zombieWeight,
		Severity: rules.Error,
		HowToFix: "Retire the version (accept the retirement proposal, or propose one from the version page), " +
			"or, if it must stay, ask for a waiver of this rule with the reason it is kept.",
	}
}

// Zombie verdicts as the zombie job stores them.
const (
	VerdictZombie  = "zombie"
	VerdictActive  = "active"
	VerdictUnknown = "unknown"
)

// checkZombie fills in res for the version's zombie verdict: one target,
// failed by a zombie, passed by an active version, not applicable when no
// verdict could be reached (no coverage, or a stage the job does not judge).
func checkZombie(rev Revision, res *RuleResult) {
	switch rev.Zombie {
	case VerdictZombie:
		res.Status, res.Targets, res.FailedTargets, res.Findings = Fail, 1, 1, 1
		res.Detail = fmt.Sprintf("No legitimate request in the last %d days, while the traffic sources covered them.", rev.ZombieDays)
	case VerdictActive:
		res.Status, res.Targets, res.Credit = Pass, 1, res.Weight
		res.Detail = fmt.Sprintf("Legitimate traffic within the last %d days.", rev.ZombieDays)
	default:
		res.Status = NotApplicable
		res.Detail = "No verdict: the version is not live, or no traffic source covered the window."
	}
}
