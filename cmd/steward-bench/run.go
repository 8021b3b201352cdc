package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/steward-governance/steward/config"
	"github.com/steward-governance/steward/handlers"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/static"
)

// runBench serves the real application in-process on a loopback port and
// drives each scenario in turn.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("steward-bench run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := fs.String("database-url", "", "a postgres:// URL, or a SQLite file path, filled by generate (required)")
	concurrency := fs.Int("concurrency", 32, "concurrent clients, each with a keep-alive connection")
	duration := fs.Duration("duration", 20*time.Second, "measured time per scenario")
	warmup := fs.Duration("warmup", 3*time.Second, "unmeasured time per scenario before measuring")
	think := fs.Duration("think", 0, "mean pause of each client between requests, as a person reading the page (0: none, the heaviest load)")
	only := fs.String("scenarios", "", "comma-separated scenario keys to run (default all): "+strings.Join(scenarioKeys(), ", "))
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole load (clients included) to this file")
	seed := fs.Uint64("seed", 1, "seed of the clients' choice of URLs")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case *dbURL == "":
		fmt.Fprintln(stderr, "steward-bench run: --database-url is required")
		return 2
	case *concurrency < 1 || *duration <= 0 || *warmup < 0 || *think < 0:
		fmt.Fprintln(stderr, "steward-bench run: --concurrency must be at least 1, --duration positive, --warmup and --think not negative")
		return 2
	}
	opts := benchOptions{dbURL: *dbURL, concurrency: *concurrency, cpuProfile: *cpuProfile,
		pacing: pacing{warmup: *warmup, duration: *duration, think: *think, seed: *seed}}
	if *only != "" {
		opts.only = strings.Split(*only, ",")
	}
	if err := bench(ctx, opts, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "steward-bench run: %v\n", err)
		return 1
	}
	return 0
}

type benchOptions struct {
	dbURL       string
	concurrency int
	pacing      pacing
	only        []string
	cpuProfile  string
}

func bench(ctx context.Context, o benchOptions, stdout, stderr io.Writer) error {
	store, err := models.Open(o.dbURL, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Migrate(); err != nil {
		return err
	}
	counts, err := countRows(ctx, store)
	if err != nil {
		return err
	}
	if counts.APIs == 0 {
		return errors.New("the catalogue is empty; fill it with steward-bench generate first")
	}
	d, err := loadDataset(ctx, store)
	if err != nil {
		return err
	}
	var run []scenario
	for _, sc := range scenarios(d) {
		if len(o.only) == 0 || slices.Contains(o.only, sc.key) {
			run = append(run, sc)
		}
	}
	if len(run) == 0 {
		return fmt.Errorf("no scenario matches --scenarios; choose from %s", strings.Join(scenarioKeys(), ", "))
	}

	cfg, err := config.Load(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		return err
	}
	cfg.DatabaseURL = o.dbURL
	app, err := handlers.New(handlers.Deps{Store: store, Identities: store, Config: cfg, Log: slog.New(slog.DiscardHandler), Static: static.Files})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // loopback only: the load never leaves the machine
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	timer := &serverTimer{next: app}
	srv := &http.Server{Handler: timer, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	go srv.Serve(ln) // returns once Shutdown below closes it
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	base := "http://" + ln.Addr().String()
	clients, err := newClients(ctx, base, o.concurrency)
	if err != nil {
		return err
	}
	defer closeClients(clients)

	fmt.Fprintf(stdout, "Engine: %s. Catalogue: %s.\n", engineName(ctx, store), counts)
	fmt.Fprintf(stdout, "Searches with stage=production match %s APIs (min/median/max over the search words).\n", d.matchSpread)
	think := "no pause between requests"
	if o.pacing.think > 0 {
		think = fmt.Sprintf("a pause of %s on average between requests", o.pacing.think)
	}
	fmt.Fprintf(stdout, "Load: %d concurrent keep-alive clients over loopback, each signed in as the dev persona %q, %s; %s warm-up then %s measured per scenario; GOMAXPROCS %d, %s.\n\n",
		o.concurrency, benchPersona, think, o.pacing.warmup, o.pacing.duration, runtime.GOMAXPROCS(0), runtime.Version())

	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var results []loadResult
	for _, sc := range run {
		fmt.Fprintf(stderr, "  %s…\n", sc.name)
		results = append(results, drive(ctx, base, sc, clients, o.pacing, timer))
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	writeTable(stdout, results)
	return nil
}

// engineName names the database engine and its version.
func engineName(ctx context.Context, store *models.Store) string {
	var v string
	if store.IsPostgres() {
		store.DB().WithContext(ctx).Raw("SHOW server_version").Scan(&v)
		return "PostgreSQL " + v
	}
	store.DB().WithContext(ctx).Raw("SELECT sqlite_version()").Scan(&v)
	return "SQLite " + v + " (glebarez/sqlite, pure Go)"
}
