package journal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// ReadFrom calls fn with the payload of each durable record from pos on, in
// order and across segments, until it has read maxRecords records or reached
// the durable end. The payload is only valid during the call. It returns the
// position after the last record fn accepted (store it to resume there) and
// how many fn accepted. When fn returns an error, ReadFrom stops and returns
// it with the position of the record fn refused. A position inside a deleted
// segment is ErrTruncated; a damaged record is ErrCorrupt.
func (j *Journal) ReadFrom(pos Position, maxRecords int, fn func(payload []byte) error) (next Position, n int, err error) {
	j.mu.Lock()
	segs := slices.Clone(j.segments)
	durable := j.durable
	j.mu.Unlock()

	if pos.Segment == 0 && pos.Offset == 0 {
		pos = Position{Segment: segs[0]}
	}
	i, found := slices.BinarySearch(segs, pos.Segment)
	switch {
	case found:
	case pos.Segment < segs[0]:
		return pos, 0, fmt.Errorf("%w: %v, oldest segment %d", ErrTruncated, pos, segs[0])
	default:
		return pos, 0, fmt.Errorf("journal: position %v: no such segment", pos)
	}

	for n < maxRecords {
		seg := segs[i]
		path := segmentPath(j.dir, seg)
		f, err := os.Open(path)
		if err != nil {
			return pos, n, fmt.Errorf("journal: %w", err)
		}
		limit := durable.Offset
		if seg != durable.Segment {
			// Segments before the active one were synced whole before it
			// was created.
			fi, err := f.Stat()
			if err != nil {
				f.Close()
				return pos, n, fmt.Errorf("journal: %w", err)
			}
			limit = fi.Size()
		}
		if pos.Offset > limit {
			f.Close()
			return pos, n, fmt.Errorf("journal: position %v: past the end of %s (%d bytes)", pos, path, limit)
		}
		rr := newRecordReader(f, pos.Offset, limit)
		for n < maxRecords {
			payload, err := rr.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				var bad badRecord
				if errors.As(err, &bad) {
					return pos, n, corruptAt(path, rr.off, err)
				}
				return pos, n, fmt.Errorf("journal: read %s: %w", path, err)
			}
			if err := fn(payload); err != nil {
				f.Close()
				return pos, n, err
			}
			n++
			pos.Offset = rr.off
		}
		f.Close()
		if n == maxRecords || seg == durable.Segment || i+1 == len(segs) {
			break
		}
		i++
		pos = Position{Segment: segs[i]}
	}
	return pos, n, nil
}

// Truncate deletes every segment that ends before pos: retention, once the
// consumer has stored a position past them. The segment being written is
// never deleted.
func (j *Journal) Truncate(before Position) error {
	j.mu.Lock()
	active := j.durable.Segment
	var doomed []uint64
	kept := j.segments[:0:0]
	for _, s := range j.segments {
		if s < before.Segment && s != active {
			doomed = append(doomed, s)
		} else {
			kept = append(kept, s)
		}
	}
	j.segments = kept
	j.mu.Unlock()

	// A segment that fails to go stays on disk and comes back on the next
	// Open, where the next Truncate deletes it.
	var errs []error
	for _, s := range doomed {
		if err := os.Remove(segmentPath(j.dir, s)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("journal: %w", err))
		}
	}
	return errors.Join(errs...)
}
