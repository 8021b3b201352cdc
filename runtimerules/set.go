package runtimerules

import (
	"time"

	"github.com/steward-governance/steward/rules"
)

// DefaultWindow is how much traffic runtime rules look at unless the
// standard says otherwise: the last 7 days, as Treblle's run-time score.
const DefaultWindow = 7 * 24 * time.Hour

// DefaultMinRequests is how many requests a version needs in the window
// before it gets a runtime score. Below it a share or a percentile says
// more about chance than about the API (one plain-HTTP health check out of
// five requests would be a 20% failure), so the version shows "no runtime
// data" instead.
const DefaultMinRequests int64 = 20

// Rule is one runtime rule of a standard: a metric held to a threshold
// over the window, or one of the drift checks.
type Rule struct {
	// Name is the rule's name in x-steward-runtime.rules; built-in rules
	// start with "runtime-".
	Name        string
	Description string
	Metric      Metric
	// Threshold is the bound the metric must meet (see Metric.Bound), in
	// the metric's unit: a fraction from 0 to 1 for shares and rates,
	// milliseconds for latencies, KB for sizes. Drift rules have none.
	Threshold float64
	// Severity is the rule's severity; rules.Off when the standard turns
	// it off.
	Severity rules.Severity
	Category rules.Category
	// Weight is the rule's own weight (x-steward-weight), before the
	// severity factor.
	Weight   float64
	HowToFix string
	// BuiltIn is true for Steward's own rules, overridden or not.
	BuiltIn bool
}

// Enabled reports whether the rule is scored at all.
func (r Rule) Enabled() bool { return r.Severity != rules.Off }

// Set is a standard's runtime rules: the built-in rules with the
// standard's overrides, then its own rules in the order it writes them.
type Set struct {
	// Window is how far back the traffic summary a set is evaluated on
	// should reach; messages name it ("over the last 7 days").
	Window time.Duration
	// MinRequests is the standard's minimum number of requests in the
	// window for a runtime score (min-requests; DefaultMinRequests).
	MinRequests int64
	// Rules holds every rule, turned off or not, so a page can list them.
	Rules []Rule
	// CategoryWeights is how much each category counts in the overall
	// runtime score; a category missing here counts 1. Parse does not set
	// it: it belongs to the whole standard (x-steward-category-weights),
	// so copy rules.Ruleset.CategoryWeights here to weigh runtime scores
	// as design-time ones are.
	CategoryWeights map[rules.Category]float64
}

// Rule returns the rule of that name.
func (s *Set) Rule(name string) (Rule, bool) {
	for _, r := range s.Rules {
		if r.Name == name {
			return r, true
		}
	}
	return Rule{}, false
}

// The built-in rules' names.
const (
	RuleHTTPS                 = "runtime-https-only"
	RuleAuthenticated         = "runtime-authenticated"
	RuleP95Latency            = "runtime-p95-latency"
	RuleServerErrors          = "runtime-5xx-rate"
	RuleClientErrors          = "runtime-4xx-rate"
	RuleResponseSize          = "runtime-response-size"
	RuleCompression           = "runtime-compression"
	RuleRateLimitHeaders      = "runtime-rate-limit-headers"
	RuleSecurityHeaders       = "runtime-security-headers"
	RuleHSTS                  = "runtime-hsts"
	RuleUndocumentedEndpoints = "runtime-drift-undocumented-endpoints"
	RuleUnseenEndpoints       = "runtime-drift-unseen-endpoints"
	RuleUndocumentedStatuses  = "runtime-drift-undocumented-status-codes"
)

// builtins returns a fresh copy of the built-in rules, in the order pages
// list them.
func builtins() []Rule {
	m := func(metric Metric) metricInfo { return metrics[metric] }
	return []Rule{
		{
			Name: RuleHTTPS, Metric: HTTPSShare, Threshold: 0.99, Severity: rules.Error, Weight: 5,
			HowToFix: m(HTTPSShare).howToFix,
		},
		{
			Name: RuleAuthenticated, Metric: AuthenticatedShare, Threshold: 0.95, Severity: rules.Error, Weight: 4,
			HowToFix: m(AuthenticatedShare).howToFix,
		},
		{
			Name: RuleRateLimitHeaders, Metric: RateLimitHeadersShare, Threshold: 0.9, Severity: rules.Warn, Weight: 2,
			HowToFix: m(RateLimitHeadersShare).howToFix,
		},
		{
			Name: RuleSecurityHeaders, Metric: SecurityHeadersShare, Threshold: 0.9, Severity: rules.Warn, Weight: 2,
			HowToFix: m(SecurityHeadersShare).howToFix,
		},
		{
			Name: RuleHSTS, Metric: HSTSShare, Threshold: 0.9, Severity: rules.Warn, Weight: 2,
			HowToFix: m(HSTSShare).howToFix,
		},
		{
			Name: RuleP95Latency, Metric: P95Latency, Threshold: 500, Severity: rules.Warn, Weight: 3,
			HowToFix: m(P95Latency).howToFix,
		},
		{
			Name: RuleServerErrors, Metric: ServerErrorRate, Threshold: 0.01, Severity: rules.Error, Weight: 3,
			HowToFix: m(ServerErrorRate).howToFix,
		},
		{
			Name: RuleClientErrors, Metric: ClientErrorRate, Threshold: 0.1, Severity: rules.Warn, Weight: 1,
			HowToFix: m(ClientErrorRate).howToFix,
		},
		{
			Name: RuleResponseSize, Metric: AverageResponseSize, Threshold: 100, Severity: rules.Warn, Weight: 1,
			HowToFix: m(AverageResponseSize).howToFix,
		},
		{
			Name: RuleCompression, Metric: CompressionShare, Threshold: 0.8, Severity: rules.Warn, Weight: 1,
			HowToFix: m(CompressionShare).howToFix,
		},
		{
			Name: RuleUndocumentedEndpoints, Metric: UndocumentedEndpoints, Severity: rules.Error, Weight: 3,
			Description: "Every endpoint that receives traffic is documented in the spec.",
			HowToFix:    "Add the endpoints to the spec (or the missing methods to their paths) if they are meant to be used; otherwise remove them from the API or block them at the gateway. Traffic nobody documented is traffic nobody governs.",
		},
		{
			Name: RuleUndocumentedStatuses, Metric: UndocumentedStatusCodes, Severity: rules.Warn, Weight: 2,
			Description: "Every status code an endpoint returns is documented in its responses.",
			HowToFix:    "Document the status codes under each operation's responses (an explicit code, a range such as 4XX, or default with an error schema), or fix the API if it should not return them; unexpected 500s are bugs, not documentation gaps.",
		},
		{
			Name: RuleUnseenEndpoints, Metric: UnseenEndpoints, Severity: rules.Warn, Weight: 1,
			Description: "Every documented endpoint receives traffic.",
			HowToFix:    "Check whether the endpoints are still needed: deprecate and retire the ones nobody uses, or remove them from the spec if they were never built. Endpoints used only rarely (yearly reports) can stay: turn the rule off or to info in the standard.",
		},
	}
}

// Defaults returns the built-in runtime rules with their default
// thresholds, the default window and the default minimum of requests.
func Defaults() *Set {
	s := &Set{Window: DefaultWindow, MinRequests: DefaultMinRequests, Rules: builtins()}
	for i := range s.Rules {
		r := &s.Rules[i]
		r.Category = metrics[r.Metric].category
		r.BuiltIn = true
		if r.Description == "" {
			r.Description = describe(r.Metric, r.Threshold)
		}
	}
	return s
}

// describe words a metric rule's requirement: "At least 99% of requests
// use HTTPS.", "The 95th percentile response time is at most 500 ms."
func describe(m Metric, threshold float64) string {
	info := metrics[m]
	t := formatThreshold(m, threshold)
	switch info.unit {
	case unitShare, unitRate:
		b := "At least"
		if info.bound == AtMost {
			b = "At most"
		}
		return b + " " + t + " " + info.present + "."
	case unitMS, unitKB:
		return info.present + " is " + string(info.bound) + " " + t + "."
	}
	return ""
}
