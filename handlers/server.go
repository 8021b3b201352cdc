// Package handlers is Steward's HTTP layer: the Echo server, its middleware,
// the HTML pages and the JSON API. Handlers return errors; one error handler
// turns them into statuses and pages.
package handlers

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/steward-governance/steward/config"
	"github.com/steward-governance/steward/metrics"
	"github.com/steward-governance/steward/specs"
	"github.com/steward-governance/steward/traffic/ingest"
)

// Deps are what the server needs from the rest of the program.
type Deps struct {
	Store  Store
	Config *config.Config
	Log    *slog.Logger
	Static fs.FS // the static/ folder's files
	// DemoData says the catalogue was seeded with the demo organisation, so
	// every page carries a banner saying so.
	DemoData bool
	// Identities stores users, sessions and tokens; usually the same store.
	Identities Identities
	// OIDC is the sign-in provider; nil means dev sign-in with demo personas.
	OIDC OIDC
	// Scoring is told when a spec changes, so scorecards follow soon; nil
	// leaves scoring to its schedule.
	Scoring Kicker
	// Background is the server's lifetime: work started by a request that
	// outlives it (standard previews) stops when it ends. Nil means never.
	Background context.Context
	// Jobs is the scheduler behind the jobs page; nil shows no jobs.
	Jobs JobRunner
	// Sealer encrypts source credentials; nil or not ready refuses them.
	Sealer Sealer
	// Ingest keeps events from SDKs and OpenTelemetry; nil answers 503.
	Ingest Ingester
	// ConsumerKey keys the hash that stands in for consumer identities.
	ConsumerKey []byte
	// Metrics receives request and ingest figures and serves /metrics;
	// nil turns both off.
	Metrics *metrics.Metrics
}

// Kicker starts background work soon without waiting for it.
type Kicker interface {
	Kick()
}

// Server holds the handlers' dependencies.
type Server struct {
	store      Store
	cfg        *config.Config
	log        *slog.Logger
	demo       bool
	specLimits specs.Limits
	assets     *assets
	ids        Identities
	oidc       OIDC
	parseSlots chan struct{} // bounds concurrent spec parses
	scoring    Kicker
	background context.Context
	policies   breakingPolicies // spec_breaking.go
	jobs       JobRunner
	sealer     Sealer
	ingest     Ingester
	hasher     ingest.Hasher
	ingestKeys keyCache // ingest.go
	apiPages   apiPageCache
	metrics    *metrics.Metrics
}

// New builds the Echo application with its middleware and routes.
func New(d Deps) (*echo.Echo, error) {
	limits := specs.DefaultLimits()
	limits.MaxBytes = d.Config.MaxSpecBytes
	a, err := newAssets(d.Static)
	if err != nil {
		return nil, err
	}
	s := &Server{store: d.Store, cfg: d.Config, log: d.Log, demo: d.DemoData, specLimits: limits, assets: a, ids: d.Identities, oidc: d.OIDC,
		parseSlots: make(chan struct{}, max(2, runtime.NumCPU())), scoring: d.Scoring,
		background: d.Background, jobs: d.Jobs, sealer: d.Sealer, ingest: d.Ingest, hasher: ingest.NewHasher(d.ConsumerKey), metrics: d.Metrics}
	if s.background == nil {
		s.background = context.Background()
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = echo.ExtractIPDirect() // no proxy is trusted until one is configured

	// Order matters: Recover outermost so a panic anywhere becomes a 500
	// through the error handler; the request id before the logger so every
	// line carries it; the timeout innermost so the handler's context ends.
	e.Pre(s.ingestAhead) // ingest.go: SDK events skip the page middleware below
	e.Use(middleware.Recover())
	e.Use(middleware.RequestID())
	e.Use(s.requestLogger())
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0", // modern browsers ignore it; the CSP does the work
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		ReferrerPolicy:        "same-origin",
		HSTSMaxAge:            31536000, // Echo sends it only over HTTPS (or behind a proxy that says so)
		ContentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
	}))
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024, Level: gzipLevel}))
	e.Use(middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: d.Config.RequestTimeout}))
	if s.metrics != nil {
		e.Use(s.observeRequests)
		if err := s.metrics.Register(&governanceCollector{store: s.store, log: s.log}); err != nil {
			return nil, err
		}
	}

	s.routes(e)
	return e, nil
}

// requestLogger writes one structured line per request, carrying its id.
func (s *Server) requestLogger() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURI: true, LogMethod: true, LogLatency: true, LogRequestID: true, LogRemoteIP: true, LogError: true, HandleError: true,
		Skipper: func(c echo.Context) bool { return strings.HasPrefix(c.Path(), "/static/") || c.Path() == "/healthz" },
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			// An SDK sends one request per event: thousands a second. Only
			// refusals are worth a line; the sources page counts the rest.
			if v.Status < 400 && isIngest(c) {
				return nil
			}
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			} else if v.Status >= 400 {
				level = slog.LevelWarn
			}
			attrs := []slog.Attr{
				slog.String("request_id", v.RequestID), slog.String("method", v.Method), slog.String("uri", v.URI),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency), slog.String("remote_ip", v.RemoteIP),
			}
			if v.Error != nil && v.Status >= 500 {
				attrs = append(attrs, slog.String("error", v.Error.Error()))
			}
			s.log.LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}

// Readiness is what /readyz checks.
type Readiness interface {
	Ping(ctx context.Context) error
}

func (s *Server) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", "error", err)
		return c.String(http.StatusServiceUnavailable, "database unreachable\n")
	}
	if s.oidc != nil {
		if err := s.oidc.Ready(); err != nil {
			return c.String(http.StatusServiceUnavailable, "identity provider not reachable yet: nobody can sign in\n")
		}
	}
	return c.String(http.StatusOK, "ready\n")
}

// isAPI reports whether the request is for the JSON API, which gets JSON
// errors instead of pages.
func isAPI(c echo.Context) bool {
	return strings.HasPrefix(c.Request().URL.Path, "/api/") || isIngest(c)
}

// isIngest reports whether the request delivers events from an SDK or an
// OpenTelemetry exporter.
func isIngest(c echo.Context) bool {
	p := c.Request().URL.Path
	return strings.HasPrefix(p, "/ingest/") || p == "/v1/traces"
}

var errRequestTimeout = errors.New("the request took too long")

// gzipLevel trades a little size for CPU: at the default level, deflate
// took a sixth of the CPU of a catalogue page under load; the fastest
// level takes about half that time, for catalogue pages 13-18% larger.
const gzipLevel = 1
