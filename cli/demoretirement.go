package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/retirement"
)

// demoZombieDays is the demo organisation's zombie window: its traffic
// covers two weeks (demotraffic.DefaultDays), so the default 30 days would
// leave every verdict "unknown".
const demoZombieDays = 7

// newRetirementService carries out retirement cases for jobs and the demo,
// with the published standard's lifecycle gates.
func newRetirementService(store *models.Store) *retirement.Service {
	return &retirement.Service{Store: store, Traffic: store, Gates: jobs.StandardGates(store)}
}

// seedDemoRetirements makes the retirement workflow something to try on
// first start, once the demo traffic is rolled up: the zombie job runs
// (its window set to a week, which the demo traffic covers) and proposes
// retiring the versions the demo left silent, and one case waits for the
// approval of the owner of the first team, whom the dev persona "owner"
// becomes. Failures are logged: the demo works without them.
func seedDemoRetirements(ctx context.Context, store *models.Store, runner *jobs.Runner, log *slog.Logger) {
	if err := demoRetirements(ctx, store, runner); err != nil && ctx.Err() == nil {
		log.Warn("demo retirements not set up", "error", err)
		return
	}
	log.Info("demo retirements set up: zombie candidates proposed, one case waits for the owner persona's approval")
}

func demoRetirements(ctx context.Context, store *models.Store, runner *jobs.Runner) error {
	demo := catalog.SystemActor("demo")
	set, err := store.RetirementSettings(ctx)
	if err != nil {
		return err
	}
	set.ZombieDays = demoZombieDays
	if err := store.SaveRetirementSettings(ctx, demo, set); err != nil {
		return err
	}
	// The demo traffic's own rollup may still be running, or may have
	// been refused because a scheduled one was: one more run after it
	// takes in the last events.
	for _, job := range []string{"rollup", "zombies"} {
		if err := runAndWait(ctx, runner, job); err != nil {
			return fmt.Errorf("%s: %w", job, err)
		}
	}
	return demoCaseForOwner(ctx, store)
}

// demoCaseForOwner makes sure a case waits for the first team's owners:
// a zombie proposal of theirs if the job made one, else a proposal to
// retire one of their production versions, opened as the demo.
func demoCaseForOwner(ctx context.Context, store *models.Store) error {
	teams, err := store.ListTeams(ctx)
	if err != nil || len(teams) == 0 {
		return err
	}
	team := teams[0].Slug // the team ensureDevOwnership gives the owner persona
	open, err := store.ListCases(ctx, models.CaseFilter{States: []retirement.State{retirement.Proposed}})
	if err != nil {
		return err
	}
	if slices.ContainsFunc(open, func(c retirement.Case) bool { return c.TeamSlug == team }) {
		return nil
	}
	cands, err := store.ZombieCandidates(ctx)
	if err != nil {
		return err
	}
	// An internal API needs the owner's approval alone, and a busy one
	// shows consumers to warn: the busiest internal version is proposed.
	var best *models.ZombieCandidate
	var bestScore int64 = -1
	since := time.Now().Add(-14 * 24 * time.Hour)
	for i, c := range cands {
		if c.TeamSlug != team || c.Stage != string(catalog.StageProduction) || len(c.Operations) == 0 {
			continue
		}
		n, err := store.LegitimateRequests(ctx, c.VersionID, nil, since, time.Now())
		if err != nil {
			return err
		}
		if c.Visibility == string(catalog.VisibilityInternal) {
			n += 1 << 40
		}
		if n > bestScore {
			best, bestScore = &cands[i], n
		}
	}
	if best != nil {
		_, err := newRetirementService(store).Open(ctx, retirement.Actor{Actor: catalog.SystemActor("demo"), System: true}, best.APISlug, best.Version,
			retirement.Proposal{
				Reason: fmt.Sprintf("Demo: %s %s is to make way for its successor. Approve it as the owner persona to see the deprecation notice, "+
					"its headers and the consumers still calling.", best.APIName, best.Version),
				MigrationNotes: "Move to the successor before the sunset. This is demo data: nothing is switched off.",
			})
		return err
	}
	return fmt.Errorf("team %s has no production version to propose retiring", team)
}

// runAndWait starts a job, waiting for a run already going to end first,
// and returns once its own run has ended.
func runAndWait(ctx context.Context, runner *jobs.Runner, job string) error {
	deadline := time.Now().Add(5 * time.Minute)
	started := false
	for time.Now().Before(deadline) {
		if !started {
			_, err := runner.RunNow(job, "demo")
			switch {
			case err == nil:
				started = true
			case !errors.Is(err, jobs.ErrRunning):
				return err
			}
		} else if !running(runner, job) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("did not finish within five minutes")
}

func running(runner *jobs.Runner, job string) bool {
	for _, j := range runner.Jobs() {
		if j.Name == job {
			return j.Running
		}
	}
	return false
}
