package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/scorecard"
)

// lintTimeout is jobs.Scoring's default bound on one spec (Timeout unset,
// as `steward serve` leaves it).
const lintTimeout = time.Minute

// parallelScore scores every stale version on `workers` goroutines with
// the building blocks jobs.Scoring uses, step for step as its score method
// does: RevisionByID, ApprovedWaivers, rules.LintBytes under a one-minute
// deadline (Source "api/version"), scorecard.Compute (or an "error"
// scorecard saying "not scored: …" when the spec does not lint), Grace.Mark,
// and store.SaveScorecard with the same row. Differences, none of which
// changes a stored scorecard:
//   - the stale versions are listed once, up front, instead of 20 at a
//     time, and handed to the workers in version order;
//   - each worker compiles its own copy of the standard's ruleset;
//   - the grace period is empty: it refuses to run unless the standard
//     version has no effective date in the future (the default standard
//     has none), where jobs.Scoring also finds no grace period.
//
// jobs.Scoring.Run then runs after it, so anything it missed is scored by
// the job itself and the run ends with nothing stale.
func parallelScore(ctx context.Context, store *models.Store, std *models.Standard, sv *models.StandardVersion, workers int) error {
	if sv.EffectiveAt != nil && time.Now().Before(*sv.EffectiveAt) {
		return fmt.Errorf("standard %s v%d has a grace period until %s; parallel scoring does not apply grace periods, use --scorer job", std.Slug, sv.Number, sv.EffectiveAt)
	}
	targets, err := store.StaleScorecards(ctx, sv.ID, 1<<30)
	if err != nil {
		return err
	}
	next := make(chan models.ScoringTarget)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		rs, err := rules.Parse([]byte(sv.Ruleset), "standard.yaml", nil)
		if err != nil {
			return fmt.Errorf("standard %s v%d does not load: %w", std.Slug, sv.Number, err)
		}
		standard := scorecard.StandardOf(std.Name, strconv.Itoa(sv.Number), rs)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range next {
				if err := scoreOne(ctx, store, rs, standard, scorecard.Grace{}, sv.ID, t); err != nil {
					errs <- err
					for range next { // drain so the feeder stops
					}
					return
				}
			}
		}()
	}
feed:
	for _, t := range targets {
		select {
		case next <- t:
		case err := <-errs:
			close(next)
			wg.Wait()
			return err
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	return ctx.Err()
}

// scoreOne is jobs.Scoring.score (unexported there), line for line.
func scoreOne(ctx context.Context, store *models.Store, rs *rules.Ruleset, std scorecard.Standard, grace scorecard.Grace, svID uint, t models.ScoringTarget) error {
	rev, err := store.RevisionByID(ctx, t.RevisionID)
	if err != nil {
		return fmt.Errorf("scoring %s/%s: %w", t.APISlug, t.Version, err)
	}
	waiverRows, err := store.ApprovedWaivers(ctx, t.VersionID)
	if err != nil {
		return fmt.Errorf("scoring %s/%s: %w", t.APISlug, t.Version, err)
	}
	var waivers []scorecard.Waiver
	for _, w := range waiverRows {
		sw := scorecard.Waiver{Rule: w.Rule, Reason: w.Reason, GrantedBy: w.DecidedBy}
		if w.ExpiresAt != nil {
			sw.Expires = *w.ExpiresAt
		}
		waivers = append(waivers, sw)
	}
	start := time.Now()
	lctx, cancel := context.WithTimeout(ctx, lintTimeout)
	rep, lintErr := rs.LintBytes(lctx, []byte(rev.Content), rules.LintOptions{Source: t.APISlug + "/" + t.Version})
	cancel()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	now := time.Now().UTC()
	std = grace.Apply(std, now)
	var sc scorecard.Scorecard
	status := "scored"
	switch {
	case lintErr != nil && rep == nil:
		sc = scorecard.Compute(std, nil, waivers, now)
		sc.Summary = "not scored: " + lintErr.Error()
		status = "error"
	default:
		sc = scorecard.Compute(std, rep, waivers, now)
		if sc.Incomplete {
			status = "incomplete"
		} else if !sc.HasScore {
			status = "not_scored"
		}
	}
	grace.Mark(&sc, now)
	body, err := json.Marshal(sc)
	if err != nil {
		return fmt.Errorf("scoring: %w", err)
	}
	row := models.ScorecardRow{
		VersionID: t.VersionID, RevisionID: t.RevisionID, StandardVersionID: svID, ComputedAt: now,
		Status: status, Grade: string(sc.Grade), Result: string(body), DurationMS: time.Since(start).Milliseconds(),
	}
	if sc.HasScore {
		overall := sc.Overall
		row.Overall = &overall
	}
	if err := store.SaveScorecard(ctx, row); err != nil {
		return fmt.Errorf("scoring %s/%s: %w", t.APISlug, t.Version, err)
	}
	return nil
}
