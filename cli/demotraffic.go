package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/steward-governance/steward/catalog"
	demotraffic "github.com/steward-governance/steward/demo/traffic"
	"github.com/steward-governance/steward/handlers"
	"github.com/steward-governance/steward/identity"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/traffic"
)

// demoTrafficPlan is the demo organisation's traffic, ready to send once
// the server listens: a demo source and its key, and the events.
type demoTrafficPlan struct {
	key    string
	events []demotraffic.Event
}

// demoTrafficSeed fixes the demo traffic, so every new install shows the
// same picture.
const demoTrafficSeed = 2026

// demoTrafficEvents is how many events the demo sends (the generator's
// default, about 30,000); tests send fewer.
var demoTrafficEvents = demotraffic.DefaultEvents

// planDemoTraffic creates the demo traffic source and generates two weeks
// of traffic for the catalogue just seeded.
func planDemoTraffic(ctx context.Context, store *models.Store) (*demoTrafficPlan, error) {
	outlines, err := store.VersionOutlines(ctx)
	if err != nil {
		return nil, err
	}
	catalogue := make([]demotraffic.Version, 0, len(outlines))
	for _, o := range outlines {
		v := demotraffic.Version{API: o.APISlug, Name: o.Name, Stage: catalog.Stage(o.Stage)}
		for _, d := range o.Deployments {
			v.Deployments = append(v.Deployments, demotraffic.Deployment{Environment: d.Environment, BaseURL: d.BaseURL})
		}
		for _, op := range o.Operations {
			v.Operations = append(v.Operations, demotraffic.Operation{Method: op.Method, Path: op.Path})
		}
		catalogue = append(catalogue, v)
	}
	random, err := identity.RandomString(32)
	if err != nil {
		return nil, err
	}
	key := handlers.IngestKeyPrefix + random
	_, err = store.CreateSource(ctx, catalog.SystemActor("demo"), models.NewSource{
		Name: "Demo traffic", Kind: traffic.KindTreblle, IngestKey: key, KeyHint: random[len(random)-4:], Demo: true,
	})
	if err != nil {
		return nil, err
	}
	events := demotraffic.Generate(catalogue, demotraffic.Options{Seed: demoTrafficSeed, Now: time.Now().UTC(), Events: demoTrafficEvents})
	return &demoTrafficPlan{key: key, events: events}, nil
}

// send posts the demo events through the ingest endpoint, as an SDK
// would, then rolls them up so the pages show them at once.
func (p *demoTrafficPlan) send(ctx context.Context, base string, runner *jobs.Runner, log *slog.Logger) {
	start := time.Now()
	log.Info("sending the demo traffic through the ingest endpoint", "events", len(p.events))
	stats, err := demotraffic.Send(ctx, nil, base, p.key, p.events, 8, nil)
	if err != nil {
		log.Error("demo traffic stopped", "sent", stats.Sent, "error", err)
		return
	}
	log.Info("demo traffic sent", "events", stats.Sent, "throttled", stats.Throttled, "took", time.Since(start).Round(time.Millisecond))
	if _, err := runner.RunNow("rollup", "demo"); err != nil {
		log.Warn("demo traffic: rollup not started; the schedule will pick it up", "error", err)
	}
}
