package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	neturl "net/url"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/config"
	"github.com/steward-governance/steward/demo"
	"github.com/steward-governance/steward/handlers"
	"github.com/steward-governance/steward/importer"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/specs"
	"github.com/steward-governance/steward/static"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "steward serve: %v\n", err)
		return 2
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	if err := serve(ctx, cfg, log, nil); err != nil {
		log.Error("steward stopped", "error", err)
		return 1
	}
	return 0
}

// serve runs the portal until ctx ends, then shuts down gracefully. ready,
// when given, receives the bound address once the server is listening.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, ready chan<- string) error {
	store, err := models.Open(cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Migrate(); err != nil {
		return err
	}
	if cfg.Demo {
		if err := seedDemo(ctx, store, cfg, log); err != nil {
			return err
		}
	}
	hasDemo, err := store.HasDemoData(ctx)
	if err != nil {
		return err
	}
	e, err := handlers.New(handlers.Deps{Store: store, Config: cfg, Log: log, Static: static.Files, DemoData: hasDemo})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set STEWARD_ADDR or --addr to another address)", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // large spec uploads on slow links
		WriteTimeout:      cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("steward is listening", "url", "http://"+ln.Addr().String(), "database", describeDB(cfg.DatabaseURL), "demo", hasDemo)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", cfg.ShutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// seedDemo fills an empty catalogue with the demo organisation; a catalogue
// with anything in it is never touched.
func seedDemo(ctx context.Context, store *models.Store, cfg *config.Config, log *slog.Logger) error {
	n, err := store.CountAPIs(ctx)
	if err != nil || n > 0 {
		return err
	}
	plan, err := demo.Organisation()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	start := time.Now()
	limits := specs.DefaultLimits()
	limits.MaxBytes = cfg.MaxSpecBytes
	res, err := importer.Apply(ctx, store, catalog.SystemActor("demo"), plan, limits, true)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	log.Info("seeded the demo organisation", "teams", res.TeamsCreated, "apis", res.APIsCreated, "specs", res.SpecsStored, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// describeDB names the database for the log without its credentials.
func describeDB(url string) string {
	if u, err := neturl.Parse(url); err == nil && u.Scheme != "" {
		u.User = nil
		u.RawQuery = ""
		return u.String()
	}
	return "sqlite:" + url
}
