package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// SessionStore is what the session cleanup needs.
type SessionStore interface {
	DeleteExpiredSessions(ctx context.Context, idle time.Duration) (int64, error)
}

// SessionCleanup deletes sessions past their idle or absolute expiry and
// stale sign-in attempts, so the tables do not grow without bound.
type SessionCleanup struct {
	Store SessionStore
	Idle  time.Duration
	Log   *slog.Logger
}

// Name names the job in logs.
func (j *SessionCleanup) Name() string { return "session-cleanup" }

// Run deletes what has expired.
func (j *SessionCleanup) Run(ctx context.Context) error {
	n, err := j.Store.DeleteExpiredSessions(ctx, j.Idle)
	if err != nil {
		return fmt.Errorf("jobs: session cleanup: %w", err)
	}
	if n > 0 {
		j.Log.Info("expired sessions deleted", "count", n)
	}
	return nil
}
