package tail

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// logFile is the log under test and the operations a writer or logrotate
// performs on it.
type logFile struct {
	t    *testing.T
	path string
}

func (l logFile) append(s string) {
	l.t.Helper()
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		l.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		l.t.Fatal(err)
	}
}

func (l logFile) rename(to string) {
	l.t.Helper()
	if err := os.Rename(l.path, filepath.Join(filepath.Dir(l.path), to)); err != nil {
		l.t.Fatal(err)
	}
}

func (l logFile) remove(name string) {
	l.t.Helper()
	if err := os.Remove(filepath.Join(filepath.Dir(l.path), name)); err != nil {
		l.t.Fatal(err)
	}
}

// truncate empties the file in place, as logrotate's copytruncate does.
func (l logFile) truncate() {
	l.t.Helper()
	if err := os.Truncate(l.path, 0); err != nil {
		l.t.Fatal(err)
	}
}

// step changes the log, optionally restarts (a new Reader from the last
// saved position), reads, and says what the read must return.
type step struct {
	do      func(l logFile)
	restart bool
	max     int
	want    []string
	skipped int  // Reader.Skipped after the read
	missing bool // the read returns an error wrapping fs.ErrNotExist
}

func TestReader(t *testing.T) {
	tests := []struct {
		name    string
		maxLine int
		steps   []step
	}{
		{
			name: "complete lines, the partial last one waits for its newline",
			steps: []step{
				{do: func(l logFile) { l.append("a\nb\nc") }, want: []string{"a", "b"}},
				{want: nil},
				{do: func(l logFile) { l.append("c\r\nd\n") }, want: []string{"cc", "d"}},
			},
		},
		{
			name: "resume after a restart from the saved position",
			steps: []step{
				{do: func(l logFile) { l.append("1\n2\n") }, want: []string{"1", "2"}},
				{do: func(l logFile) { l.append("3\n") }, restart: true, want: []string{"3"}},
				{restart: true, want: nil},
			},
		},
		{
			name: "at most max lines per batch",
			steps: []step{
				{do: func(l logFile) { l.append("1\n2\n3\n4\n5\n") }, max: 2, want: []string{"1", "2"}},
				{max: 2, want: []string{"3", "4"}},
				{restart: true, want: []string{"5"}},
			},
		},
		{
			name: "rotation by rename while reading: drain the old file, then the new from 0",
			steps: []step{
				{do: func(l logFile) { l.append("old1\n") }, want: []string{"old1"}},
				{do: func(l logFile) {
					l.append("old2\n")
					l.rename("access.log.1")
					l.append("new1\nnew2\n")
				}, want: []string{"old2", "new1", "new2"}},
				{do: func(l logFile) { l.append("new3\n") }, want: []string{"new3"}},
			},
		},
		{
			name: "rotation by rename while stopped: find the old file by identity under any name",
			steps: []step{
				{do: func(l logFile) { l.append("old1\n") }, want: []string{"old1"}},
				{do: func(l logFile) {
					l.append("old2\nold3\n")
					l.rename("access.log-20260514")
					l.append("new1\n")
				}, restart: true, want: []string{"old2", "old3", "new1"}},
			},
		},
		{
			name: "rotated file gone while stopped: start the new file at 0",
			steps: []step{
				{do: func(l logFile) { l.append("old1\n") }, want: []string{"old1"}},
				{do: func(l logFile) {
					l.append("lost\n")
					l.rename("access.log.1")
					l.append("new1\n") // before the removal, so it cannot reuse the inode
					l.remove("access.log.1")
				}, restart: true, want: []string{"new1"}},
			},
		},
		{
			name: "rotated away with an unterminated last line: it is counted, not returned",
			steps: []step{
				{do: func(l logFile) { l.append("old1\npart") }, want: []string{"old1"}},
				{do: func(l logFile) {
					l.rename("access.log.1")
					l.append("new1\n")
				}, want: []string{"new1"}, skipped: 1},
			},
		},
		{
			name: "copytruncate while reading: start again at 0",
			steps: []step{
				{do: func(l logFile) { l.append("aaaaaaaaaa\nbbbbbbbbbb\n") }, want: []string{"aaaaaaaaaa", "bbbbbbbbbb"}},
				{do: func(l logFile) {
					l.truncate()
					l.append("c\n")
				}, want: []string{"c"}},
				{do: func(l logFile) { l.append("d\n") }, want: []string{"d"}},
			},
		},
		{
			name: "copytruncate while stopped: start again at 0",
			steps: []step{
				{do: func(l logFile) { l.append("aaaaaaaaaa\nbbbbbbbbbb\n") }, want: []string{"aaaaaaaaaa", "bbbbbbbbbb"}},
				{do: func(l logFile) {
					l.truncate()
					l.append("c\n")
				}, restart: true, want: []string{"c"}},
			},
		},
		{
			name:    "a line over the limit is skipped and counted",
			maxLine: 8,
			steps: []step{
				{do: func(l logFile) { l.append("short\n" + strings.Repeat("x", 20) + "\nafter\n") },
					want: []string{"short", "after"}, skipped: 1},
				{do: func(l logFile) { l.append("12345678\n123456789\n") }, want: []string{"12345678"}, skipped: 2},
			},
		},
		{
			name:    "a long line still being written is skipped once it ends, also across a restart",
			maxLine: 8,
			steps: []step{
				{do: func(l logFile) { l.append("ok\n" + strings.Repeat("y", 30)) }, want: []string{"ok"}, skipped: 0},
				{do: func(l logFile) { l.append(strings.Repeat("y", 30)) }, want: nil},
				{do: func(l logFile) { l.append("y\nnext\n") }, restart: true, want: []string{"next"}, skipped: 1},
			},
		},
		{
			name: "file deleted and not recreated: a clear error, then recovery",
			steps: []step{
				{do: func(l logFile) { l.append("1\n") }, want: []string{"1"}},
				{do: func(l logFile) {
					l.append("2\n")
					l.remove("access.log")
				}, want: []string{"2"}, missing: true},
				{do: func(l logFile) { l.append("3\n") }, want: []string{"3"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := logFile{t: t, path: filepath.Join(t.TempDir(), "access.log")}
			l.append("")
			open := func(pos Position) *Reader {
				r, err := Open(l.path, pos)
				if err != nil {
					t.Fatal(err)
				}
				r.MaxLine = tt.maxLine
				t.Cleanup(func() { r.Close() })
				return r
			}
			r := open(Position{})
			var pos Position
			skippedBefore := 0
			for i, s := range tt.steps {
				if s.do != nil {
					s.do(l)
				}
				if s.restart {
					skippedBefore += r.Skipped()
					r.Close()
					r = open(pos)
				}
				var got []string
				p, n, err := r.ReadLines(s.max, func(line []byte) error {
					got = append(got, string(line))
					return nil
				})
				if s.missing {
					if !errors.Is(err, fs.ErrNotExist) {
						t.Fatalf("step %d: err = %v, want fs.ErrNotExist", i, err)
					}
				} else if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				pos = p
				if !slices.Equal(got, s.want) {
					t.Fatalf("step %d: lines %q, want %q", i, got, s.want)
				}
				if n != len(got) {
					t.Errorf("step %d: n = %d for %d lines", i, n, len(got))
				}
				if sk := skippedBefore + r.Skipped(); sk != s.skipped {
					t.Errorf("step %d: skipped %d, want %d", i, sk, s.skipped)
				}
			}
		})
	}
}

func TestOpenMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.log")
	_, err := Open(path, Position{})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want fs.ErrNotExist naming %s", err, path)
	}
	_, err = Open(path, Position{Device: 1, Inode: 2, Offset: 10})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("with a saved position: err = %v, want fs.ErrNotExist", err)
	}
	if _, err := Open(t.TempDir(), Position{}); err == nil {
		t.Fatal("opening a directory succeeded")
	}
}

func TestReadLinesCallbackError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	if err := os.WriteFile(path, []byte("1\n2\n3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, Position{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	refuse := errors.New("database is down")
	var got []string
	pos, n, err := r.ReadLines(0, func(line []byte) error {
		if string(line) == "2" {
			return refuse
		}
		got = append(got, string(line))
		return nil
	})
	if !errors.Is(err, refuse) || n != 1 || pos.Offset != 2 {
		t.Fatalf("got pos %+v, n %d, err %v; want offset 2, 1 line, the callback's error", pos, n, err)
	}
	// The refused line comes again, from this Reader and after a restart.
	_, _, _ = r.ReadLines(0, func(line []byte) error { got = append(got, string(line)); return nil })
	if !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Errorf("lines %q", got)
	}
	r2, err := Open(path, pos)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	got = nil
	_, _, _ = r2.ReadLines(0, func(line []byte) error { got = append(got, string(line)); return nil })
	if !slices.Equal(got, []string{"2", "3"}) {
		t.Errorf("after restart: lines %q", got)
	}
}

func TestReaderBigFile(t *testing.T) {
	// Many lines across many buffer refills, in small batches.
	path := filepath.Join(t.TempDir(), "access.log")
	var b strings.Builder
	const lines = 20000
	for i := range lines {
		fmt.Fprintf(&b, "line %d %s\n", i, strings.Repeat("z", i%300))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, Position{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	next := 0
	for {
		_, n, err := r.ReadLines(777, func(line []byte) error {
			if want := fmt.Sprintf("line %d ", next); !strings.HasPrefix(string(line), want) {
				return fmt.Errorf("line %q, want prefix %q", line, want)
			}
			next++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	if next != lines {
		t.Fatalf("read %d lines, want %d", next, lines)
	}
}
