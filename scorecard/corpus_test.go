package scorecard

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/steward-governance/steward/rules"
)

// corpusDir is the shared corpus of real specs (see rules' parity test).
const corpusDir = "../../shared/corpus"

// TestRecommendedOnCorpus scores real specs with Steward's default
// standard. The grades are pinned: a change to a rule, a weight or the
// scoring that moves them must be deliberate, and this test says so.
//
// Last moved by per-target scoring (the issue's "the share of its targets
// that pass"). Before, with every rule passing or failing whole and all
// categories equal, the grades were: petstore 3.0 D (62), train-travel
// C (76), petstore 2.0 D (63), linode D (60), accessanalyzer D (66).
// Three things moved them:
//   - A failing rule now earns the share of its targets that pass: linode's
//     documentation goes from 70 to 89 because oas3-valid-schema-example
//     (weight 3) fails on 58 of the 865 schema examples it checks, not on
//     the whole API.
//   - A rule with nothing to check is not applicable instead of a pass that
//     earned full credit: petstore 3.0's performance falls from 21 to 2,
//     because owasp:api4:2023-rate-limit-retry-after (weight 2) has no 429
//     response to check and used to be its only passing rule.
//   - steward:recommended weighs security 2 in the overall score
//     (x-steward-category-weights); with equal weights the new grades would
//     be D (60), B (80), D (63), D (64), D (63).
func TestRecommendedOnCorpus(t *testing.T) {
	if _, err := os.Stat(filepath.Join(corpusDir, "specs")); err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	rs, err := rules.Builtin("steward:recommended")
	if err != nil {
		t.Fatal(err)
	}
	std := StandardOf("steward:recommended", "builtin", rs)
	tests := []struct {
		spec    string
		summary string
		cats    map[rules.Category]int
	}{
		{"readme-oas30__petstore.json", "F (58/100)", map[rules.Category]int{
			rules.Security: 48, rules.Design: 94, rules.Documentation: 85, rules.Performance: 2, rules.Governance: 72}},
		{"readme-oas31__train-travel.json", "B (82/100)", map[rules.Category]int{
			rules.Security: 93, rules.Design: 99, rules.Documentation: 100, rules.Performance: 66, rules.Governance: 44}},
		{"readme-oas20__petstore.json", "D (61/100)", map[rules.Category]int{
			rules.Security: 52, rules.Design: 94, rules.Documentation: 87, rules.Performance: 3, rules.Governance: 78}},
		{"linode.com.json", "D (67/100)", map[rules.Category]int{
			rules.Security: 84, rules.Design: 70, rules.Documentation: 89, rules.Performance: 4, rules.Governance: 72}},
		{"amazonaws.com__accessanalyzer.yaml", "D (67/100)", map[rules.Category]int{
			rules.Security: 83, rules.Design: 94, rules.Documentation: 82, rules.Performance: 24, rules.Governance: 33}},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(corpusDir, "specs", tc.spec))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			rep, err := rs.LintBytes(ctx, src, rules.LintOptions{Source: tc.spec})
			if err != nil {
				t.Fatal(err)
			}
			first := Compute(std, rep, nil, now)
			got := map[rules.Category]int{}
			for _, c := range first.Categories {
				if c.HasScore {
					got[c.Category] = c.Score
				}
			}
			t.Logf("%s: %s %v", tc.spec, first.Summary, got)
			// Stable: the same report scores the same.
			if again := Compute(std, rep, nil, now); again.Summary != first.Summary {
				t.Errorf("second computation: %s, first %s", again.Summary, first.Summary)
			}
			if tc.summary != "" && first.Summary != tc.summary {
				t.Errorf("summary %q, want %q", first.Summary, tc.summary)
			}
			for c, want := range tc.cats {
				if got[c] != want {
					t.Errorf("%s: %d, want %d", c, got[c], want)
				}
			}
		})
	}
}

// TestTimedOutLintIsNotScored runs a real lint that cannot finish: its
// scorecard has no grade, whatever rules happened to pass.
func TestTimedOutLintIsNotScored(t *testing.T) {
	rs, err := rules.Builtin("steward:recommended")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	src := []byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{}}`)
	rep, err := rs.LintBytes(ctx, src, rules.LintOptions{})
	if err == nil || !rep.Incomplete {
		t.Fatalf("lint with an ended context: err %v, incomplete %v", err, rep != nil && rep.Incomplete)
	}
	sc := Compute(StandardOf("steward:recommended", "builtin", rs), rep, nil, now)
	if sc.HasScore || sc.Grade != NoGrade || sc.Summary != NotScoredTimeout {
		t.Errorf("got %q grade %q", sc.Summary, sc.Grade)
	}
	for _, r := range sc.Rules {
		if r.Status == Pass {
			t.Errorf("rule %s passes on an unfinished lint", r.Rule)
		}
	}
}
