package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/steward-governance/steward/traffic/journal"
)

// Targets from the runtime issue.
const (
	targetRatio = 0.60                  // of the null server's requests/s
	targetP99   = 25 * time.Millisecond // acknowledgement latency
)

// httpOptions is how hard and how long the http command drives the servers.
type httpOptions struct {
	wrk              wrkOptions
	duration, warmup time.Duration
	rounds           int
	dir              string
	logLevel         string
	cpuprofile       string
	keep             bool
}

func runHTTP(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("steward-ingest-bench http", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o httpOptions
	fs.IntVar(&o.wrk.threads, "threads", 2, "wrk threads (-t)")
	fs.IntVar(&o.wrk.connections, "connections", 32, "wrk connections (-c)")
	fs.DurationVar(&o.wrk.timeout, "timeout", 10*time.Second, "wrk's request timeout; timed-out requests are missing from its latency figures")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "measured time per server and round (whole seconds)")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured wrk run before each measured one (whole seconds; 0 for none)")
	fs.IntVar(&o.rounds, "rounds", 1, "how many times to measure both servers, alternating which goes first")
	fs.StringVar(&o.dir, "dir", os.TempDir(), "folder for Steward's database and journal (put it on the disk you mean to measure)")
	fs.StringVar(&o.logLevel, "log-level", "info", "Steward's log level (STEWARD_LOG_LEVEL; info, as steward serve by default)")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of this process during Steward's first measured run")
	fs.BoolVar(&o.keep, "keep", false, "keep the database, journal and Steward's log afterwards")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case o.duration < time.Second || o.warmup < 0 || o.rounds < 1 || o.wrk.threads < 1 || o.wrk.connections < o.wrk.threads:
		fmt.Fprintln(stderr, "steward-ingest-bench http: --duration must be at least 1s, --rounds and --threads at least 1, --connections at least --threads")
		return 2
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		fmt.Fprintln(stderr, "steward-ingest-bench http: wrk is not on the PATH (apt-get install -y wrk)")
		return 1
	}
	if err := benchHTTP(ctx, o, append([]string{"steward-ingest-bench", "http"}, args...), stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "steward-ingest-bench http: %v\n", err)
		return 1
	}
	return 0
}

// phase is one measured wrk run against one server.
type phase struct {
	round   int
	server  string
	wrk     wrkResult
	cpu     cpuUse
	commits journal.Stats // Steward only: the journal's counters over the run
}

func benchHTTP(ctx context.Context, o httpOptions, command []string, stdout, stderr io.Writer) error {
	m := describeMachine()
	started := time.Now().UTC()
	loadBefore := loadAverage()
	work, err := os.MkdirTemp(o.dir, "steward-ingest-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintf(stderr, "keeping %s\n", work)
	} else {
		defer os.RemoveAll(work)
	}
	fsyncP50, fsyncP99, err := fsyncLatency(work, 200)
	if err != nil {
		return fmt.Errorf("time fsync in %s: %w", work, err)
	}

	st, err := newSteward(ctx, work, o.logLevel)
	if err != nil {
		return fmt.Errorf("build Steward's ingest path: %w", err)
	}
	defer st.close()
	body := treblleEvent(time.Now())
	script, err := writeScript(work, body, st.key)
	if err != nil {
		return err
	}
	null, err := serve("null Go server", nullHandler())
	if err != nil {
		return err
	}
	defer null.stop()
	stw, err := serve("Steward", st.handler)
	if err != nil {
		return err
	}
	stewardStopped := false
	defer func() {
		if !stewardStopped {
			stw.stop()
		}
	}()

	var phases []phase
	var stewardSucceeded, warmupSucceeded int64 // wrk's answers below 400 from Steward, all runs
	for round := 1; round <= o.rounds; round++ {
		order := []*server{null, stw}
		if round%2 == 0 {
			order = []*server{stw, null}
		}
		for _, s := range order {
			if o.warmup > 0 {
				fmt.Fprintf(stderr, "round %d: warming up %s for %s\n", round, s.name, o.warmup)
				w, err := runWrk(ctx, o.wrk, script, s.url+"/ingest/treblle", o.warmup)
				if err != nil {
					return err
				}
				if s == stw {
					warmupSucceeded += w.succeeded()
				}
			}
			fmt.Fprintf(stderr, "round %d: measuring %s for %s\n", round, s.name, o.duration)
			profiling := false
			if s == stw && round == 1 && o.cpuprofile != "" {
				f, err := os.Create(o.cpuprofile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				profiling = true
			}
			jBefore := st.journal.Stats()
			before, t := cpuNow(), time.Now()
			w, err := runWrk(ctx, o.wrk, script, s.url+"/ingest/treblle", o.duration)
			wall := time.Since(t)
			after := cpuNow()
			if profiling {
				pprof.StopCPUProfile()
			}
			if err != nil {
				return err
			}
			p := phase{round: round, server: s.name, wrk: w, cpu: cpuBetween(before, after, wall)}
			if s == stw {
				jAfter := st.journal.Stats()
				p.commits = journal.Stats{Appended: jAfter.Appended - jBefore.Appended, Fsyncs: jAfter.Fsyncs - jBefore.Fsyncs}
				stewardSucceeded += w.succeeded()
			}
			fmt.Fprintf(stderr, "  %.0f requests/s, p99 %s\n", w.perSecond(), us(w.P99))
			phases = append(phases, p)
		}
	}

	// Every answer Steward gave has been written; stop it and count what
	// a restarted Steward would find in the journal.
	if err := stw.stop(); err != nil {
		return err
	}
	stewardStopped = true
	records, events, err := st.journaled()
	if err != nil {
		return fmt.Errorf("count the journal: %w", err)
	}
	acks := acknowledgements{
		wrk: stewardSucceeded + warmupSucceeded, server202: stw.counts.accepted.Load(), server429: stw.counts.tooMany.Load(),
		serverOther: stw.counts.others(), journalRecords: records, journalEvents: events,
	}
	r := httpReport{o: o, m: m, command: command, started: started, loadBefore: loadBefore, loadAfter: loadAverage(),
		fsyncP50: fsyncP50, fsyncP99: fsyncP99, filesystem: filesystemOf(work), wrkVersion: wrkVersion(), phases: phases, acks: acks}
	r.write(stdout)
	return nil
}

// cpuPerRequest is the server's CPU time per completed request, in µs:
// unlike requests/s, it depends little on how many cores the neighbours
// leave free.
func (p phase) cpuPerRequest() float64 {
	if p.wrk.Requests == 0 {
		return 0
	}
	return p.cpu.server * (float64(p.wrk.DurationUS) / 1e6) / float64(p.wrk.Requests) * 1e6
}

// acknowledgements compares what Steward acknowledged with what its
// journal holds, over every run, warm-ups included.
type acknowledgements struct {
	wrk                           int64         // answers below 400 that wrk received
	server202, server429          int64         // as the server counted its answers
	serverOther                   map[int]int64 // any other answer, by status
	journalRecords, journalEvents int64
}

// lost is how many acknowledged events the journal lacks: wrk can only
// have received answers the server gave, so the server's count bounds it.
func (a acknowledgements) lost() int64 { return max(0, max(a.server202, a.wrk)-a.journalEvents) }

type httpReport struct {
	o                     httpOptions
	m                     machine
	command               []string
	started               time.Time
	loadBefore, loadAfter string
	fsyncP50, fsyncP99    time.Duration
	filesystem            string
	wrkVersion            string
	phases                []phase
	acks                  acknowledgements
}

func (r httpReport) write(w io.Writer) {
	fmt.Fprintf(w, "### Ingestion over HTTP, %s\n\n", r.started.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "Command: `%s`\n\n", strings.Join(r.command, " "))
	fmt.Fprintln(w, "| | |\n|---|---|")
	fmt.Fprintf(w, "| cores (`nproc`) | %d |\n| CPU | %s |\n| memory | %s |\n| Go | %s |\n| wrk | %s |\n", r.m.cores, r.m.cpu, r.m.memory, r.m.goVer, r.wrkVersion)
	fmt.Fprintf(w, "| load | wrk `-t%d -c%d -d%ds --timeout %ds --latency`, %s warm-up before each run, %d round(s) |\n",
		r.o.wrk.threads, r.o.wrk.connections, int(r.o.duration.Seconds()), int(r.o.wrk.timeout.Seconds()), r.o.warmup, r.o.rounds)
	fmt.Fprintf(w, "| journal | %s; fsync of a 1 KB append: p50 %s, p99 %s |\n", r.filesystem, msf(r.fsyncP50), msf(r.fsyncP99))
	fmt.Fprintf(w, "| Steward log level | %s |\n", r.o.logLevel)
	fmt.Fprintf(w, "| load average | %s before, %s after (1, 5, 15 min) |\n\n", r.loadBefore, r.loadAfter)

	fmt.Fprintln(w, "| round | server | requests/s | p50 | p75 | p90 | p99 | p99.9 | max | non-2xx | socket errors | CPU: server | CPU: wrk | CPU: others | steal | server CPU per request | events per fsync |")
	fmt.Fprintln(w, "|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, p := range r.phases {
		perFsync := ""
		if p.commits.Fsyncs > 0 {
			perFsync = fmt.Sprintf("%.1f (%.0f fsyncs/s)", float64(p.commits.Appended)/float64(p.commits.Fsyncs), float64(p.commits.Fsyncs)/(float64(p.wrk.DurationUS)/1e6))
		}
		fmt.Fprintf(w, "| %d | %s | %.0f | %s | %s | %s | %s | %s | %s | %d | %d | %.2f | %.2f | %.2f | %.2f | %.0f µs | %s |\n",
			p.round, p.server, p.wrk.perSecond(), us(p.wrk.P50), us(p.wrk.P75), us(p.wrk.P90), us(p.wrk.P99), us(p.wrk.P999), us(p.wrk.Max),
			p.wrk.Status, p.wrk.socketErrors(), p.cpu.server, p.cpu.wrk, p.cpu.others, p.cpu.steal, p.cpuPerRequest(), perFsync)
	}
	fmt.Fprintln(w, "\nCPU columns are cores (CPU seconds per second) over the measured run: the bench process (the server), wrk, everything else on the machine. Server CPU per request is the bench process's CPU time divided by the requests wrk completed.")

	var ratios, cpuRatios []float64
	var p99s []int64
	for i, p := range r.phases {
		if p.server != "Steward" {
			continue
		}
		for _, q := range r.phases {
			if q.round == p.round && q.server != "Steward" && q.wrk.perSecond() > 0 {
				ratios = append(ratios, p.wrk.perSecond()/q.wrk.perSecond())
				if p.cpuPerRequest() > 0 {
					cpuRatios = append(cpuRatios, q.cpuPerRequest()/p.cpuPerRequest())
				}
			}
		}
		p99s = append(p99s, r.phases[i].wrk.P99)
	}
	ratio, p99 := median(ratios), medianInt(p99s)
	fmt.Fprintln(w, "\n| target | result | verdict |\n|---|---|---|")
	fmt.Fprintf(w, "| Steward ≥ %.0f%% of the null server's requests/s | %s (per round: %s) | %s |\n", targetRatio*100, pct(ratio), pcts(ratios), verdict(ratio >= targetRatio))
	fmt.Fprintf(w, "| (the same, with the CPU each server got made equal: null server's CPU per request ÷ Steward's) | %s (per round: %s) | %s |\n", pct(median(cpuRatios)), pcts(cpuRatios), verdict(median(cpuRatios) >= targetRatio))
	fmt.Fprintf(w, "| p99 acknowledgement ≤ %s | %s (median of rounds) | %s |\n", msf(targetP99), us(p99), verdict(time.Duration(p99)*time.Microsecond <= targetP99))
	a := r.acks
	fmt.Fprintf(w, "| zero acknowledged events lost | wrk received %d answers below 400; Steward answered 202 %d times and 429 %d times%s; the reopened journal holds %d events (%d records): %d lost | %s |\n",
		a.wrk, a.server202, a.server429, otherText(a.serverOther), a.journalEvents, a.journalRecords, a.lost(), verdict(a.lost() == 0))
	fmt.Fprintln(w, "\nCounts cover every run against Steward, warm-ups included. Other answers come from requests wrk abandons when a run ends: their context ends while the journal commits, so the event may be stored without a 202 (at least once, never lost).")
	for _, p := range r.phases {
		if p.server == "Steward" {
			fmt.Fprintf(w, "\nwrk's own report, round %d, Steward:\n\n```\n%s```\n", p.round, p.wrk.text)
		}
	}
}

func otherText(m map[int]int64) string {
	codes := slices.Sorted(maps.Keys(m))
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d× %d", m[c], c))
	}
	if len(parts) == 0 {
		return ", nothing else"
	}
	return ", otherwise " + strings.Join(parts, ", ")
}

func verdict(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**missed**"
}

func us(v int64) string { return msf(time.Duration(v) * time.Microsecond) }

func msf(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func pct(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }

func pcts(fs []float64) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = pct(f)
	}
	return strings.Join(s, ", ")
}

func median(fs []float64) float64 {
	if len(fs) == 0 {
		return 0
	}
	s := slices.Clone(fs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianInt(vs []int64) int64 {
	fs := make([]float64, len(vs))
	for i, v := range vs {
		fs[i] = float64(v)
	}
	return int64(median(fs))
}
