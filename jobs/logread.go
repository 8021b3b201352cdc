package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/traffic"
	"github.com/steward-governance/steward/traffic/ingest"
	"github.com/steward-governance/steward/traffic/journal"
	"github.com/steward-governance/steward/traffic/tail"
)

// PulledSourceStore is what the jobs that pull sources (log files, gateway
// configuration) need to find their sources and record each read.
type PulledSourceStore interface {
	Sources(ctx context.Context) ([]models.Source, error)
	RecordSourceRead(ctx context.Context, id int64, r models.SourceRead) error
}

// JournalAppender is the part of the ingest journal a log read writes to;
// *journal.Journal implements it.
type JournalAppender interface {
	AppendBatch(ctx context.Context, payloads [][]byte) error
}

// Backoff of a pulled source that fails: it waits FirstSourceBackoff after
// its first failure in a row, twice as long after each further one, never
// more than MaxSourceBackoff (1, 2, 4 … 32 minutes, then an hour). A
// success resets it. Runs in the meantime skip the source.
const (
	FirstSourceBackoff = time.Minute
	MaxSourceBackoff   = time.Hour
)

// SourceBackoff returns how long a source waits after its nth failure in a
// row (n = 1 for the first).
func SourceBackoff(n int) time.Duration {
	d := FirstSourceBackoff
	for i := 1; i < n && d < MaxSourceBackoff; i++ {
		d *= 2
	}
	return min(d, MaxSourceBackoff)
}

// DefaultLogReadLines is how many lines a run reads from one log at most
// when LogRead.MaxLines is zero. At the default schedule of a run a minute
// that keeps up with about 3,000 requests/s per log; a busier log, or a
// backlog found when a source is added, is read over the following runs,
// and a run never holds the job for long.
const DefaultLogReadLines = 200_000

// logAppendChunk is how many events go to the journal per AppendBatch: one
// disk sync per chunk, and the position saved never runs ahead of it.
const logAppendChunk = 1000

// badLinesLogged is how many unparseable lines a run explains in the log
// per source; the rest are only counted.
const badLinesLogged = 3

// logFormats maps log source kinds to their ingest parser.
var logFormats = map[traffic.SourceKind]string{
	traffic.KindNginxLog: "nginx",
	traffic.KindKongLog:  "kong",
	traffic.KindEnvoyLog: "envoy",
}

// LogRead reads the access logs of the enabled log sources (nginx, Kong
// http-log and Envoy JSON) from where the last run stopped, turns each line
// into an event and appends it to this replica's ingest journal, which the
// rollup job drains. The file position is stored with the source, so a
// restart reads on and a rotated log is finished before the new one is
// started (see package tail).
//
// A read is recorded only once its events are durable in the journal: a
// crash in between reads the lines again (at least once, as the journal
// promises). Lines that do not parse are counted and skipped, never fatal.
// A source that cannot be read records the reason and backs off (see
// SourceBackoff) while the others go on; the run then fails naming it.
type LogRead struct {
	Store   PulledSourceStore
	Journal JournalAppender
	// Hasher turns callers' identities into consumer hashes, keyed as the
	// ingest endpoints key them so a caller counts once across sources.
	Hasher ingest.Hasher
	Log    *slog.Logger
	// MaxLines bounds the lines read from one source per run;
	// DefaultLogReadLines when zero.
	MaxLines int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Name names the job.
func (j *LogRead) Name() string { return "log-read" }

// Run reads every due log source once.
func (j *LogRead) Run(ctx context.Context) error {
	srcs, err := j.Store.Sources(ctx)
	if err != nil {
		return fmt.Errorf("log read: list sources: %w", err)
	}
	due := dueSources(ctx, srcs, clock(j.Now)(), traffic.SourceKind.LogFile)
	progress := Progress(ctx)
	progress.SetTotal(int64(len(due)))
	var failed []string
	for _, src := range due {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := j.read(ctx, src); err != nil {
			failed = append(failed, src.Name+": "+err.Error())
			progress.Count("failed sources", 1)
		}
		progress.Advance(1)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return sourcesFailed("log", failed, len(due))
}

// logTally is what one round of reading found.
type logTally struct {
	payloads    [][]byte
	bad         int
	first, last time.Time
}

// read reads one source and records the outcome; the error is the reason
// it failed, already recorded.
func (j *LogRead) read(ctx context.Context, src models.Source) error {
	log := logger(j.Log).With("source", src.Name, "source_id", src.ID)
	parse, _ := ingest.ParserFor(logFormats[src.Kind])
	path := src.ParsedSettings().Path
	if path == "" {
		return j.fail(ctx, src, errors.New("no log file is set: give the log file's path on the sources page"))
	}
	start := tail.Position{}
	if src.Position != "" {
		if err := json.Unmarshal([]byte(src.Position), &start); err != nil {
			// Only this job writes positions; rather than stop reading for
			// good, read the file again from its start.
			log.Warn("log read: stored position is damaged; reading the log from its start", "position", src.Position, "error", err)
			start = tail.Position{}
		}
	}
	r, err := tail.Open(path, start)
	if err != nil {
		return j.fail(ctx, src, openFailure(path, err))
	}
	defer r.Close()

	maxLines := j.MaxLines
	if maxLines <= 0 {
		maxLines = DefaultLogReadLines
	}
	progress := Progress(ctx)
	var (
		saved       = start // the lines before it are all in the journal
		moved       bool
		lines       int
		events      int64
		bad         int
		first, last time.Time
		caughtUp    bool
		readErr     error
	)
	for lines < maxLines && ctx.Err() == nil {
		want := min(logAppendChunk, maxLines-lines)
		var t logTally
		pos, n, err := r.ReadLines(want, func(line []byte) error {
			e, perr := parse(line, j.Hasher)
			if perr != nil {
				if t.bad+bad < badLinesLogged {
					log.Warn("log read: skipped a line that does not parse", "path", path, "reason", perr)
				}
				t.bad++
				return nil
			}
			t.payloads = append(t.payloads, journal.EncodeEvent(nil, src.ID, &e))
			t.first, t.last = earlier(t.first, e.Time), later(t.last, e.Time)
			return nil
		})
		if aerr := appendDurably(ctx, j.Journal, t.payloads); aerr != nil {
			// This round's events may not be on disk: keep the position
			// before them so the next run reads them again.
			readErr = fmt.Errorf("the events could not be written to the ingest journal: %w", aerr)
			break
		}
		lines += n
		events += int64(len(t.payloads))
		bad += t.bad
		first, last = earlier(first, t.first), later(last, t.last)
		saved, moved = pos, moved || n > 0 || pos != start
		if err != nil {
			readErr = readFailure(path, err)
			break
		}
		if n < want {
			caughtUp = true
			break
		}
	}
	if skipped := r.Skipped(); skipped > 0 {
		log.Warn("log read: skipped lines longer than the limit or left unfinished in a rotated log", "path", path, "lines", skipped, "limit_bytes", tail.MaxLineBytes)
		bad += skipped
	}
	if bad > badLinesLogged {
		log.Warn("log read: more lines did not parse", "path", path, "bad_lines", bad)
	}
	progress.Count("lines", int64(lines))
	progress.Count("events", events)
	progress.Count("bad lines", int64(bad))

	// A run cancelled at shutdown keeps what it read but is no failure of
	// the source.
	cancelled := ctx.Err()
	if moved || (readErr == nil && cancelled == nil) {
		// The coverage: a log read to its end holds every request up to
		// now, so an idle log still extends it, telling "no traffic" from
		// "no data". A read stopped early (by the line limit, a failure or
		// shutdown) vouches only for the events it read.
		from, to := first, last
		if caughtUp && readErr == nil {
			now := clock(j.Now)().UTC()
			if from.IsZero() {
				from = now
			}
			to = now
		}
		b, _ := json.Marshal(saved)
		// Events stays 0: the rollup adds the events to events_total when it
		// folds them in from the journal; counting here too would count
		// each twice.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := j.Store.RecordSourceRead(rctx, src.ID, models.SourceRead{Position: string(b), From: from, To: to}); err != nil {
			return fmt.Errorf("recording the read position failed: %w", err)
		}
		// Recording the progress reset the failures in a row.
		src.Failures = 0
	}
	if cancelled != nil {
		return cancelled
	}
	if readErr != nil {
		return j.fail(ctx, src, readErr)
	}
	return nil
}

// fail records reason as the source's failure with its backoff and
// returns it.
func (j *LogRead) fail(ctx context.Context, src models.Source, reason error) error {
	return recordFailure(ctx, j.Store, logger(j.Log), src, reason)
}

// openFailure explains why a log file cannot be opened, with what to do.
func openFailure(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the log file %s does not exist: check the path, and that the gateway's access_log writes there on this host", path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("Steward may not read the log file %s: give the user Steward runs as read access to it and its folder", path)
	}
	return fmt.Errorf("the log file %s cannot be read: %v", path, strings.TrimPrefix(err.Error(), "tail: "))
}

// readFailure explains why reading stopped part-way.
func readFailure(path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the log file %s is gone (rotated away or deleted) and no new one is there yet; what was written before is read", path)
	}
	return fmt.Errorf("reading the log file %s failed: %v", path, strings.TrimPrefix(err.Error(), "tail: "))
}

// appendDurably writes payloads to the journal in one batch, waiting out a
// journal that is briefly over capacity (ingest bursts) for up to about
// 15 s.
func appendDurably(ctx context.Context, jr JournalAppender, payloads [][]byte) error {
	wait := 100 * time.Millisecond
	for tries := 0; ; tries++ {
		err := jr.AppendBatch(ctx, payloads)
		if !errors.Is(err, journal.ErrOverCapacity) || tries == 8 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// dueSources picks the enabled sources of the kinds wanted whose backoff
// has passed, counting the ones still waiting.
func dueSources(ctx context.Context, srcs []models.Source, now time.Time, kind func(traffic.SourceKind) bool) []models.Source {
	var due []models.Source
	for _, s := range srcs {
		if !s.Enabled || !kind(s.Kind) {
			continue
		}
		if s.RetryAt != nil && s.RetryAt.After(now) {
			Progress(ctx).Count("sources backing off", 1)
			continue
		}
		due = append(due, s)
	}
	return due
}

// recordFailure stores a source's failure with its next backoff and
// returns the reason.
func recordFailure(ctx context.Context, store PulledSourceStore, log *slog.Logger, src models.Source, reason error) error {
	backoff := SourceBackoff(src.Failures + 1)
	log.Warn("source read failed", "source", src.Name, "source_id", src.ID, "error", reason, "retry_in", backoff)
	// The failure is recorded even when the run is being cancelled.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := store.RecordSourceRead(rctx, src.ID, models.SourceRead{Err: reason, Backoff: backoff}); err != nil {
		return fmt.Errorf("%w (and recording the failure failed: %v)", reason, err)
	}
	return reason
}

// sourcesFailed sums up a run's failed sources as its error.
func sourcesFailed(what string, failed []string, of int) error {
	if len(failed) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d %s sources failed; each retries after its backoff: %s", len(failed), of, what, strings.Join(failed, "; "))
}

func clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
