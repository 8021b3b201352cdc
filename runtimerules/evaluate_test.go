package runtimerules

import (
	"testing"
	"time"

	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/scorecard"
	"github.com/steward-governance/steward/traffic/rollup"
)

// typical is a week of traffic from an API that gets some things wrong:
// plain HTTP, missing security headers, many 4xx, large responses.
func typical() rollup.Summary {
	return rollup.Summary{
		Requests: 10000, Legitimate: 9800,
		HTTPSShare: 0.62, AuthenticatedShare: 0.99, RateLimitHeadersShare: 0.95, CompressedShare: 0.9,
		HSTSShare: 0.95, SecurityHeadersShare: 0.5,
		ClientErrorRate: 0.2, ServerErrorRate: 0.002,
		P50: 80 * time.Millisecond, P95: 412 * time.Millisecond, P99: 1200 * time.Millisecond, Timed: 10000,
		AverageResponseBytes: 142 * 1024,
		Consumers:            12,
	}
}

func TestEvaluateFindings(t *testing.T) {
	res := Evaluate(Defaults(), typical(), 0)
	want := []struct {
		rule     string
		status   scorecard.Status
		measured string
		asks     string
		message  string
	}{
		{RuleAuthenticated, scorecard.Pass, "99%", "at least 95%", "99% of requests carried credentials over the last 7 days; the standard asks for at least 95%"},
		{RuleHSTS, scorecard.Pass, "95%", "at least 90%", "95% of responses carried Strict-Transport-Security (HSTS) over the last 7 days; the standard asks for at least 90%"},
		{RuleHTTPS, scorecard.Fail, "62%", "at least 99%", "62% of requests used HTTPS over the last 7 days; the standard asks for at least 99%"},
		{RuleRateLimitHeaders, scorecard.Pass, "95%", "at least 90%", "95% of responses carried rate-limit headers over the last 7 days; the standard asks for at least 90%"},
		{RuleSecurityHeaders, scorecard.Fail, "50%", "at least 90%", "50% of responses carried security headers over the last 7 days; the standard asks for at least 90%"},
		{RuleClientErrors, scorecard.Fail, "20%", "at most 10%", "20% of responses were client errors (4xx) over the last 7 days; the standard asks for at most 10%"},
		{RuleServerErrors, scorecard.Pass, "0.2%", "at most 1%", "0.2% of responses were server errors (5xx) over the last 7 days; the standard asks for at most 1%"},
		{RuleCompression, scorecard.Pass, "90%", "at least 80%", "90% of responses were compressed over the last 7 days; the standard asks for at least 80%"},
		{RuleP95Latency, scorecard.Pass, "412 ms", "at most 500 ms", "The 95th percentile response time was 412 ms over the last 7 days; the standard asks for at most 500 ms"},
		{RuleResponseSize, scorecard.Fail, "142 KB", "at most 100 KB", "The average response was 142 KB over the last 7 days; the standard asks for at most 100 KB"},
	}
	if res.NoData || !res.HasScore {
		t.Fatalf("NoData %v HasScore %v", res.NoData, res.HasScore)
	}
	if len(res.Findings) != len(want) {
		t.Fatalf("%d findings, want %d (drift checks are not evaluated on a summary)", len(res.Findings), len(want))
	}
	for i, w := range want {
		f := res.Findings[i]
		if f.Rule != w.rule || f.Status != w.status || f.MeasuredText() != w.measured || f.ThresholdText() != w.asks || f.Message != w.message {
			t.Errorf("finding %d:\n got %s %s %q %q %q\nwant %s %s %q %q %q", i,
				f.Rule, f.Status, f.MeasuredText(), f.ThresholdText(), f.Message, w.rule, w.status, w.measured, w.asks, w.message)
		}
		if f.HowToFix == "" || f.Description == "" {
			t.Errorf("%s: no description or how-to-fix", f.Rule)
		}
	}
	// Security: https 5 + auth 4 + three warnings of 2 × 0.5 = 12; earned
	// 4 + 1 + 1 = 6 → 50. Performance: p95 1.5 + 5xx 3 + 4xx 0.5 + size
	// 0.5 + compression 0.5 = 6; earned 5 → 83.3. Overall 66.6 → D.
	if res.Overall != 66 || res.Grade != scorecard.D || res.Summary != "D (66/100)" {
		t.Errorf("overall %d grade %q summary %q, want 66 D \"D (66/100)\"", res.Overall, res.Grade, res.Summary)
	}
	for _, want := range []struct {
		cat                   rules.Category
		has                   bool
		score, passed, failed int
	}{
		{rules.Security, true, 50, 3, 2},
		{rules.Design, false, 0, 0, 0},
		{rules.Documentation, false, 0, 0, 0},
		{rules.Performance, true, 83, 3, 2},
		{rules.Governance, false, 0, 0, 0},
	} {
		cs, _ := res.Category(want.cat)
		if cs.HasScore != want.has || cs.Score != want.score || cs.Passed != want.passed || cs.Failed != want.failed {
			t.Errorf("%s: %+v, want has %v score %d passed %d failed %d", want.cat, cs, want.has, want.score, want.passed, want.failed)
		}
	}
}

func TestEvaluateNoData(t *testing.T) {
	fromExtension, err := Parse([]byte("x-steward-runtime:\n  window: 14d\n  min-requests: 5\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		set         *Set
		requests    int64
		minRequests int64
		noData      bool
		detail      string
	}{
		{"no traffic", Defaults(), 0, 0, true, "No requests in the last 7 days; a runtime score needs at least 20."},
		{"one request", Defaults(), 1, 0, true, "1 request in the last 7 days; a runtime score needs at least 20."},
		{"just below the default", Defaults(), 19, 0, true, "19 requests in the last 7 days; a runtime score needs at least 20."},
		{"at the default", Defaults(), 20, 0, false, ""},
		{"below the caller's minimum", Defaults(), 50, 100, true, "50 requests in the last 7 days; a runtime score needs at least 100."},
		{"the standard's minimum", fromExtension, 5, 0, false, ""},
		{"below the standard's minimum", fromExtension, 4, 0, true, "4 requests in the last 14 days; a runtime score needs at least 5."},
		{"no set", nil, 3, 0, true, "3 requests in the last 7 days; a runtime score needs at least 20."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := typical()
			s.Requests = tc.requests
			res := Evaluate(tc.set, s, tc.minRequests)
			if res.NoData != tc.noData || res.Detail != tc.detail {
				t.Fatalf("NoData %v detail %q, want %v %q", res.NoData, res.Detail, tc.noData, tc.detail)
			}
			if tc.noData {
				if res.HasScore || res.Overall != 0 || res.Grade != scorecard.NoGrade || res.Summary != "no runtime data" || res.Findings != nil || res.Categories != nil {
					t.Errorf("a version without runtime data got %+v", res)
				}
			} else if !res.HasScore || res.Grade == scorecard.NoGrade {
				t.Errorf("no score: %+v", res)
			}
		})
	}
}

func TestEvaluateNotApplicable(t *testing.T) {
	s := typical()
	s.Timed, s.P50, s.P95, s.P99 = 0, 0, 0, 0
	s.AverageResponseBytes = 0
	res := Evaluate(Defaults(), s, 0)
	for rule, msg := range map[string]string{
		RuleP95Latency:   "No request in the last 7 days had a known duration, so the 95th percentile response time is unknown.",
		RuleResponseSize: "No response size was recorded in the last 7 days, so the average response size is unknown.",
	} {
		f, _ := res.Finding(rule)
		if f.Status != scorecard.NotApplicable || f.Message != msg || f.Scored() || f.Credit != 0 || f.MeasuredText() != "" {
			t.Errorf("%s: %s %q scored %v, want not applicable %q", rule, f.Status, f.Message, f.Scored(), msg)
		}
	}
	// Performance without the two: 5xx 3 + 4xx 0.5 + compression 0.5 = 4,
	// earned 3.5 → 87; neither helps nor hurts.
	cs, _ := res.Category(rules.Performance)
	if cs.Score != 87 || cs.NotApplicable != 2 || cs.ScoredWeight != 4 {
		t.Errorf("performance %+v, want 87 with 2 not applicable", cs)
	}

	only, err := Parse([]byte(`x-steward-runtime:
  rules:
    runtime-https-only: off
    runtime-authenticated: off
    runtime-rate-limit-headers: off
    runtime-security-headers: off
    runtime-hsts: off
    runtime-5xx-rate: off
    runtime-4xx-rate: off
    runtime-response-size: off
    runtime-compression: off
`))
	if err != nil {
		t.Fatal(err)
	}
	res = Evaluate(only, s, 0)
	if res.NoData || res.HasScore || res.Summary != "not scored: no runtime rule applies" || len(res.Findings) != 1 {
		t.Errorf("only a latency rule, no timed request: %+v", res)
	}
}

func TestEvaluateCustomRuleAndSeverities(t *testing.T) {
	set, err := Parse([]byte(`x-steward-runtime:
  window: 24h
  rules:
    runtime-hsts: hint
    p99-under-a-second: { metric: p99-latency, max: 1000, severity: error, x-steward-weight: 2 }
    tiny: { metric: average-response-size, max-kb: 0.5, severity: info }
`))
	if err != nil {
		t.Fatal(err)
	}
	res := Evaluate(set, typical(), 0)
	p99, _ := res.Finding("p99-under-a-second")
	if p99.Status != scorecard.Fail || p99.Weight != 2 || p99.Category != rules.Performance ||
		p99.Message != "The 99th percentile response time was 1200 ms over the last day; the standard asks for at most 1000 ms" {
		t.Errorf("custom rule: %+v", p99)
	}
	tiny, _ := res.Finding("tiny")
	if tiny.Weight != 0.25 || tiny.Message != "The average response was 142 KB over the last day; the standard asks for at most 0.5 KB" {
		t.Errorf("info rule: weight %v message %q", tiny.Weight, tiny.Message)
	}
	hsts, _ := res.Finding(RuleHSTS)
	if hsts.Status != scorecard.Pass || hsts.Weight != 0 || hsts.Scored() {
		t.Errorf("a hint is shown but never scored: %+v", hsts)
	}
	if _, ok := res.Finding(RuleServerErrors); !ok {
		t.Errorf("built-in rules stay when a standard adds its own")
	}
}

func TestMeasuredValuesNeverMislead(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rule    string
		edit    func(*rollup.Summary)
		status  scorecard.Status
		message string
	}{
		{"just below a share", RuleHTTPS, func(s *rollup.Summary) { s.HTTPSShare = 0.9896 }, scorecard.Fail,
			"98.96% of requests used HTTPS over the last 7 days; the standard asks for at least 99%"},
		{"exactly a share", RuleHTTPS, func(s *rollup.Summary) { s.HTTPSShare = 99.0 / 100 }, scorecard.Pass,
			"99% of requests used HTTPS over the last 7 days; the standard asks for at least 99%"},
		{"a share from counts", RuleHTTPS, func(s *rollup.Summary) { s.HTTPSShare = float64(9900) / float64(10000) }, scorecard.Pass,
			"99% of requests used HTTPS over the last 7 days; the standard asks for at least 99%"},
		{"all but one", RuleHTTPS, func(s *rollup.Summary) { s.HTTPSShare = 99999.0 / 100000 }, scorecard.Pass,
			"100% of requests used HTTPS over the last 7 days; the standard asks for at least 99%"},
		{"just above a rate", RuleServerErrors, func(s *rollup.Summary) { s.ServerErrorRate = 0.01004 }, scorecard.Fail,
			"1.004% of responses were server errors (5xx) over the last 7 days; the standard asks for at most 1%"},
		{"just above a latency", RuleP95Latency, func(s *rollup.Summary) { s.P95 = 500*time.Millisecond + 400*time.Microsecond }, scorecard.Fail,
			"The 95th percentile response time was 500.4 ms over the last 7 days; the standard asks for at most 500 ms"},
		{"fast", RuleP95Latency, func(s *rollup.Summary) { s.P95 = 3200 * time.Microsecond }, scorecard.Pass,
			"The 95th percentile response time was 3.2 ms over the last 7 days; the standard asks for at most 500 ms"},
		{"small responses", RuleResponseSize, func(s *rollup.Summary) { s.AverageResponseBytes = 512 }, scorecard.Pass,
			"The average response was 0.5 KB over the last 7 days; the standard asks for at most 100 KB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := typical()
			tc.edit(&s)
			f, _ := Evaluate(Defaults(), s, 0).Finding(tc.rule)
			if f.Status != tc.status || f.Message != tc.message {
				t.Errorf("got %s %q\nwant %s %q", f.Status, f.Message, tc.status, tc.message)
			}
		})
	}
}

func TestEvaluateCategoryWeights(t *testing.T) {
	set := Defaults()
	set.CategoryWeights = map[rules.Category]float64{rules.Security: 3}
	res := Evaluate(set, typical(), 0)
	// (3 × 50 + 1 × 83.3) / 4 = 58.3 → F.
	if res.Overall != 58 || res.Grade != scorecard.F {
		t.Errorf("overall %d grade %s, want 58 F", res.Overall, res.Grade)
	}
}

// goodAndBad are, per default metric rule, a summary edit that passes it
// and one that fails it.
var goodAndBad = []struct {
	rule      string
	good, bad func(*rollup.Summary)
}{
	{RuleHTTPS, func(s *rollup.Summary) { s.HTTPSShare = 1 }, func(s *rollup.Summary) { s.HTTPSShare = 0.4 }},
	{RuleAuthenticated, func(s *rollup.Summary) { s.AuthenticatedShare = 1 }, func(s *rollup.Summary) { s.AuthenticatedShare = 0.5 }},
	{RuleRateLimitHeaders, func(s *rollup.Summary) { s.RateLimitHeadersShare = 1 }, func(s *rollup.Summary) { s.RateLimitHeadersShare = 0 }},
	{RuleSecurityHeaders, func(s *rollup.Summary) { s.SecurityHeadersShare = 1 }, func(s *rollup.Summary) { s.SecurityHeadersShare = 0.2 }},
	{RuleHSTS, func(s *rollup.Summary) { s.HSTSShare = 1 }, func(s *rollup.Summary) { s.HSTSShare = 0.1 }},
	{RuleP95Latency, func(s *rollup.Summary) { s.P95 = 100 * time.Millisecond }, func(s *rollup.Summary) { s.P95 = 2 * time.Second }},
	{RuleServerErrors, func(s *rollup.Summary) { s.ServerErrorRate = 0 }, func(s *rollup.Summary) { s.ServerErrorRate = 0.2 }},
	{RuleClientErrors, func(s *rollup.Summary) { s.ClientErrorRate = 0.01 }, func(s *rollup.Summary) { s.ClientErrorRate = 0.5 }},
	{RuleResponseSize, func(s *rollup.Summary) { s.AverageResponseBytes = 2048 }, func(s *rollup.Summary) { s.AverageResponseBytes = 1 << 20 }},
	{RuleCompression, func(s *rollup.Summary) { s.CompressedShare = 1 }, func(s *rollup.Summary) { s.CompressedShare = 0 }},
}

func summaryFailing(mask int) rollup.Summary {
	s := typical()
	for i, gb := range goodAndBad {
		if mask&(1<<i) != 0 {
			gb.bad(&s)
		} else {
			gb.good(&s)
		}
	}
	return s
}

// TestScoreMonotonic checks, over every combination of failing rules,
// that fixing one failing rule never lowers any score and never lowers
// the grade.
func TestScoreMonotonic(t *testing.T) {
	withWeights := Defaults()
	withWeights.CategoryWeights = map[rules.Category]float64{rules.Security: 2, rules.Performance: 0.5}
	for name, set := range map[string]*Set{"defaults": Defaults(), "category weights": withWeights} {
		t.Run(name, func(t *testing.T) {
			if res := Evaluate(set, summaryFailing(0), 0); res.Overall != 100 || res.Grade != scorecard.A {
				t.Fatalf("nothing failing: %s", res.Summary)
			}
			all := 1<<len(goodAndBad) - 1
			if res := Evaluate(set, summaryFailing(all), 0); res.Overall != 0 || res.Grade != scorecard.F {
				t.Fatalf("everything failing: %s", res.Summary)
			}
			for mask := 0; mask <= all; mask++ {
				before := Evaluate(set, summaryFailing(mask), 0)
				for i, gb := range goodAndBad {
					if mask&(1<<i) == 0 {
						continue
					}
					if f, _ := before.Finding(gb.rule); f.Status != scorecard.Fail {
						t.Fatalf("mask %b: %s should fail, got %s", mask, gb.rule, f.Status)
					}
					after := Evaluate(set, summaryFailing(mask&^(1<<i)), 0)
					if after.Overall < before.Overall || after.Grade > before.Grade && before.Grade != scorecard.NoGrade {
						t.Fatalf("mask %b: fixing %s took the score from %s to %s", mask, gb.rule, before.Summary, after.Summary)
					}
					for c := range before.Categories {
						if after.Categories[c].Score < before.Categories[c].Score {
							t.Fatalf("mask %b: fixing %s lowered %s from %d to %d", mask, gb.rule,
								before.Categories[c].Category, before.Categories[c].Score, after.Categories[c].Score)
						}
					}
				}
			}
		})
	}
}

func TestWithFindingsAddsDriftToGovernance(t *testing.T) {
	drift := ComputeDrift(
		[]Endpoint{{Method: "GET", Path: "/users", Statuses: []string{"200"}}, {Method: "DELETE", Path: "/users/{id}", Statuses: []string{"204"}}},
		[]SeenEndpoint{{Method: "GET", Path: "/users", Statuses: map[int]int64{200: 90}, Requests: 90}, {Method: "GET", Path: "/debug", Requests: 10}},
	)
	res := Evaluate(Defaults(), typical(), 0).WithFindings(drift.GovernanceFindings()...)
	// Undocumented endpoints: error weight 3, 1 of 2 fails → 1.5.
	// Status codes: warn weight 2 → 1, all pass → 1. Unseen: warn weight 1
	// → 0.5, 1 of 2 fails → 0.25. 2.75 / 4.5 → 61.
	cs, _ := res.Category(rules.Governance)
	if !cs.HasScore || cs.Score != 61 || cs.Passed != 1 || cs.Failed != 2 {
		t.Errorf("governance %+v, want 61 with 1 passed and 2 failed", cs)
	}
	// (50 + 83.3 + 61.1) / 3 = 64.8
	if res.Summary != "D (64/100)" {
		t.Errorf("summary %q", res.Summary)
	}
	plain := Evaluate(Defaults(), typical(), 0)
	if plain.Summary != "D (66/100)" || len(plain.Findings) != 10 {
		t.Errorf("WithFindings changed the result it was called on: %s, %d findings", plain.Summary, len(plain.Findings))
	}

	s := typical()
	s.Requests = 3
	if res := Evaluate(Defaults(), s, 0).WithFindings(drift.GovernanceFindings()...); !res.NoData || res.HasScore || len(res.Findings) != 0 {
		t.Errorf("drift gave a version without runtime data a score: %+v", res)
	}
}

func TestFindingAsRuleResult(t *testing.T) {
	res := Evaluate(Defaults(), typical(), 0)
	f, _ := res.Finding(RuleHTTPS)
	rr := f.RuleResult()
	if rr.Rule != RuleHTTPS || rr.Status != scorecard.Fail || rr.Weight != 5 || rr.Credit != 0 || rr.Findings != 1 ||
		rr.Detail != f.Message || rr.Category != rules.Security || !rr.Scored() {
		t.Errorf("rule result %+v", rr)
	}
}
