package jobs_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/traffic"
	"github.com/steward-governance/steward/traffic/ingest"
	"github.com/steward-governance/steward/traffic/journal"
)

var testHasher = ingest.NewHasher([]byte("0123456789abcdef0123456789abcdef"))

// runRecorded runs job through a Runner, as the scheduler does, and returns
// the finished run's record: its status, error and counts.
func runRecorded(t *testing.T, s *models.Store, job jobs.Job) models.JobRun {
	t.Helper()
	r := jobs.NewRunner(s, "test", slog.New(slog.DiscardHandler))
	if err := r.Register(jobs.Definition{Job: job, Schedule: "@every 1h"}, "", false); err != nil {
		t.Fatal(err)
	}
	defer r.Stop(context.Background())
	id, err := r.RunNow(job.Name(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return waitRun(t, s, id, finished)
}

// journaled is an event as the journal holds it, with its source.
type journaled struct {
	source int64
	event  traffic.Event
}

func journalEvents(t *testing.T, j *journal.Journal) []journaled {
	t.Helper()
	var out []journaled
	_, _, err := j.ReadFrom(journal.Position{}, 1<<20, func(p []byte) error {
		src, e, err := journal.DecodeEvent(p)
		out = append(out, journaled{src, e})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func journalPaths(t *testing.T, j *journal.Journal) []string {
	t.Helper()
	var out []string
	for _, e := range journalEvents(t, j) {
		out = append(out, e.event.Path)
	}
	return out
}

// nginxLine is a line as ingest.NginxLogFormat writes it.
func nginxLine(at time.Time, method, host, uri string, status int, authorization string) string {
	b, _ := json.Marshal(map[string]string{
		"time": at.UTC().Format(time.RFC3339), "method": method, "scheme": "http", "host": host, "uri": uri,
		"protocol": "HTTP/1.1", "status": strconv.Itoa(status), "request_time": "0.000", "body_bytes_sent": "12",
		"user_agent": "curl/8.5.0", "remote_addr": "192.0.2.7", "authorization": authorization,
	})
	return string(b) + "\n"
}

func appendFile(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(strings.Join(lines, "")); err != nil {
		t.Fatal(err)
	}
}

func newLogSource(t *testing.T, s *models.Store, name string, kind traffic.SourceKind, path string) *models.Source {
	t.Helper()
	src, err := s.CreateSource(context.Background(), catalog.SystemActor("test"), models.NewSource{Name: name, Kind: kind,
		Settings: traffic.SourceSettings{Path: path}})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func openJournal(t *testing.T) *journal.Journal {
	t.Helper()
	j, err := journal.Open(t.TempDir(), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func sourceByID(t *testing.T, s *models.Store, id int64) *models.Source {
	t.Helper()
	src, err := s.SourceByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestSourceBackoff(t *testing.T) {
	for _, tt := range []struct {
		failures int
		want     time.Duration
	}{
		{1, time.Minute}, {2, 2 * time.Minute}, {3, 4 * time.Minute}, {6, 32 * time.Minute}, {7, time.Hour}, {50, time.Hour},
	} {
		if got := jobs.SourceBackoff(tt.failures); got != tt.want {
			t.Errorf("SourceBackoff(%d) = %s, want %s", tt.failures, got, tt.want)
		}
	}
}

func TestLogReadReadsOnAfterRestartAndRotation(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := storetest.New(t, engine)
			jr := openJournal(t)
			path := filepath.Join(t.TempDir(), "access.log")
			appendFile(t, path,
				nginxLine(at(1), "GET", "pets.example.com", "/a1", 200, "Bearer t"),
				"this is not JSON\n",
				nginxLine(at(3), "GET", "pets.example.com", "/a3", 500, ""),
			)
			src := newLogSource(t, s, "edge", traffic.KindNginxLog, path)
			newJob := func() *jobs.LogRead { // a new instance stands for a restarted Steward
				return &jobs.LogRead{Store: s, Journal: jr, Hasher: testHasher}
			}

			run := runRecorded(t, s, newJob())
			if run.Status != jobs.StatusSucceeded || run.Error != "" {
				t.Fatalf("first run: %s %q", run.Status, run.Error)
			}
			if got, want := run.CountMap(), map[string]int64{"lines": 3, "events": 2, "bad lines": 1}; !reflect.DeepEqual(got, want) {
				t.Errorf("counts %v, want %v", got, want)
			}
			events := journalEvents(t, jr)
			if len(events) != 2 || events[0].source != src.ID || !events[0].event.Authenticated || events[1].event.Status != 500 ||
				events[0].event.Consumer == "" || strings.Contains(events[0].event.Consumer, "Bearer") {
				t.Errorf("journaled %+v", events)
			}
			got := sourceByID(t, s, src.ID)
			if got.Position == "" || got.LastError != "" || got.CoveredFrom == nil || !got.CoveredFrom.Equal(at(1)) ||
				got.CoveredTo == nil || time.Since(*got.CoveredTo) > time.Minute {
				t.Errorf("after the first read: position %q, error %q, covered %v to %v (a log read to its end covers up to now)",
					got.Position, got.LastError, got.CoveredFrom, got.CoveredTo)
			}

			// A restarted job reads on from the stored position; a line
			// still being written waits for its newline.
			partial := nginxLine(at(5), "GET", "pets.example.com", "/a5", 200, "")
			appendFile(t, path, nginxLine(at(4), "GET", "pets.example.com", "/a4", 200, ""), partial[:20])
			if run := runRecorded(t, s, newJob()); run.Status != jobs.StatusSucceeded {
				t.Fatalf("second run: %s %q", run.Status, run.Error)
			}
			if got, want := journalPaths(t, jr), []string{"/a1", "/a3", "/a4"}; !reflect.DeepEqual(got, want) {
				t.Errorf("after a restart: %q, want %q", got, want)
			}

			// Rotation by rename: the writer finishes its line in the old
			// file and adds one more before reopening; the new file follows.
			appendFile(t, path, partial[20:])
			if err := os.Rename(path, path+".1"); err != nil {
				t.Fatal(err)
			}
			appendFile(t, path+".1", nginxLine(at(6), "GET", "pets.example.com", "/a6", 200, ""))
			appendFile(t, path, nginxLine(at(7), "GET", "pets.example.com", "/a7", 200, ""))
			if run := runRecorded(t, s, newJob()); run.Status != jobs.StatusSucceeded {
				t.Fatalf("run after rotation: %s %q", run.Status, run.Error)
			}
			if run := runRecorded(t, s, newJob()); run.Status != jobs.StatusSucceeded || run.CountMap()["events"] != 0 {
				t.Fatalf("idle run: %s %q %v", run.Status, run.Error, run.CountMap())
			}
			if got, want := journalPaths(t, jr), []string{"/a1", "/a3", "/a4", "/a5", "/a6", "/a7"}; !reflect.DeepEqual(got, want) {
				t.Errorf("after rotation: %q, want %q", got, want)
			}
			if got := sourceByID(t, s, src.ID); !got.CoveredFrom.Equal(at(1)) || got.EventsTotal != 0 {
				t.Errorf("covered from %v, events total %d (the rollup counts events, not the read)", got.CoveredFrom, got.EventsTotal)
			}
		})
	}
}

func TestLogReadLimitsLinesPerRun(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t, "sqlite")
	jr := openJournal(t)
	path := filepath.Join(t.TempDir(), "access.log")
	for i := range 5 {
		appendFile(t, path, nginxLine(at(i), "GET", "pets.example.com", "/p"+strconv.Itoa(i), 200, ""))
	}
	src := newLogSource(t, s, "edge", traffic.KindNginxLog, path)
	job := &jobs.LogRead{Store: s, Journal: jr, Hasher: testHasher, MaxLines: 2}
	for run, want := range []int{2, 4, 5, 5} {
		if err := job.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if got := len(journalEvents(t, jr)); got != want {
			t.Fatalf("after run %d: %d events, want %d", run+1, got, want)
		}
		got := sourceByID(t, s, src.ID)
		if run == 0 && (!got.CoveredTo.Equal(at(1))) {
			// Lines are left: the read vouches only for what it read.
			t.Errorf("a read stopped by the limit covers to %v, want %v", got.CoveredTo, at(1))
		}
	}
}

func TestLogReadFailureBacksOffAndKeepsEarlierData(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := storetest.New(t, engine)
			jr := openJournal(t)
			dir := t.TempDir()
			healthyPath, flakyPath := filepath.Join(dir, "healthy.log"), filepath.Join(dir, "flaky.log")
			appendFile(t, healthyPath, nginxLine(at(1), "GET", "pets.example.com", "/h1", 200, ""))
			appendFile(t, flakyPath, nginxLine(at(2), "GET", "pets.example.com", "/f1", 200, ""))
			healthy := newLogSource(t, s, "healthy", traffic.KindNginxLog, healthyPath)
			flaky := newLogSource(t, s, "flaky", traffic.KindNginxLog, flakyPath)
			clock := time.Now()
			job := &jobs.LogRead{Store: s, Journal: jr, Hasher: testHasher, Now: func() time.Time { return clock }}
			if run := runRecorded(t, s, job); run.Status != jobs.StatusSucceeded {
				t.Fatalf("first run: %s %q", run.Status, run.Error)
			}
			before := sourceByID(t, s, flaky.ID)

			// The flaky log is moved away (archived, or a path that was
			// never right): its source fails with the reason, the other
			// reads on.
			if err := os.Rename(flakyPath, filepath.Join(t.TempDir(), "archived.log")); err != nil {
				t.Fatal(err)
			}
			appendFile(t, healthyPath, nginxLine(at(3), "GET", "pets.example.com", "/h2", 200, ""))
			run := runRecorded(t, s, job)
			if run.Status != jobs.StatusFailed || !strings.Contains(run.Error, "1 of 2 log sources failed") ||
				!strings.Contains(run.Error, "flaky: the log file "+flakyPath+" does not exist") {
				t.Errorf("run with a missing log: %s %q", run.Status, run.Error)
			}
			if got, want := journalPaths(t, jr), []string{"/f1", "/h1", "/h2"}; !reflect.DeepEqual(got, want) {
				t.Errorf("journal %q, want %q", got, want)
			}
			failing := sourceByID(t, s, flaky.ID)
			if !strings.Contains(failing.LastError, "does not exist") || failing.Failures != 1 || failing.RetryAt == nil ||
				failing.RetryAt.Sub(time.Now()) < 50*time.Second || failing.RetryAt.Sub(time.Now()) > time.Minute {
				t.Errorf("failing source: error %q, failures %d, retry at %v (want about a minute from now)", failing.LastError, failing.Failures, failing.RetryAt)
			}
			if failing.Position != before.Position || !failing.CoveredFrom.Equal(*before.CoveredFrom) || !failing.CoveredTo.Equal(*before.CoveredTo) {
				t.Errorf("a failure changed what was known: position %q → %q, covered to %v → %v", before.Position, failing.Position, before.CoveredTo, failing.CoveredTo)
			}

			// Until its retry time the source is skipped, and the run is fine.
			run = runRecorded(t, s, job)
			if run.Status != jobs.StatusSucceeded || run.CountMap()["sources backing off"] != 1 || run.Total != 1 {
				t.Errorf("run during the backoff: %s %q %v of %d", run.Status, run.Error, run.CountMap(), run.Total)
			}
			// After it, it is tried again; failing again doubles the wait.
			clock = clock.Add(90 * time.Second)
			if run := runRecorded(t, s, job); run.Status != jobs.StatusFailed {
				t.Errorf("retry: %s", run.Status)
			}
			if got := sourceByID(t, s, flaky.ID); got.Failures != 2 || got.RetryAt.Sub(time.Now()) < 110*time.Second {
				t.Errorf("second failure: %d failures, retry at %v", got.Failures, got.RetryAt)
			}
			// Once the file is back, the next try succeeds and clears it.
			appendFile(t, flakyPath, nginxLine(at(4), "GET", "pets.example.com", "/f2", 200, ""))
			clock = clock.Add(3 * time.Minute)
			if run := runRecorded(t, s, job); run.Status != jobs.StatusSucceeded {
				t.Errorf("recovery: %s %q", run.Status, run.Error)
			}
			if got := sourceByID(t, s, flaky.ID); got.LastError != "" || got.Failures != 0 || got.RetryAt != nil {
				t.Errorf("recovered source: error %q, failures %d, retry at %v", got.LastError, got.Failures, got.RetryAt)
			}
			if got := journalPaths(t, jr); got[len(got)-1] != "/f2" {
				t.Errorf("journal after recovery: %q", got)
			}
			if got := sourceByID(t, s, healthy.ID); got.LastError != "" || got.Failures != 0 {
				t.Errorf("the healthy source caught its neighbour's failure: %q", got.LastError)
			}
		})
	}
}

func TestLogReadParsesEachKind(t *testing.T) {
	s := storetest.New(t, "sqlite")
	jr := openJournal(t)
	dir := t.TempDir()
	tests := []struct {
		kind    traffic.SourceKind
		fixture string
		want    []string
	}{
		{traffic.KindNginxLog, "nginx.log", []string{"/v2/orders/ord_8812", "/api/v1/contacts", "/tiles/12/2200/1343.png", "/files/résumé.pdf", "/v2/carts/c_91"}},
		{traffic.KindKongLog, "kong.log", []string{"/log", "/v2/orders/ord_8812", "/healthz"}},
		{traffic.KindEnvoyLog, "envoy.log", []string{"/v2/orders/ord_8812", "/grpc.health.v1.Health/Check", "/v1/users/u/7/avatar"}},
	}
	ids := map[int64]traffic.SourceKind{}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join("..", "traffic", "ingest", "testdata", tt.fixture))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, tt.fixture)
		appendFile(t, path, string(b))
		ids[newLogSource(t, s, string(tt.kind), tt.kind, path).ID] = tt.kind
	}
	if run := runRecorded(t, s, &jobs.LogRead{Store: s, Journal: jr, Hasher: testHasher}); run.Status != jobs.StatusSucceeded || run.CountMap()["bad lines"] != 0 {
		t.Fatalf("run: %s %q %v", run.Status, run.Error, run.CountMap())
	}
	got := map[traffic.SourceKind][]string{}
	for _, e := range journalEvents(t, jr) {
		got[ids[e.source]] = append(got[ids[e.source]], e.event.Path)
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(got[tt.kind], tt.want) {
			t.Errorf("%s: %q, want %q", tt.kind, got[tt.kind], tt.want)
		}
	}
}
