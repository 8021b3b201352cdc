// Package runtimerules holds a standard's runtime rules (thresholds over a
// version's traffic in a window), evaluates them on a traffic summary into
// a runtime score, and compares the traffic with the spec (drift). It is
// pure domain code: no HTTP, no SQL.
//
// # The extension
//
// Runtime rules live in the standard's Spectral ruleset, under a top-level
// x-steward-runtime property that the rule engine ignores:
//
//	x-steward-runtime:
//	  window: 7d           # 7d (default), 2w, 36h: whole hours, at least 1h
//	  min-requests: 20     # fewer requests in the window: "no runtime data"
//	  rules:
//	    runtime-https-only: { min-share: 100% }     # change a threshold
//	    runtime-p95-latency: { max-ms: 300, severity: error }
//	    runtime-4xx-rate: off                       # turn a rule off
//	    runtime-hsts: info                          # or change its severity
//	    runtime-drift-unseen-endpoints: { severity: info, x-steward-weight: 2 }
//	    p99-under-a-second:                         # a rule of your own
//	      metric: p99-latency
//	      max: 1000
//	      severity: warn
//	      description: Almost every request is answered within a second.
//	      x-steward-category: performance
//	      x-steward-weight: 2
//	      x-steward-how-to-fix: Set timeouts on upstream calls.
//
// A rule is a severity alone (error, warn, info, hint, off, 0-3, or a
// boolean) or an object with:
//
//   - metric: required for a rule of one's own, fixed for a built-in one.
//     Shares (at least): https-share, authenticated-share,
//     rate-limit-headers-share, compression-share, hsts-share,
//     security-headers-share. Rates (at most): client-error-rate,
//     server-error-rate. Latencies in ms (at most): p50-latency,
//     p95-latency, p99-latency. Size in KB of 1,024 bytes (at most):
//     average-response-size.
//   - one threshold: min-share (shares), max-rate (rates), max-ms
//     (latencies), max-kb (size), or simply min or max. Shares and rates
//     are numbers from 0 to 1 or percentages ("99%"); ms and KB are
//     positive numbers. The drift checks take none.
//   - severity (a rule of one's own defaults to warn), description,
//     x-steward-category, x-steward-weight (1 by default) and
//     x-steward-how-to-fix, as for design-time rules.
//
// Mistakes are reported with the rule and the field: "runtime rule
// runtime-p95-latency: max-ms must be a positive number, got -5 (line 6)".
//
// # Scores
//
// Evaluate scores like the design-time scorecard (package scorecard) and
// reuses its grades: each rule weighs x-steward-weight × severity factor,
// a metric rule passes or fails as a whole, a drift check earns the share
// of its targets that pass, and a rule the traffic cannot judge is not
// applicable. A version with fewer than min-requests requests in the
// window gets no score at all: "no runtime data".
package runtimerules
