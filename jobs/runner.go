package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// RunRecorder keeps the record of every run and takes the lock that makes a
// scheduled tick run on one replica only; models.Store implements it.
type RunRecorder interface {
	// StartJobRun records a run as started and returns its id. For a
	// scheduled run tick names the scheduled time; when another replica
	// already started that tick it returns taken.
	StartJobRun(ctx context.Context, job, trigger, startedBy, instance string, tick *time.Time) (id int64, taken bool, err error)
	UpdateJobRun(ctx context.Context, id, done, total int64, counts map[string]int64) error
	FinishJobRun(ctx context.Context, id, done, total int64, counts map[string]int64, status, errText string) error
	// TryJobLock takes the job's cluster-wide lock without waiting.
	TryJobLock(ctx context.Context, job string) (release func(), acquired bool, err error)
}

// RunStatus is how a run ended (or that it has not yet).
type RunStatus = string

// Run statuses.
const (
	StatusRunning   RunStatus = "running"
	StatusSucceeded RunStatus = "succeeded"
	StatusFailed    RunStatus = "failed"
)

// Triggers say why a run started.
const (
	TriggerSchedule = "schedule"
	TriggerManual   = "manual"
)

// ErrRunning is returned by RunNow when the job is already running here or
// on another replica.
var ErrRunning = errors.New("jobs: already running")

// Definition is a job the runner knows, with its default schedule and the
// words the admin page shows for it.
type Definition struct {
	Job         Job
	Title       string
	Description string
	Schedule    string
	// PerReplica jobs run on every replica at every tick: they work on
	// what is local to the replica (its ingest journal). Others run each
	// tick once in the cluster.
	PerReplica bool
}

// Info is what the admin page shows for a job.
type Info struct {
	Name, Title, Description, Schedule string
	Enabled                            bool
	Next                               time.Time
	Running                            bool
}

// Runner schedules registered jobs, records each run with its progress and
// outcome, and runs a job on request. A job never runs twice at once:
// here a flag per job guards it, across replicas RunRecorder's lock.
type Runner struct {
	cron     *cron.Cron
	rec      RunRecorder
	log      *slog.Logger
	instance string
	ctx      context.Context
	stop     context.CancelFunc
	wg       sync.WaitGroup

	mu       sync.Mutex
	defs     map[string]*entry
	running  map[string]bool
	observer func(job, status string, took time.Duration)
}

// Observe has f told of every finished run, for metrics.
func (r *Runner) Observe(f func(job, status string, took time.Duration)) {
	r.mu.Lock()
	r.observer = f
	r.mu.Unlock()
}

type entry struct {
	def      Definition
	schedule string
	enabled  bool
	id       cron.EntryID
}

// progressEvery is how often a running job's progress is written, so the
// admin page can show it without a write per item.
const progressEvery = time.Second

// NewRunner builds a runner; instance names this process in run records.
func NewRunner(rec RunRecorder, instance string, log *slog.Logger) *Runner {
	ctx, stop := context.WithCancel(context.Background())
	return &Runner{
		// No SkipIfStillRunning here: the runner's own flag covers both
		// scheduled and manual runs.
		cron:     cron.New(cron.WithChain(cron.Recover(cronLogger{log}))),
		rec:      rec,
		log:      log,
		instance: instance,
		ctx:      ctx,
		stop:     stop,
		defs:     map[string]*entry{},
		running:  map[string]bool{},
	}
}

// ParseSchedule checks a five-field cron spec or a descriptor such as
// "@every 10m", returning an error a person can act on.
func ParseSchedule(spec string) error {
	const hint = `use five cron fields like "*/5 * * * *" or "@every 10m"`
	if every, ok := strings.CutPrefix(spec, "@every "); ok {
		// cron rounds sub-second and negative intervals up to a second,
		// which would run a job far more often than its writer meant.
		if d, err := time.ParseDuration(every); err != nil || d < time.Second {
			return fmt.Errorf("%q is not a schedule: the interval must be at least 1s (%s)", spec, hint)
		}
	}
	if _, err := cron.ParseStandard(spec); err != nil {
		return fmt.Errorf("%q is not a schedule: %v (%s)", spec, err, hint)
	}
	return nil
}

// Register adds a job with its schedule (the definition's default when
// schedule is empty); a disabled job runs only when asked.
func (r *Runner) Register(def Definition, schedule string, enabled bool) error {
	if schedule == "" {
		schedule = def.Schedule
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	name := def.Job.Name()
	if _, dup := r.defs[name]; dup {
		return fmt.Errorf("jobs: %s registered twice", name)
	}
	e := &entry{def: def}
	r.defs[name] = e
	return r.scheduleLocked(e, schedule, enabled)
}

// Reschedule changes a job's schedule and whether it runs on it.
func (r *Runner) Reschedule(name, schedule string, enabled bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.defs[name]
	if !ok {
		return fmt.Errorf("jobs: no job named %q", name)
	}
	return r.scheduleLocked(e, schedule, enabled)
}

func (r *Runner) scheduleLocked(e *entry, schedule string, enabled bool) error {
	if err := ParseSchedule(schedule); err != nil {
		return err
	}
	if e.id != 0 {
		r.cron.Remove(e.id)
		e.id = 0
	}
	e.schedule, e.enabled = schedule, enabled
	if !enabled {
		return nil
	}
	name := e.def.Job.Name()
	sched, err := cron.ParseStandard(schedule)
	if err != nil {
		return err
	}
	var id cron.EntryID
	id = r.cron.Schedule(sched, cron.FuncJob(func() {
		var tick *time.Time
		if !e.def.PerReplica {
			t := tickOf(sched, r.cron.Entry(id).Prev)
			tick = &t
		}
		r.execute(name, TriggerSchedule, "", tick)
	}))
	e.id = id
	return nil
}

// tickOf names a scheduled run so that every replica firing it computes the
// same name: the scheduled time for cron specs, and for "@every" schedules
// (which count from each process's start) the interval the run falls in,
// so each interval runs once across the cluster.
func tickOf(s cron.Schedule, prev time.Time) time.Time {
	if every, ok := s.(cron.ConstantDelaySchedule); ok {
		return prev.UTC().Truncate(every.Delay)
	}
	return prev.UTC().Truncate(time.Second)
}

// Jobs lists the registered jobs by name.
func (r *Runner) Jobs() []Info {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Info, 0, len(r.defs))
	for name, e := range r.defs {
		info := Info{Name: name, Title: e.def.Title, Description: e.def.Description, Schedule: e.schedule, Enabled: e.enabled, Running: r.running[name]}
		if e.id != 0 {
			info.Next = r.cron.Entry(e.id).Next
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Has reports whether a job of that name is registered.
func (r *Runner) Has(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.defs[name]
	return ok
}

// RunNow starts a run of the job in the background and returns its run id
// once it is recorded, so the caller can follow it.
func (r *Runner) RunNow(name, by string) (int64, error) {
	started := make(chan startResult, 1)
	go r.run(name, TriggerManual, by, nil, started)
	res := <-started
	return res.id, res.err
}

type startResult struct {
	id  int64
	err error
}

func (r *Runner) execute(name, trigger, by string, tick *time.Time) {
	r.run(name, trigger, by, tick, nil)
}

// run takes the job's local flag and cluster lock, records the run, runs it
// with a progress tracker and records how it ended. started, when given,
// hears once the run is recorded or refused.
func (r *Runner) run(name, trigger, by string, tick *time.Time, started chan<- startResult) {
	report := func(id int64, err error) {
		if started != nil {
			started <- startResult{id, err}
			started = nil
		}
	}
	r.mu.Lock()
	e, ok := r.defs[name]
	if !ok {
		r.mu.Unlock()
		report(0, fmt.Errorf("jobs: no job named %q", name))
		return
	}
	if r.running[name] {
		r.mu.Unlock()
		report(0, ErrRunning)
		return
	}
	r.running[name] = true
	r.wg.Add(1)
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.running[name] = false
		r.mu.Unlock()
		r.wg.Done()
	}()

	lock := name
	if e.def.PerReplica {
		lock = name + "@" + r.instance
	}
	release, acquired, err := r.rec.TryJobLock(r.ctx, lock)
	if err != nil {
		r.log.Error("job lock failed", "job", name, "error", err)
		report(0, err)
		return
	}
	if !acquired {
		report(0, ErrRunning)
		return
	}
	defer release()
	id, taken, err := r.rec.StartJobRun(r.ctx, name, trigger, by, r.instance, tick)
	if taken {
		report(0, ErrRunning)
		return
	}
	if err != nil {
		r.log.Error("job run not recorded", "job", name, "error", err)
		report(0, err)
		return
	}
	report(id, nil)

	began := time.Now()
	tracker := &Tracker{}
	ctx := context.WithValue(r.ctx, trackerKey{}, tracker)
	stopProgress := r.writeProgress(ctx, id, tracker)
	runErr := r.safely(ctx, e.def.Job)
	stopProgress()
	status, errText := StatusSucceeded, ""
	if runErr != nil {
		status, errText = StatusFailed, runErr.Error()
		r.log.Error("job failed", "job", name, "run", id, "error", runErr)
	}
	// The run's context may be cancelled at shutdown; its record must
	// still be written.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 10*time.Second)
	defer cancel()
	r.mu.Lock()
	observe := r.observer
	r.mu.Unlock()
	if observe != nil {
		observe(name, status, time.Since(began))
	}
	snap := tracker.Snapshot()
	if err := r.rec.FinishJobRun(fctx, id, snap.Done, snap.Total, snap.Counts, status, errText); err != nil {
		r.log.Error("job run end not recorded", "job", name, "run", id, "error", err)
	}
}

// safely runs the job, turning a panic into an error for the run record.
func (r *Runner) safely(ctx context.Context, job Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("job panicked", "job", job.Name(), "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("the job crashed: %v", p)
		}
	}()
	return job.Run(ctx)
}

func (r *Runner) writeProgress(ctx context.Context, id int64, t *Tracker) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(progressEvery)
		defer tick.Stop()
		var last Snapshot
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if s := t.Snapshot(); s.Done != last.Done || s.Total != last.Total {
					last = s
					if err := r.rec.UpdateJobRun(ctx, id, s.Done, s.Total, s.Counts); err != nil {
						r.log.Warn("job progress not recorded", "run", id, "error", err)
					}
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

// Start begins running scheduled jobs.
func (r *Runner) Start() { r.cron.Start() }

// Stop stops scheduling, cancels running jobs and waits for them to end or
// for ctx to, whichever comes first.
func (r *Runner) Stop(ctx context.Context) {
	r.cron.Stop()
	r.stop()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		r.log.Warn("jobs still running at shutdown")
	}
}
