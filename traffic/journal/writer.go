package journal

import (
	"fmt"
	"os"
)

// run is the writer: it takes the oldest group, writes it with one write()
// and one fdatasync, and releases everyone waiting on it. While it waits for
// the disk, new appends collect in the next group, so the batch size follows
// the disk's latency: group commit.
func (j *Journal) run() {
	defer close(j.writerDone)
	for {
		j.mu.Lock()
		for len(j.queue) == 0 && !j.closed {
			j.cond.Wait()
		}
		if len(j.queue) == 0 {
			j.mu.Unlock()
			return
		}
		g := j.queue[0]
		j.queue[0] = nil
		j.queue = j.queue[1:]
		err := j.failed
		j.mu.Unlock()

		if err == nil {
			err = j.commit(g.buf)
		}

		j.mu.Lock()
		j.pending -= g.records
		j.pendingBytes -= int64(len(g.buf))
		if err == nil {
			j.appended += uint64(g.records)
			j.fsyncs++
			j.bytes += uint64(len(g.buf))
			j.durable = Position{Segment: j.seg, Offset: j.size}
		} else if j.failed == nil {
			// After a failed write or fdatasync the kernel may have dropped
			// the dirty pages, so a later fdatasync that succeeds proves
			// nothing: stop accepting records until the process reopens.
			j.failed = err
			j.opts.Log.Error("journal: writer stopped", "dir", j.dir, "error", err)
		}
		if len(j.spare) < sparesKept && cap(g.buf) <= 2*MaxBatchBytes {
			j.spare = append(j.spare, g.buf[:0])
		}
		g.buf = nil
		j.mu.Unlock()

		g.err = err
		close(g.done)
	}
}

// commit makes buf durable at the end of the current segment, starting a new
// segment first when buf would take the current one past SegmentSize.
func (j *Journal) commit(buf []byte) error {
	if j.size > 0 && j.size+int64(len(buf)) > j.opts.SegmentSize {
		if err := j.rotate(); err != nil {
			return err
		}
	}
	if _, err := j.f.Write(buf); err != nil {
		return fmt.Errorf("journal: write %s: %w", j.f.Name(), err)
	}
	if j.opts.beforeSync != nil {
		j.opts.beforeSync()
	}
	if err := fdatasync(j.f); err != nil {
		return fmt.Errorf("journal: fdatasync %s: %w", j.f.Name(), err)
	}
	j.size += int64(len(buf))
	return nil
}

// rotate starts the next segment. The current one is already durable (every
// commit syncs), so a crash can only ever tear the last segment.
func (j *Journal) rotate() error {
	next := j.seg + 1
	f, err := createSegment(j.dir, next)
	if err != nil {
		return err
	}
	old := j.f
	j.f, j.seg, j.size = f, next, 0
	j.mu.Lock()
	j.segments = append(j.segments, next)
	j.durable = Position{Segment: next}
	j.mu.Unlock()
	if err := old.Close(); err != nil {
		j.opts.Log.Warn("journal: close segment", "file", old.Name(), "error", err)
	}
	return nil
}

// createSegment creates segment n and syncs the directory, so that records
// acknowledged in it cannot vanish with a lost directory entry.
func createSegment(dir string, n uint64) (*os.File, error) {
	f, err := os.OpenFile(segmentPath(dir, n), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("journal: sync %s: %w", dir, err)
	}
	return nil
}
