package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
)

// JobRun is one recorded run of a scheduled job.
type JobRun struct {
	ID         int64
	Job        string
	Trigger    string
	Tick       *time.Time
	StartedBy  string
	Instance   string
	StartedAt  time.Time
	FinishedAt *time.Time
	Status     string
	Done       int64
	Total      int64
	Counts     string // JSON object of named counts
	Error      string
}

// CountMap decodes the run's named counts.
func (r JobRun) CountMap() map[string]int64 {
	m := map[string]int64{}
	_ = json.Unmarshal([]byte(r.Counts), &m)
	return m
}

// JobSetting is a job's schedule as an admin set it.
type JobSetting struct {
	Job       string `gorm:"primaryKey"`
	Schedule  string
	Enabled   bool
	UpdatedBy string
	UpdatedAt time.Time
}

// StartJobRun records a run as started. A scheduled tick that another
// replica already recorded is reported as taken, not as an error.
func (s *Store) StartJobRun(ctx context.Context, job, trigger, startedBy, instance string, tick *time.Time) (int64, bool, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Raw(
		`INSERT INTO job_runs (job, trigger, tick, started_by, instance, started_at, status)
		 VALUES (?, ?, ?, ?, ?, ?, 'running')
		 ON CONFLICT (job, tick) DO NOTHING RETURNING id`,
		job, trigger, tick, startedBy, instance, time.Now().UTC()).Scan(&ids).Error
	if err != nil {
		return 0, false, fmt.Errorf("models: start job run: %w", err)
	}
	if len(ids) == 0 {
		return 0, true, nil
	}
	return ids[0], false, nil
}

// UpdateJobRun writes a running job's progress.
func (s *Store) UpdateJobRun(ctx context.Context, id, done, total int64, counts map[string]int64) error {
	return s.db.WithContext(ctx).Table("job_runs").Where("id = ?", id).
		Updates(map[string]any{"done": done, "total": total, "counts": countsJSON(counts)}).Error
}

// FinishJobRun records how a run ended.
func (s *Store) FinishJobRun(ctx context.Context, id, done, total int64, counts map[string]int64, status, errText string) error {
	return s.db.WithContext(ctx).Table("job_runs").Where("id = ?", id).
		Updates(map[string]any{"done": done, "total": total, "counts": countsJSON(counts), "status": status,
			"error": truncate(errText, 4000), "finished_at": time.Now().UTC()}).Error
}

func countsJSON(m map[string]int64) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// TryJobLock takes a job's lock for the cluster without waiting. On
// PostgreSQL it is a session advisory lock held on a connection of its own
// for as long as the run lasts; SQLite serves one process, whose runner
// already keeps a job from overlapping itself.
func (s *Store) TryJobLock(ctx context.Context, job string) (func(), bool, error) {
	if !s.IsPostgres() {
		return func() {}, true, nil
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, false, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("models: job lock: %w", err)
	}
	// Two-key form: the schema, so Steward instances of different
	// schemas sharing a database do not block each other, and the job.
	const lockArgs = "hashtext(current_schema()), hashtext('steward.job.' || $1)"
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock("+lockArgs+")", job).Scan(&ok); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("models: job lock: %w", err)
	}
	if !ok {
		conn.Close()
		return nil, false, nil
	}
	release := func() {
		// Unlock on a fresh context: the run's may be cancelled by now.
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(uctx, "SELECT pg_advisory_unlock("+lockArgs+")", job)
		conn.Close()
	}
	return release, true, nil
}

// JobRuns lists a job's most recent runs, newest first ("" for all jobs).
func (s *Store) JobRuns(ctx context.Context, job string, limit int) ([]JobRun, error) {
	q := s.db.WithContext(ctx).Table("job_runs").Order("started_at DESC, id DESC").Limit(limit)
	if job != "" {
		q = q.Where("job = ?", job)
	}
	var runs []JobRun
	return runs, q.Find(&runs).Error
}

// JobRun finds one run.
func (s *Store) JobRun(ctx context.Context, id int64) (*JobRun, error) {
	var r JobRun
	if err := s.db.WithContext(ctx).Table("job_runs").Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, translate(err, "find job run")
	}
	return &r, nil
}

// LastJobRuns returns each job's latest run.
func (s *Store) LastJobRuns(ctx context.Context) (map[string]JobRun, error) {
	var runs []JobRun
	err := s.db.WithContext(ctx).Table("job_runs").
		Where("id IN (SELECT MAX(id) FROM job_runs GROUP BY job)").Find(&runs).Error
	out := make(map[string]JobRun, len(runs))
	for _, r := range runs {
		out[r.Job] = r
	}
	return out, err
}

// JobSettings returns the schedules admins have set, by job.
func (s *Store) JobSettings(ctx context.Context) (map[string]JobSetting, error) {
	var rows []JobSetting
	err := s.db.WithContext(ctx).Table("job_settings").Find(&rows).Error
	out := make(map[string]JobSetting, len(rows))
	for _, r := range rows {
		out[r.Job] = r
	}
	return out, err
}

// SaveJobSetting stores a job's schedule, audited.
func (s *Store) SaveJobSetting(ctx context.Context, actor catalog.Actor, set JobSetting) error {
	set.UpdatedBy, set.UpdatedAt = actor.Name, time.Now().UTC()
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var before JobSetting
		err := tx.Table("job_settings").Where("job = ?", set.Job).Take(&before).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			err = tx.Table("job_settings").Create(&set).Error
		case err == nil:
			err = tx.Table("job_settings").Where("job = ?", set.Job).
				Updates(map[string]any{"schedule": set.Schedule, "enabled": set.Enabled, "updated_by": set.UpdatedBy, "updated_at": set.UpdatedAt}).Error
		}
		if err != nil {
			return err
		}
		return audit(tx, actor, "job.schedule", "job", set.Job,
			map[string]any{"schedule": before.Schedule, "enabled": before.Enabled},
			map[string]any{"schedule": set.Schedule, "enabled": set.Enabled})
	})
}

// FailStaleJobRuns marks runs this instance left "running" when it stopped
// (a crash or kill) as failed, so the admin page does not show them
// running for ever.
func (s *Store) FailStaleJobRuns(ctx context.Context, instance string) error {
	return s.db.WithContext(ctx).Table("job_runs").Where("instance = ? AND status = 'running'", instance).
		Updates(map[string]any{"status": "failed", "error": "Steward stopped while this run was going", "finished_at": time.Now().UTC()}).Error
}
