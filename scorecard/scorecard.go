// Package scorecard turns the result of linting a spec with a standard into
// a scorecard: a 0-100 score per category, an overall score and grade, and
// every rule's result with its evidence. It is pure domain code: no HTTP,
// no SQL.
//
// How a score is computed, in the words a person reading a scorecard gets:
//
//   - Every rule the standard enables, and that applies to the spec's
//     format, has one result: pass (it checked something and found no
//     problem), fail (one finding or more), not applicable (there was
//     nothing for it to check), error (the rule could not be evaluated) or
//     waived.
//   - A rule checks targets: the things it looks at one by one, such as
//     the operations of the spec for "operations have a description", or
//     its paths for "paths are kebab-case". A target fails when the rule
//     finds a problem with it; a thing written once and used in several
//     places (a shared schema) is one target. The result says how many
//     fail: "3 of 100 fail".
//   - A rule counts with its weight (x-steward-weight, 1 by default)
//     times its severity: an error-level rule counts fully, a warning half,
//     info a quarter; hints are shown but count for nothing.
//   - A rule earns that weight times the share of its targets that pass:
//     when 3 of 100 operations lack a description, the rule earns 97% of
//     its weight and costs its category 3% of it, not all of it. How many
//     findings a failed target has does not matter.
//   - A rule with nothing to check (a rule about OAuth flows on an API
//     without OAuth) is not applicable: shown as such, not scored, so it
//     neither helps nor hurts.
//   - A rule that could not be evaluated earns nothing: a check that did
//     not run never earns credit. Its result says it was an error, not a
//     finding.
//   - Waived rules are shown with their waiver and not scored; an expired
//     waiver no longer applies.
//   - A category's score is 100 × (what its rules earned) / (their
//     weights), truncated to a whole number. A category with nothing to
//     score has no score.
//   - The overall score is the mean of the categories that have a score,
//     each counting as its weight in the standard
//     (x-steward-category-weights in the ruleset; 1 for a category it does
//     not list), truncated; the grade follows from it: A 90+, B 80+, C 70+,
//     D 60+, F below.
//   - One governance rule is not a lint rule: the breaking-changes check
//     (BreakingChangesRule, breaking.go) fails a revision with breaking
//     changes from the revision before it that an exception let through,
//     or that the policy of its version's stage does not allow now.
//   - When the lint did not finish (it timed out), the scorecard is marked
//     incomplete and has no scores and no grade: "not scored: evaluation
//     timed out". Rules with findings are shown as failed; the others as
//     not evaluated. An unfinished lint is never a pass.
package scorecard

import (
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/rules"
)

// Categories are the categories Steward scores, in the order scorecards
// show them.
var Categories = []rules.Category{rules.Security, rules.Design, rules.Documentation, rules.Performance, rules.Governance}

// DefaultCategory is where a rule without a category is scored: most
// uncategorised rules in Spectral rulesets are style rules.
const DefaultCategory = rules.Design

// MaxEvidence is how many findings a rule result keeps as evidence; the
// count is always complete.
const MaxEvidence = 25

// Rule is what scoring needs to know about one rule of a standard.
type Rule struct {
	Name        string
	Description string
	Category    rules.Category
	// Weight is the rule's own weight (x-steward-weight).
	Weight float64
	// Severity is the rule's severity in the standard; Off means the
	// standard does not enable it.
	Severity rules.Severity
	// Formats limits the rule to specs of these formats; empty means all.
	Formats          []rules.Format
	HowToFix         string
	DocumentationURL string
}

// Standard is the view of a published standard that scoring needs.
type Standard struct {
	Name    string
	Version string
	Rules   []Rule
	// CategoryWeights sets how much each category counts in the overall
	// score; a category missing here counts 1.
	CategoryWeights map[rules.Category]float64
	// BreakingPolicies is what breaking changes meet at each lifecycle
	// stage (x-steward-breaking-changes), which the breaking-changes check
	// applies; a stage missing here has rules.DefaultBreakingPolicy's.
	BreakingPolicies map[catalog.Stage]rules.BreakingPolicy
}

// StandardOf describes a loaded ruleset as a standard, keeping the rules
// it enables, its category weights (x-steward-category-weights) and its
// breaking-change policy (x-steward-breaking-changes), and adding the
// breaking-changes check (BreakingChangesCheck) and the zombie check
// (ZombieCheck) unless the ruleset has a rule of that name.
func StandardOf(name, version string, rs *rules.Ruleset) Standard {
	s := Standard{Name: name, Version: version, BreakingPolicies: make(map[catalog.Stage]rules.BreakingPolicy, len(catalog.Stages))}
	if len(rs.CategoryWeights) > 0 {
		s.CategoryWeights = make(map[rules.Category]float64, len(rs.CategoryWeights))
		for c, w := range rs.CategoryWeights {
			s.CategoryWeights[c] = w
		}
	}
	for _, stage := range catalog.Stages {
		s.BreakingPolicies[stage] = rs.BreakingPolicyFor(stage)
	}
	hasCheck, hasZombie := false, false
	for _, r := range rs.Rules {
		hasCheck = hasCheck || r.Name == BreakingChangesRule
		hasZombie = hasZombie || r.Name == ZombieRule
		if !r.Enabled() {
			continue
		}
		s.Rules = append(s.Rules, Rule{
			Name:             r.Name,
			Description:      r.Description,
			Category:         r.Category,
			Weight:           r.Weight,
			Severity:         r.Severity,
			Formats:          r.Formats,
			HowToFix:         r.HowToFix,
			DocumentationURL: r.DocumentationURL,
		})
	}
	if !hasCheck {
		s.Rules = append(s.Rules, BreakingChangesCheck())
	}
	if !hasZombie {
		s.Rules = append(s.Rules, ZombieCheck())
	}
	return s
}

// Waiver exempts one rule from scoring on one API version, granted by a
// governance lead for a reason, until it expires.
type Waiver struct {
	Rule      string
	Reason    string
	GrantedBy string
	// Expires is when the waiver stops applying; zero means never.
	Expires time.Time
}

// ActiveAt reports whether the waiver applies at now.
func (w Waiver) ActiveAt(now time.Time) bool {
	return w.Expires.IsZero() || now.Before(w.Expires)
}

// Status is the result of one rule.
type Status string

// The results a rule can have.
const (
	// Pass: the rule had targets and none of them has a finding.
	Pass Status = "pass"
	// Fail: at least one target has a finding; the rule earns the share
	// of its targets that pass.
	Fail Status = "fail"
	// NotApplicable: the rule had nothing to check in this spec; shown,
	// not scored.
	NotApplicable Status = "not applicable"
	// Error: the rule could not be evaluated; it earns nothing.
	Error Status = "error"
	// Waived: shown with its waiver, not scored.
	Waived Status = "waived"
	// NotEvaluated: the lint stopped before the rule could be known to
	// pass (incomplete scorecards only).
	NotEvaluated Status = "not evaluated"
)

// Grade is the letter an overall score earns.
type Grade string

// The grades; NoGrade is an unscored scorecard's.
const (
	A       Grade = "A"
	B       Grade = "B"
	C       Grade = "C"
	D       Grade = "D"
	F       Grade = "F"
	NoGrade Grade = ""
)

// GradeFor returns the grade of a 0-100 score: A 90+, B 80+, C 70+, D 60+,
// F below.
func GradeFor(score int) Grade {
	switch {
	case score >= 90:
		return A
	case score >= 80:
		return B
	case score >= 70:
		return C
	case score >= 60:
		return D
	}
	return F
}

// Evidence is one finding shown for a failed rule.
type Evidence struct {
	Message  string
	Severity rules.Severity
	// Path is a JSON pointer to the value in the spec ("#/paths/~1a/get").
	Path               string
	Line, Column       int
	EndLine, EndColumn int
}

// RuleResult is one rule's line on a scorecard.
type RuleResult struct {
	Rule        string
	Description string
	Category    rules.Category
	Severity    rules.Severity
	// Weight is what the rule counts for in its category: its weight
	// times its severity's factor (see SeverityFactor).
	Weight float64
	Status Status
	// Targets is how many things the rule checked in the spec (its
	// operations, paths, schemas: see rules.RuleStats) and FailedTargets
	// how many of them have a finding, so a page can say "3 of 100
	// fail". Both are 0 when the rule was not evaluated (an error, or a
	// lint that stopped before it ran) and when the lint report does not
	// count targets (the rule then passes or fails as a whole).
	Targets, FailedTargets int
	// Credit is what the rule earns towards its category when it is
	// scored (see Scored): Weight × (targets that pass / Targets) for a
	// pass or a fail, 0 for an error.
	Credit   float64
	Findings int
	// Evidence holds the first MaxEvidence findings, in source order.
	Evidence []Evidence
	// Error says why the rule could not be evaluated (Status Error).
	Error string
	// Detail says why a check that is not a lint rule (the
	// breaking-changes check) has its result.
	Detail string `json:",omitempty"`
	// Waiver is the waiver that applies (Status Waived).
	Waiver           *Waiver
	HowToFix         string
	DocumentationURL string
	// GraceUntil is set while the rule is new in the standard and within
	// its grace period: shown as a warning, not scored (see Grace).
	GraceUntil *time.Time `json:",omitempty"`
}

// Scored reports whether the result counts towards its category's score.
func (r RuleResult) Scored() bool {
	return r.Weight > 0 && (r.Status == Pass || r.Status == Fail || r.Status == Error)
}

// CategoryScore is one category's line on a scorecard.
type CategoryScore struct {
	Category rules.Category
	// HasScore is false when the category has no scored rule; Score is
	// then 0 and means nothing.
	HasScore bool
	Score    int
	// Credit and ScoredWeight are the two sums the score divides: what
	// the scored rules earned and what they could have earned.
	Credit, ScoredWeight   float64
	Passed, Failed, Errors int
	Waived, NotApplicable  int
}

// Scorecard is the result of a standard on one spec revision.
type Scorecard struct {
	Standard, StandardVersion string
	ComputedAt                time.Time
	// Incomplete is set when the lint did not finish; there is then no
	// score and no grade.
	Incomplete bool
	// HasScore is false for an incomplete scorecard and for one with
	// nothing to score; Overall and Grade are then empty.
	HasScore bool
	Overall  int
	Grade    Grade
	// Summary says in a few words what the scorecard is: "B (84/100)",
	// "not scored: evaluation timed out".
	Summary    string
	Categories []CategoryScore
	Rules      []RuleResult
}

// SeverityFactor is how much a rule of a severity counts: an error fully,
// a warning half, info a quarter, a hint not at all.
func SeverityFactor(s rules.Severity) float64 {
	switch s {
	case rules.Error:
		return 1
	case rules.Warn:
		return 0.5
	case rules.Info:
		return 0.25
	}
	return 0
}

// NotScoredTimeout is the summary of a scorecard whose lint timed out.
const NotScoredTimeout = "not scored: evaluation timed out"

// NotScoredEmpty is the summary of a scorecard with no rule to score.
const NotScoredEmpty = "not scored: no rule of the standard applies"

// Compute builds the scorecard of a lint report under a standard, with the
// waivers granted for the API version, knowing nothing of the revision
// beyond its text: the breaking-changes check is not applicable. Scoring a
// stored revision uses ComputeRevision.
func Compute(std Standard, rep *rules.Report, waivers []Waiver, now time.Time) Scorecard {
	return ComputeRevision(std, rep, Revision{}, waivers, now)
}

// ComputeRevision builds the scorecard of a lint report of rev under a
// standard, with the waivers granted for the API version. now decides
// which waivers are still in force and is recorded as the scorecard's
// time. Findings of rules the standard does not have are left out.
func ComputeRevision(std Standard, rep *rules.Report, rev Revision, waivers []Waiver, now time.Time) Scorecard {
	sc := Scorecard{Standard: std.Name, StandardVersion: std.Version, ComputedAt: now}
	if rep == nil {
		rep = &rules.Report{Incomplete: true}
	}
	sc.Incomplete = rep.Incomplete
	byRule := map[string][]rules.Finding{}
	for _, f := range rep.Findings {
		byRule[f.Code] = append(byRule[f.Code], f)
	}
	ruleErr := map[string]string{}
	for _, e := range rep.RuleErrors {
		ruleErr[e.Rule] = e.Err.Error()
	}
	active := map[string]*Waiver{}
	for i := range waivers {
		if waivers[i].ActiveAt(now) {
			active[waivers[i].Rule] = &waivers[i]
		}
	}
	for _, r := range std.Rules {
		if r.Severity == rules.Off || !applies(r, rep.Formats) {
			continue
		}
		cat := r.Category
		if cat == "" {
			cat = DefaultCategory
		}
		res := RuleResult{
			Rule:             r.Name,
			Description:      r.Description,
			Category:         cat,
			Severity:         r.Severity,
			Weight:           r.Weight * SeverityFactor(r.Severity),
			HowToFix:         r.HowToFix,
			DocumentationURL: r.DocumentationURL,
		}
		fs := byRule[r.Name]
		res.Findings = len(fs)
		for i, f := range fs {
			if i == MaxEvidence {
				break
			}
			res.Evidence = append(res.Evidence, Evidence{
				Message: f.Message, Severity: f.Severity, Path: f.PathString(),
				Line: int(f.Range.Start.Line), Column: int(f.Range.Start.Column),
				EndLine: int(f.Range.End.Line), EndColumn: int(f.Range.End.Column),
			})
		}
		// What the rule checked. A report that does not count targets
		// (Stats nil: not made by rules.Lint) scores the rule as one
		// target; findings the counts do not account for fail it whole.
		st, counted := rep.Stats[r.Name]
		if counted {
			res.Targets, res.FailedTargets = st.Targets, st.Failed
		} else if rep.Stats == nil {
			st = rules.RuleStats{Targets: 1}
		}
		if len(fs) > 0 && st.Failed == 0 {
			st = rules.RuleStats{Targets: max(st.Targets, 1), Failed: max(st.Targets, 1)}
		}
		switch msg, failed := ruleErr[r.Name]; {
		case r.Name == BreakingChangesRule && active[r.Name] == nil:
			// Not a lint rule: its result does not depend on the lint,
			// finished or not.
			res.Evidence, res.Findings = nil, 0
			checkBreakingChanges(std, rev, &res)
		case r.Name == ZombieRule && active[r.Name] == nil:
			res.Evidence, res.Findings = nil, 0
			checkZombie(rev, &res)
		case active[r.Name] != nil:
			res.Status = Waived
			w := *active[r.Name]
			res.Waiver = &w
		case failed:
			res.Status, res.Error = Error, msg
			res.Targets, res.FailedTargets = 0, 0
		case len(fs) > 0:
			res.Status = Fail
			res.Credit = res.Weight * float64(st.Targets-st.Failed) / float64(st.Targets)
		case rep.Incomplete:
			res.Status = NotEvaluated
		case st.Targets == 0:
			// Nothing to check, or a complete lint that did not run the
			// rule on this spec (an override turned it off for this file).
			res.Status = NotApplicable
		default:
			res.Status = Pass
			res.Credit = res.Weight
		}
		sc.Rules = append(sc.Rules, res)
	}
	order := map[rules.Category]int{}
	for i, c := range Categories {
		order[c] = i
	}
	sort.SliceStable(sc.Rules, func(i, j int) bool {
		a, b := sc.Rules[i], sc.Rules[j]
		if order[a.Category] != order[b.Category] {
			return order[a.Category] < order[b.Category]
		}
		return a.Rule < b.Rule
	})
	var overall, overallWeight float64
	for _, c := range Categories {
		cs := CategoryScore{Category: c}
		for _, r := range sc.Rules {
			if r.Category != c {
				continue
			}
			switch r.Status {
			case Pass:
				cs.Passed++
			case Fail:
				cs.Failed++
			case Error:
				cs.Errors++
			case Waived:
				cs.Waived++
			case NotApplicable:
				cs.NotApplicable++
			}
			if r.Scored() {
				cs.ScoredWeight += r.Weight
				cs.Credit += r.Credit
			}
		}
		if cs.ScoredWeight > 0 && !sc.Incomplete {
			exact := 100 * cs.Credit / cs.ScoredWeight
			cs.HasScore, cs.Score = true, truncate(exact)
			w := 1.0
			if cw, ok := std.CategoryWeights[c]; ok {
				w = cw
			}
			overall += w * exact
			overallWeight += w
		}
		sc.Categories = append(sc.Categories, cs)
	}
	switch {
	case sc.Incomplete:
		sc.Summary = NotScoredTimeout
	case overallWeight == 0:
		sc.Summary = NotScoredEmpty
	default:
		sc.HasScore = true
		sc.Overall = truncate(overall / overallWeight)
		sc.Grade = GradeFor(sc.Overall)
		sc.Summary = string(sc.Grade) + " (" + strconv.Itoa(sc.Overall) + "/100)"
	}
	return sc
}

// applies reports whether a rule is relevant to a spec of the given
// formats.
func applies(r Rule, f rules.Formats) bool {
	if len(r.Formats) == 0 {
		return true
	}
	for _, x := range r.Formats {
		if f[x] {
			return true
		}
	}
	return false
}

// truncate turns an exact score into the whole number shown: truncated,
// so a score is never rounded up into a better grade. The small epsilon
// absorbs float error (100 × 3/3 must stay 100).
func truncate(x float64) int {
	return int(math.Floor(x + 1e-9))
}
