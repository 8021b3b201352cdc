package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// percentiles are the latency quantiles reported, nearest-rank on an exact
// sort of every sample: a few hundred thousand durations sort in
// milliseconds, so no histogram approximation is needed.
type percentiles struct{ p50, p95, p99 time.Duration }

func percentilesOf(samples []time.Duration) percentiles {
	s := slices.Clone(samples)
	slices.Sort(s)
	return percentiles{rank(s, 0.50), rank(s, 0.95), rank(s, 0.99)}
}

func rank(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// writeTable prints the results as a markdown table, one row a scenario.
func writeTable(w io.Writer, results []loadResult) {
	fmt.Fprintln(w, "| Scenario | Requests | Req/s | Server p50 | Server p95 | Server p99 | Client p50 | Client p95 | Client p99 | Avg body | Bench CPU per request | CPU: bench process | CPU: machine | Failures | Target (server p95) |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
	for _, r := range results {
		sp, cp := percentilesOf(r.server), percentilesOf(r.client)
		target := "none set"
		if r.scenario.target > 0 {
			verdict := "**met**"
			if sp.p95 > r.scenario.target || r.failures() > 0 {
				verdict = "**missed**"
			}
			target = fmt.Sprintf("≤ %d ms: %s", r.scenario.target.Milliseconds(), verdict)
		}
		avg := int64(0)
		if r.requests() > 0 {
			avg = r.bodyBytes / int64(r.requests())
		}
		fmt.Fprintf(w, "| %s | %d | %.0f | %s | %s | %s | %s | %s | %s | %.1f kB | %s | %.2f cores | %.2f cores | %s | %s |\n",
			r.scenario.name, r.requests(), float64(r.requests())/r.elapsed.Seconds(),
			ms(sp.p50), ms(sp.p95), ms(sp.p99), ms(cp.p50), ms(cp.p95), ms(cp.p99),
			float64(avg)/1000, fmt.Sprintf("%.2f ms", float64(perRequest(r.cpu, r.requests()))/1e6), r.cpu.Seconds()/r.elapsed.Seconds(), r.machineCPU.Seconds()/r.elapsed.Seconds(), failureText(r), target)
	}
	for _, r := range results {
		if r.failures() > 0 {
			fmt.Fprintf(w, "\n%s: first failure: %s\n", r.scenario.name, r.firstError)
		}
		if len(r.server) != r.requests() {
			fmt.Fprintf(w, "\n%s: the server timed %d requests, the clients %d\n", r.scenario.name, len(r.server), r.requests())
		}
	}
}

func failureText(r loadResult) string {
	if r.failures() == 0 {
		return "0"
	}
	var parts []string
	codes := make([]int, 0, len(r.statuses))
	for c := range r.statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d× %d", r.statuses[c], c))
	}
	if r.transportErrors > 0 {
		parts = append(parts, fmt.Sprintf("%d× transport", r.transportErrors))
	}
	return strings.Join(parts, ", ")
}

func perRequest(d time.Duration, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return d / time.Duration(n)
}
