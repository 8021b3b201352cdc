package jobs

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

type countingJob struct {
	runs  atomic.Int32
	panic bool
}

func (j *countingJob) Name() string { return "counting" }

func (j *countingJob) Run(ctx context.Context) error {
	j.runs.Add(1)
	if j.panic {
		panic("boom")
	}
	return nil
}

func TestSchedulerRecoversPanicsAndStops(t *testing.T) {
	s := NewScheduler(slog.New(slog.DiscardHandler))
	ok, bad := &countingJob{}, &countingJob{panic: true}
	if err := s.Add("@every 1s", ok); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("@every 1s", bad); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("not a schedule", ok); err == nil {
		t.Error("a bad schedule was accepted")
	}
	s.Start()
	deadline := time.Now().Add(5 * time.Second)
	for (ok.runs.Load() < 2 || bad.runs.Load() < 2) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s.Stop(ctx)
	if ok.runs.Load() < 2 || bad.runs.Load() < 2 {
		t.Fatalf("jobs ran %d and %d times; the panicking job must not stop the scheduler", ok.runs.Load(), bad.runs.Load())
	}
	after := ok.runs.Load()
	time.Sleep(1200 * time.Millisecond)
	if ok.runs.Load() != after {
		t.Error("a job ran after Stop")
	}
}
