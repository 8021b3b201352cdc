package scorecard

import (
	"errors"
	"fmt"
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
