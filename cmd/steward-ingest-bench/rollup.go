package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/traffic"
	"github.com/steward-governance/steward/traffic/journal"
)

// targetRollup is the runtime issue's bound for rolling up 10 million events.
const targetRollup = 60 * time.Second

// rollupOptions is the size of the journal to roll up and where.
type rollupOptions struct {
	events, versions, batch int
	hours                   int
	dbURL, dir              string
	seed                    uint64
	cpuprofile              string
	keep                    bool
}

func runRollup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("steward-ingest-bench rollup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o rollupOptions
	fs.IntVar(&o.events, "events", 10_000_000, "how many events to journal and roll up")
	fs.IntVar(&o.versions, "versions", 100, "API versions in the catalogue (two per API)")
	fs.IntVar(&o.hours, "hours", 24, "the events spread over this many hours, in time order")
	fs.IntVar(&o.batch, "batch", 0, "events per rollup transaction (0: the job's default)")
	fs.StringVar(&o.dbURL, "database-url", "", "a postgres:// URL (a fresh schema is created in it and dropped after); empty: a new SQLite file in --dir")
	fs.StringVar(&o.dir, "dir", os.TempDir(), "folder for the journal (and the SQLite database)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the catalogue and traffic generators")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the rollup run")
	fs.BoolVar(&o.keep, "keep", false, "keep the database (SQLite file or PostgreSQL schema) and what is left of the journal")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if o.events < 1 || o.versions < 1 || o.hours < 1 || o.batch < 0 {
		fmt.Fprintln(stderr, "steward-ingest-bench rollup: --events, --versions and --hours must be at least 1")
		return 2
	}
	if err := benchRollup(ctx, o, append([]string{"steward-ingest-bench", "rollup"}, args...), stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "steward-ingest-bench rollup: %v\n", err)
		return 1
	}
	return 0
}

func benchRollup(ctx context.Context, o rollupOptions, command []string, stdout, stderr io.Writer) error {
	m := describeMachine()
	started := time.Now().UTC()
	loadBefore := loadAverage()
	work, err := os.MkdirTemp(o.dir, "steward-rollup-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintf(stderr, "keeping %s\n", work)
	} else {
		defer os.RemoveAll(work)
	}
	dbURL, engine, dropSchema, err := rollupDatabase(ctx, o.dbURL, work)
	if err != nil {
		return err
	}
	if dropSchema != nil && !o.keep {
		defer dropSchema()
	}
	store, err := models.Open(dbURL, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Migrate(); err != nil {
		return err
	}

	fmt.Fprintf(stderr, "creating a catalogue of %d versions\n", o.versions)
	c := newSynthCatalogue(o.seed, o.versions)
	if err := c.create(ctx, store); err != nil {
		return fmt.Errorf("create the catalogue: %w", err)
	}
	sys := catalog.SystemActor("bench")
	gateway, err := store.CreateSource(ctx, sys, models.NewSource{Name: "gateway", Kind: traffic.KindTreblle, IngestKey: "stwi_bench_gateway"})
	if err != nil {
		return err
	}
	sdk, err := store.CreateSource(ctx, sys, models.NewSource{Name: apiSlug(0) + " SDK", Kind: traffic.KindTreblle, APISlug: apiSlug(0), IngestKey: "stwi_bench_sdk"})
	if err != nil {
		return err
	}

	jrDir := filepath.Join(work, "journal")
	fmt.Fprintf(stderr, "journaling %d events (not timed)\n", o.events)
	fill := time.Now()
	journalBytes, err := fillJournal(ctx, jrDir, c, o, map[eventSource]int64{fromGateway: gateway.ID, fromSDK: sdk.ID})
	if err != nil {
		return fmt.Errorf("fill the journal: %w", err)
	}
	fillTime := time.Since(fill)

	// The rollup runs as after a restart: the journal opened afresh, the
	// job's matchers built on its first batch.
	j, err := journal.Open(jrDir, journal.Options{})
	if err != nil {
		return err
	}
	defer j.Close()
	ts := &timedStore{RollupStore: store}
	tj := &timedJournal{JournalReader: j}
	job := &jobs.Rollup{Store: ts, Journal: tj, Consumer: "bench", BatchEvents: o.batch}
	fmt.Fprintln(stderr, "rolling up (timed)")
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	before, t := cpuNow(), time.Now()
	err = job.Run(ctx)
	wall := time.Since(t)
	after := cpuNow()
	if o.cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return fmt.Errorf("rollup: %w", err)
	}

	var counted int64
	srcs, err := store.Sources(ctx)
	if err != nil {
		return err
	}
	for _, s := range srcs {
		counted += s.EventsTotal
	}
	rows, err := rollupRows(ctx, store)
	if err != nil {
		return err
	}
	r := rollupReport{o: o, m: m, command: command, started: started, engine: engine, loadBefore: loadBefore, loadAfter: loadAverage(),
		filesystem: filesystemOf(work), fillTime: fillTime, journalBytes: journalBytes, wall: wall, cpu: cpuBetween(before, after, wall),
		store: ts, journal: tj, counted: counted, rows: rows}
	r.write(stdout)
	if counted != int64(o.events) {
		return fmt.Errorf("the sources count %d events after the rollup, %d were journaled", counted, o.events)
	}
	return nil
}

// rollupDatabase returns the database to roll up into: a new SQLite file
// in work, or a fresh schema on the PostgreSQL server at url, with a
// function that drops it.
func rollupDatabase(ctx context.Context, url, work string) (dbURL, engine string, drop func(), err error) {
	if url == "" {
		return filepath.Join(work, "steward.db"), "SQLite", nil, nil
	}
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		return "", "", nil, fmt.Errorf("--database-url must be a postgres:// URL; leave it empty for SQLite")
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", "", nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	var version string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		return "", "", nil, err
	}
	schema := fmt.Sprintf("rollup_bench_%d_%d", os.Getpid(), time.Now().Unix())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", "", nil, fmt.Errorf("create schema %s: %w", schema, err)
	}
	drop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, url); err == nil {
			c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + schema, "PostgreSQL " + version, drop, nil
}

// fillJournal appends o.events generated events to a new journal in dir,
// in batches as a busy ingest endpoint's group commits would, and returns
// the journal's size.
func fillJournal(ctx context.Context, dir string, c *synthCatalogue, o rollupOptions, sources map[eventSource]int64) (int64, error) {
	j, err := journal.Open(dir, journal.Options{})
	if err != nil {
		return 0, err
	}
	g := newTrafficGenerator(c, o.seed)
	span := time.Duration(o.hours) * time.Hour
	start := time.Now().UTC().Truncate(time.Hour).Add(-span)
	step := span / time.Duration(o.events)
	const batch = 10_000
	arena := make([]byte, 0, batch*160)
	payloads := make([][]byte, 0, batch)
	var e traffic.Event
	for i := 0; i < o.events; {
		arena, payloads = arena[:0], payloads[:0]
		for ; i < o.events && len(payloads) < batch; i++ {
			// Senders' clocks and delivery disagree by a second or two.
			t := start.Add(time.Duration(i)*step + time.Duration(g.r.IntN(2000))*time.Millisecond)
			from := g.next(&e, t)
			n := len(arena)
			arena = journal.EncodeEvent(arena, sources[from], &e)
			payloads = append(payloads, arena[n:len(arena):len(arena)])
		}
		// The arena may have grown mid-batch; the payloads still point
		// into the slices they were appended to, which stay valid.
		if err := j.AppendBatch(ctx, payloads); err != nil {
			j.Close()
			return 0, err
		}
	}
	bytes := int64(j.Stats().Bytes)
	return bytes, j.Close()
}

// timedStore times the rollup's writes and counts the rows it merges.
type timedStore struct {
	jobs.RollupStore
	apply   time.Duration
	batches int
	rows    struct{ endpoints, discovered, statuses, consumers int }
}

// ApplyRollup stores one batch, timed.
func (t *timedStore) ApplyRollup(ctx context.Context, b models.RollupBatch) error {
	start := time.Now()
	err := t.RollupStore.ApplyRollup(ctx, b)
	t.apply += time.Since(start)
	t.batches++
	t.rows.endpoints += len(b.Endpoints)
	t.rows.discovered += len(b.Discovered)
	t.rows.statuses += len(b.Statuses)
	t.rows.consumers += len(b.Consumers)
	return err
}

// timedJournal times reading the journal, which includes what the job
// does with each record while reading: decoding, matching, adding to the
// batch's sketches.
type timedJournal struct {
	jobs.JournalReader
	read time.Duration
}

// ReadFrom reads records, timed.
func (t *timedJournal) ReadFrom(pos journal.Position, max int, fn func(payload []byte) error) (journal.Position, int, error) {
	start := time.Now()
	next, n, err := t.JournalReader.ReadFrom(pos, max, fn)
	t.read += time.Since(start)
	return next, n, err
}

// tableRows counts the rows the rollup left in each table.
type tableRows map[string]int64

func rollupRows(ctx context.Context, s *models.Store) (tableRows, error) {
	out := tableRows{}
	for _, table := range []string{"endpoint_traffic", "discovered_traffic", "endpoint_statuses", "endpoint_consumers"} {
		var n int64
		if err := s.DB().WithContext(ctx).Table(table).Count(&n).Error; err != nil {
			return nil, fmt.Errorf("count %s: %w", table, err)
		}
		out[table] = n
	}
	return out, nil
}

type rollupReport struct {
	o                     rollupOptions
	m                     machine
	command               []string
	started               time.Time
	engine                string
	loadBefore, loadAfter string
	filesystem            string
	fillTime              time.Duration
	journalBytes          int64
	wall                  time.Duration
	cpu                   cpuUse
	store                 *timedStore
	journal               *timedJournal
	counted               int64
	rows                  tableRows
}

func (r rollupReport) write(w io.Writer) {
	fmt.Fprintf(w, "### Rollup of %d events on %s, %s\n\n", r.o.events, r.engine, r.started.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "Command: `%s`\n\n", strings.Join(r.command, " "))
	fmt.Fprintln(w, "| | |\n|---|---|")
	fmt.Fprintf(w, "| cores (`nproc`) | %d |\n| CPU | %s |\n| memory | %s |\n| Go | %s |\n| database | %s |\n", r.m.cores, r.m.cpu, r.m.memory, r.m.goVer, r.engine)
	fmt.Fprintf(w, "| journal | %s: %.0f MB, %d events over %d hours, from 2 sources (one bound to an API), written in %s (not timed) |\n",
		r.filesystem, float64(r.journalBytes)/1e6, r.o.events, r.o.hours, r.fillTime.Round(time.Second))
	fmt.Fprintf(w, "| catalogue | %d versions of %d APIs, each with 2 deployments and 20-21 operations |\n", len(newSynthCatalogue(r.o.seed, r.o.versions).versions), (r.o.versions+1)/2)
	fmt.Fprintf(w, "| load average | %s before, %s after (1, 5, 15 min) |\n\n", r.loadBefore, r.loadAfter)

	other := r.wall - r.journal.read - r.store.apply
	fmt.Fprintln(w, "| | |\n|---|---|")
	fmt.Fprintf(w, "| wall time | **%s** (target ≤ %s: %s) |\n", r.wall.Round(10*time.Millisecond), targetRollup, verdict(r.wall <= targetRollup))
	fmt.Fprintf(w, "| events/s | %.0f |\n", float64(r.o.events)/r.wall.Seconds())
	fmt.Fprintf(w, "| reading, decoding, matching, sketching | %s |\n", r.journal.read.Round(10*time.Millisecond))
	fmt.Fprintf(w, "| writing to the database (%d transactions) | %s |\n", r.store.batches, r.store.apply.Round(10*time.Millisecond))
	fmt.Fprintf(w, "| the rest (building rows, sketch encoding, matchers) | %s |\n", other.Round(10*time.Millisecond))
	fmt.Fprintf(w, "| CPU | this process %.2f cores, others on the machine %.2f cores (the database server among them) |\n", r.cpu.server, r.cpu.others)
	fmt.Fprintf(w, "| rows merged | %d endpoint-hours, %d discovered endpoint-hours, %d statuses, %d consumer-days |\n",
		r.store.rows.endpoints, r.store.rows.discovered, r.store.rows.statuses, r.store.rows.consumers)
	fmt.Fprintf(w, "| rows stored | %d endpoint_traffic, %d discovered_traffic, %d endpoint_statuses, %d endpoint_consumers |\n",
		r.rows["endpoint_traffic"], r.rows["discovered_traffic"], r.rows["endpoint_statuses"], r.rows["endpoint_consumers"])
	fmt.Fprintf(w, "| events counted by the sources | %d of %d |\n", r.counted, r.o.events)
}
