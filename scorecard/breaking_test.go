package scorecard

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/breaking"
	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/rules"
)

// removals returns n breaking changes as the breaking package reports
// them: an operation removed, located in the old revision only, or a
// parameter made required, located in both.
func removals(n int) []breaking.Change {
	out := make([]breaking.Change, n)
	for i := range out {
		out[i] = breaking.Change{ID: "api-path-removed-without-deprecation", Level: breaking.Breaking,
			Operation: fmt.Sprintf("GET /pets/%d", i), Text: "api path removed without deprecation",
			Old: breaking.Location{Path: fmt.Sprintf("/paths/~1pets~1%d/get", i), Line: 10 + i}}
	}
	if n > 0 {
		out[0] = breaking.Change{ID: "new-required-request-parameter", Level: breaking.Breaking, Operation: "GET /pets",
			Text: "added the new required query request parameter 'owner'",
			New:  breaking.Location{Path: "/paths/~1pets/get/parameters/1", Line: 31, Column: 11}}
	}
	return out
}

// TestBreakingChangesCheck: the breaking-changes check scores a revision
// by its breaking changes from the one before, the policy of its version's
// stage and whether an exception let it through. The standard has one
// other governance rule (weight 1, passing), so the governance score shows
// what the check (weight 5) costs.
func TestBreakingChangesCheck(t *testing.T) {
	held := map[catalog.Stage]rules.BreakingPolicy{catalog.StageProduction: rules.BreakingHold}
	allowAll := map[catalog.Stage]rules.BreakingPolicy{}
	for _, st := range catalog.Stages {
		allowAll[st] = rules.BreakingAllow
	}
	tests := []struct {
		name       string
		policies   map[catalog.Stage]rules.BreakingPolicy // nil: the defaults
		rev        Revision
		waivers    []Waiver
		incomplete bool
		status     Status
		findings   int
		detail     string // substring
		governance int    // the category's score; -1: none
	}{
		{name: "a first revision is not applicable", rev: Revision{Stage: catalog.StageProduction},
			status: NotApplicable, detail: "Not compared", governance: 100},
		{name: "no breaking change passes", rev: Revision{Stage: catalog.StageProduction, Compared: true},
			status: Pass, detail: "No breaking change", governance: 100},
		{name: "breaking changes at an allow stage pass", rev: Revision{Stage: catalog.StageDesign, Compared: true, Breaking: removals(2)},
			status: Pass, detail: "allows at the design stage", governance: 100},
		{name: "breaking changes at a hold stage fail", rev: Revision{Stage: catalog.StageProduction, Compared: true, Breaking: removals(2)},
			status: Fail, findings: 2, detail: "2 breaking changes from the revision before, and the standard's policy for production versions is hold", governance: 16},
		{name: "breaking changes at a refuse stage fail", rev: Revision{Stage: catalog.StageDeprecated, Compared: true, Breaking: removals(1)},
			status: Fail, findings: 1, detail: "1 breaking change from the revision before, and the standard's policy for deprecated versions is refuse", governance: 16},
		{name: "the standard's policy decides, not the defaults", policies: allowAll,
			rev:    Revision{Stage: catalog.StageProduction, Compared: true, Breaking: removals(1)},
			status: Pass, governance: 100},
		{name: "a stage the standard leaves out has the default policy", policies: held,
			rev:    Revision{Stage: catalog.StageRetired, Compared: true, Breaking: removals(1)},
			status: Fail, findings: 1, detail: "retired versions is refuse", governance: 16},
		{name: "an exception lets a revision in, not off the scorecard", rev: Revision{Stage: catalog.StageProduction, Compared: true, Excepted: true, Breaking: removals(3)},
			status: Fail, findings: 3, detail: "let through by an exception", governance: 16},
		{name: "even when the version has moved back to an allow stage", rev: Revision{Stage: catalog.StageDevelopment, Compared: true, Excepted: true, Breaking: removals(1)},
			status: Fail, findings: 1, detail: "exception", governance: 16},
		{name: "a waiver leaves the check out of the score", rev: Revision{Stage: catalog.StageProduction, Compared: true, Excepted: true, Breaking: removals(1)},
			waivers: []Waiver{{Rule: BreakingChangesRule, Reason: "consumers migrated", Expires: now.Add(time.Hour)}},
			status:  Waived, governance: 100},
		{name: "an unfinished lint does not hide the check, and scores nothing", incomplete: true,
			rev:    Revision{Stage: catalog.StageProduction, Compared: true, Breaking: removals(1)},
			status: Fail, findings: 1, governance: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			std := Standard{Rules: []Rule{BreakingChangesCheck(), rule("info-contact", rules.Governance, rules.Error, 1)}, BreakingPolicies: tc.policies}
			rep := &rules.Report{Formats: oas3(), Incomplete: tc.incomplete}
			sc := ComputeRevision(std, rep, tc.rev, tc.waivers, now)
			var got RuleResult
			for _, r := range sc.Rules {
				if r.Rule == BreakingChangesRule {
					got = r
				}
			}
			if got.Status != tc.status || got.Findings != tc.findings || !strings.Contains(got.Detail, tc.detail) {
				t.Errorf("result %s, %d findings, detail %q; want %s, %d, %q", got.Status, got.Findings, got.Detail, tc.status, tc.findings, tc.detail)
			}
			if got.Category != rules.Governance || got.Weight != 5 || got.HowToFix == "" || got.Description == "" {
				t.Errorf("the check is a governance rule of weight 5 with how-to-fix text: %+v", got)
			}
			if tc.status == Fail && (got.Credit != 0 || got.Targets != 1 || got.FailedTargets != 1) {
				t.Errorf("a failed check earns nothing: credit %v, %d of %d targets", got.Credit, got.FailedTargets, got.Targets)
			}
			if tc.status == Waived && (got.Waiver == nil || got.Waiver.Reason != "consumers migrated") {
				t.Errorf("waiver %+v", got.Waiver)
			}
			for _, cs := range sc.Categories {
				if cs.Category != rules.Governance {
					continue
				}
				if tc.governance < 0 && cs.HasScore || tc.governance >= 0 && (!cs.HasScore || cs.Score != tc.governance) {
					t.Errorf("governance: score %d (has %v), want %d", cs.Score, cs.HasScore, tc.governance)
				}
			}
		})
	}
}

func TestBreakingChangesEvidence(t *testing.T) {
	std := Standard{Rules: []Rule{BreakingChangesCheck()}}
	rev := Revision{Stage: catalog.StageProduction, Compared: true, Breaking: removals(MaxEvidence + 5)}
	sc := ComputeRevision(std, &rules.Report{Formats: oas3()}, rev, nil, now)
	got := sc.Rules[0]
	if got.Findings != MaxEvidence+5 || len(got.Evidence) != MaxEvidence {
		t.Fatalf("findings %d, evidence %d", got.Findings, len(got.Evidence))
	}
	// The evidence points into the scored revision: a change located
	// there is linked, a removal (only in the old one) is not.
	first, second := got.Evidence[0], got.Evidence[1]
	if first.Message != "GET /pets: added the new required query request parameter 'owner'" || first.Line != 31 || first.Path != "/paths/~1pets/get/parameters/1" {
		t.Errorf("first evidence %+v", first)
	}
	if second.Message != "GET /pets/1: api path removed without deprecation" || second.Line != 0 || second.Path != "" {
		t.Errorf("a removal is not placed in the new revision: %+v", second)
	}
	if sc.Summary != "F (0/100)" {
		t.Errorf("summary %q", sc.Summary)
	}
	// Compute knows nothing of the revision: the check is not applicable.
	if plain := Compute(std, &rules.Report{Formats: oas3()}, nil, now); plain.Rules[0].Status != NotApplicable || plain.HasScore {
		t.Errorf("Compute: %s, scored %v", plain.Rules[0].Status, plain.HasScore)
	}
}

func TestRevisionOf(t *testing.T) {
	report := breaking.Report{Changes: append(removals(2),
		breaking.Change{ID: "response-property-removed", Level: breaking.Warning, Text: "x"},
		breaking.Change{ID: "endpoint-added", Level: breaking.Info, Text: "y"})}
	js, err := json.Marshal(report)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		changes  string
		compared bool
		breaking int
	}{
		{"not compared", "", false, 0},
		{"only breaking changes are kept", string(js), true, 2},
		{"compared, nothing changed", `{"changes":[]}`, true, 0},
		{"unreadable changes count as not compared", `{"changes": 3}`, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rev := RevisionOf(catalog.StagePreview, tc.changes, true)
			if rev.Compared != tc.compared || len(rev.Breaking) != tc.breaking || rev.Stage != catalog.StagePreview || !rev.Excepted {
				t.Errorf("%+v", rev)
			}
		})
	}
}

func TestStandardOfAddsTheBreakingChangesCheck(t *testing.T) {
	rs, err := rules.Parse([]byte(`extends: [[steward:recommended, off]]
x-steward-breaking-changes: {production: allow}
rules:
  r:
    given: $.info
    severity: error
    then: {field: description, function: truthy}
`), "std.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	std := StandardOf("std", "1", rs)
	n := 0
	for _, r := range std.Rules {
		if r.Name == BreakingChangesRule {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the check is in the standard %d times", n)
	}
	if std.BreakingPolicies[catalog.StageProduction] != rules.BreakingAllow || std.BreakingPolicies[catalog.StagePreview] != rules.BreakingHold ||
		len(std.BreakingPolicies) != len(catalog.Stages) {
		t.Errorf("policies %v", std.BreakingPolicies)
	}
	// A standard built from it scores the check like any rule.
	sc := ComputeRevision(std, &rules.Report{Formats: oas3()}, Revision{Stage: catalog.StageProduction, Compared: true, Breaking: removals(1)}, nil, now)
	for _, r := range sc.Rules {
		if r.Rule == BreakingChangesRule && r.Status != Pass {
			t.Errorf("production allows breaking changes in this standard: %s", r.Status)
		}
	}
}
