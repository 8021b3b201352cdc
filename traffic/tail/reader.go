package tail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// MaxLineBytes is the default longest line a Reader returns; longer lines
// are skipped whole and counted (see Reader.Skipped). Kong entries with
// many headers run to tens of KB; nothing legitimate comes near this.
const MaxLineBytes = 256 << 10

// readChunk is how much a Reader asks the file for at a time.
const readChunk = 64 << 10

// Position is where a Reader stands in a log: the file's identity (device
// and inode on Unix; zero elsewhere) and the offset of the first byte not
// yet returned. Callers store it, for example in a database row, and pass
// it to Open after a restart. The zero Position means the start of
// whatever file is at the path.
type Position struct {
	Device uint64 `json:"device"`
	Inode  uint64 `json:"inode"`
	Offset int64  `json:"offset"`
}

// fileID is a file's identity, which a rename does not change.
type fileID struct{ dev, ino uint64 }

// Reader returns the complete lines appended to a log file. It is not
// safe for concurrent use.
type Reader struct {
	// MaxLine is the longest line returned; 0 means MaxLineBytes. Set it
	// before the first ReadLines.
	MaxLine int

	path string
	f    *os.File
	id   fileID
	// off is the file offset of buf[0]: everything before it has been
	// returned or skipped.
	off     int64
	buf     []byte // read from f, not yet returned
	data    []byte // buf's backing array
	scanned int    // buf[:scanned] holds no newline
	// skipping is set while the rest of a too-long line is dropped;
	// skipFrom is where that line began.
	skipping bool
	skipFrom int64
	skipped  int
	// drainedTo is where the last extra read of a rotated file began.
	drainedTo int64
}

// Open opens the log at path to read from pos. When pos names the file
// now at path, reading resumes at pos.Offset, or at 0 if the file is now
// shorter (it was truncated in place: copytruncate). When pos names
// another file, the log was rotated by rename while Steward was away: Open
// looks for that file in path's directory, under any name, and reads the
// rest of it first; if it is gone, reading starts at the beginning of the
// file at path. The error wraps fs.ErrNotExist when there is nothing to
// read at all.
func Open(path string, pos Position) (*Reader, error) {
	r := &Reader{path: path}
	want := fileID{dev: pos.Device, ino: pos.Inode}
	f, id, size, err := openFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err == nil && (want == (fileID{}) || id == want) {
		r.use(f, id, pos.Offset, size)
		return r, nil
	}
	if want != (fileID{}) {
		if old, oldSize, ok := findByID(path, want); ok {
			if f != nil {
				f.Close()
			}
			r.use(old, want, pos.Offset, oldSize)
			return r, nil
		}
	}
	if err != nil {
		return nil, err
	}
	r.use(f, id, 0, size)
	return r, nil
}

// openFile opens name and returns it with its identity and size.
func openFile(name string) (*os.File, fileID, int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fileID{}, 0, fmt.Errorf("tail: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fileID{}, 0, fmt.Errorf("tail: %w", err)
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fileID{}, 0, fmt.Errorf("tail: %s is not a regular file", name)
	}
	return f, idOf(info), info.Size(), nil
}

// findByID opens the file in path's directory whose identity is want: the
// log as it was before a rename.
func findByID(path string, want fileID) (*os.File, int64, bool) {
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, false
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || idOf(info) != want {
			continue
		}
		f, id, size, err := openFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		if id != want {
			f.Close()
			continue
		}
		return f, size, true
	}
	return nil, 0, false
}

// use makes f the file being read, from off (from 0 when the file is
// shorter than off).
func (r *Reader) use(f *os.File, id fileID, off, size int64) {
	if off < 0 || off > size {
		off = 0
	}
	r.f, r.id, r.off, r.drainedTo = f, id, off, -1
	r.buf, r.scanned, r.skipping = r.buf[:0], 0, false
	if off > 0 {
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			r.off = 0
		}
	}
}

// Close closes the file being read.
func (r *Reader) Close() error {
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// Skipped returns how many lines this Reader has dropped: lines longer
// than MaxLine, and unterminated last lines of a file it left behind
// (rotated away or truncated).
func (r *Reader) Skipped() int { return r.skipped }

// ReadLines calls fn with each complete line appended since the last
// call, in order, at most max lines (no limit when max <= 0). The line
// (without its "\n" or "\r\n") is valid only during the call. A partial
// last line waits for its newline. At the end of the file, ReadLines
// checks the path: if a new file is there (rotation by rename), it has
// just drained the old one and goes on with the new one from its start;
// if the file is shorter than what was read (copytruncate), it starts
// again at 0.
//
// It returns the position after the last line fn accepted and how many
// lines fn accepted. If fn returns an error, ReadLines stops and returns
// it; that line will be passed again. The position is always valid to
// save, with or without an error. When the path no longer exists and the
// old file is drained, the error wraps fs.ErrNotExist; reading goes on
// once a file is back at the path.
func (r *Reader) ReadLines(max int, fn func(line []byte) error) (Position, int, error) {
	if r.f == nil {
		return r.pos(), 0, errors.New("tail: reader is closed")
	}
	n := 0
	for max <= 0 || n < max {
		line, ok, err := r.next()
		if err != nil {
			return r.pos(), n, err
		}
		if !ok {
			moved, err := r.atEnd()
			if err != nil {
				return r.pos(), n, err
			}
			if !moved {
				break
			}
			continue
		}
		if err := fn(bytes.TrimSuffix(line, []byte("\r"))); err != nil {
			return r.pos(), n, err
		}
		r.drop(len(line) + 1)
		n++
	}
	return r.pos(), n, nil
}

// pos is the position to resume from: while a long line is being
// skipped, its start, so a restart skips it again rather than reading its
// tail as a line.
func (r *Reader) pos() Position {
	off := r.off
	if r.skipping {
		off = r.skipFrom
	}
	return Position{Device: r.id.dev, Inode: r.id.ino, Offset: off}
}

func (r *Reader) maxLine() int {
	if r.MaxLine > 0 {
		return r.MaxLine
	}
	return MaxLineBytes
}

// next returns the next complete line in buf, reading more as needed and
// dropping lines that are too long; false at the end of the file.
func (r *Reader) next() ([]byte, bool, error) {
	for {
		if i := bytes.IndexByte(r.buf[r.scanned:], '\n'); i >= 0 {
			end := r.scanned + i
			if r.skipping || end > r.maxLine() {
				if !r.skipping {
					r.skipFrom = r.off
				}
				r.drop(end + 1)
				r.skipping = false
				r.skipped++
				continue
			}
			return r.buf[:end], true, nil
		}
		r.scanned = len(r.buf)
		if len(r.buf) > r.maxLine() {
			if !r.skipping {
				r.skipping, r.skipFrom = true, r.off
			}
			r.drop(len(r.buf))
		}
		if err := r.fill(); err == io.EOF {
			return nil, false, nil
		} else if err != nil {
			return nil, false, fmt.Errorf("tail: reading %s: %w", r.path, err)
		}
	}
}

// drop discards the first n bytes of buf.
func (r *Reader) drop(n int) {
	r.buf = r.buf[n:]
	r.off += int64(n)
	r.scanned = max(r.scanned-n, 0)
}

// fill appends what the file has next to buf; io.EOF when nothing.
func (r *Reader) fill() error {
	if cap(r.buf)-len(r.buf) < readChunk {
		need := len(r.buf) + readChunk
		if cap(r.data) < need {
			r.data = make([]byte, 2*need)
		}
		r.buf = r.data[:copy(r.data, r.buf)]
	}
	n, err := r.f.Read(r.buf[len(r.buf):cap(r.buf)])
	r.buf = r.buf[:len(r.buf)+n]
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.EOF
	}
	return err
}

// atEnd handles reaching the end of the file: it reports whether reading
// should go on, from a new file at the path or from the start of a
// truncated one.
func (r *Reader) atEnd() (bool, error) {
	info, err := os.Stat(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("tail: %s is gone (rotated away or deleted) and no new file is there yet: %w", r.path, err)
	}
	if err != nil {
		return false, fmt.Errorf("tail: %w", err)
	}
	if idOf(info) == r.id {
		if info.Size() >= r.off+int64(len(r.buf)) {
			return false, nil
		}
		// Truncated in place; what was buffered belonged to the old content.
		r.leave()
		if _, err := r.f.Seek(0, io.SeekStart); err != nil {
			return false, fmt.Errorf("tail: %w", err)
		}
		r.use(r.f, r.id, 0, info.Size())
		return true, nil
	}
	// Another file is at the path: ours was rotated away. The writer may
	// have added to it since we hit its end; take that first.
	// (Once per position, so a file that claims more than it yields
	// cannot keep us here.)
	end := r.off + int64(len(r.buf))
	if cur, err := r.f.Stat(); err == nil && cur.Size() > end && end != r.drainedTo {
		r.drainedTo = end
		return true, nil
	}
	f, id, size, err := openFile(r.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	r.leave()
	r.f.Close()
	r.use(f, id, 0, size)
	return true, nil
}

// leave counts an unterminated last line the Reader is leaving behind.
func (r *Reader) leave() {
	if len(r.buf) > 0 || r.skipping {
		r.skipped++
	}
}
