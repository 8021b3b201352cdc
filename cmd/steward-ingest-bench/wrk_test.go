package main

import (
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/traffic"
)

// wrkOutput is what wrk 4.1 prints with --latency and the generated
// script's done() hook.
const wrkOutput = `Running 20s test @ http://127.0.0.1:41221/ingest/treblle
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.27ms    2.52ms  33.97ms   88.97%
    Req/Sec     5.34k   770.83     6.68k    72.00%
  Latency Distribution
     50%    2.51ms
     75%    3.67ms
     90%    5.93ms
     99%   11.41ms
  212000 requests in 20.00s, 99.10MB read
  Non-2xx or 3xx responses: 12
steward-ingest-bench-result {"requests":212000,"duration_us":20000000,"bytes":103914000,"connect":0,"read":1,"write":0,"status":12,"timeout":2,"p50_us":2510,"p75_us":3670,"p90_us":5930,"p99_us":11410,"p999_us":29790,"max_us":33970,"mean_us":3270.5}
Requests/sec:  10600.00
Transfer/sec:      4.96MB
`

func TestParseWrkReadsTheSummaryLine(t *testing.T) {
	r, err := parseWrk(wrkOutput)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 212000 || r.Status != 12 || r.succeeded() != 211988 || r.socketErrors() != 3 {
		t.Errorf("counts: %+v", r)
	}
	if got := r.perSecond(); got != 10600 {
		t.Errorf("requests/s = %v, want 10600", got)
	}
	if r.P99 != 11410 || us(r.P99) != "11.41 ms" || r.Max != 33970 {
		t.Errorf("latency: p99 %d µs, max %d µs", r.P99, r.Max)
	}
	if strings.Contains(r.text, resultMarker) || !strings.Contains(r.text, "Requests/sec:  10600.00") {
		t.Errorf("wrk's own report kept as:\n%s", r.text)
	}
}

func TestParseWrkWithoutSummaryFails(t *testing.T) {
	if _, err := parseWrk("Running 20s test @ http://127.0.0.1:1/\nunable to connect\n"); err == nil {
		t.Fatal("no error for output without the summary line")
	}
}

func TestWrkArgsUseWholeSeconds(t *testing.T) {
	got := strings.Join(wrkArgs(wrkOptions{threads: 2, connections: 32, timeout: 10 * time.Second}, "s.lua", "http://x/ingest/treblle", 20*time.Second), " ")
	if want := "-t2 -c32 -d20s --timeout 10s --latency -s s.lua http://x/ingest/treblle"; got != want {
		t.Errorf("wrk %s, want wrk %s", got, want)
	}
}

func TestSyntheticTrafficMatchesItsCatalogue(t *testing.T) {
	c := newSynthCatalogue(1, 9)
	if len(c.versions) != 9 || c.apis != 5 {
		t.Fatalf("%d versions of %d APIs", len(c.versions), c.apis)
	}
	for _, v := range c.versions {
		for _, op := range v.ops {
			if strings.Contains(op.paths[0], "{") || !strings.HasPrefix(op.paths[0], v.base+"/") {
				t.Fatalf("%s %s: concrete path %q", op.method, op.template, op.paths[0])
			}
		}
	}
	g := newTrafficGenerator(c, 1)
	var e traffic.Event
	seen := map[eventSource]int{}
	for range 10_000 {
		seen[g.next(&e, time.Unix(0, 0))]++
		if e.Method == "" || e.Host == "" || !strings.HasPrefix(e.Path, "/") || e.Status == 0 {
			t.Fatalf("incomplete event %+v", e)
		}
	}
	if seen[fromSDK] == 0 || seen[fromGateway] == 0 {
		t.Errorf("sources: %v", seen)
	}
}
