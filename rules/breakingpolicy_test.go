package rules

import (
	"errors"
	"strings"
	"testing"

	"github.com/steward-governance/steward/catalog"
)

func TestBreakingPolicy(t *testing.T) {
	rec, err := Builtin("steward:recommended")
	if err != nil {
		t.Fatal(err)
	}
	for stage, want := range DefaultBreakingPolicy {
		if got := rec.BreakingChanges[stage]; got != want {
			t.Errorf("steward:recommended %s = %q, want %q", stage, got, want)
		}
	}
	// Extending inherits the policy; own entries replace one stage at a time.
	rs, err := Parse([]byte("extends: [[steward:recommended, off]]\nx-steward-breaking-changes: {production: refuse}\n"), "r.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := rs.BreakingPolicyFor(catalog.StageProduction); got != BreakingRefuse {
		t.Errorf("production = %q, want refuse", got)
	}
	if got := rs.BreakingPolicyFor(catalog.StagePreview); got != BreakingHold {
		t.Errorf("preview = %q, want hold (inherited)", got)
	}
	// A ruleset that says nothing gets the defaults.
	bare, err := Parse([]byte("rules: {}\n"), "r.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range catalog.Stages {
		if got := bare.BreakingPolicyFor(st); got != DefaultBreakingPolicy[st] {
			t.Errorf("default %s = %q, want %q", st, got, DefaultBreakingPolicy[st])
		}
	}
}

func TestBreakingPolicyErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"x-steward-breaking-changes: hold\n", `r.yaml:1:29: x-steward-breaking-changes: x-steward-breaking-changes must be an object from lifecycle stages to allow, hold or refuse`},
		{"x-steward-breaking-changes:\n  staging: hold\n", `r.yaml:2:3: x-steward-breaking-changes.staging: unknown lifecycle stage "staging": want design, development, testing, preview, production, deprecated, retired`},
		{"x-steward-breaking-changes:\n  production: block\n", `r.yaml:2:15: x-steward-breaking-changes.production: the breaking-change policy of stage production must be allow, hold or refuse`},
	} {
		_, err := Parse([]byte(tc.src), "r.yaml", nil)
		var le *LoadError
		if !errors.As(err, &le) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want prefix %q", tc.src, err, tc.want)
		}
	}
}
