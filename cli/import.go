package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/steward-governance/steward/backstage"
	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/config"
	"github.com/steward-governance/steward/importer"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/specs"
)

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("steward import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	specsMode := fs.Bool("specs", false, "treat DIR as a folder of OpenAPI specs instead of Backstage catalog files")
	owner := fs.String("owner", "", "the team (slug) owning APIs whose files name no owner (x-owner, or spec.owner in Backstage)")
	dbURL := fs.String("database-url", "", "database to import into (default: STEWARD_DATABASE_URL, else steward.db)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: steward import [--specs] [--owner TEAM] [--database-url URL] DIR")
		fmt.Fprintln(stderr, "\nReads Backstage catalog-info.yaml files (Group, API, Component with providesApis)")
		fmt.Fprintln(stderr, "or, with --specs, every OpenAPI file under DIR, and creates or updates the")
		fmt.Fprintln(stderr, "catalogue by slug: importing twice never duplicates anything. A spec that would")
		fmt.Fprintln(stderr, "replace a version's current one with breaking changes at a stage whose policy")
		fmt.Fprintln(stderr, "holds or refuses them stops the whole import, with the changes listed.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	dir := fs.Arg(0)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "steward import: %s is not a folder\n", dir)
		return 2
	}
	cfg, err := config.Load(nil, getenv, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "steward import: %v\n", err)
		return 2
	}
	if *dbURL != "" {
		cfg.DatabaseURL = *dbURL
	}
	var (
		plan     catalog.Plan
		warnings []backstage.Warning
	)
	root := os.DirFS(dir)
	if *specsMode {
		plan, warnings, err = backstage.ReadSpecFolder(root, ".", *owner)
	} else {
		plan, warnings, err = backstage.ReadCatalog(root, ".")
	}
	for _, w := range warnings {
		loc := filepath.Join(dir, w.File)
		if w.Line > 0 {
			loc = fmt.Sprintf("%s:%d", loc, w.Line)
		}
		fmt.Fprintf(stderr, "warning: %s: %s\n", loc, w.Message)
	}
	if err != nil {
		fmt.Fprintf(stderr, "steward import: %v\n", err)
		return 1
	}
	if !*specsMode && *owner != "" {
		for i := range plan.APIs {
			if plan.APIs[i].API.TeamSlug == "" {
				plan.APIs[i].API.TeamSlug = *owner
			}
		}
	}
	plan.Source = "import " + dir
	store, err := models.Open(cfg.DatabaseURL, nil)
	if err != nil {
		fmt.Fprintf(stderr, "steward import: %v\n", err)
		return 1
	}
	defer store.Close()
	if err := store.Migrate(); err != nil {
		fmt.Fprintf(stderr, "steward import: %v\n", err)
		return 1
	}
	gate, err := newBreakingGate(ctx, store, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "steward import: %v\n", err)
		return 1
	}
	limits := specs.DefaultLimits()
	limits.MaxBytes = cfg.MaxSpecBytes
	res, err := importer.Apply(ctx, store.WithSpecGate(gate), catalog.Actor{Name: "cli:import"}, plan, limits, false)
	if err != nil {
		fmt.Fprintf(stderr, "steward import: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "imported from %s: teams %d created, %d updated; APIs %d created, %d updated; versions %d created, %d updated; %d spec revisions stored\n",
		dir, res.TeamsCreated, res.TeamsUpdated, res.APIsCreated, res.APIsUpdated, res.VersionsCreated, res.VersionsUpdated, res.SpecsStored)
	return 0
}
