package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/steward-governance/steward/models"
)

// RetentionStore is what retention deletes from.
type RetentionStore interface {
	PruneRuntime(ctx context.Context, trafficBefore, runsBefore time.Time) (models.Pruned, error)
}

// Retention deletes traffic rollups and job runs past their keeping time,
// so the database grows with the catalogue, not with time.
type Retention struct {
	Store RetentionStore
	// Traffic is how long hourly rollups are kept; Runs how long job runs.
	Traffic, Runs time.Duration
	Now           func() time.Time
}

// Default keeping times: long enough for quarter-on-quarter trends and a
// 90-day deprecation notice period.
const (
	DefaultTrafficRetention = 400 * 24 * time.Hour
	DefaultRunRetention     = 30 * 24 * time.Hour
)

// Name names the job.
func (j *Retention) Name() string { return "retention" }

// Run deletes what is past its time.
func (j *Retention) Run(ctx context.Context) error {
	now := time.Now()
	if j.Now != nil {
		now = j.Now()
	}
	traffic, runs := j.Traffic, j.Runs
	if traffic <= 0 {
		traffic = DefaultTrafficRetention
	}
	if runs <= 0 {
		runs = DefaultRunRetention
	}
	p, err := j.Store.PruneRuntime(ctx, now.Add(-traffic), now.Add(-runs))
	if err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	pr := Progress(ctx)
	pr.Count("traffic rows", p.TrafficRows)
	pr.Count("discovered rows", p.DiscoveredRows)
	pr.Count("consumer rows", p.ConsumerRows)
	pr.Count("job runs", p.JobRuns)
	pr.Count("runtime scorecards", p.RuntimeScorecards)
	return nil
}
