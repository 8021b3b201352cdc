package scorecard_test

import (
	"testing"
	"time"

	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/scorecard"
)

func TestGraceSparesOnlyNewRulesUntilItsDate(t *testing.T) {
	old := scorecard.Standard{Rules: []scorecard.Rule{
		{Name: "kept", Severity: rules.Error, Weight: 1},
		{Name: "was-off", Severity: rules.Off, Weight: 1},
	}}
	cur := scorecard.Standard{Rules: []scorecard.Rule{
		{Name: "kept", Severity: rules.Error, Weight: 1},
		{Name: "was-off", Severity: rules.Error, Weight: 1},
		{Name: "added", Severity: rules.Error, Weight: 2},
	}}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	until := now.AddDate(0, 0, 10)
	g := scorecard.NewGrace(cur, old, until)
	if len(g.Rules) != 2 || !g.Rules["added"] || !g.Rules["was-off"] {
		t.Fatalf("new rules: %v", g.Rules)
	}
	applied := g.Apply(cur, now)
	for _, r := range applied.Rules {
		spared := r.Weight == 0 && r.Severity == rules.Warn
		if spared != g.Rules[r.Name] {
			t.Errorf("%s: severity %v weight %v", r.Name, r.Severity, r.Weight)
		}
	}
	if cur.Rules[2].Weight != 2 {
		t.Error("Apply changed the standard it was given")
	}
	if after := g.Apply(cur, until); after.Rules[2].Weight != 2 {
		t.Error("the grace period ends on its date")
	}

	// A failing new rule shows, marked, and costs nothing.
	rep := &rules.Report{Findings: []rules.Finding{{Code: "added", Message: "no"}}}
	sc := scorecard.Compute(applied, rep, nil, now)
	g.Mark(&sc, now)
	for _, r := range sc.Rules {
		switch {
		case r.Rule == "added" && (r.Status != scorecard.Fail || r.GraceUntil == nil || !r.GraceUntil.Equal(until) || r.Scored()):
			t.Errorf("added: %+v", r)
		case r.Rule == "kept" && r.GraceUntil != nil:
			t.Error("a rule the old version had is not in grace")
		}
	}
	if sc.Overall != 100 {
		t.Errorf("overall %d, want 100", sc.Overall)
	}
}
