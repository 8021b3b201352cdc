package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/traffic"
	"github.com/steward-governance/steward/traffic/journal"
)

// killHost is the host every event of the SIGKILL test reports; its paths
// are /kill/<id>, one id per event, so each event can be found again.
const killHost = "kill.example.com"

// TestIngestKeepsEveryAcknowledgedEventThroughSIGKILL runs the real steward
// binary, sends Treblle events from 16 connections, kills the process with
// SIGKILL while requests are in flight, restarts it on the same database and
// journal, and checks that every event answered 202 is in the journal and
// counted by the rollup. Events written but never acknowledged may be there
// too; at-least-once allows that.
func TestIngestKeepsEveryAcknowledgedEventThroughSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the SIGKILL test in -short mode: it builds and runs the steward binary")
	}
	started := time.Now()
	dir := t.TempDir()
	bin := buildSteward(t, dir)
	dbPath := filepath.Join(dir, "steward.db")
	journalDir := filepath.Join(dir, "journal")
	key := "stwi_kill_test_" + randomString(t, 18)
	sourceID := createTreblleSource(t, dbPath, key)

	first := startSteward(t, bin, dbPath, journalDir, filepath.Join(dir, "first.log"))
	l := startLoad(first.url, key, 16)
	// Kill once the load is well under way: at least a second in and a
	// thousand acknowledgements, or after 20 s whatever has been reached,
	// so a crowded machine slows the test down rather than failing it.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && !(time.Since(l.started) >= time.Second && l.ackCount.Load() >= 1000) {
		select {
		case <-first.exited:
			l.stop()
			t.Fatalf("steward exited during the load:\n%s", first.logTail())
		case <-time.After(10 * time.Millisecond):
		}
	}
	inFlight := l.inFlight.Load()
	killedAt := time.Now()
	l.killed.Store(true)
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	<-first.exited
	l.stop()
	acked, res := l.results()
	t.Logf("killed after %s with %d requests in flight: %d acknowledged, %d refused with 429, %d requests failed after the kill",
		killedAt.Sub(l.started).Round(time.Millisecond), inFlight, len(acked), res.statuses[http.StatusTooManyRequests], res.transportErrors)
	if len(acked) < 100 {
		t.Fatalf("only %d events acknowledged before the kill; the load did not get going:\n%s", len(acked), first.logTail())
	}
	for status, n := range res.statuses {
		if status != http.StatusAccepted && status != http.StatusTooManyRequests {
			t.Errorf("%d answers with status %d; want only 202 and 429 (first: %s)", n, status, res.firstOther)
		}
	}
	if res.errorsBeforeKill > 0 {
		t.Errorf("%d requests failed before the kill: %s", res.errorsBeforeKill, res.firstError)
	}

	// The restarted server opens the same journal, cutting any torn tail,
	// and takes events again.
	second := startSteward(t, bin, dbPath, journalDir, filepath.Join(dir, "second.log"))
	const afterRestart = 20
	client := &http.Client{Timeout: 30 * time.Second}
	for n := range afterRestart {
		id := int64(99_000_000 + n)
		status, err := postEvent(client, second.url, key, id)
		if err != nil || status != http.StatusAccepted {
			t.Fatalf("event %d after the restart: status %d, error %v\n%s", id, status, err, second.logTail())
		}
		acked = append(acked, id)
	}
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-second.exited:
		if code := second.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("steward exited with %d after SIGTERM:\n%s", code, second.logTail())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("steward did not stop within 30 s of SIGTERM:\n%s", second.logTail())
	}
	if strings.Contains(readFile(t, second.logPath), "journal: cut torn tail") {
		t.Log("the restart cut a torn tail off the journal (a commit the kill interrupted)")
	}

	// Every acknowledged id is in the journal, once.
	j, err := journal.Open(journalDir, journal.Options{Log: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	if err != nil {
		t.Fatalf("reopen the journal: %v", err)
	}
	defer j.Close()
	seen := map[int64]int{}
	_, records, err := j.ReadFrom(journal.Position{}, math.MaxInt, func(b []byte) error {
		src, ev, err := journal.DecodeEvent(b)
		if err != nil {
			return err
		}
		id, ok := strings.CutPrefix(ev.Path, "/kill/")
		n, perr := strconv.ParseInt(id, 10, 64)
		if src != sourceID || ev.Host != killHost || !ok || perr != nil {
			return fmt.Errorf("unexpected record: source %d, %s%s", src, ev.Host, ev.Path)
		}
		seen[n]++
		return nil
	})
	if err != nil {
		t.Fatalf("read the journal: %v", err)
	}
	var missing []int64
	for _, id := range acked {
		if seen[id] == 0 {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d acknowledged events are not in the journal, e.g. %v", len(missing), len(acked), missing[:min(10, len(missing))])
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("event %d is in the journal %d times; it was sent once", id, n)
		}
	}
	t.Logf("journal: %d records, %d acknowledged, %d written but not acknowledged (in flight at the kill)", records, len(acked), records-len(acked))

	// The rollup counts them all: the job the server schedules, run here on
	// the same database and journal.
	store, err := models.Open(dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := (&jobs.Rollup{Store: store, Journal: j, Consumer: "e2e-kill-test"}).Run(ctx); err != nil {
		t.Fatalf("rollup: %v", err)
	}
	sources, err := store.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var counted int64
	for _, s := range sources {
		if s.ID == sourceID {
			counted = s.EventsTotal
		}
	}
	hosts, err := store.DiscoveredHosts(ctx, killedAt.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var rolledUp int64
	for _, h := range hosts {
		if h.Host == killHost {
			rolledUp = h.Requests
		}
	}
	if counted < int64(len(acked)) || rolledUp < int64(len(acked)) {
		t.Errorf("after the rollup the source counts %d events and the discovered host %s %d requests; %d were acknowledged", counted, killHost, rolledUp, len(acked))
	}
	t.Logf("rollup: the source counts %d events, the discovered host %s %d requests", counted, killHost, rolledUp)
	t.Logf("took %s", time.Since(started).Round(100*time.Millisecond))
}

// buildSteward builds the steward binary into dir.
func buildSteward(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "steward")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/steward-governance/steward/cmd/steward")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/steward: %v\n%s", err, out)
	}
	return bin
}

// createTreblleSource adds a Treblle source with key to a new database, as
// an admin would on the sources page, and returns its id.
func createTreblleSource(t *testing.T, dbPath, key string) int64 {
	t.Helper()
	store, err := models.Open(dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(); err != nil {
		t.Fatal(err)
	}
	src, err := store.CreateSource(context.Background(), catalog.SystemActor("e2e"),
		models.NewSource{Name: "kill test SDK", Kind: traffic.KindTreblle, IngestKey: key})
	if err != nil {
		t.Fatal(err)
	}
	return src.ID
}

// stewardProcess is one run of `steward serve`.
type stewardProcess struct {
	cmd     *exec.Cmd
	url     string
	logPath string
	exited  chan struct{}
}

// startSteward runs `steward serve` on a free loopback port and waits until
// it logs that it is listening. Its log goes to logPath.
func startSteward(t *testing.T, bin, dbPath, journalDir, logPath string) *stewardProcess {
	t.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--database-url", dbPath, "--journal-dir", journalDir,
		"--demo=false", "--log-format", "json", "--log-level", "info")
	// Only this test's settings: a STEWARD_* variable from the shell must
	// not turn on OIDC or point at another database.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STEWARD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "STEWARD_SECRET_KEY="+randomString(t, 48))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout // one stream, read below
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &stewardProcess{cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	listening := make(chan string, 1)
	copied := make(chan struct{})
	go func() {
		// The request log must be drained or the server blocks on it.
		defer close(copied)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			logFile.Write(append(line, '\n'))
			if bytes.Contains(line, []byte(`"steward is listening"`)) {
				var entry struct{ URL string }
				if json.Unmarshal(line, &entry) == nil {
					listening <- entry.URL
				}
			}
		}
	}()
	go func() {
		<-copied
		cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
	})
	select {
	case p.url = <-listening:
		return p
	case <-p.exited:
		t.Fatalf("steward exited before listening:\n%s", p.logTail())
	case <-time.After(30 * time.Second):
		t.Fatalf("steward did not listen within 30 s:\n%s", p.logTail())
	}
	return nil
}

// logTail returns the end of the process's log, for failure messages.
func (p *stewardProcess) logTail() string {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// load sends events from several goroutines until stopped, each with a
// unique id, remembering which ones were acknowledged.
type load struct {
	started  time.Time
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	ackCount atomic.Int64
	inFlight atomic.Int64
	killed   atomic.Bool
	workers  []loadWorker
}

type loadWorker struct {
	acked            []int64
	statuses         map[int]int
	transportErrors  int
	errorsBeforeKill int
	firstError       string
	firstOther       string
}

func startLoad(base, key string, workers int) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{started: time.Now(), cancel: cancel, workers: make([]loadWorker, workers)}
	transport := &http.Transport{MaxIdleConnsPerHost: workers, DisableCompression: true}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	for i := range l.workers {
		w := &l.workers[i]
		w.statuses = map[int]int{}
		l.wg.Go(func() {
			for n := int64(0); ctx.Err() == nil; n++ {
				id := int64(i)*1_000_000 + n
				l.inFlight.Add(1)
				status, err := postEventContext(ctx, client, base, key, id)
				l.inFlight.Add(-1)
				switch {
				case err != nil:
					if ctx.Err() != nil {
						return
					}
					w.transportErrors++
					if !l.killed.Load() {
						w.errorsBeforeKill++
						if w.firstError == "" {
							w.firstError = err.Error()
						}
					}
					// The server is gone; wait to be stopped.
					time.Sleep(5 * time.Millisecond)
				case status == http.StatusAccepted:
					w.acked = append(w.acked, id)
					l.ackCount.Add(1)
					w.statuses[status]++
				default:
					w.statuses[status]++
					if status != http.StatusTooManyRequests && w.firstOther == "" {
						w.firstOther = fmt.Sprintf("event %d: %d", id, status)
					}
				}
			}
		})
	}
	return l
}

// stop ends the load once the server is dead: a request whose answer
// arrived before the kill still counts as acknowledged.
func (l *load) stop() {
	// Requests cut off by the kill fail at once; give their goroutines a
	// moment to record the answers that made it before stopping them all.
	time.Sleep(100 * time.Millisecond)
	l.cancel()
	l.wg.Wait()
}

// results merges the workers' records.
func (l *load) results() ([]int64, loadWorker) {
	var acked []int64
	all := loadWorker{statuses: map[int]int{}}
	for _, w := range l.workers {
		acked = append(acked, w.acked...)
		for s, n := range w.statuses {
			all.statuses[s] += n
		}
		all.transportErrors += w.transportErrors
		all.errorsBeforeKill += w.errorsBeforeKill
		if all.firstError == "" {
			all.firstError = w.firstError
		}
		if all.firstOther == "" {
			all.firstOther = w.firstOther
		}
	}
	return acked, all
}

func postEvent(client *http.Client, base, key string, id int64) (int, error) {
	return postEventContext(context.Background(), client, base, key, id)
}

// postEventContext sends one Treblle event whose path carries id and
// returns the status, once the whole answer has been read.
func postEventContext(ctx context.Context, client *http.Client, base, key string, id int64) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/ingest/treblle", strings.NewReader(killEvent(id)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", key)
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// killEvent is one request as a Treblle SDK reports it, for /kill/<id>.
func killEvent(id int64) string {
	return `{"api_key":"","project_id":"proj_kill","version":1.2,"sdk":"express","data":{` +
		`"server":{"ip":"10.0.0.4","timezone":"UTC","protocol":"HTTP/1.1"},"language":{"name":"node","version":"22.1.0"},` +
		`"request":{"timestamp":"` + time.Now().UTC().Format("2006-01-02 15:04:05") + `","ip":"203.0.113.9",` +
		`"url":"https://` + killHost + `/kill/` + strconv.FormatInt(id, 10) + `","user_agent":"kill-test/1.0","method":"GET",` +
		`"headers":{"Authorization":"Bearer t","Accept":"application/json"},"body":{}},` +
		`"response":{"headers":{"Content-Type":"application/json"},"code":200,"size":120,"load_time":3.5,"body":{}},"errors":[]}}`
}

func randomString(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

// testWriter sends the reopened journal's log lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
