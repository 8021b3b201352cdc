// Package jobs runs Steward's scheduled work on robfig/cron. Jobs are
// wrapped so a panic is logged instead of killing the process, and a run
// still going when its next tick comes is skipped rather than doubled.
package jobs

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/robfig/cron/v3"
)

// Job is one piece of scheduled work.
type Job interface {
	Name() string
	Run(ctx context.Context) error
}

// Scheduler runs jobs on cron schedules until stopped.
type Scheduler struct {
	cron *cron.Cron
	log  *slog.Logger
	ctx  context.Context
	stop context.CancelFunc
}

// NewScheduler builds a scheduler that logs through log.
func NewScheduler(log *slog.Logger) *Scheduler {
	cl := cronLogger{log}
	ctx, stop := context.WithCancel(context.Background())
	return &Scheduler{
		// SkipIfStillRunning must wrap Recover, not the other way round: in
		// cron v3.0.1 it returns its run token without a defer, so a panic
		// passing through it would block that job forever.
		cron: cron.New(cron.WithChain(cron.SkipIfStillRunning(cl), cron.Recover(cl))),
		log:  log,
		ctx:  ctx,
		stop: stop,
	}
}

// Add schedules job with a standard five-field cron spec ("*/5 * * * *")
// or a descriptor ("@every 1m", "@daily").
func (s *Scheduler) Add(spec string, job Job) error {
	_, err := s.cron.AddFunc(spec, func() {
		if err := job.Run(s.ctx); err != nil {
			s.log.Error("job failed", "job", job.Name(), "error", err)
		}
	})
	if err != nil {
		return fmt.Errorf("jobs: schedule %s %q: %w", job.Name(), spec, err)
	}
	return nil
}

// Start begins running scheduled jobs in the background.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop stops scheduling, cancels running jobs' context and waits for them
// to return or for ctx to end, whichever comes first.
func (s *Scheduler) Stop(ctx context.Context) {
	done := s.cron.Stop()
	s.stop()
	select {
	case <-done.Done():
	case <-ctx.Done():
		s.log.Warn("jobs still running at shutdown")
	}
}

// cronLogger adapts slog to cron's logger interface.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "error", err)...)
}
