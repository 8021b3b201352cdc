// Package journal is Steward's write-ahead log for ingested traffic: an
// append-only run of segment files in one directory, written by a single
// goroutine that group-commits every pending record with one write and one
// fdatasync. Append returns only once its record is durable, so an ingest
// handler may acknowledge an event as soon as Append returns nil. A consumer
// in the same process reads durable records with ReadFrom and stores the
// Position it reached in the same transaction as what it derived from them.
//
// Delivery is at least once: a record whose Append returned a context error
// may still have been written, and a client that retries adds it again.
//
// On disk a segment is a sequence of records, each framed as
//
//	length   uint32, little-endian: payload bytes (at most MaxRecordSize)
//	checksum uint32, little-endian: CRC-32C of the 4 length bytes and the payload
//	payload  length bytes
//
// with no file header. Segments are named by a 12-digit sequence number
// (000000000001.log), only ever appended to, cut back to their last whole
// record when Open finds a torn tail, and deleted whole by Truncate.
package journal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
)

const (
	// RecordOverhead is the framing each record adds to its payload: a
	// 4-byte length and a 4-byte CRC-32C.
	RecordOverhead = 8
	// MaxRecordSize is the largest payload Append accepts; a larger one is
	// ErrRecordTooLarge.
	MaxRecordSize = 1 << 20
	// MaxBatchBytes bounds one group commit (framing included). The writer
	// never has more than one unsynced write, so a torn tail is at most this
	// long: Open repairs damage within the last MaxBatchBytes of the last
	// segment and reports damage further back as corruption.
	MaxBatchBytes = 4 << 20
	// DefaultSegmentSize is the size past which the writer starts a new
	// segment when Options.SegmentSize is zero.
	DefaultSegmentSize = 64 << 20
	// DefaultMaxPending is how many records may wait for the disk when
	// Options.MaxPending is zero: about 8 s of the 6,000 events/s target.
	DefaultMaxPending = 50_000
	// DefaultMaxPendingBytes is how many bytes (framing included) may wait
	// for the disk when Options.MaxPendingBytes is zero.
	DefaultMaxPendingBytes = 64 << 20
)

var (
	// ErrOverCapacity means the queue of records waiting for the disk is
	// full; nothing was written. The caller should answer 429 with
	// Retry-After rather than wait.
	ErrOverCapacity = errors.New("journal: over capacity")
	// ErrBatchTooLarge means a batch holds more records or bytes than the
	// journal ever queues at once, so retrying cannot help.
	ErrBatchTooLarge = errors.New("journal: batch larger than the journal's capacity")
	// ErrRecordTooLarge means a payload is longer than MaxRecordSize.
	ErrRecordTooLarge = errors.New("journal: record too large")
	// ErrClosed means the journal was closed.
	ErrClosed = errors.New("journal: closed")
	// ErrCorrupt means a record's length or checksum does not check out
	// where it cannot be a torn tail; the error names the file and offset.
	ErrCorrupt = errors.New("journal: corrupt record")
	// ErrTruncated means a position lies in a segment Truncate has deleted.
	ErrTruncated = errors.New("journal: position is before the oldest retained segment")
)

// Options tune a journal; the zero value is usable.
type Options struct {
	// SegmentSize is the size past which the writer starts a new segment
	// (DefaultSegmentSize when zero). A single commit larger than it still
	// goes into one segment.
	SegmentSize int64
	// MaxPending is how many records may wait for the disk before Append
	// answers ErrOverCapacity (DefaultMaxPending when zero).
	MaxPending int
	// MaxPendingBytes is how many bytes, framing included, may wait for the
	// disk before Append answers ErrOverCapacity (DefaultMaxPendingBytes
	// when zero). Keep it above MaxRecordSize+RecordOverhead or the largest
	// records are ErrBatchTooLarge.
	MaxPendingBytes int64
	// Log receives torn-tail repairs and write failures; nil discards them.
	Log *slog.Logger

	// beforeSync runs in the writer between a commit's write and its
	// fdatasync; tests use it to hold records in flight.
	beforeSync func()
}

func (o Options) withDefaults() (Options, error) {
	if o.SegmentSize < 0 || o.MaxPending < 0 || o.MaxPendingBytes < 0 {
		return o, errors.New("journal: negative option")
	}
	if o.SegmentSize == 0 {
		o.SegmentSize = DefaultSegmentSize
	}
	if o.MaxPending == 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.MaxPendingBytes == 0 {
		o.MaxPendingBytes = DefaultMaxPendingBytes
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// Journal is an open journal directory. Its methods are safe for concurrent
// use; one process at a time may hold a directory open.
type Journal struct {
	dir  string
	opts Options
	lock *os.File // holds the directory lock until Close

	// Owned by the writer goroutine once Open returns.
	f    *os.File
	seg  uint64
	size int64

	writerDone chan struct{}

	mu   sync.Mutex
	cond *sync.Cond // the writer waits here for work or Close
	// queue holds the groups the writer has not taken yet; appends join the
	// last one while it has room.
	queue        []*group
	spare        [][]byte // commit buffers to reuse
	pending      int
	pendingBytes int64
	closed       bool
	failed       error // sticky: after a failed write or fdatasync nothing is trusted
	segments     []uint64
	durable      Position // end of the records known to be on disk
	appended     uint64
	fsyncs       uint64
	bytes        uint64
}

// group is the records one commit writes: framed back to back in buf, so the
// writer hands buf to a single write().
type group struct {
	buf     []byte
	records int
	done    chan struct{} // closed once err is set
	err     error
}

// sparesKept bounds how many commit buffers the journal keeps for reuse.
const sparesKept = 4

// Open opens the journal in dir, creating the directory and a first segment
// if needed, and starts its writer. A torn tail in the last segment (the
// remains of a write the process did not live to sync) is cut off and
// logged; damage further back is an error wrapping ErrCorrupt.
func Open(dir string, opts Options) (*Journal, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	j := &Journal{dir: dir, opts: opts, lock: lock, writerDone: make(chan struct{})}
	j.cond = sync.NewCond(&j.mu)
	if err := j.openTail(); err != nil {
		unlockDir(lock)
		return nil, err
	}
	go j.run()
	return j, nil
}

// openTail lists the segments and opens the last one for appending, creating
// the first segment in an empty directory.
func (j *Journal) openTail() error {
	segs, err := listSegments(j.dir)
	if err != nil {
		return err
	}
	if len(segs) == 0 {
		f, err := createSegment(j.dir, 1)
		if err != nil {
			return err
		}
		j.f, j.seg, j.size = f, 1, 0
		j.segments = []uint64{1}
	} else {
		last := segs[len(segs)-1]
		f, size, err := openLastSegment(segmentPath(j.dir, last), j.opts.Log)
		if err != nil {
			return err
		}
		j.f, j.seg, j.size = f, last, size
		j.segments = segs
	}
	j.durable = Position{Segment: j.seg, Offset: j.size}
	return nil
}

// Append writes payload as one record and returns once it is durable. It
// returns ErrOverCapacity at once when too much is already waiting for the
// disk, and ctx.Err() if ctx ends first, in which case the record may still
// be written. Append copies payload before it returns.
func (j *Journal) Append(ctx context.Context, payload []byte) error {
	return j.AppendBatch(ctx, [][]byte{payload})
}

// AppendBatch writes each payload as a record and returns once all of them
// are durable; a batch waits for the disk once. It is accepted or refused
// whole (ErrOverCapacity, ErrBatchTooLarge, ErrRecordTooLarge), but if ctx
// ends or the process dies while it waits, any part of it may be on disk.
func (j *Journal) AppendBatch(ctx context.Context, payloads [][]byte) error {
	if len(payloads) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var total int64
	for _, p := range payloads {
		if len(p) > MaxRecordSize {
			return fmt.Errorf("%w: %d bytes, limit %d", ErrRecordTooLarge, len(p), MaxRecordSize)
		}
		total += int64(RecordOverhead + len(p))
	}
	if len(payloads) > j.opts.MaxPending || total > j.opts.MaxPendingBytes {
		return fmt.Errorf("%w: %d records, %d bytes", ErrBatchTooLarge, len(payloads), total)
	}

	// Checksums are computed before taking the lock that every appender and
	// the writer share; only the copy into the commit buffer happens under it.
	var small [8]uint32
	sums := small[:0]
	if len(payloads) > len(small) {
		sums = make([]uint32, 0, len(payloads))
	}
	for _, p := range payloads {
		sums = append(sums, recordChecksum(p))
	}

	j.mu.Lock()
	switch {
	case j.closed:
		j.mu.Unlock()
		return ErrClosed
	case j.failed != nil:
		err := j.failed
		j.mu.Unlock()
		return err
	case j.pending+len(payloads) > j.opts.MaxPending || j.pendingBytes+total > j.opts.MaxPendingBytes:
		j.mu.Unlock()
		return ErrOverCapacity
	}
	var g *group
	if n := len(j.queue); n > 0 {
		g = j.queue[n-1]
	}
	for i, p := range payloads {
		if g == nil || len(g.buf)+RecordOverhead+len(p) > MaxBatchBytes {
			g = j.newGroupLocked()
		}
		g.buf = appendRecord(g.buf, p, sums[i])
		g.records++
	}
	j.pending += len(payloads)
	j.pendingBytes += total
	j.cond.Signal()
	j.mu.Unlock()

	// Groups commit in order and a failure is sticky, so the last group
	// this batch touched speaks for all of it.
	select {
	case <-g.done:
		return g.err
	case <-ctx.Done():
		select {
		case <-g.done:
			return g.err
		default:
			return ctx.Err()
		}
	}
}

func (j *Journal) newGroupLocked() *group {
	g := &group{done: make(chan struct{})}
	if n := len(j.spare); n > 0 {
		g.buf = j.spare[n-1]
		j.spare = j.spare[:n-1]
	} else {
		g.buf = make([]byte, 0, 64<<10)
	}
	j.queue = append(j.queue, g)
	return g
}

// Stats is a snapshot of a journal's counters, for metrics.
type Stats struct {
	// Pending is how many records are accepted but not yet durable.
	Pending int
	// PendingBytes is their size, framing included.
	PendingBytes int64
	// Appended is how many records became durable since Open.
	Appended uint64
	// Fsyncs is how many group commits (one fdatasync each) ran since Open.
	Fsyncs uint64
	// Bytes is how many bytes, framing included, became durable since Open.
	Bytes uint64
	// Segments is how many segment files the journal holds.
	Segments int
}

// Stats returns the journal's current counters.
func (j *Journal) Stats() Stats {
	j.mu.Lock()
	defer j.mu.Unlock()
	return Stats{
		Pending:      j.pending,
		PendingBytes: j.pendingBytes,
		Appended:     j.appended,
		Fsyncs:       j.fsyncs,
		Bytes:        j.bytes,
		Segments:     len(j.segments),
	}
}

// Close refuses further appends, waits until every accepted record is
// durable (or has failed), and closes the files. It returns the error that
// stopped the writer, if one did. Calling Close again returns nil.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		<-j.writerDone
		return nil
	}
	j.closed = true
	j.cond.Signal()
	j.mu.Unlock()
	<-j.writerDone

	j.mu.Lock()
	err := j.failed
	j.mu.Unlock()
	if cerr := j.f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("journal: close %s: %w", j.f.Name(), cerr)
	}
	unlockDir(j.lock)
	return err
}
