package runtimerules

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/rules"
)

// TestDefaults pins the built-in rules a standard gets without the
// extension: the table in the README.
func TestDefaults(t *testing.T) {
	type row struct {
		name      string
		metric    Metric
		threshold string
		severity  rules.Severity
		category  rules.Category
		weight    float64
	}
	want := []row{
		{RuleHTTPS, HTTPSShare, "at least 99%", rules.Error, rules.Security, 5},
		{RuleAuthenticated, AuthenticatedShare, "at least 95%", rules.Error, rules.Security, 4},
		{RuleRateLimitHeaders, RateLimitHeadersShare, "at least 90%", rules.Warn, rules.Security, 2},
		{RuleSecurityHeaders, SecurityHeadersShare, "at least 90%", rules.Warn, rules.Security, 2},
		{RuleHSTS, HSTSShare, "at least 90%", rules.Warn, rules.Security, 2},
		{RuleP95Latency, P95Latency, "at most 500 ms", rules.Warn, rules.Performance, 3},
		{RuleServerErrors, ServerErrorRate, "at most 1%", rules.Error, rules.Performance, 3},
		{RuleClientErrors, ClientErrorRate, "at most 10%", rules.Warn, rules.Performance, 1},
		{RuleResponseSize, AverageResponseSize, "at most 100 KB", rules.Warn, rules.Performance, 1},
		{RuleCompression, CompressionShare, "at least 80%", rules.Warn, rules.Performance, 1},
		{RuleUndocumentedEndpoints, UndocumentedEndpoints, "", rules.Error, rules.Governance, 3},
		{RuleUndocumentedStatuses, UndocumentedStatusCodes, "", rules.Warn, rules.Governance, 2},
		{RuleUnseenEndpoints, UnseenEndpoints, "", rules.Warn, rules.Governance, 1},
	}
	set := Defaults()
	if set.Window != 7*24*time.Hour || set.MinRequests != 20 {
		t.Errorf("window %v, min-requests %d; want 168h and 20", set.Window, set.MinRequests)
	}
	var got []row
	for _, r := range set.Rules {
		th := ""
		if !r.Metric.IsDrift() {
			th = string(r.Metric.Bound()) + " " + formatThreshold(r.Metric, r.Threshold)
		}
		got = append(got, row{r.Name, r.Metric, th, r.Severity, r.Category, r.Weight})
		if r.Description == "" || r.HowToFix == "" || !r.BuiltIn {
			t.Errorf("%s: description %q, how-to-fix %q, built-in %v: every built-in rule needs both", r.Name, r.Description, r.HowToFix, r.BuiltIn)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
	if r, _ := set.Rule(RuleHTTPS); r.Description != "At least 99% of requests use HTTPS." {
		t.Errorf("description %q", r.Description)
	}
	if r, _ := set.Rule(RuleP95Latency); r.Description != "The 95th percentile response time is at most 500 ms." {
		t.Errorf("description %q", r.Description)
	}
}

func TestParseWithoutExtensionGivesDefaults(t *testing.T) {
	for name, src := range map[string]string{
		"empty document": "",
		"spectral ruleset": `extends: [[spectral:oas, recommended]]
rules:
  operation-description: error
x-steward-category-weights: {security: 2}
`,
		"json ruleset":   `{"extends": "steward:recommended", "rules": {}}`,
		"null extension": "extends: steward:recommended\nx-steward-runtime:\n",
		"empty rules":    "x-steward-runtime:\n  rules: {}\n",
	} {
		t.Run(name, func(t *testing.T) {
			set, err := Parse([]byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(set, Defaults()) {
				t.Errorf("got %+v, want the defaults", set)
			}
		})
	}
}

func TestParseOverrides(t *testing.T) {
	yamlSrc := `
extends: steward:recommended
rules:
  some-lint-rule: off
x-steward-runtime:
  window: 14d
  min-requests: 100
  rules:
    runtime-https-only: { min-share: 100%, severity: warn }
    runtime-p95-latency: { max-ms: 300 }
    runtime-5xx-rate: off
    runtime-hsts: info
    runtime-4xx-rate: { max: 0.05, x-steward-weight: 4, description: Few client errors. }
    runtime-authenticated: false
    runtime-drift-unseen-endpoints: { severity: hint, x-steward-category: documentation }
`
	jsonSrc := `{"x-steward-runtime": {"window": "336h", "min-requests": 100, "rules": {
  "runtime-https-only": {"min-share": 1, "severity": 1},
  "runtime-p95-latency": {"max-ms": 300},
  "runtime-5xx-rate": "off",
  "runtime-hsts": "info",
  "runtime-4xx-rate": {"max-rate": 0.05, "x-steward-weight": 4, "description": "Few client errors."},
  "runtime-authenticated": -1,
  "runtime-drift-unseen-endpoints": {"severity": "hint", "x-steward-category": "documentation"}}}}`
	type want struct {
		rule        string
		threshold   float64
		severity    rules.Severity
		weight      float64
		category    rules.Category
		description string
	}
	wants := []want{
		{RuleHTTPS, 1, rules.Warn, 5, rules.Security, "At least 100% of requests use HTTPS."},
		{RuleP95Latency, 300, rules.Warn, 3, rules.Performance, "The 95th percentile response time is at most 300 ms."},
		{RuleServerErrors, 0.01, rules.Off, 3, rules.Performance, "At most 1% of responses are server errors (5xx)."},
		{RuleHSTS, 0.9, rules.Info, 2, rules.Security, "At least 90% of responses carry Strict-Transport-Security (HSTS)."},
		{RuleClientErrors, 0.05, rules.Warn, 4, rules.Performance, "Few client errors."},
		{RuleAuthenticated, 0.95, rules.Off, 4, rules.Security, "At least 95% of requests carry credentials."},
		{RuleUnseenEndpoints, 0, rules.Hint, 1, rules.Documentation, "Every documented endpoint receives traffic."},
		{RuleCompression, 0.8, rules.Warn, 1, rules.Performance, "At least 80% of responses are compressed."},
	}
	for name, src := range map[string]string{"yaml": yamlSrc, "json": jsonSrc} {
		t.Run(name, func(t *testing.T) {
			set, err := Parse([]byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if set.Window != 14*24*time.Hour || set.MinRequests != 100 {
				t.Errorf("window %v, min-requests %d", set.Window, set.MinRequests)
			}
			if len(set.Rules) != len(Defaults().Rules) {
				t.Errorf("%d rules, want the %d built-in ones", len(set.Rules), len(Defaults().Rules))
			}
			for _, w := range wants {
				r, ok := set.Rule(w.rule)
				if !ok {
					t.Fatalf("%s missing", w.rule)
				}
				got := want{r.Name, r.Threshold, r.Severity, r.Weight, r.Category, r.Description}
				if got != w {
					t.Errorf("got  %+v\nwant %+v", got, w)
				}
			}
		})
	}
}

func TestParseCustomRule(t *testing.T) {
	set, err := Parse([]byte(`
x-steward-runtime:
  rules:
    my-compression:
      metric: compression-share
      min: 0.8
      severity: error
      x-steward-category: governance
      x-steward-weight: 2
      x-steward-how-to-fix: Turn on gzip in the shared nginx template.
      description: Responses are compressed.
      x-owner: platform-team
    fast-median: { metric: p50-latency, max-ms: 50 }
    small-pages: { metric: average-response-size, max-kb: 20 }
`))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(set.Rules); n != len(Defaults().Rules)+3 {
		t.Fatalf("%d rules", n)
	}
	custom := set.Rules[len(Defaults().Rules):]
	want := []Rule{
		{Name: "my-compression", Description: "Responses are compressed.", Metric: CompressionShare, Threshold: 0.8,
			Severity: rules.Error, Category: rules.Governance, Weight: 2, HowToFix: "Turn on gzip in the shared nginx template."},
		{Name: "fast-median", Description: "The median response time is at most 50 ms.", Metric: P50Latency, Threshold: 50,
			Severity: rules.Warn, Category: rules.Performance, Weight: 1, HowToFix: metrics[P50Latency].howToFix},
		{Name: "small-pages", Description: "The average response is at most 20 KB.", Metric: AverageResponseSize, Threshold: 20,
			Severity: rules.Warn, Category: rules.Performance, Weight: 1, HowToFix: metrics[AverageResponseSize].howToFix},
	}
	if !reflect.DeepEqual(custom, want) {
		t.Errorf("custom rules:\n got %+v\nwant %+v", custom, want)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      string // the whole message a standard's author reads
		rule      string
		field     string
	}{
		{"negative latency", "x-steward-runtime:\n  rules:\n    runtime-p95-latency: { max-ms: -5 }\n",
			"runtime rule runtime-p95-latency: max-ms must be a positive number, got -5 (line 3)", "runtime-p95-latency", "max-ms"},
		{"zero latency", "x-steward-runtime:\n  rules:\n    runtime-p95-latency: { max-ms: 0 }\n",
			"runtime rule runtime-p95-latency: max-ms must be a positive number, got 0 (line 3)", "runtime-p95-latency", "max-ms"},
		{"latency as text", "x-steward-runtime:\n  rules:\n    runtime-p95-latency: { max-ms: fast }\n",
			`runtime rule runtime-p95-latency: max-ms must be a positive number, got "fast" (line 3)`, "runtime-p95-latency", "max-ms"},
		{"latency quoted", "x-steward-runtime:\n  rules:\n    runtime-p95-latency: { max-ms: \"300\" }\n",
			`runtime rule runtime-p95-latency: max-ms must be a positive number, got "300" (line 3)`, "runtime-p95-latency", "max-ms"},
		{"share above one", "x-steward-runtime:\n  rules:\n    runtime-https-only: { min-share: 99 }\n",
			"runtime rule runtime-https-only: min-share must be a number from 0 to 1 or a percentage such as 99%, got 99 (line 3)", "runtime-https-only", "min-share"},
		{"negative share", "x-steward-runtime:\n  rules:\n    runtime-https-only: { min: -0.1 }\n",
			"runtime rule runtime-https-only: min must be a number from 0 to 1 or a percentage such as 99%, got -0.1 (line 3)", "runtime-https-only", "min"},
		{"percentage above 100", "x-steward-runtime:\n  rules:\n    runtime-5xx-rate: { max-rate: 120% }\n",
			`runtime rule runtime-5xx-rate: max-rate must be a number from 0 to 1 or a percentage such as 99%, got "120%" (line 3)`, "runtime-5xx-rate", "max-rate"},
		{"share as list", "x-steward-runtime:\n  rules:\n    runtime-https-only: { min-share: [1] }\n",
			"runtime rule runtime-https-only: min-share must be a number from 0 to 1 or a percentage such as 99%, got a list (line 3)", "runtime-https-only", "min-share"},
		{"wrong direction", "x-steward-runtime:\n  rules:\n    runtime-https-only: { max: 0.5 }\n",
			"runtime rule runtime-https-only: max does not apply to https-share (higher is better, so it takes a minimum); use min-share or min (line 3)", "runtime-https-only", "max"},
		{"wrong unit", "x-steward-runtime:\n  rules:\n    runtime-p95-latency: { max-kb: 300 }\n",
			"runtime rule runtime-p95-latency: max-kb does not apply to p95-latency (lower is better, so it takes a maximum); use max-ms or max (line 3)", "runtime-p95-latency", "max-kb"},
		{"two thresholds", "x-steward-runtime:\n  rules:\n    runtime-p95-latency: { max-ms: 300, max: 200 }\n",
			"runtime rule runtime-p95-latency: give one threshold, not both max-ms and max (line 3)", "runtime-p95-latency", "max"},
		{"unknown metric", "x-steward-runtime:\n  rules:\n    my-rule: { metric: uptime, min: 0.9 }\n",
			`runtime rule my-rule: unknown metric "uptime": want one of https-share, authenticated-share, rate-limit-headers-share, compression-share, hsts-share, security-headers-share, client-error-rate, server-error-rate, p50-latency, p95-latency, p99-latency, average-response-size (line 3)`, "my-rule", "metric"},
		{"metric missing", "x-steward-runtime:\n  rules:\n    my-rule: { min: 0.9 }\n",
			"runtime rule my-rule: metric is required for a rule of your own: one of https-share, authenticated-share, rate-limit-headers-share, compression-share, hsts-share, security-headers-share, client-error-rate, server-error-rate, p50-latency, p95-latency, p99-latency, average-response-size (line 3)", "my-rule", "metric"},
		{"threshold missing", "x-steward-runtime:\n  rules:\n    my-rule: { metric: hsts-share }\n",
			"runtime rule my-rule: a threshold is required: min-share (or min) as a number from 0 to 1 or a percentage such as 99% (line 3)", "my-rule", "min-share"},
		{"custom rule as severity", "x-steward-runtime:\n  rules:\n    my-rule: error\n",
			"runtime rule my-rule: not a built-in rule, so it needs settings: at least a metric and a threshold (built-in rules: runtime-https-only, runtime-authenticated, runtime-rate-limit-headers, runtime-security-headers, runtime-hsts, runtime-p95-latency, runtime-5xx-rate, runtime-4xx-rate, runtime-response-size, runtime-compression, runtime-drift-undocumented-endpoints, runtime-drift-undocumented-status-codes, runtime-drift-unseen-endpoints) (line 3)", "my-rule", ""},
		{"built-in metric changed", "x-steward-runtime:\n  rules:\n    runtime-https-only: { metric: hsts-share }\n",
			"runtime rule runtime-https-only: a built-in rule's metric cannot change (it measures https-share); give a rule of your own a new name (line 3)", "runtime-https-only", "metric"},
		{"drift metric in a custom rule", "x-steward-runtime:\n  rules:\n    mine: { metric: unseen-endpoints, max: 3 }\n",
			"runtime rule mine: unseen-endpoints is counted by the drift check runtime-drift-unseen-endpoints: configure that rule instead (line 3)", "mine", "metric"},
		{"threshold on a drift check", "x-steward-runtime:\n  rules:\n    runtime-drift-unseen-endpoints: { max: 3 }\n",
			"runtime rule runtime-drift-unseen-endpoints: a drift check takes no threshold: it is scored by the share of endpoints that pass; set its severity or x-steward-weight instead (line 3)", "runtime-drift-unseen-endpoints", "max"},
		{"bad severity", "x-steward-runtime:\n  rules:\n    runtime-5xx-rate: fatal\n",
			`runtime rule runtime-5xx-rate: severity must be error, warn, info, hint or off, got "fatal" (line 3)`, "runtime-5xx-rate", "severity"},
		{"bad severity number", "x-steward-runtime:\n  rules:\n    runtime-5xx-rate: { severity: 7 }\n",
			"runtime rule runtime-5xx-rate: severity must be error, warn, info, hint or off, got 7 (line 3)", "runtime-5xx-rate", "severity"},
		{"negative weight", "x-steward-runtime:\n  rules:\n    runtime-5xx-rate: { x-steward-weight: -1 }\n",
			"runtime rule runtime-5xx-rate: x-steward-weight must be a number of at least 0, got -1 (line 3)", "runtime-5xx-rate", "x-steward-weight"},
		{"weight as text", "x-steward-runtime:\n  rules:\n    runtime-5xx-rate: { x-steward-weight: heavy }\n",
			`runtime rule runtime-5xx-rate: x-steward-weight must be a number of at least 0, got "heavy" (line 3)`, "runtime-5xx-rate", "x-steward-weight"},
		{"unknown category", "x-steward-runtime:\n  rules:\n    runtime-5xx-rate: { x-steward-category: reliability }\n",
			`runtime rule runtime-5xx-rate: x-steward-category must be one of security, design, documentation, performance, governance, got "reliability" (line 3)`, "runtime-5xx-rate", "x-steward-category"},
		{"unknown field", "x-steward-runtime:\n  rules:\n    runtime-p95-latency: { max_ms: 300 }\n",
			`runtime rule runtime-p95-latency: unknown field "max_ms": want metric, min, max, min-share, max-rate, max-ms, max-kb, severity, description, x-steward-category, x-steward-weight, x-steward-how-to-fix (line 3)`, "runtime-p95-latency", "max_ms"},
		{"rule as list", "x-steward-runtime:\n  rules:\n    runtime-p95-latency: [300]\n",
			"runtime rule runtime-p95-latency: must be a severity (error, warn, info, hint, off) or an object of settings (line 3)", "runtime-p95-latency", ""},
		{"rule written twice", "x-steward-runtime:\n  rules:\n    runtime-p95-latency: off\n    runtime-p95-latency: error\n",
			"runtime rule runtime-p95-latency: written twice (first on line 3) (line 4)", "runtime-p95-latency", ""},
		{"field written twice", "x-steward-runtime:\n  rules:\n    runtime-p95-latency:\n      severity: off\n      severity: error\n",
			"runtime rule runtime-p95-latency: severity is written twice (first on line 4) (line 5)", "runtime-p95-latency", "severity"},
		{"description not text", "x-steward-runtime:\n  rules:\n    runtime-p95-latency: { description: [a] }\n",
			"runtime rule runtime-p95-latency: description must be a string (line 3)", "runtime-p95-latency", "description"},
		{"bad window", "x-steward-runtime:\n  window: a week\n",
			`x-steward-runtime: window must be a duration such as 7d, 2w or 36h, got "a week" (line 2)`, "", "window"},
		{"window as number", "x-steward-runtime:\n  window: 7\n",
			"x-steward-runtime: window must be a duration such as 7d, 2w or 36h, got 7 (line 2)", "", "window"},
		{"window in minutes", "x-steward-runtime:\n  window: 90m\n",
			`x-steward-runtime: window must be a whole number of hours, at least 1h (traffic is rolled up by the hour), got "90m" (line 2)`, "", "window"},
		{"bad min-requests", "x-steward-runtime:\n  min-requests: 0\n",
			"x-steward-runtime: min-requests must be a whole number of at least 1, got 0 (line 2)", "", "min-requests"},
		{"unknown extension field", "x-steward-runtime:\n  treshold: 3\n",
			`x-steward-runtime: unknown field "treshold": want window, min-requests or rules (line 2)`, "", "treshold"},
		{"extension not an object", "x-steward-runtime: [runtime-https-only]\n",
			"x-steward-runtime: must be an object with window, min-requests and rules (line 1)", "", ""},
		{"rules not an object", "x-steward-runtime:\n  rules: [runtime-https-only]\n",
			"x-steward-runtime: rules must be an object of rule names to settings (line 2)", "", "rules"},
		{"standard not an object", "- a\n- b\n",
			"x-steward-runtime: the standard must be an object (line 1)", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, err := Parse([]byte(tc.src))
			if err == nil {
				t.Fatalf("no error; got %+v", set)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got %s\nwant %s", err, tc.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("%T is not a *ParseError", err)
			}
			if pe.Rule != tc.rule || pe.Field != tc.field {
				t.Errorf("rule %q field %q, want %q %q", pe.Rule, pe.Field, tc.rule, tc.field)
			}
		})
	}
}

func TestParseBadYAML(t *testing.T) {
	for name, src := range map[string]string{
		"yaml":  "x-steward-runtime:\n  rules:\n    runtime-p95-latency: { max-ms: 300\n",
		"json":  `{"x-steward-runtime": {"rules": }`,
		"tabs":  "x-steward-runtime:\n\trules: {}\n",
		"colon": "x-steward-runtime: rules: off\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(src))
			if err == nil || !strings.HasPrefix(err.Error(), "runtime rules: the standard is not valid YAML or JSON: yaml: ") {
				t.Errorf("error %v, want one saying the standard is not valid YAML or JSON", err)
			}
		})
	}
}
