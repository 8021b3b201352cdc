package runtimerules

import (
	"testing"
	"time"

	"github.com/steward-governance/steward/rules"
)

// readmeExample is the extension as the README shows it; it must parse.
const readmeExample = `extends: steward:recommended
x-steward-runtime:
  window: 7d           # 7d (default), 2w, 36h: whole hours, at least 1h
  min-requests: 20     # fewer requests in the window: "no runtime data"
  rules:
    runtime-https-only: { min-share: 100% }     # change a threshold
    runtime-p95-latency: { max-ms: 300, severity: error }
    runtime-4xx-rate: off                       # turn a rule off
    runtime-hsts: info                          # or change its severity
    runtime-drift-unseen-endpoints: { severity: info, x-steward-weight: 2 }
    p99-under-a-second:                         # a rule of your own
      metric: p99-latency
      max: 1000
      severity: warn
      description: Almost every request is answered within a second.
      x-steward-category: performance
      x-steward-weight: 2
      x-steward-how-to-fix: Set timeouts on upstream calls.
`

func TestReadmeExample(t *testing.T) {
	set, err := Parse([]byte(readmeExample))
	if err != nil {
		t.Fatal(err)
	}
	if set.Window != 7*24*time.Hour || set.MinRequests != 20 {
		t.Errorf("window %v min-requests %d", set.Window, set.MinRequests)
	}
	for name, want := range map[string]string{
		RuleHTTPS:            "error at least 100%",
		RuleP95Latency:       "error at most 300 ms",
		RuleClientErrors:     "off at most 10%",
		RuleHSTS:             "info at least 90%",
		"p99-under-a-second": "warn at most 1000 ms",
	} {
		r, ok := set.Rule(name)
		if !ok {
			t.Fatalf("%s missing", name)
		}
		if got := r.Severity.String() + " " + string(r.Metric.Bound()) + " " + formatThreshold(r.Metric, r.Threshold); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	if r, _ := set.Rule(RuleUnseenEndpoints); r.Severity != rules.Info || r.Weight != 2 {
		t.Errorf("drift rule: %+v", r)
	}
	// The rule engine reads the same standard and leaves the extension to
	// this package.
	if _, err := rules.Parse([]byte(readmeExample), "standard.yaml", nil); err != nil {
		t.Errorf("the rule engine refuses a standard with runtime rules: %v", err)
	}
}
