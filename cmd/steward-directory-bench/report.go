package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// target is the bound for the whole run.
const target = 120 * time.Second

type result struct {
	Database            string
	Batch, Workers      int
	GOMAXPROCS          int
	Import              *importStats
	Score               *scoreStats
	ImportWall          time.Duration
	ScoreWall           time.Duration
	TotalWall           time.Duration
	ImportCPU, ScoreCPU time.Duration
	PeakRSS             string
	Scorer              string
	ScoreWorkers        int
	Excluded            []string
	LoadStart, LoadEnd  string
	Ruleset             string
	Analyze             bool
	Found               int
	FoundBytes          int64
}

func (r *result) write(w io.Writer) {
	im, sc := r.Import, r.Score
	rejected := im.Found - im.Imported
	cards := 0
	for _, n := range sc.ByStatus {
		cards += n
	}
	verdict := "met"
	switch {
	case sc.Stalled != "":
		verdict = "NOT met: scoring stalled on " + sc.Stalled
	case r.TotalWall > target:
		verdict = "NOT met"
	}
	scorer := "jobs.Scoring.Run"
	if r.Scorer == "parallel" {
		scorer = fmt.Sprintf("parallel driver, %d workers, then jobs.Scoring.Run", r.ScoreWorkers)
	}
	analyze := ""
	if r.Analyze {
		analyze = ", ANALYZE after every batch (an experiment)"
	}
	fmt.Fprintf(w, "\n## steward-directory-bench: %s, GOMAXPROCS %d, batch %d, %d parse workers%s, scoring by %s\n\n", r.Database, r.GOMAXPROCS, r.Batch, r.Workers, analyze, scorer)
	fmt.Fprintln(w, "| | |")
	fmt.Fprintln(w, "|---|---|")
	fmt.Fprintf(w, "| standard | %s (%s) |\n", r.Ruleset, sc.Standard)
	fmt.Fprintf(w, "| specs found | %s (%s)%s |\n", num(r.Found), mb(r.FoundBytes), excludedNote(r.Excluded))
	fmt.Fprintf(w, "| imported | %s (%s) |\n", num(im.Imported), mb(im.ImportedBytes))
	fmt.Fprintf(w, "| rejected | %s%s |\n", num(rejected), reasons(im.Rejected))
	fmt.Fprintf(w, "| created | %s teams, %s APIs, %s versions, %s spec revisions, %s endpoints |\n", num(im.Teams), num(im.APIs), num(im.Versions), num(im.SpecsStored), num(im.Endpoints))
	fmt.Fprintf(w, "| scorecards stored | %s: %s |\n", num(cards), statuses(sc.ByStatus))
	fmt.Fprintf(w, "| versions still stale | %s |\n", num(sc.Stale))
	fmt.Fprintf(w, "| grades | %s |\n", grades(sc.GradeDist))
	fmt.Fprintf(w, "| phase 1 import, wall | %s (CPU %s; waiting for parsed batches %s, inside ApplyPlan %s in %d transactions, slowest %s) |\n",
		secs(r.ImportWall), secs(r.ImportCPU), secs(im.ParseWall), secs(im.ApplyWall), im.Batches, secs(im.SlowestApplyBatch))
	fmt.Fprintf(w, "| phase 2 score, wall | %s (CPU %s; %s; lint+compute per spec, summed: %s) |\n",
		secs(r.ScoreWall), secs(r.ScoreCPU), scorer, secs(time.Duration(sc.LintMS)*time.Millisecond))
	fmt.Fprintf(w, "| **total, wall** | **%s** (target %s: **%s**) |\n", secs(r.TotalWall), secs(target), verdict)
	fmt.Fprintf(w, "| throughput | %.1f specs/s imported, %.1f specs/s scored, %.1f specs/s end to end |\n",
		rate(im.Imported, r.ImportWall), rate(cards, r.ScoreWall), rate(im.Imported, r.TotalWall))
	fmt.Fprintf(w, "| peak RSS (VmHWM) | %s |\n", r.PeakRSS)
	fmt.Fprintf(w, "| load average (1, 5, 15 min) | %s at start, %s at end |\n", r.LoadStart, r.LoadEnd)

	for _, f := range im.BatchFailures {
		fmt.Fprintf(w, "\nA batch transaction failed and its APIs were applied one at a time: %s\n", cell(f))
	}
	if len(im.Rejects) > 0 {
		fmt.Fprintln(w, "\nRejected specs:")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| file | reason | message |")
		fmt.Fprintln(w, "|---|---|---|")
		for _, rj := range im.Rejects {
			fmt.Fprintf(w, "| %s | %s | %s |\n", rj.File, rj.Reason, cell(rj.Detail))
		}
	}
	fmt.Fprintln(w, "\nSlowest reads+parses (phase 1, one worker's wall time):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| file | size | read+parse |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, t := range im.SlowestParse {
		fmt.Fprintf(w, "| %s | %s | %s |\n", t.File, mb(t.Size), secs(t.Took))
	}
	fmt.Fprintln(w, "\nSlowest scorecards (phase 2, scorecards.duration_ms: lint + compute):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| API | spec size | status | lint+compute |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, s := range sc.Slowest {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", s.API, mb(s.Bytes), s.Status, secs(time.Duration(s.MS)*time.Millisecond))
	}
}

func excludedNote(ex []string) string {
	if len(ex) == 0 {
		return ""
	}
	return fmt.Sprintf("; %d left out with --exclude (%s), counted nowhere below", len(ex), strings.Join(ex, ", "))
}

func reasons(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %s", k, num(m[k]))
	}
	return ": " + strings.Join(parts, ", ")
}

func statuses(m map[string]int) string {
	order := []string{"scored", "incomplete", "error", "not_scored"}
	var parts []string
	for _, k := range order {
		parts = append(parts, fmt.Sprintf("%s %s", k, num(m[k])))
	}
	for k, n := range m {
		known := false
		for _, o := range order {
			known = known || o == k
		}
		if !known {
			parts = append(parts, fmt.Sprintf("%s %s", k, num(n)))
		}
	}
	return strings.Join(parts, ", ")
}

func grades(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		name := k
		if name == "" {
			name = "(none)"
		}
		parts = append(parts, fmt.Sprintf("%s %s", name, num(m[k])))
	}
	return strings.Join(parts, ", ")
}

func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

func num(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return s
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// currentRSS is VmRSS in bytes, or 0 when unknown.
func currentRSS() int64 {
	return procStatusKB("VmRSS:") * 1024
}

// loadAvg is the first three fields of /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func procStatusKB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}

// peakRSS is VmHWM from /proc/self/status (Linux only).
func peakRSS() string {
	kb := procStatusKB("VmHWM:")
	if kb == 0 {
		return "unknown (no VmHWM in /proc/self/status)"
	}
	return fmt.Sprintf("%.0f MB", float64(kb)*1024/1e6)
}
