package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
)

// runQueries times, one at a time and without HTTP, every SQL statement
// the catalogue and API pages run, so the cost of a page can be traced to
// the statements behind it. Each statement is captured from a real store
// call, then run again on its own and read to the last row.
func runQueries(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("steward-bench queries", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := fs.String("database-url", "", "a postgres:// URL, or a SQLite file path, filled by generate (required)")
	samples := fs.Int("samples", 40, "page views sampled per page kind")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *dbURL == "" || *samples < 1 {
		fmt.Fprintln(stderr, "steward-bench queries: --database-url is required and --samples must be at least 1")
		return 2
	}
	if err := timeQueries(ctx, *dbURL, *samples, stdout); err != nil {
		fmt.Fprintf(stderr, "steward-bench queries: %v\n", err)
		return 1
	}
	return 0
}

// capturedStatement is one SQL statement as the store sent it.
type capturedStatement struct {
	sql  string
	vars []any
}

// statementCapture records the statements the store runs while on.
type statementCapture struct {
	mu   sync.Mutex
	on   bool
	list []capturedStatement
}

func (c *statementCapture) record(tx *gorm.DB) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Subqueries are rendered by a dry run of their own; only what is
	// sent to the database counts.
	if c.on && !tx.DryRun && tx.Statement.SQL.Len() > 0 {
		c.list = append(c.list, capturedStatement{sql: tx.Statement.SQL.String(), vars: slices.Clone(tx.Statement.Vars)})
	}
}

// during returns the statements f ran.
func (c *statementCapture) during(f func() error) ([]capturedStatement, error) {
	c.mu.Lock()
	c.on, c.list = true, nil
	c.mu.Unlock()
	err := f()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on = false
	return c.list, err
}

// pageKind is one kind of page view and the store calls behind it.
type pageKind struct {
	name  string
	calls func(ctx context.Context, i int) error
}

func timeQueries(ctx context.Context, dbURL string, samples int, w io.Writer) error {
	store, err := models.Open(dbURL, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Migrate(); err != nil {
		return err
	}
	d, err := loadDataset(ctx, store)
	if err != nil {
		return err
	}
	capture := &statementCapture{}
	cb := store.DB().Callback()
	if err := cb.Query().After("gorm:query").Register("bench:capture", capture.record); err != nil {
		return err
	}
	if err := cb.Row().After("gorm:row").Register("bench:capture", capture.record); err != nil {
		return err
	}
	sqlDB, err := store.DB().DB()
	if err != nil {
		return err
	}

	catalogue := func(q catalog.ListQuery) error {
		if err := q.Normalize(); err != nil {
			return err
		}
		_, _, err := store.SearchCatalogue(ctx, q)
		return err
	}
	kinds := []pageKind{
		{"Catalogue page: search + stage=production", func(ctx context.Context, i int) error {
			return catalogue(catalog.ListQuery{Text: d.words[i%len(d.words)], Stage: catalog.StageProduction})
		}},
		{"API page (without the session lookup)", func(ctx context.Context, i int) error {
			a, err := store.GetAPI(ctx, d.slugs[(i*7919)%len(d.slugs)])
			if err != nil {
				return err
			}
			if _, err = store.AuditFor(ctx, "api", a.Slug, 20); err != nil {
				return err
			}
			if len(a.Versions) > 0 { // the page lists the endpoints of one version
				_, err = store.GetVersion(ctx, a.Slug, a.Versions[len(a.Versions)-1].Name)
			}
			return err
		}},
		{"Catalogue page: owner filter only", func(ctx context.Context, i int) error {
			return catalogue(catalog.ListQuery{Team: d.teams[i%len(d.teams)]})
		}},
		{"Catalogue page: no search or filter", func(ctx context.Context, i int) error {
			return catalogue(catalog.ListQuery{})
		}},
	}

	for _, k := range kinds {
		// Statements are grouped by shape: the same SQL with the values and
		// the length of IN lists taken out.
		type shape struct {
			key     string
			order   int
			samples []time.Duration
		}
		shapes := map[string]*shape{}
		var pages []time.Duration
		for i := range samples {
			stmts, err := capture.during(func() error { return k.calls(ctx, i) })
			if err != nil {
				return fmt.Errorf("%s: %w", k.name, err)
			}
			var page time.Duration
			for j, st := range stmts {
				// The best of three runs: the machine may be shared, and
				// the least disturbed run is the statement's own cost.
				took := time.Duration(math.MaxInt64)
				for range 3 {
					t, err := replay(ctx, sqlDB, st)
					if err != nil {
						return fmt.Errorf("%s: %w", k.name, err)
					}
					took = min(took, t)
				}
				page += took
				key := shapeOf(st.sql)
				s := shapes[key]
				if s == nil {
					s = &shape{key: key, order: j}
					shapes[key] = s
				}
				s.samples = append(s.samples, took)
			}
			pages = append(pages, page)
		}
		var all []*shape
		for _, s := range shapes {
			all = append(all, s)
		}
		slices.SortFunc(all, func(a, b *shape) int { return a.order - b.order })
		pp := percentilesOf(pages)
		fmt.Fprintf(w, "\n%s: %d samples, the statements' time per page p50 %s, p95 %s\n\n", k.name, samples, ms(pp.p50), ms(pp.p95))
		fmt.Fprintln(w, "| # | Statement | Runs per page | p50 | p95 | Share of page time |")
		fmt.Fprintln(w, "|--:|---|--:|--:|--:|--:|")
		var total time.Duration
		for _, p := range pages {
			total += p
		}
		for i, s := range all {
			var sum time.Duration
			for _, t := range s.samples {
				sum += t
			}
			sp := percentilesOf(s.samples)
			fmt.Fprintf(w, "| %d | `%s` | %.1f | %s | %s | %.0f%% |\n", i+1, abbreviate(s.key, 260),
				float64(len(s.samples))/float64(samples), ms(sp.p50), ms(sp.p95), 100*float64(sum)/float64(total))
		}
	}
	return nil
}

// replay runs a captured statement again, reading every row, and returns
// how long that took.
func replay(ctx context.Context, db *sql.DB, st capturedStatement) (time.Duration, error) {
	start := time.Now()
	rows, err := db.QueryContext(ctx, st.sql, st.vars...)
	if err != nil {
		return 0, fmt.Errorf("replay %s: %w", abbreviate(st.sql, 80), err)
	}
	for rows.Next() {
	}
	err = rows.Err()
	rows.Close()
	return time.Since(start), err
}

var (
	inList  = regexp.MustCompile(`IN \((\?|\$\d+)(,(\?|\$\d+))*\)`)
	pgParam = regexp.MustCompile(`\$\d+`)
)

// shapeOf removes what varies between runs of the same statement.
func shapeOf(sql string) string {
	sql = inList.ReplaceAllString(sql, "IN (…)")
	sql = pgParam.ReplaceAllString(sql, "?")
	return strings.Join(strings.Fields(sql), " ")
}

func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
