// Package jobs runs Steward's scheduled work on robfig/cron through a
// Runner (runner.go) that records every run, recovers panics, never runs a
// job twice at once and, on PostgreSQL, runs each tick on one replica.
package jobs

import (
	"context"
	"log/slog"
)

// Job is one piece of scheduled work.
type Job interface {
	Name() string
	Run(ctx context.Context) error
}

// cronLogger adapts slog to cron's logger interface.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "error", err)...)
}
