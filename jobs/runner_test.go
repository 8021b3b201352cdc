package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
)

// stepJob reports progress and counts, waits until released, and fails or
// panics when told to.
type stepJob struct {
	name    string
	runs    atomic.Int32
	release chan struct{}
	fail    error
	panic   bool
}

func (j *stepJob) Name() string { return j.name }

func (j *stepJob) Run(ctx context.Context) error {
	j.runs.Add(1)
	p := jobs.Progress(ctx)
	p.SetTotal(10)
	p.Advance(4)
	p.Count("events", 40)
	if j.release != nil {
		select {
		case <-j.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if j.panic {
		panic("index out of range")
	}
	p.Advance(6)
	return j.fail
}

func waitRun(t *testing.T, s *models.Store, id int64, want func(models.JobRun) bool) models.JobRun {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := s.JobRun(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if want(*r) {
			return *r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d never reached the expected state; last: %+v", id, *r)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func finished(r models.JobRun) bool { return r.FinishedAt != nil }

func TestRunNowRecordsOutcomeAndProgress(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := storetest.New(t, engine)
			cases := []struct {
				name       string
				job        *stepJob
				wantStatus string
				wantError  string
			}{
				{"success", &stepJob{name: "ok-" + engine}, jobs.StatusSucceeded, ""},
				{"error", &stepJob{name: "fails-" + engine, fail: errors.New("kong answered 401: check the admin token")}, jobs.StatusFailed, "kong answered 401: check the admin token"},
				{"panic", &stepJob{name: "panics-" + engine, panic: true}, jobs.StatusFailed, "the job crashed: index out of range"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					r := jobs.NewRunner(s, "test-instance", slog.New(slog.DiscardHandler))
					if err := r.Register(jobs.Definition{Job: c.job, Schedule: "@daily"}, "", true); err != nil {
						t.Fatal(err)
					}
					id, err := r.RunNow(c.job.name, "alice@example.com")
					if err != nil {
						t.Fatal(err)
					}
					run := waitRun(t, s, id, finished)
					if run.Status != c.wantStatus || run.Error != c.wantError {
						t.Errorf("status %q error %q, want %q %q", run.Status, run.Error, c.wantStatus, c.wantError)
					}
					if run.Trigger != jobs.TriggerManual || run.StartedBy != "alice@example.com" || run.Instance != "test-instance" {
						t.Errorf("run record: %+v", run)
					}
					if run.Total != 10 || run.CountMap()["events"] != 40 {
						t.Errorf("progress not recorded: done %d total %d counts %s", run.Done, run.Total, run.Counts)
					}
					r.Stop(context.Background())
				})
			}
		})
	}
}

func TestRunNowShowsProgressWhileRunningAndRefusesASecondRun(t *testing.T) {
	s := storetest.New(t, "sqlite")
	job := &stepJob{name: "slow", release: make(chan struct{})}
	r := jobs.NewRunner(s, "here", slog.New(slog.DiscardHandler))
	if err := r.Register(jobs.Definition{Job: job, Schedule: "@daily"}, "", false); err != nil {
		t.Fatal(err)
	}
	id, err := r.RunNow("slow", "alice")
	if err != nil {
		t.Fatal(err)
	}
	running := waitRun(t, s, id, func(r models.JobRun) bool { return r.Done == 4 })
	if running.Status != jobs.StatusRunning || running.Total != 10 {
		t.Errorf("while running: %+v", running)
	}
	if _, err := r.RunNow("slow", "bob"); !errors.Is(err, jobs.ErrRunning) {
		t.Errorf("second run: got %v, want ErrRunning", err)
	}
	if info := r.Jobs(); len(info) != 1 || !info[0].Running {
		t.Errorf("job list while running: %+v", info)
	}
	close(job.release)
	done := waitRun(t, s, id, finished)
	if done.Done != 10 || done.Status != jobs.StatusSucceeded {
		t.Errorf("after release: %+v", done)
	}
	if _, err := r.RunNow("nope", "alice"); err == nil {
		t.Error("an unknown job ran")
	}
	r.Stop(context.Background())
}

func TestRescheduleRejectsBadSchedules(t *testing.T) {
	s := storetest.New(t, "sqlite")
	r := jobs.NewRunner(s, "here", slog.New(slog.DiscardHandler))
	if err := r.Register(jobs.Definition{Job: &stepJob{name: "j"}, Schedule: "@hourly"}, "", true); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{"", "every day", "61 * * * *", "@every -1s"} {
		if err := r.Reschedule("j", spec, true); err == nil {
			t.Errorf("schedule %q accepted", spec)
		}
	}
	if err := r.Reschedule("j", "*/5 * * * *", true); err != nil {
		t.Errorf("good schedule refused: %v", err)
	}
	if got := r.Jobs()[0].Schedule; got != "*/5 * * * *" {
		t.Errorf("schedule now %q", got)
	}
}

// Two Steward instances on one PostgreSQL database fire the same schedule;
// each tick must run once in all.
func TestScheduledTickRunsOnOneReplica(t *testing.T) {
	url := storetest.NewPostgresSchema(t)
	var stores []*models.Store
	for range 2 {
		s, err := models.Open(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	if err := stores[0].Migrate(); err != nil {
		t.Fatal(err)
	}
	job := &stepJob{name: "replicated"}
	local := &stepJob{name: "local"} // per replica, like draining its own journal
	var runners []*jobs.Runner
	for i, s := range stores {
		r := jobs.NewRunner(s, []string{"replica-a", "replica-b"}[i], slog.New(slog.DiscardHandler))
		if err := r.Register(jobs.Definition{Job: job, Schedule: "@every 1s"}, "", true); err != nil {
			t.Fatal(err)
		}
		if err := r.Register(jobs.Definition{Job: local, Schedule: "@every 1s", PerReplica: true}, "", true); err != nil {
			t.Fatal(err)
		}
		r.Start()
		runners = append(runners, r)
		time.Sleep(400 * time.Millisecond) // the replicas start at different times, as in life
	}
	time.Sleep(4 * time.Second)
	for _, r := range runners {
		r.Stop(context.Background())
	}
	runs, err := stores[0].JobRuns(context.Background(), "replicated", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) < 2 {
		t.Fatalf("only %d runs in 4 s of a 1 s schedule", len(runs))
	}
	ticks := map[time.Time]int{}
	for _, run := range runs {
		if run.Tick == nil {
			t.Fatalf("scheduled run without tick: %+v", run)
		}
		ticks[run.Tick.UTC()]++
	}
	for tick, n := range ticks {
		if n != 1 {
			t.Errorf("tick %s ran %d times", tick, n)
		}
	}
	if int(job.runs.Load()) != len(runs) {
		t.Errorf("the job ran %d times but %d runs are recorded", job.runs.Load(), len(runs))
	}
	localRuns, err := stores[0].JobRuns(context.Background(), "local", 100)
	if err != nil {
		t.Fatal(err)
	}
	on := map[string]int{}
	for _, run := range localRuns {
		on[run.Instance]++
	}
	if on["replica-a"] < 2 || on["replica-b"] < 2 {
		t.Errorf("a per-replica job must run on every replica: runs by instance %v", on)
	}
}
