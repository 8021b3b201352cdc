package journal

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

func openJournal(t *testing.T, dir string, opts Options) *Journal {
	t.Helper()
	j, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func appendAll(t *testing.T, j *Journal, payloads [][]byte) {
	t.Helper()
	for _, p := range payloads {
		if err := j.Append(context.Background(), p); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
}

func readAll(t *testing.T, j *Journal, from Position) ([][]byte, Position) {
	t.Helper()
	var got [][]byte
	next, n, err := j.ReadFrom(from, math.MaxInt, func(p []byte) error {
		got = append(got, bytes.Clone(p))
		return nil
	})
	if err != nil {
		t.Fatalf("ReadFrom(%v): %v", from, err)
	}
	if n != len(got) {
		t.Fatalf("ReadFrom reported %d records, delivered %d", n, len(got))
	}
	return got, next
}

func payloads(prefix string, n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		p := fmt.Appendf(nil, "%s-%d-", prefix, i)
		for len(p) < size {
			p = append(p, byte('a'+i%26))
		}
		out[i] = p
	}
	return out
}

func sameRecords(t *testing.T, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("record %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func lastSegmentPath(t *testing.T, dir string) string {
	t.Helper()
	segs, err := listSegments(dir)
	if err != nil || len(segs) == 0 {
		t.Fatalf("listSegments: %v %v", segs, err)
	}
	return segmentPath(dir, segs[len(segs)-1])
}

func TestRoundTripAcrossSegmentsAndReopen(t *testing.T) {
	for _, tc := range []struct {
		name         string
		segmentSize  int64
		records      int
		size         int
		wantSegments bool // more than one segment
	}{
		{name: "one segment", records: 100, size: 100},
		{name: "rotates", segmentSize: 1 << 10, records: 200, size: 100, wantSegments: true},
		{name: "records larger than a segment", segmentSize: 16, records: 20, size: 300, wantSegments: true},
		{name: "empty payloads", records: 10, size: 0},
		{name: "largest record", segmentSize: MaxRecordSize, records: 3, size: MaxRecordSize, wantSegments: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{SegmentSize: tc.segmentSize}
			j := openJournal(t, dir, opts)
			first := payloads("first", tc.records, tc.size)
			if tc.size == 0 {
				first = make([][]byte, tc.records)
			}
			appendAll(t, j, first)
			got, end := readAll(t, j, Position{})
			sameRecords(t, got, first)
			if st := j.Stats(); (st.Segments > 1) != tc.wantSegments || st.Appended != uint64(tc.records) || st.Pending != 0 {
				t.Fatalf("Stats = %+v; want more than one segment: %v", st, tc.wantSegments)
			}
			if err := j.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}

			j = openJournal(t, dir, opts)
			second := payloads("second", tc.records, tc.size)
			appendAll(t, j, second)
			got, _ = readAll(t, j, Position{})
			sameRecords(t, got, append(slices.Clone(first), second...))
			got, _ = readAll(t, j, end)
			sameRecords(t, got, second)
		})
	}
}

func TestAppendConcurrentAndBatch(t *testing.T) {
	j := openJournal(t, t.TempDir(), Options{SegmentSize: 4 << 10})
	const workers, each = 32, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			batch := payloads(fmt.Sprintf("batch%d", w), 5, 20)
			if err := j.AppendBatch(context.Background(), batch); err != nil {
				t.Errorf("AppendBatch: %v", err)
			}
			for _, p := range payloads(fmt.Sprintf("w%d", w), each, 40) {
				if err := j.Append(context.Background(), p); err != nil {
					t.Errorf("Append: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, _ := readAll(t, j, Position{})
	seen := map[string]bool{}
	for _, p := range got {
		seen[string(p)] = true
	}
	for w := range workers {
		for _, p := range append(payloads(fmt.Sprintf("w%d", w), each, 40), payloads(fmt.Sprintf("batch%d", w), 5, 20)...) {
			if !seen[string(p)] {
				t.Fatalf("record %q missing", p)
			}
		}
	}
	if len(got) != workers*(each+5) {
		t.Fatalf("got %d records, want %d", len(got), workers*(each+5))
	}
	if st := j.Stats(); st.Fsyncs == 0 || st.Fsyncs > st.Appended || st.Bytes == 0 {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestReadFromResumesFromStoredPosition(t *testing.T) {
	j := openJournal(t, t.TempDir(), Options{SegmentSize: 512})
	want := payloads("r", 60, 50)
	appendAll(t, j, want)

	var got [][]byte
	stored := Position{}.String() // what the consumer keeps in its text column
	for {
		pos, err := ParsePosition(stored)
		if err != nil {
			t.Fatal(err)
		}
		next, n, err := j.ReadFrom(pos, 7, func(p []byte) error {
			got = append(got, bytes.Clone(p))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			if next != pos {
				t.Fatalf("empty read moved %v to %v", pos, next)
			}
			break
		}
		stored = next.String()
	}
	sameRecords(t, got, want)

	// A refusing consumer gets its error and the refused record's position,
	// and reading from there delivers that record again.
	refuse := errors.New("database down")
	calls := 0
	pos, n, err := j.ReadFrom(Position{}, 100, func([]byte) error {
		calls++
		if calls == 10 {
			return refuse
		}
		return nil
	})
	if !errors.Is(err, refuse) || n != 9 {
		t.Fatalf("ReadFrom = %v, %d, %v; want 9 records and the refusal", pos, n, err)
	}
	again, _ := readAll(t, j, pos)
	sameRecords(t, again, want[9:])
}

func TestTruncate(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentSize: 256}
	j := openJournal(t, dir, opts)
	want := payloads("t", 40, 60)
	appendAll(t, j, want)
	before := j.Stats().Segments

	var mid Position
	mid, n, err := j.ReadFrom(Position{}, 25, func([]byte) error { return nil })
	if err != nil || n != 25 {
		t.Fatalf("ReadFrom = %d, %v", n, err)
	}
	if err := j.Truncate(mid); err != nil {
		t.Fatalf("Truncate: %v", err)
	}
	after := j.Stats().Segments
	if after >= before {
		t.Fatalf("segments %d -> %d, want fewer", before, after)
	}
	segs, _ := listSegments(dir)
	if len(segs) != after || segs[0] != mid.Segment {
		t.Fatalf("files %v after Truncate(%v), journal counts %d", segs, mid, after)
	}

	got, _ := readAll(t, j, mid)
	sameRecords(t, got, want[25:])
	oldest, _ := readAll(t, j, Position{})
	if len(oldest) < len(want)-25 || !bytes.Equal(oldest[len(oldest)-1], want[len(want)-1]) {
		t.Fatalf("reading from the zero position gave %d records", len(oldest))
	}
	if _, _, err := j.ReadFrom(Position{Segment: 1}, 1, func([]byte) error { return nil }); !errors.Is(err, ErrTruncated) {
		t.Fatalf("reading a deleted segment: %v, want ErrTruncated", err)
	}

	// Truncating past the end keeps the segment being written.
	if err := j.Truncate(Position{Segment: math.MaxUint64}); err != nil {
		t.Fatal(err)
	}
	if st := j.Stats(); st.Segments != 1 {
		t.Fatalf("%d segments left, want the active one", st.Segments)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j = openJournal(t, dir, opts)
	appendAll(t, j, [][]byte{[]byte("after")})
	got, _ = readAll(t, j, Position{})
	if !bytes.Equal(got[len(got)-1], []byte("after")) {
		t.Fatalf("last record after reopen = %q", got[len(got)-1])
	}
}

func TestOpenCutsTornTail(t *testing.T) {
	good := payloads("good", 3, 40)
	record := appendRecord(nil, []byte("torn record payload"), recordChecksum([]byte("torn record payload")))
	badSum := slices.Clone(record)
	badSum[len(badSum)-1] ^= 0xff
	huge := binary.LittleEndian.AppendUint32(nil, MaxRecordSize+1)
	huge = append(huge, 1, 2, 3, 4, 5, 6, 7, 8)

	for _, tc := range []struct {
		name string
		tail []byte
	}{
		{"partial header", record[:3]},
		{"partial payload", record[:len(record)-4]},
		{"checksum mismatch", badSum},
		{"zeroed block", make([]byte, 4096)},
		{"length over the limit", huge},
		{"whole record then garbage", append(slices.Clone(record), 0xde, 0xad)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			j := openJournal(t, dir, Options{})
			appendAll(t, j, good)
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			path := lastSegmentPath(t, dir)
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			appendFile(t, path, tc.tail)

			j = openJournal(t, dir, Options{})
			want := good
			if tc.name == "whole record then garbage" {
				want = append(slices.Clone(good), []byte("torn record payload"))
			}
			got, _ := readAll(t, j, Position{})
			sameRecords(t, got, want)
			appendAll(t, j, [][]byte{[]byte("next")})
			got, _ = readAll(t, j, Position{})
			sameRecords(t, got, append(slices.Clone(want), []byte("next")))
			if tc.name != "whole record then garbage" {
				fi2, _ := os.Stat(path)
				if fi2.Size() != fi.Size()+int64(RecordOverhead+len("next")) {
					t.Fatalf("segment is %d bytes, want %d", fi2.Size(), fi.Size()+int64(RecordOverhead+len("next")))
				}
			}
		})
	}
}

func appendFile(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x5a
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func TestOpenReportsCorruptionInTheMiddle(t *testing.T) {
	dir := t.TempDir()
	j := openJournal(t, dir, Options{})
	appendAll(t, j, payloads("small", 2, 10))
	// More than one commit's worth after the damage: it cannot be a torn tail.
	appendAll(t, j, payloads("big", MaxBatchBytes/MaxRecordSize+1, MaxRecordSize))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	path := lastSegmentPath(t, dir)
	second := int64(RecordOverhead + len(payloads("small", 2, 10)[0]))
	flipByte(t, path, second+RecordOverhead+2)

	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open = %v, want ErrCorrupt", err)
	}
	for _, want := range []string{path, fmt.Sprintf("offset %d", second), "checksum"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not name %q", err, want)
		}
	}
}

func TestReadFromReportsCorruptSegment(t *testing.T) {
	dir := t.TempDir()
	j := openJournal(t, dir, Options{SegmentSize: 256})
	appendAll(t, j, payloads("c", 30, 60))
	path := segmentPath(dir, 1)
	flipByte(t, path, RecordOverhead+RecordOverhead+60+5) // inside the second record's payload

	_, n, err := j.ReadFrom(Position{}, 100, func([]byte) error { return nil })
	if !errors.Is(err, ErrCorrupt) || n != 1 {
		t.Fatalf("ReadFrom = %d, %v; want 1 record then ErrCorrupt", n, err)
	}
	if want := fmt.Sprintf("%s at offset %d", path, RecordOverhead+60); !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name %q", err, want)
	}
}

// holdWriter makes the writer stop before its next fdatasync until release
// is called; entered receives once the writer is held.
func holdWriter(opts *Options) (entered <-chan struct{}, release func()) {
	in := make(chan struct{}, 1)
	out := make(chan struct{})
	opts.beforeSync = func() {
		select {
		case in <- struct{}{}:
		default:
		}
		<-out
	}
	var once sync.Once
	return in, func() { once.Do(func() { close(out) }) }
}

func waitPending(j *Journal, n int) {
	for j.Stats().Pending != n {
		runtime.Gosched()
	}
}

func TestOverCapacity(t *testing.T) {
	record := []byte("0123456789")
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"records", Options{MaxPending: 2}},
		{"bytes", Options{MaxPendingBytes: 2 * int64(RecordOverhead+len(record))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			entered, release := holdWriter(&opts)
			j := openJournal(t, t.TempDir(), opts)
			t.Cleanup(release)

			errs := make(chan error, 2)
			go func() { errs <- j.Append(context.Background(), record) }()
			<-entered // the first record is in flight
			go func() { errs <- j.Append(context.Background(), record) }()
			waitPending(j, 2)

			if err := j.Append(context.Background(), record); !errors.Is(err, ErrOverCapacity) {
				t.Fatalf("Append with a full queue = %v, want ErrOverCapacity", err)
			}
			if err := j.AppendBatch(context.Background(), [][]byte{record, record, record}); !errors.Is(err, ErrBatchTooLarge) {
				t.Fatalf("AppendBatch larger than the queue = %v, want ErrBatchTooLarge", err)
			}
			release()
			for range 2 {
				if err := <-errs; err != nil {
					t.Fatalf("accepted Append = %v", err)
				}
			}
			if st := j.Stats(); st.Pending != 0 || st.PendingBytes != 0 || st.Appended != 2 {
				t.Fatalf("Stats = %+v", st)
			}
			got, _ := readAll(t, j, Position{})
			sameRecords(t, got, [][]byte{record, record})
			if err := j.Append(context.Background(), record); err != nil {
				t.Fatalf("Append after the queue drained = %v", err)
			}
		})
	}
}

func TestAppendCanceledIsAtLeastOnce(t *testing.T) {
	dir := t.TempDir()
	opts := Options{}
	entered, release := holdWriter(&opts)
	j := openJournal(t, dir, opts)
	t.Cleanup(release)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- j.Append(ctx, []byte("maybe")) }()
	<-entered
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Append = %v, want context.Canceled", err)
	}
	release()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j = openJournal(t, dir, Options{})
	got, _ := readAll(t, j, Position{})
	sameRecords(t, got, [][]byte{[]byte("maybe")})

	if err := j.Append(ctx, []byte("never")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append with a done context = %v", err)
	}
}

func TestAppendRefusals(t *testing.T) {
	j := openJournal(t, t.TempDir(), Options{})
	if err := j.Append(context.Background(), make([]byte, MaxRecordSize+1)); !errors.Is(err, ErrRecordTooLarge) {
		t.Fatalf("oversized Append = %v, want ErrRecordTooLarge", err)
	}
	if err := j.AppendBatch(context.Background(), nil); err != nil {
		t.Fatalf("empty AppendBatch = %v", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(context.Background(), []byte("late")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close = %v, want ErrClosed", err)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

func TestOpenLocksDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
	dir := t.TempDir()
	j := openJournal(t, dir, Options{})
	if other, err := Open(dir, Options{}); err == nil {
		other.Close()
		t.Fatal("second Open of the same directory succeeded")
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	openJournal(t, dir, Options{})
}

func TestOpenIgnoresOtherFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"notes.txt", "1.log", "000000000000.log", "00000000000x.log"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("garbage"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	j := openJournal(t, dir, Options{})
	appendAll(t, j, [][]byte{[]byte("one")})
	got, _ := readAll(t, j, Position{})
	sameRecords(t, got, [][]byte{[]byte("one")})
}

func TestPosition(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Position
		wantErr bool
	}{
		{in: "0:0", want: Position{}},
		{in: "1:4096", want: Position{Segment: 1, Offset: 4096}},
		{in: "18446744073709551615:9223372036854775807", want: Position{Segment: math.MaxUint64, Offset: math.MaxInt64}},
		{in: "", wantErr: true},
		{in: "12", wantErr: true},
		{in: "1:-1", wantErr: true},
		{in: "-1:0", wantErr: true},
		{in: "1:2:3", wantErr: true},
		{in: " 1:2", wantErr: true},
	} {
		got, err := ParsePosition(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParsePosition(%q) = %v, %v", tc.in, got, err)
			continue
		}
		if !tc.wantErr && got.String() != tc.in {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tc.in)
		}
	}
	a, b := Position{Segment: 1, Offset: 900}, Position{Segment: 2}
	if a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Errorf("Compare does not order %v before %v", a, b)
	}
}
