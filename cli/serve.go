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
	"github.com/steward-governance/steward/identity"
	"github.com/steward-governance/steward/importer"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/sealing"
	"github.com/steward-governance/steward/specs"
	"github.com/steward-governance/steward/static"
	"github.com/steward-governance/steward/traffic/journal"
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
	var demoTraffic *demoTrafficPlan
	if cfg.Demo {
		seeded, err := seedDemo(ctx, store, cfg, log)
		if err != nil {
			return err
		}
		if seeded {
			if demoTraffic, err = planDemoTraffic(ctx, store); err != nil {
				return err
			}
		}
	}
	hasDemo, err := store.HasDemoData(ctx)
	if err != nil {
		return err
	}
	if err := checkSignInSetup(cfg); err != nil {
		return err
	}
	if err := store.EnsureDefaultStandard(ctx, defaultRuleset); err != nil {
		return err
	}
	secret, err := resolveSecretKey(cfg, log)
	if err != nil {
		return err
	}
	box, err := sealing.New(secret)
	if err != nil {
		return fmt.Errorf("STEWARD_SECRET_KEY: %w", err)
	}
	jr, err := journal.Open(cfg.JournalDir, journal.Options{Log: log})
	if err != nil {
		return fmt.Errorf("open the ingest journal (STEWARD_JOURNAL_DIR=%s): %w", cfg.JournalDir, err)
	}
	// Closed last: the rollup may still be reading it while jobs stop.
	defer jr.Close()
	instance := instanceName()
	if err := store.FailStaleJobRuns(ctx, instance); err != nil {
		return err
	}
	scoring := &jobs.Scoring{Store: store, Log: log}
	runner := jobs.NewRunner(store, instance, log)
	if err := registerJobs(ctx, runner, store, jobDeps{cfg: cfg, log: log, scoring: scoring, journal: jr, box: box, instance: instance}); err != nil {
		return err
	}
	m, err := newMetrics(runner, jr)
	if err != nil {
		return err
	}
	deps := handlers.Deps{Store: store, Identities: store, Config: cfg, Log: log, Static: static.Files, DemoData: hasDemo, Scoring: scoring, Background: ctx,
		Jobs: runner, Sealer: box, Ingest: jr, ConsumerKey: box.ConsumerKey(), Metrics: m}
	if !cfg.DevSignIn() {
		deps.OIDC = identity.NewProvider(ctx, identity.Settings{
			Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID, ClientSecret: cfg.OIDCClientSecret,
			RedirectURL: cfg.BaseURL + "/auth/callback", GroupsClaim: cfg.GroupsClaim, Scopes: cfg.OIDCScopes,
			AdminGroups: cfg.AdminGroups, GovernanceGroups: cfg.GovernanceGroups, AdminEmails: cfg.AdminEmails,
		}, log)
	}
	e, err := handlers.New(deps)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set STEWARD_ADDR or --addr to another address)", cfg.Addr, err)
	}
	if cfg.DevSignIn() {
		log.Warn("dev sign-in is on: anyone who reaches this address can act as a demo person; set STEWARD_OIDC_ISSUER for real sign-in", "addr", ln.Addr().String())
	}
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // large spec uploads on slow links
		WriteTimeout:      cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	runner.Start()
	go scoring.Loop(ctx)
	scoring.Kick()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("steward is listening", "url", "http://"+ln.Addr().String(), "database", describeDB(cfg.DatabaseURL), "demo", hasDemo)
	if demoTraffic != nil {
		go func() {
			demoTraffic.send(ctx, "http://"+ln.Addr().String(), runner, log)
			seedDemoRetirements(ctx, store, runner, log)
		}()
	}
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
	err = srv.Shutdown(sctx)
	// Jobs stop after the server: requests in flight may still need them.
	runner.Stop(sctx)
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// defaultRuleset is the organisation standard's first version: Steward's
// recommended rules, which extend spectral:oas and the OWASP ruleset.
const defaultRuleset = "extends: [\"steward:recommended\"]\n"

// checkSignInSetup refuses dev sign-in on an address other machines can
// reach, unless the operator said so with a flag named to be noticed.
func checkSignInSetup(cfg *config.Config) error {
	if !cfg.DevSignIn() || cfg.InsecureDevLogin {
		return nil
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("STEWARD_ADDR %q: %w", cfg.Addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("no identity provider is configured and %s is not a loopback address: anyone who can reach it could sign in as an admin. "+
		"Configure OIDC (STEWARD_OIDC_ISSUER, STEWARD_OIDC_CLIENT_ID, STEWARD_OIDC_CLIENT_SECRET, STEWARD_BASE_URL), "+
		"listen on 127.0.0.1, or, for a throwaway demo only, set STEWARD_INSECURE_DEV_SIGNIN=true", cfg.Addr)
}

// seedDemo fills an empty catalogue with the demo organisation; a catalogue
// with anything in it is never touched.
func seedDemo(ctx context.Context, store *models.Store, cfg *config.Config, log *slog.Logger) (bool, error) {
	n, err := store.CountAPIs(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	plan, err := demo.Organisation()
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	start := time.Now()
	limits := specs.DefaultLimits()
	limits.MaxBytes = cfg.MaxSpecBytes
	res, err := importer.Apply(ctx, store, catalog.SystemActor("demo"), plan, limits, true)
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	log.Info("seeded the demo organisation", "teams", res.TeamsCreated, "apis", res.APIsCreated, "specs", res.SpecsStored, "took", time.Since(start).Round(time.Millisecond))
	return true, nil
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
