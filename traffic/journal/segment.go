package journal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// recordChecksum is the CRC-32C of a record's length bytes and payload;
// covering the length means a zeroed or garbled header never checks out.
func recordChecksum(payload []byte) uint32 {
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(payload)))
	return crc32.Update(crc32.Checksum(n[:], castagnoli), castagnoli, payload)
}

func appendRecord(dst, payload []byte, sum uint32) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, sum)
	return append(dst, payload...)
}

const segmentSuffix = ".log"

func segmentPath(dir string, n uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%012d%s", n, segmentSuffix))
}

// listSegments returns the segment numbers in dir in ascending order,
// ignoring every other file.
func listSegments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	var segs []uint64
	for _, e := range entries {
		digits, ok := strings.CutSuffix(e.Name(), segmentSuffix)
		if !ok || len(digits) != 12 || !e.Type().IsRegular() {
			continue
		}
		n, err := strconv.ParseUint(digits, 10, 64)
		if err != nil || n == 0 {
			continue
		}
		segs = append(segs, n)
	}
	slices.Sort(segs)
	return segs, nil
}

// badRecord says why the bytes at a record's offset are not a whole record.
type badRecord string

func (b badRecord) Error() string { return string(b) }

// recordReader reads records from a segment between two offsets.
type recordReader struct {
	r     *bufio.Reader
	off   int64 // offset of the next record
	limit int64 // end of the readable bytes
	hdr   [RecordOverhead]byte
	buf   []byte
}

func newRecordReader(f *os.File, off, limit int64) *recordReader {
	return &recordReader{
		r:     bufio.NewReaderSize(io.NewSectionReader(f, off, limit-off), 64<<10),
		off:   off,
		limit: limit,
	}
}

// next returns the payload of the record at rr.off, valid until the next
// call, and moves past it. It returns io.EOF exactly at the limit and a
// badRecord when the bytes there are not a whole record.
func (rr *recordReader) next() ([]byte, error) {
	rest := rr.limit - rr.off
	if rest == 0 {
		return nil, io.EOF
	}
	if rest < RecordOverhead {
		return nil, badRecord(fmt.Sprintf("incomplete header (%d bytes)", rest))
	}
	if _, err := io.ReadFull(rr.r, rr.hdr[:]); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint32(rr.hdr[0:4])
	if n > MaxRecordSize {
		return nil, badRecord(fmt.Sprintf("length %d over the %d limit", n, MaxRecordSize))
	}
	if int64(n) > rest-RecordOverhead {
		return nil, badRecord(fmt.Sprintf("incomplete payload (length %d, %d bytes left)", n, rest-RecordOverhead))
	}
	if cap(rr.buf) < int(n) {
		rr.buf = make([]byte, n, max(n, 4<<10))
	}
	payload := rr.buf[:n]
	if _, err := io.ReadFull(rr.r, payload); err != nil {
		return nil, err
	}
	if recordChecksum(payload) != binary.LittleEndian.Uint32(rr.hdr[4:8]) {
		return nil, badRecord("checksum mismatch")
	}
	rr.off += RecordOverhead + int64(n)
	return payload, nil
}

func corruptAt(path string, off int64, why error) error {
	return fmt.Errorf("%w: %s at offset %d: %v", ErrCorrupt, path, off, why)
}

// openLastSegment opens the last segment for appending after checking every
// record in it. The writer has at most one unsynced write, all of it in this
// segment, so a bad record within MaxBatchBytes of the end is the torn
// remains of that write: nobody was told it was durable, and the file is cut
// back to the last whole record. A bad record further back is corruption.
func openLastSegment(path string, log *slog.Logger) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("journal: %w", err)
	}
	fail := func(err error) (*os.File, int64, error) {
		f.Close()
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		return fail(fmt.Errorf("journal: %w", err))
	}
	size := fi.Size()
	rr := newRecordReader(f, 0, size)
	for {
		_, err := rr.next()
		if err == nil {
			continue
		}
		if err == io.EOF {
			break
		}
		var bad badRecord
		if !errors.As(err, &bad) {
			return fail(fmt.Errorf("journal: read %s: %w", path, err))
		}
		if size-rr.off > MaxBatchBytes {
			return fail(corruptAt(path, rr.off, err))
		}
		log.Warn("journal: cut torn tail", "file", path, "offset", rr.off, "bytes", size-rr.off, "reason", err.Error())
		if err := f.Truncate(rr.off); err != nil {
			return fail(fmt.Errorf("journal: truncate %s: %w", path, err))
		}
		if err := fdatasync(f); err != nil {
			return fail(fmt.Errorf("journal: fdatasync %s: %w", path, err))
		}
		break
	}
	if _, err := f.Seek(rr.off, io.SeekStart); err != nil {
		return fail(fmt.Errorf("journal: %w", err))
	}
	return f, rr.off, nil
}
