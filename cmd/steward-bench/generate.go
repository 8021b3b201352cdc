package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/importer"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/specs"
)

// runGenerate fills an empty database with a synthetic catalogue through
// the importer, the path `steward import` takes: every spec is parsed by
// the real parser and stored with its endpoints and search terms.
func runGenerate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("steward-bench generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := fs.String("database-url", "", "a postgres:// URL, or a SQLite file path (required; the catalogue must be empty)")
	apis := fs.Int("apis", 10000, "how many APIs to create")
	perAPI := fs.Int("endpoints-per-api", 10, "endpoints per API, split over its versions")
	teams := fs.Int("teams", 40, "how many teams own the APIs")
	seed := fs.Uint64("seed", 1, "seed of the generator; the same seed gives the same catalogue")
	batch := fs.Int("batch", 200, "APIs per import transaction")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case *dbURL == "":
		fmt.Fprintln(stderr, "steward-bench generate: --database-url is required")
		return 2
	case *apis < 1 || *perAPI < 2 || *teams < 1 || *batch < 1:
		fmt.Fprintln(stderr, "steward-bench generate: --apis, --teams and --batch must be at least 1, --endpoints-per-api at least 2")
		return 2
	}
	o := generateOptions{dbURL: *dbURL, apis: *apis, endpointsPerAPI: *perAPI, teams: *teams, seed: *seed, batch: *batch}
	if err := generate(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "steward-bench generate: %v\n", err)
		return 1
	}
	return 0
}

// generateOptions is the size and shape of the catalogue to generate.
type generateOptions struct {
	dbURL                        string
	apis, endpointsPerAPI, teams int
	seed                         uint64
	batch                        int // APIs per import transaction
}

func generate(ctx context.Context, o generateOptions, stdout, stderr io.Writer) error {
	store, err := models.Open(o.dbURL, nil)
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
		return fmt.Errorf("the catalogue already holds %d APIs; generate into an empty database", n)
	}

	g := newSynthCatalogue(o.seed, o.teams, o.endpointsPerAPI)
	actor := catalog.SystemActor("bench")
	start := time.Now()
	timed := &timedImport{store: store}
	var imported time.Duration
	for done := 0; done < o.apis; {
		plan := catalog.Plan{Source: "steward-bench generate"}
		if done == 0 {
			plan.Teams = g.teams
		}
		for range min(o.batch, o.apis-done) {
			plan.APIs = append(plan.APIs, g.nextAPI())
		}
		t := time.Now()
		res, err := importer.Apply(ctx, timed, actor, plan, specs.DefaultLimits(), false)
		if err != nil {
			return err
		}
		imported += time.Since(t)
		done += res.APIsCreated
		if res.APIsCreated != len(plan.APIs) {
			return fmt.Errorf("batch created %d of %d APIs; is the database really empty?", res.APIsCreated, len(plan.APIs))
		}
		if done%(o.batch*10) == 0 || done == o.apis {
			fmt.Fprintf(stderr, "  %d/%d APIs after %s\n", done, o.apis, time.Since(start).Round(time.Second))
		}
	}
	total := time.Since(start)
	vacuumStart := time.Now()

	// PostgreSQL's autovacuum would vacuum and analyze these tables soon
	// after a bulk load (setting the visibility map that index-only scans
	// need, and the statistics the planner needs); doing it now measures
	// the settled state even on a server with autovacuum off. SQLite
	// gathers no statistics unless asked, and Steward never asks.
	if store.IsPostgres() {
		if err := store.DB().WithContext(ctx).Exec("VACUUM ANALYZE").Error; err != nil {
			return fmt.Errorf("vacuum analyze: %w", err)
		}
	}
	vacuum := time.Since(vacuumStart)
	c, err := countRows(ctx, store)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Generated %s in %s (%.0f APIs/s): making the plan %s, validating and parsing specs %s, writing %s.\n",
		c, total.Round(time.Second), float64(o.apis)/total.Seconds(), (total - imported).Round(time.Second),
		(imported - timed.writing).Round(time.Second), timed.writing.Round(time.Second))
	if store.IsPostgres() {
		fmt.Fprintf(stdout, "VACUUM ANALYZE took %s more.\n", vacuum.Round(100*time.Millisecond))
	}
	return nil
}

// timedImport is the store as the importer sees it, timing the writes so
// parsing and writing can be told apart.
type timedImport struct {
	store   *models.Store
	writing time.Duration
}

// ApplyPlan writes one batch and adds its duration to writing.
func (t *timedImport) ApplyPlan(ctx context.Context, actor catalog.Actor, plan catalog.Plan, up map[string]models.SpecUpload, demo bool) (*models.PlanResult, error) {
	start := time.Now()
	defer func() { t.writing += time.Since(start) }()
	return t.store.ApplyPlan(ctx, actor, plan, up, demo)
}

// rowCounts is how big the catalogue under test is.
type rowCounts struct {
	Teams, APIs, Versions, Endpoints, Terms, Revisions, Deployments, AuditEvents int64
}

func (c rowCounts) String() string {
	return fmt.Sprintf("%d teams, %d APIs, %d versions, %d endpoints, %d deployments, %d spec revisions, %d search terms, %d audit events",
		c.Teams, c.APIs, c.Versions, c.Endpoints, c.Deployments, c.Revisions, c.Terms, c.AuditEvents)
}

func countRows(ctx context.Context, store *models.Store) (rowCounts, error) {
	var c rowCounts
	for table, dst := range map[string]*int64{
		"teams": &c.Teams, "apis": &c.APIs, "versions": &c.Versions, "endpoints": &c.Endpoints,
		"api_terms": &c.Terms, "spec_revisions": &c.Revisions, "deployments": &c.Deployments, "audit_events": &c.AuditEvents,
	} {
		if err := store.DB().WithContext(ctx).Table(table).Count(dst).Error; err != nil {
			return c, fmt.Errorf("count %s: %w", table, err)
		}
	}
	return c, nil
}
