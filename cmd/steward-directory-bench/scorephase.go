package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
)

// defaultRuleset is the organisation standard's first version, as
// `steward serve` creates it (cli.defaultRuleset, unexported there).
const defaultRuleset = "extends: [\"steward:recommended\"]\n"

// scoreStats is what phase 2 did.
type scoreStats struct {
	Mode      string
	Passes    int
	Standard  string
	ByStatus  map[string]int // scorecards by status
	Stale     int            // versions still stale at the end (should be 0)
	LintMS    int64          // sum of scorecards.duration_ms (lint + compute per spec)
	Slowest   []slowCard
	GradeDist map[string]int
	// Stalled names the version scoring was stuck on when the watchdog
	// gave up; empty when scoring finished.
	Stalled string
}

type slowCard struct {
	API    string
	MS     int64
	Status string
	Bytes  int64
}

// errStalled is returned when no scorecard was stored for the stall
// period: a lint that ignores its deadline (see docs/benchmarks.md).
var errStalled = errors.New("scoring stalled")

// scoreAll runs phase 2. In mode "job" it does what `steward serve` does:
// publish the default standard (steward:recommended) if there is none, then
// run jobs.Scoring until no version is stale. In mode "parallel" the same
// building blocks run on several workers first (see parallelScore), then
// jobs.Scoring.Run checks that nothing is left.
//
// A watchdog counts scorecards: when none is stored for stall, scoring is
// stuck in a lint that does not honour its deadline (jobs.Scoring gives
// each spec one minute), and scoreAll returns errStalled at once, leaving
// the stuck goroutines behind (the process exits after the report).
func scoreAll(ctx context.Context, store *models.Store, log *slog.Logger, mode string, workers int, stall time.Duration, maxRSS int64, ruleset string, progress func(string)) (*scoreStats, error) {
	st := &scoreStats{Mode: mode}
	if err := store.EnsureDefaultStandard(ctx, ruleset); err != nil {
		return st, err
	}
	std, sv, err := store.CurrentStandard(ctx)
	if err != nil {
		return st, err
	}
	st.Standard = fmt.Sprintf("%s v%d", std.Slug, sv.Number)

	done := make(chan error, 1)
	go func() {
		done <- func() error {
			if mode == "parallel" {
				if err := parallelScore(ctx, store, std, sv, workers); err != nil {
					return err
				}
			}
			job := &jobs.Scoring{Store: store, Log: log}
			// Run loops until nothing is stale; the check after it proves
			// it. Bounded so a bug cannot spin.
			for st.Passes < 5 {
				st.Passes++
				if err := job.Run(ctx); err != nil {
					return err
				}
				left, err := store.StaleScorecards(ctx, sv.ID, 1)
				if err != nil {
					return err
				}
				if len(left) == 0 {
					return nil
				}
			}
			return nil
		}()
	}()

	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	start, last, lastChange := time.Now(), int64(-1), time.Now()
	lastReport, lastCount := time.Now(), time.Time{}
	for {
		select {
		case err := <-done:
			return st, err
		case <-ctx.Done():
			return st, ctx.Err()
		case <-tick.C:
		}
		// A lint that expands $refs without bound grows by gigabytes a
		// second; stop before the machine runs out of memory.
		if rss := currentRSS(); maxRSS > 0 && rss > maxRSS {
			st.Stalled = stuckOn(ctx, store, sv.ID, workers, mode)
			return st, fmt.Errorf("%w: resident memory %s is over --max-rss %s; still stale, in the order the job takes them: %s",
				errStalled, mb(rss), mb(maxRSS), st.Stalled)
		}
		if time.Since(lastCount) < 5*time.Second {
			continue
		}
		lastCount = time.Now()
		var n int64
		if err := store.DB().WithContext(ctx).Table("scorecards").Count(&n).Error; err != nil {
			continue
		}
		if n != last {
			last, lastChange = n, time.Now()
		}
		if time.Since(lastReport) >= 10*time.Second {
			lastReport = time.Now()
			progress(fmt.Sprintf("score: %d scorecards after %s", n, time.Since(start).Round(time.Second)))
		}
		if time.Since(lastChange) >= stall {
			st.Stalled = stuckOn(ctx, store, sv.ID, workers, mode)
			return st, fmt.Errorf("%w: no scorecard stored for %s (%d so far); still stale, in the order the job takes them: %s",
				errStalled, stall, n, st.Stalled)
		}
	}
}

// stuckOn names the first stale versions: the sequential job takes them in
// version id order, so the first one is the spec it is stuck on; parallel
// workers are stuck on some of the first few.
func stuckOn(ctx context.Context, store *models.Store, svID uint, workers int, mode string) string {
	n := 1
	if mode == "parallel" {
		n = workers + 2
	}
	left, err := store.StaleScorecards(ctx, svID, n)
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	s := ""
	for i, t := range left {
		if i > 0 {
			s += ", "
		}
		s += t.APISlug + "/" + t.Version
	}
	return s
}

// collectScores reads back what phase 2 stored.
func collectScores(ctx context.Context, store *models.Store, st *scoreStats) error {
	db := store.DB().WithContext(ctx)
	var rows []struct {
		Status string
		N      int
	}
	if err := db.Table("scorecards").Select("status, COUNT(*) AS n").Group("status").Scan(&rows).Error; err != nil {
		return err
	}
	st.ByStatus = map[string]int{}
	for _, r := range rows {
		st.ByStatus[r.Status] = r.N
	}
	var grades []struct {
		Grade string
		N     int
	}
	if err := db.Table("scorecards").Select("grade, COUNT(*) AS n").Group("grade").Scan(&grades).Error; err != nil {
		return err
	}
	st.GradeDist = map[string]int{}
	for _, g := range grades {
		st.GradeDist[g.Grade] = g.N
	}
	var sum struct{ MS int64 }
	if err := db.Table("scorecards").Select("COALESCE(SUM(duration_ms), 0) AS ms").Scan(&sum).Error; err != nil {
		return err
	}
	st.LintMS = sum.MS
	if err := db.Table("scorecards").
		Select("apis.slug AS api, scorecards.duration_ms AS ms, scorecards.status, spec_revisions.size_bytes AS bytes").
		Joins("JOIN versions ON versions.id = scorecards.version_id").
		Joins("JOIN apis ON apis.id = versions.api_id").
		Joins("JOIN spec_revisions ON spec_revisions.id = scorecards.revision_id").
		Order("scorecards.duration_ms DESC").Limit(8).Scan(&st.Slowest).Error; err != nil {
		return err
	}
	_, sv, err := store.CurrentStandard(ctx)
	if err != nil {
		return err
	}
	// What is still stale (nothing, unless scoring stalled), up to 10,000.
	left, err := store.StaleScorecards(ctx, sv.ID, 10000)
	st.Stale = len(left)
	return err
}
