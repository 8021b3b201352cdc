package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Pruned counts what one retention pass deleted.
type Pruned struct {
	TrafficRows, DiscoveredRows, ConsumerRows, JobRuns int64
	// RuntimeScorecards counts superseded runtime scorecards deleted.
	RuntimeScorecards int64
}

// PruneRuntime deletes rollups and consumer days older than trafficBefore,
// and job runs and superseded runtime scorecards older than runsBefore (a
// version's latest runtime scorecard stays, whatever its age). Status
// counts and sources' coverage are summaries without time, so they stay.
func (s *Store) PruneRuntime(ctx context.Context, trafficBefore, runsBefore time.Time) (Pruned, error) {
	var p Pruned
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		steps := []struct {
			n     *int64
			table string
			where string
			at    time.Time
		}{
			{&p.TrafficRows, "endpoint_traffic", "hour < ?", trafficBefore},
			{&p.DiscoveredRows, "discovered_traffic", "hour < ?", trafficBefore},
			{&p.ConsumerRows, "endpoint_consumers", "day < ?", trafficBefore},
			{&p.JobRuns, "job_runs", "started_at < ? AND status <> 'running'", runsBefore},
		}
		for _, st := range steps {
			res := tx.Exec("DELETE FROM "+st.table+" WHERE "+st.where, st.at.UTC())
			if res.Error != nil {
				return res.Error
			}
			*st.n = res.RowsAffected
		}
		n, err := pruneRuntimeScorecards(tx, runsBefore)
		p.RuntimeScorecards = n
		return err
	})
	return p, err
}
