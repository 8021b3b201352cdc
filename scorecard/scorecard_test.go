package scorecard

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/steward-governance/steward/rules"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func rule(name string, cat rules.Category, sev rules.Severity, weight float64, formats ...rules.Format) Rule {
	return Rule{Name: name, Category: cat, Severity: sev, Weight: weight, Formats: formats}
}

func findings(code string, n int) []rules.Finding {
	var out []rules.Finding
	for i := 0; i < n; i++ {
		out = append(out, rules.Finding{Code: code, Message: fmt.Sprintf("problem %d", i), Path: []string{"paths", fmt.Sprint(i)}})
	}
	return out
}

func oas3() rules.Formats { return rules.Formats{rules.OAS3: true, rules.OAS3_0: true} }

func TestGradeFor(t *testing.T) {
	for _, tc := range []struct {
		score int
		want  Grade
	}{{100, A}, {90, A}, {89, B}, {80, B}, {79, C}, {70, C}, {69, D}, {60, D}, {59, F}, {0, F}} {
		if got := GradeFor(tc.score); got != tc.want {
			t.Errorf("GradeFor(%d) = %s, want %s", tc.score, got, tc.want)
		}
	}
}

// TestCompute covers results, waivers, errors, timeouts and formats. Its
// reports are written by hand without target counts (Report.Stats nil), so
// every rule counts as one target and passes or fails whole; partial
// credit is TestRuleCredit's.
func TestCompute(t *testing.T) {
	std := Standard{Name: "std", Version: "1", Rules: []Rule{
		rule("sec-a", rules.Security, rules.Error, 1),
		rule("sec-b", rules.Security, rules.Warn, 1),
		rule("doc-a", rules.Documentation, rules.Warn, 2),
		rule("doc-hint", rules.Documentation, rules.Hint, 5),
		rule("design-oas2", rules.Design, rules.Error, 1, rules.OAS2),
		rule("design-a", "", rules.Error, 3),
		rule("gov-off", rules.Governance, rules.Off, 1),
	}}
	type cat struct {
		score int
		has   bool
	}
	tests := []struct {
		name        string
		report      *rules.Report
		waivers     []Waiver
		overall     int
		grade       Grade
		summary     string
		cats        map[rules.Category]cat
		status      map[string]Status
		incomplete  bool
		notInResult []string
	}{
		{
			name:    "everything passes",
			report:  &rules.Report{Formats: oas3()},
			overall: 100, grade: A, summary: "A (100/100)",
			cats: map[rules.Category]cat{rules.Security: {100, true}, rules.Documentation: {100, true}, rules.Design: {100, true},
				rules.Performance: {0, false}, rules.Governance: {0, false}},
			status:      map[string]Status{"sec-a": Pass, "doc-hint": Pass, "design-a": Pass},
			notInResult: []string{"design-oas2", "gov-off"},
		},
		{
			// security: error rule (1) fails, warn rule (0.5) passes: 0.5/1.5.
			// documentation: doc-a (2×0.5) fails; the hint weighs nothing: 0.
			// design: 100. Overall: (33.3 + 0 + 100) / 3 = 44.4.
			name:    "failures weigh by severity, however many findings",
			report:  &rules.Report{Formats: oas3(), Findings: append(findings("sec-a", 1), append(findings("doc-a", 40), findings("doc-hint", 3)...)...)},
			overall: 44, grade: F, summary: "F (44/100)",
			cats:   map[rules.Category]cat{rules.Security: {33, true}, rules.Documentation: {0, true}, rules.Design: {100, true}},
			status: map[string]Status{"sec-a": Fail, "sec-b": Pass, "doc-a": Fail, "doc-hint": Fail},
		},
		{
			name:    "a waived rule is shown, not scored",
			report:  &rules.Report{Formats: oas3(), Findings: findings("sec-a", 2)},
			waivers: []Waiver{{Rule: "sec-a", Reason: "internal only", GrantedBy: "lead", Expires: now.Add(time.Hour)}},
			overall: 100, grade: A,
			cats:   map[rules.Category]cat{rules.Security: {100, true}},
			status: map[string]Status{"sec-a": Waived},
		},
		{
			name:    "an expired waiver no longer applies",
			report:  &rules.Report{Formats: oas3(), Findings: findings("sec-a", 2)},
			waivers: []Waiver{{Rule: "sec-a", Expires: now.Add(-time.Second)}},
			overall: 77, grade: C,
			cats:   map[rules.Category]cat{rules.Security: {33, true}},
			status: map[string]Status{"sec-a": Fail},
		},
		{
			name:    "a rule that could not run counts as failed",
			report:  &rules.Report{Formats: oas3(), RuleErrors: []rules.RuleError{{Rule: "design-a", Err: errors.New("too many results")}}},
			overall: 66, grade: D,
			cats:   map[rules.Category]cat{rules.Design: {0, true}},
			status: map[string]Status{"design-a": Error},
		},
		{
			name:       "a timed-out lint is not scored",
			report:     &rules.Report{Formats: oas3(), Incomplete: true, Findings: findings("doc-a", 1)},
			incomplete: true, grade: NoGrade, summary: NotScoredTimeout,
			cats:   map[rules.Category]cat{rules.Security: {0, false}, rules.Documentation: {0, false}},
			status: map[string]Status{"doc-a": Fail, "sec-a": NotEvaluated},
		},
		{
			name:       "no report at all is not scored",
			report:     nil,
			incomplete: true, grade: NoGrade, summary: NotScoredTimeout,
		},
		{
			name:   "format-specific rules apply to their format only",
			report: &rules.Report{Formats: rules.Formats{rules.OAS2: true}, Findings: findings("design-oas2", 1)},
			// design: design-oas2 (1) fails, design-a (3) passes: 75.
			overall: 91, grade: A,
			cats:   map[rules.Category]cat{rules.Design: {75, true}},
			status: map[string]Status{"design-oas2": Fail},
		},
		{
			name:    "findings of rules outside the standard are ignored",
			report:  &rules.Report{Formats: oas3(), Findings: findings("someone-elses-rule", 3)},
			overall: 100, grade: A,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := Compute(std, tc.report, tc.waivers, now)
			if sc.Incomplete != tc.incomplete || sc.HasScore == tc.incomplete {
				t.Fatalf("incomplete %v, scored %v; want incomplete %v", sc.Incomplete, sc.HasScore, tc.incomplete)
			}
			if sc.Overall != tc.overall || sc.Grade != tc.grade {
				t.Errorf("overall %d %q, want %d %q", sc.Overall, sc.Grade, tc.overall, tc.grade)
			}
			if tc.summary != "" && sc.Summary != tc.summary {
				t.Errorf("summary %q, want %q", sc.Summary, tc.summary)
			}
			for _, cs := range sc.Categories {
				if want, ok := tc.cats[cs.Category]; ok && (cs.Score != want.score || cs.HasScore != want.has) {
					t.Errorf("%s: score %d (has %v), want %d (has %v)", cs.Category, cs.Score, cs.HasScore, want.score, want.has)
				}
			}
			got := map[string]RuleResult{}
			for _, r := range sc.Rules {
				got[r.Rule] = r
			}
			for name, want := range tc.status {
				if got[name].Status != want {
					t.Errorf("rule %s: %q, want %q", name, got[name].Status, want)
				}
			}
			for _, name := range tc.notInResult {
				if _, ok := got[name]; ok {
					t.Errorf("rule %s should not be on the scorecard", name)
				}
			}
		})
	}
}

func TestComputeDetails(t *testing.T) {
	std := Standard{Rules: []Rule{rule("a", rules.Security, rules.Error, 2), rule("b", rules.Performance, rules.Error, 1)},
		CategoryWeights: map[rules.Category]float64{rules.Security: 3}}
	rep := &rules.Report{Formats: oas3(), Findings: findings("b", MaxEvidence+10)}
	sc := Compute(std, rep, nil, now)
	// Security (100) counts three times, performance (0) once.
	if sc.Overall != 75 || sc.Grade != C {
		t.Errorf("overall %d %s, want 75 C", sc.Overall, sc.Grade)
	}
	var b RuleResult
	for _, r := range sc.Rules {
		if r.Rule == "b" {
			b = r
		}
	}
	if b.Findings != MaxEvidence+10 || len(b.Evidence) != MaxEvidence {
		t.Errorf("findings %d, evidence %d", b.Findings, len(b.Evidence))
	}
	if b.Evidence[0].Path != "#/paths/0" || b.Evidence[0].Message != "problem 0" {
		t.Errorf("evidence %+v", b.Evidence[0])
	}
	if sc.Rules[0].Category != rules.Security {
		t.Errorf("rules are listed by category: first is %s", sc.Rules[0].Category)
	}
	// All rules waived: nothing to score.
	sc = Compute(std, rep, []Waiver{{Rule: "a"}, {Rule: "b"}}, now)
	if sc.HasScore || sc.Summary != NotScoredEmpty || sc.Grade != NoGrade {
		t.Errorf("all waived: %+v", sc)
	}
}

// stats builds a report's target counts: name, targets, failed, ...
func stats(kv ...any) map[string]rules.RuleStats {
	out := map[string]rules.RuleStats{}
	for i := 0; i+2 < len(kv); i += 3 {
		out[kv[i].(string)] = rules.RuleStats{Targets: kv[i+1].(int), Failed: kv[i+2].(int)}
	}
	return out
}

// TestRuleCredit: a rule earns weight × severity factor × the share of its
// targets that pass; a rule with no target is not applicable.
func TestRuleCredit(t *testing.T) {
	tests := []struct {
		name     string
		rules    []Rule
		report   *rules.Report
		rule     string // the rule whose result is checked
		status   Status
		credit   float64
		targets  int
		failed   int
		category int // its category's score; -1: no score
	}{
		{
			// The example: 3 of 100 operations without a
			// description cost 3% of the rule's weight, not all of it.
			name:   "3 of 100 targets fail: the rule earns 97% of its weight",
			rules:  []Rule{rule("operation-description", rules.Documentation, rules.Error, 1)},
			report: &rules.Report{Formats: oas3(), Findings: findings("operation-description", 3), Stats: stats("operation-description", 100, 3)},
			rule:   "operation-description", status: Fail, credit: 0.97, targets: 100, failed: 3, category: 97,
		},
		{
			// Next to a passing rule of the same weight: (0.97 + 1) / 2.
			name: "the cost is 3% of that rule's weight, not of the category",
			rules: []Rule{rule("operation-description", rules.Documentation, rules.Error, 1),
				rule("info-description", rules.Documentation, rules.Error, 1)},
			report: &rules.Report{Formats: oas3(), Findings: findings("operation-description", 3),
				Stats: stats("operation-description", 100, 3, "info-description", 1, 0)},
			rule: "operation-description", status: Fail, credit: 0.97, targets: 100, failed: 3, category: 98,
		},
		{
			name:   "failed targets count, not findings",
			rules:  []Rule{rule("r", rules.Design, rules.Error, 4)},
			report: &rules.Report{Formats: oas3(), Findings: findings("r", 30), Stats: stats("r", 10, 5)},
			rule:   "r", status: Fail, credit: 2, targets: 10, failed: 5, category: 50,
		},
		{
			// weight 2 × 0.5 (warn) × 3/4.
			name:   "severity scales the weight",
			rules:  []Rule{rule("r", rules.Design, rules.Warn, 2)},
			report: &rules.Report{Formats: oas3(), Findings: findings("r", 1), Stats: stats("r", 4, 1)},
			rule:   "r", status: Fail, credit: 0.75, targets: 4, failed: 1, category: 75,
		},
		{
			name:   "every target fails: no credit",
			rules:  []Rule{rule("r", rules.Design, rules.Error, 1)},
			report: &rules.Report{Formats: oas3(), Findings: findings("r", 2), Stats: stats("r", 2, 2)},
			rule:   "r", status: Fail, credit: 0, targets: 2, failed: 2, category: 0,
		},
		{
			name:   "no target fails: full credit",
			rules:  []Rule{rule("r", rules.Design, rules.Error, 1)},
			report: &rules.Report{Formats: oas3(), Stats: stats("r", 7, 0)},
			rule:   "r", status: Pass, credit: 1, targets: 7, category: 100,
		},
		{
			name: "nothing to check: not applicable, not scored",
			rules: []Rule{rule("oauth-flows", rules.Security, rules.Error, 5),
				rule("https", rules.Security, rules.Error, 1)},
			report: &rules.Report{Formats: oas3(), Findings: findings("https", 1), Stats: stats("oauth-flows", 0, 0, "https", 1, 1)},
			// Only https is scored: 0/1, not 5/6.
			rule: "oauth-flows", status: NotApplicable, credit: 0, category: 0,
		},
		{
			name:   "a category of not-applicable rules has no score",
			rules:  []Rule{rule("r", rules.Performance, rules.Error, 1)},
			report: &rules.Report{Formats: oas3(), Stats: stats("r", 0, 0)},
			rule:   "r", status: NotApplicable, category: -1,
		},
		{
			// The lint counted targets but did not run this rule on the
			// spec (an override turned it off for the file).
			name:   "a rule the lint did not count is not applicable",
			rules:  []Rule{rule("r", rules.Design, rules.Error, 1), rule("s", rules.Design, rules.Error, 1)},
			report: &rules.Report{Formats: oas3(), Stats: stats("s", 3, 0)},
			rule:   "r", status: NotApplicable, category: 100,
		},
		{
			name:   "a rule in error earns nothing and shows no counts",
			rules:  []Rule{rule("r", rules.Design, rules.Error, 1)},
			report: &rules.Report{Formats: oas3(), RuleErrors: []rules.RuleError{{Rule: "r", Err: errors.New("boom")}}, Stats: stats()},
			rule:   "r", status: Error, credit: 0, category: 0,
		},
		{
			name:   "a hint is shown with its counts, not scored",
			rules:  []Rule{rule("r", rules.Design, rules.Hint, 1)},
			report: &rules.Report{Formats: oas3(), Findings: findings("r", 1), Stats: stats("r", 4, 1)},
			rule:   "r", status: Fail, credit: 0, targets: 4, failed: 1, category: -1,
		},
		{
			name:   "without target counts a rule fails whole",
			rules:  []Rule{rule("r", rules.Design, rules.Error, 1)},
			report: &rules.Report{Formats: oas3(), Findings: findings("r", 1)},
			rule:   "r", status: Fail, credit: 0, category: 0,
		},
		{
			name:   "without target counts a rule without findings passes",
			rules:  []Rule{rule("r", rules.Design, rules.Error, 1)},
			report: &rules.Report{Formats: oas3()},
			rule:   "r", status: Pass, credit: 1, category: 100,
		},
		{
			name:   "a timed-out lint shows counts but scores nothing",
			rules:  []Rule{rule("r", rules.Design, rules.Error, 1), rule("s", rules.Design, rules.Error, 1)},
			report: &rules.Report{Formats: oas3(), Incomplete: true, Findings: findings("r", 1), Stats: stats("r", 4, 1, "s", 0, 0)},
			rule:   "r", status: Fail, credit: 0.75, targets: 4, failed: 1, category: -1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := Compute(Standard{Rules: tc.rules}, tc.report, nil, now)
			var got *RuleResult
			for i := range sc.Rules {
				if sc.Rules[i].Rule == tc.rule {
					got = &sc.Rules[i]
				}
			}
			if got == nil {
				t.Fatalf("no result for %s", tc.rule)
			}
			if got.Status != tc.status || math.Abs(got.Credit-tc.credit) > 1e-9 || got.Targets != tc.targets || got.FailedTargets != tc.failed {
				t.Errorf("result %s, credit %v, %d of %d targets fail; want %s, %v, %d of %d",
					got.Status, got.Credit, got.FailedTargets, got.Targets, tc.status, tc.credit, tc.failed, tc.targets)
			}
			for _, cs := range sc.Categories {
				if cs.Category != got.Category {
					continue
				}
				if tc.category < 0 && cs.HasScore || tc.category >= 0 && (!cs.HasScore || cs.Score != tc.category) {
					t.Errorf("%s: score %d (has %v), want %d", cs.Category, cs.Score, cs.HasScore, tc.category)
				}
				if tc.status == NotApplicable && cs.NotApplicable == 0 {
					t.Errorf("%s: not-applicable rules not counted: %+v", cs.Category, cs)
				}
			}
		})
	}
}

func TestStandardOfCategoryWeights(t *testing.T) {
	rs, err := rules.Parse([]byte(`extends: [[steward:recommended, off]]
x-steward-category-weights: {documentation: 3}
rules:
  r:
    given: $.info
    severity: error
    then: {field: description, function: truthy}
    x-steward-category: documentation
  s:
    given: $.info
    severity: error
    then: {field: contact, function: truthy}
    x-steward-category: security
`), "std.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	std := StandardOf("std", "1", rs)
	want := map[rules.Category]float64{rules.Security: 2, rules.Design: 1, rules.Documentation: 3, rules.Performance: 1, rules.Governance: 1}
	if fmt.Sprint(std.CategoryWeights) != fmt.Sprint(want) {
		t.Errorf("weights %v, want %v", std.CategoryWeights, want)
	}
	std.CategoryWeights[rules.Design] = 9
	if rs.CategoryWeights[rules.Design] != 1 {
		t.Error("the standard shares the ruleset's map")
	}
	// documentation passes (100, weight 3), security fails (0, weight 2):
	// 300 / 5.
	rep, err := rs.LintBytes(context.Background(), []byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1","description":"d"},"paths":{}}`), rules.LintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sc := Compute(StandardOf("std", "1", rs), rep, nil, now); sc.Summary != "D (60/100)" {
		t.Errorf("summary %s, want D (60/100)", sc.Summary)
	}
}
