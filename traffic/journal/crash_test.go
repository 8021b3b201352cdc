package journal

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// crashDirEnv hands TestCrashChild the journal directory; without it the
// child test skips.
const crashDirEnv = "STEWARD_JOURNAL_CRASH_DIR"

// TestCrashKeepsAcknowledgedEvents runs TestCrashChild in a child process,
// SIGKILLs it under load, and checks that every event the child reported as
// acknowledged is in the journal after Open repairs it.
func TestCrashKeepsAcknowledgedEvents(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()

	// Only whole lines count: a line cut short by the kill was never
	// printed, so its event was not acknowledged as far as we know.
	acks := make(chan int64, 4096)
	go func() {
		defer close(acks)
		r := bufio.NewReader(stdout)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if n, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "ack "); ok {
				if seq, err := strconv.ParseInt(n, 10, 64); err == nil {
					acks <- seq
				}
			}
		}
	}()

	// Kill after a second of load, and not before the child has got going:
	// on a busy machine its first acknowledgements can take a while.
	acked := map[int64]bool{}
	start := time.Now()
	giveUp := time.After(2 * time.Minute)
	for len(acked) < 1000 || time.Since(start) < time.Second {
		select {
		case seq, ok := <-acks:
			if !ok {
				cmd.Wait()
				t.Fatalf("child stopped before the kill after %d acknowledgements; stderr:\n%s", len(acked), stderr.Bytes())
			}
			acked[seq] = true
		case <-giveUp:
			t.Fatalf("child acknowledged only %d events in 2 minutes; stderr:\n%s", len(acked), stderr.Bytes())
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed = true
	for seq := range acks { // what the child printed before it died
		acked[seq] = true
	}
	cmd.Wait()

	j, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open after the crash: %v", err)
	}
	defer j.Close()
	found := map[int64]bool{}
	_, n, err := j.ReadFrom(Position{}, math.MaxInt, func(p []byte) error {
		seq, e, err := DecodeEvent(p)
		if err != nil {
			return err
		}
		if e.Path != fmt.Sprintf("/crash/%d", seq) {
			return fmt.Errorf("event %d has path %q", seq, e.Path)
		}
		found[seq] = true
		return nil
	})
	if err != nil {
		t.Fatalf("ReadFrom after the crash: %v", err)
	}
	var lost []int64
	for seq := range acked {
		if !found[seq] {
			lost = append(lost, seq)
		}
	}
	if len(lost) > 0 {
		t.Fatalf("%d of %d acknowledged events lost, e.g. %v", len(lost), len(acked), lost[:min(len(lost), 10)])
	}
	t.Logf("killed after %v: %d acknowledged, %d records in the journal, %d segments", time.Since(start).Round(time.Millisecond), len(acked), n, j.Stats().Segments)
}

// TestCrashChild is the process TestCrashKeepsAcknowledgedEvents kills: 32
// goroutines append as fast as they can and print "ack N" once Append for
// event N has returned.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("runs only as TestCrashKeepsAcknowledgedEvents' child")
	}
	// Should the parent vanish without killing us, stop anyway.
	time.AfterFunc(3*time.Minute, func() { os.Exit(3) })

	j, err := Open(dir, Options{SegmentSize: 1 << 20}) // small, so the kill may land near a rotation
	if err != nil {
		t.Fatal(err)
	}
	var seq atomic.Int64
	var out sync.Mutex
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			e := sampleEvent()
			var buf, line []byte
			for {
				n := seq.Add(1)
				e.Path = fmt.Sprintf("/crash/%d", n)
				buf = EncodeEvent(buf[:0], n, &e)
				err := j.Append(context.Background(), buf)
				if errors.Is(err, ErrOverCapacity) {
					continue // never acknowledged, so never counted
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "Append:", err)
					os.Exit(2)
				}
				line = strconv.AppendInt(append(line[:0], "ack "...), n, 10)
				line = append(line, '\n')
				out.Lock()
				_, err = os.Stdout.Write(line)
				out.Unlock()
				if err != nil {
					os.Exit(2)
				}
			}
		})
	}
	wg.Wait()
}
