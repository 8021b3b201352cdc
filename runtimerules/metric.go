package runtimerules

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/traffic/rollup"
)

// Metric names what a runtime rule measures: a field of a traffic summary
// (rollup.Summary), or for the drift checks a comparison of traffic with
// the spec.
type Metric string

// The metrics of a traffic summary. Shares and rates are fractions from 0
// to 1 (shown as percentages), latencies are milliseconds and sizes are
// kilobytes of 1,024 bytes.
const (
	// HTTPSShare is the share of requests made over HTTPS.
	HTTPSShare Metric = "https-share"
	// AuthenticatedShare is the share of requests that carried credentials.
	AuthenticatedShare Metric = "authenticated-share"
	// RateLimitHeadersShare is the share of responses with rate-limit headers.
	RateLimitHeadersShare Metric = "rate-limit-headers-share"
	// CompressionShare is the share of responses with a Content-Encoding.
	CompressionShare Metric = "compression-share"
	// HSTSShare is the share of responses with Strict-Transport-Security.
	HSTSShare Metric = "hsts-share"
	// SecurityHeadersShare is the share of responses with the
	// browser-hardening headers (nosniff and CSP or X-Frame-Options).
	SecurityHeadersShare Metric = "security-headers-share"
	// ClientErrorRate is the share of responses with a 4xx status.
	ClientErrorRate Metric = "client-error-rate"
	// ServerErrorRate is the share of responses with a 5xx status.
	ServerErrorRate Metric = "server-error-rate"
	// P50Latency is the median response time, in milliseconds.
	P50Latency Metric = "p50-latency"
	// P95Latency is the 95th percentile response time, in milliseconds.
	P95Latency Metric = "p95-latency"
	// P99Latency is the 99th percentile response time, in milliseconds.
	P99Latency Metric = "p99-latency"
	// AverageResponseSize is the mean response size, in KB.
	AverageResponseSize Metric = "average-response-size"
)

// The drift metrics: counted by ComputeDrift, scored by Drift.Findings.
// Only the built-in drift rules use them.
const (
	// UnseenEndpoints counts documented endpoints that got no traffic.
	UnseenEndpoints Metric = "unseen-endpoints"
	// UndocumentedEndpoints counts endpoints that got traffic but are not
	// in the spec.
	UndocumentedEndpoints Metric = "undocumented-endpoints"
	// UndocumentedStatusCodes counts status codes documented endpoints
	// returned that their responses do not list.
	UndocumentedStatusCodes Metric = "undocumented-status-codes"
)

// Bound says which side of its threshold a rule's metric must be on.
type Bound string

// The bounds. Shares must be at least their threshold; rates, latencies
// and sizes at most theirs. Drift rules have no threshold: they are scored
// by the share of endpoints that pass, like design-time rules.
const (
	AtLeast Bound = "at least"
	AtMost  Bound = "at most"
	NoBound Bound = ""
)

// unit is how a metric's values are written in a ruleset and shown.
type unit int

const (
	unitShare unit = iota // 0-1, shown as a percentage; min-share
	unitRate              // 0-1, shown as a percentage; max-rate
	unitMS                // milliseconds; max-ms
	unitKB                // kilobytes of 1,024 bytes; max-kb
	unitCount             // drift: endpoints or status codes
)

// metricInfo is everything Steward knows about a metric.
type metricInfo struct {
	unit     unit
	bound    Bound
	category rules.Category
	// present and past finish "<value> ..." for shares and rates, and are
	// the subject for latencies and sizes ("The median response time").
	present, past string
	// measure reads the metric from a summary; ok is false when the
	// summary cannot know it (the rule is then not applicable).
	measure func(rollup.Summary) (v float64, ok bool)
	// unknown names a latency in the not-applicable message.
	unknown  string
	howToFix string
}

func shareOf(f func(rollup.Summary) float64) func(rollup.Summary) (float64, bool) {
	return func(s rollup.Summary) (float64, bool) { return f(s), true }
}

func latencyOf(f func(rollup.Summary) time.Duration) func(rollup.Summary) (float64, bool) {
	return func(s rollup.Summary) (float64, bool) {
		if s.Timed <= 0 {
			return 0, false
		}
		return float64(f(s)) / float64(time.Millisecond), true
	}
}

var metrics = map[Metric]metricInfo{
	HTTPSShare: {
		unit: unitShare, bound: AtLeast, category: rules.Security,
		present: "of requests use HTTPS", past: "of requests used HTTPS",
		measure:  shareOf(func(s rollup.Summary) float64 { return s.HTTPSShare }),
		howToFix: "Serve the API over TLS only: redirect or refuse plain-HTTP requests at the gateway, and tell the consumers still calling http:// URLs (the traffic tab lists them) to switch.",
	},
	AuthenticatedShare: {
		unit: unitShare, bound: AtLeast, category: rules.Security,
		present: "of requests carry credentials", past: "of requests carried credentials",
		measure:  shareOf(func(s rollup.Summary) float64 { return s.AuthenticatedShare }),
		howToFix: "Require authentication on every operation (an API key, OAuth token or client certificate) at the gateway or in the API, and document the security scheme in the spec. Endpoints that are public on purpose belong in a separate, documented API version.",
	},
	RateLimitHeadersShare: {
		unit: unitShare, bound: AtLeast, category: rules.Security,
		present: "of responses carry rate-limit headers", past: "of responses carried rate-limit headers",
		measure:  shareOf(func(s rollup.Summary) float64 { return s.RateLimitHeadersShare }),
		howToFix: "Enable rate limiting on the API (for example Kong's rate-limiting plugin or nginx limit_req) and send RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset (or the X-RateLimit-* forms) on every response, with Retry-After on 429.",
	},
	CompressionShare: {
		unit: unitShare, bound: AtLeast, category: rules.Performance,
		present: "of responses are compressed", past: "of responses were compressed",
		measure:  shareOf(func(s rollup.Summary) float64 { return s.CompressedShare }),
		howToFix: "Turn on gzip or Brotli for JSON responses at the gateway or in the application (nginx: gzip on; gzip_types application/json). Empty and very small responses are usually sent uncompressed and count against the share: lower the threshold if most of your responses are tiny.",
	},
	HSTSShare: {
		unit: unitShare, bound: AtLeast, category: rules.Security,
		present: "of responses carry Strict-Transport-Security (HSTS)", past: "of responses carried Strict-Transport-Security (HSTS)",
		measure:  shareOf(func(s rollup.Summary) float64 { return s.HSTSShare }),
		howToFix: "Add Strict-Transport-Security: max-age=31536000; includeSubDomains to every response, at the gateway or in the application.",
	},
	SecurityHeadersShare: {
		unit: unitShare, bound: AtLeast, category: rules.Security,
		present: "of responses carry security headers", past: "of responses carried security headers",
		measure:  shareOf(func(s rollup.Summary) float64 { return s.SecurityHeadersShare }),
		howToFix: "Add X-Content-Type-Options: nosniff and either Content-Security-Policy: default-src 'none' or X-Frame-Options: DENY to every response, at the gateway or in the application.",
	},
	ClientErrorRate: {
		unit: unitRate, bound: AtMost, category: rules.Performance,
		present: "of responses are client errors (4xx)", past: "of responses were client errors (4xx)",
		measure:  shareOf(func(s rollup.Summary) float64 { return s.ClientErrorRate }),
		howToFix: "Look at the status mix on the traffic tab: many 401/403 mean consumers struggle with authentication, 404 that clients call paths that do not exist, 400/422 that request rules are unclear. Improve the spec's descriptions and examples, return error bodies that say what to change, and contact the consumers with the most errors.",
	},
	ServerErrorRate: {
		unit: unitRate, bound: AtMost, category: rules.Performance,
		present: "of responses are server errors (5xx)", past: "of responses were server errors (5xx)",
		measure:  shareOf(func(s rollup.Summary) float64 { return s.ServerErrorRate }),
		howToFix: "Find the endpoints returning 5xx on the traffic tab and fix the failures behind them (application logs, upstream timeouts, 502/504 from the gateway). Validate input so bad requests get a 4xx rather than a crash.",
	},
	P50Latency: {
		unit: unitMS, bound: AtMost, category: rules.Performance,
		present: "The median response time", past: "The median response time",
		measure:  latencyOf(func(s rollup.Summary) time.Duration { return s.P50 }),
		unknown:  "median response time",
		howToFix: "Profile the slowest endpoints (the traffic tab ranks them): add indexes for slow queries, cache what rarely changes, paginate large lists and move slow work to background jobs.",
	},
	P95Latency: {
		unit: unitMS, bound: AtMost, category: rules.Performance,
		present: "The 95th percentile response time", past: "The 95th percentile response time",
		measure:  latencyOf(func(s rollup.Summary) time.Duration { return s.P95 }),
		unknown:  "95th percentile response time",
		howToFix: "Profile the slowest endpoints (the traffic tab ranks them): add indexes for slow queries, cache what rarely changes, paginate large lists and move slow work to background jobs.",
	},
	P99Latency: {
		unit: unitMS, bound: AtMost, category: rules.Performance,
		present: "The 99th percentile response time", past: "The 99th percentile response time",
		measure:  latencyOf(func(s rollup.Summary) time.Duration { return s.P99 }),
		unknown:  "99th percentile response time",
		howToFix: "Find what makes the slowest requests slow (cold caches, lock contention, large payloads, slow dependencies) and set timeouts on upstream calls.",
	},
	AverageResponseSize: {
		unit: unitKB, bound: AtMost, category: rules.Performance,
		present: "The average response", past: "The average response",
		measure: func(s rollup.Summary) (float64, bool) {
			// The summary reports 0 when no response size is known; an API
			// whose every response is empty loses nothing by being not
			// applicable, while a source that reports no sizes must not
			// earn the rule.
			if s.AverageResponseBytes <= 0 {
				return 0, false
			}
			return s.AverageResponseBytes / 1024, true
		},
		howToFix: "Return less per response: paginate collections, let clients select fields or embed less, and compress responses.",
	},
	UnseenEndpoints:         {unit: unitCount, category: rules.Governance},
	UndocumentedEndpoints:   {unit: unitCount, category: rules.Governance},
	UndocumentedStatusCodes: {unit: unitCount, category: rules.Governance},
}

// metricOrder lists the summary metrics for error messages.
var metricOrder = []Metric{
	HTTPSShare, AuthenticatedShare, RateLimitHeadersShare, CompressionShare, HSTSShare, SecurityHeadersShare,
	ClientErrorRate, ServerErrorRate, P50Latency, P95Latency, P99Latency, AverageResponseSize,
}

// Bound returns the side of its threshold the metric must be on.
func (m Metric) Bound() Bound { return metrics[m].bound }

// IsDrift reports whether the metric is one of the drift counts.
func (m Metric) IsDrift() bool {
	info, ok := metrics[m]
	return ok && info.unit == unitCount
}

// thresholdKey is the unit-specific name of the metric's threshold in a
// ruleset; "min" and "max" are accepted too.
func (m Metric) thresholdKey() string {
	switch metrics[m].unit {
	case unitShare:
		return "min-share"
	case unitRate:
		return "max-rate"
	case unitMS:
		return "max-ms"
	case unitKB:
		return "max-kb"
	}
	return ""
}

// genericKey is "min" or "max", as the metric's bound asks.
func (m Metric) genericKey() string {
	if m.Bound() == AtLeast {
		return "min"
	}
	return "max"
}

// Format writes a value of the metric as a page shows it: "62%", "412 ms",
// "142 KB", "3".
func (m Metric) Format(v float64) string {
	return formatIn(metrics[m].unit, v, baseDecimals(metrics[m].unit, v))
}

func baseDecimals(u unit, v float64) int {
	switch u {
	case unitShare, unitRate:
		return 1
	case unitMS, unitKB:
		if math.Abs(v) < 10 {
			return 1
		}
	}
	return 0
}

func formatIn(u unit, v float64, decimals int) string {
	switch u {
	case unitShare, unitRate:
		return trimNumber(v*100, decimals) + "%"
	case unitMS:
		return trimNumber(v, decimals) + " ms"
	case unitKB:
		return trimNumber(v, decimals) + " KB"
	}
	return trimNumber(v, decimals)
}

// trimNumber rounds to decimals and drops trailing zeros: 62.0 → "62".
func trimNumber(v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// formatMeasured writes a measured value so that it reads on the same side
// of the threshold as it is: 98.96% against "at least 99%" must not show as
// "99%". It adds decimals until the shown value tells the truth.
func formatMeasured(m Metric, v, threshold float64) string {
	u := metrics[m].unit
	base := baseDecimals(u, v)
	passes := meets(m.Bound(), v, threshold)
	scale := 1.0
	if u == unitShare || u == unitRate {
		scale = 100
	}
	for d := base; d <= base+6; d++ {
		shown, err := strconv.ParseFloat(strconv.FormatFloat(v*scale, 'f', d, 64), 64)
		if err == nil && meets(m.Bound(), shown/scale, threshold) == passes {
			return formatIn(u, v, d)
		}
	}
	return formatIn(u, v, 10)
}

// formatThreshold writes a threshold exactly, without float noise
// (0.99 × 100 is not quite 99).
func formatThreshold(m Metric, t float64) string {
	return formatIn(metrics[m].unit, t, 6)
}

// epsilon absorbs float error in comparisons: 99/100 must meet 0.99.
const epsilon = 1e-9

// meets reports whether v is on the right side of threshold t.
func meets(b Bound, v, t float64) bool {
	switch b {
	case AtLeast:
		return v >= t-epsilon
	case AtMost:
		return v <= t+epsilon
	}
	return true
}
