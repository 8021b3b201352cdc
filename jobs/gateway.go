package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/steward-governance/steward/gateway/kong"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/traffic"
)

// SecretOpener opens credentials sealed at rest; *sealing.Box implements it.
type SecretOpener interface {
	Open(sealed, context string) (string, error)
}

// GatewayStore is what the gateway pull reads and writes.
type GatewayStore interface {
	PulledSourceStore
	ReplaceGatewayRoutes(ctx context.Context, sourceID int64, routes []models.GatewayRoute) error
}

// GatewayPull reads the configuration of every enabled Kong source through
// its Admin API and stores its routes, with whether each is authenticated,
// rate limited and HTTPS-only, replacing what the previous pull stored.
// A failed pull keeps the earlier routes, records Kong's reason (never the
// admin token) and backs off (see SourceBackoff); one that cannot succeed
// without a change, such as a rejected token, says what to fix.
//
// The source's coverage spans its successful pulls: the configuration is
// known from the first to the last.
type GatewayPull struct {
	Store GatewayStore
	// Secrets opens the sources' sealed admin tokens.
	Secrets SecretOpener
	Log     *slog.Logger
	// HTTPClient makes the Admin API requests; nil uses kong's default.
	HTTPClient *http.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Name names the job.
func (j *GatewayPull) Name() string { return "gateway-pull" }

// Run pulls every due Kong source once.
func (j *GatewayPull) Run(ctx context.Context) error {
	srcs, err := j.Store.Sources(ctx)
	if err != nil {
		return fmt.Errorf("gateway pull: list sources: %w", err)
	}
	due := dueSources(ctx, srcs, clock(j.Now)(), func(k traffic.SourceKind) bool { return k == traffic.KindKong })
	progress := Progress(ctx)
	progress.SetTotal(int64(len(due)))
	var failed []string
	for _, src := range due {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := j.pull(ctx, src); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed = append(failed, src.Name+": "+err.Error())
			progress.Count("failed sources", 1)
		}
		progress.Advance(1)
	}
	return sourcesFailed("gateway", failed, len(due))
}

// pull reads one gateway and records the outcome.
func (j *GatewayPull) pull(ctx context.Context, src models.Source) error {
	fail := func(reason error) error { return recordFailure(ctx, j.Store, logger(j.Log), src, reason) }
	set := src.ParsedSettings()
	token := ""
	if src.HasSecret() {
		if j.Secrets == nil {
			return fail(errors.New("the admin token is stored encrypted but this Steward has no secret key to open it: set STEWARD_SECRET_KEY to the key it was stored with"))
		}
		var err error
		if token, err = j.Secrets.Open(src.SecretSealed, models.TokenContext(src.ID)); err != nil {
			return fail(fmt.Errorf("the stored admin token cannot be opened (%v): restore the STEWARD_SECRET_KEY it was stored with, or delete the source and add it again with the token", err))
		}
	}
	client := kong.Client{BaseURL: set.URL, Token: token, Workspace: set.Workspace, HTTPClient: j.HTTPClient}
	snap, err := client.Fetch(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fail(pullFailure(err, token))
	}
	fetched := clock(j.Now)().UTC()
	endpoints := snap.Endpoints()
	routes := make([]models.GatewayRoute, 0, len(endpoints))
	for _, e := range endpoints {
		routes = append(routes, models.GatewayRoute{
			RouteID: e.RouteID, RouteName: e.RouteName,
			ServiceName: e.ServiceName, ServiceHost: e.ServiceHost, ServicePort: e.ServicePort, ServicePath: e.ServicePath, ServiceProtocol: e.ServiceProtocol,
			Paths: e.Paths, Methods: e.Methods, Hosts: e.Hosts,
			Authenticated: e.Authenticated, RateLimited: e.RateLimited, HTTPSOnly: e.HTTPSOnly, FetchedAt: fetched,
		})
	}
	// Steward's own database failing is no fault of the gateway: the run
	// fails, the source does not back off.
	if err := j.Store.ReplaceGatewayRoutes(ctx, src.ID, routes); err != nil {
		return fmt.Errorf("storing its routes failed: %w", err)
	}
	if err := j.Store.RecordSourceRead(ctx, src.ID, models.SourceRead{From: fetched, To: fetched}); err != nil {
		return fmt.Errorf("recording the pull failed: %w", err)
	}
	Progress(ctx).Count("routes", int64(len(routes)))
	return nil
}

// pullFailure is the reason a pull failed as the sources page shows it:
// Kong's answer and what to do, the token cut out wherever it appears.
func pullFailure(err error, token string) error {
	msg := err.Error()
	if token = strings.TrimSpace(token); token != "" {
		msg = strings.ReplaceAll(msg, token, "[REDACTED]")
	}
	if !kong.IsRetryable(err) {
		msg += "; retrying will not fix this: correct the gateway's address, workspace or admin token on the sources page"
	}
	return errors.New(msg)
}
