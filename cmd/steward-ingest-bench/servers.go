package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/config"
	"github.com/steward-governance/steward/handlers"
	"github.com/steward-governance/steward/metrics"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/sealing"
	"github.com/steward-governance/steward/static"
	"github.com/steward-governance/steward/traffic"
	"github.com/steward-governance/steward/traffic/journal"
)

// nullHandler is the yardstick: it decodes the JSON body into a map, as
// any Go service taking events must at least do, and answers 202.
func nullHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var event map[string]any
		if err := json.NewDecoder(r.Body).Decode(&event); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"status":"accepted","events":1}`+"\n")
	})
}

// statusCounts counts answers on the server side: wrk reports only
// "status above 399", and a 429 must be told from a failure.
type statusCounts struct {
	accepted, tooMany atomic.Int64

	mu    sync.Mutex
	other map[int]int64 // rare: any other status, by code
}

// counted wraps next, counting the status of every answer. Both servers
// carry it, so its cost does not tilt the comparison.
func (c *statusCounts) counted(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		switch {
		case sw.status == http.StatusAccepted:
			c.accepted.Add(1)
		case sw.status == http.StatusTooManyRequests:
			c.tooMany.Add(1)
		default:
			c.mu.Lock()
			if c.other == nil {
				c.other = map[int]int64{}
			}
			c.other[sw.status]++
			c.mu.Unlock()
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status  int
	written bool
}

// others returns the count of answers other than 202 and 429, by status.
func (c *statusCounts) others() map[int]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.other)
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.written {
		w.status, w.written = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.written = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// server is one HTTP server under test on a loopback port.
type server struct {
	name   string
	url    string
	counts *statusCounts
	srv    *http.Server
	errc   chan error
}

// serve listens on a free loopback port with the timeouts `steward serve`
// uses.
func serve(name string, h http.Handler) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{name: name, url: "http://" + ln.Addr().String(), counts: &statusCounts{}, errc: make(chan error, 1)}
	s.srv = &http.Server{
		Handler:           s.counts.counted(h),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      40 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	go func() { s.errc <- s.srv.Serve(ln) }()
	return s, nil
}

// stop shuts the server down, waiting for requests in flight.
func (s *server) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return err
	}
	if err := <-s.errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// steward is Steward's ingest path as `steward serve` builds it: the real
// handlers and middleware (request metrics included), a SQLite store
// holding one Treblle source, and the journal on disk. Only the parts
// ingestion does not touch (OIDC, the jobs) are left out.
type steward struct {
	store    *models.Store
	journal  *journal.Journal
	handler  http.Handler
	key      string
	logFile  *os.File
	dbPath   string
	jrDir    string
	sourceID int64
}

// newSteward builds Steward's ingest path in dir. logLevel is the level
// Steward logs at (STEWARD_LOG_LEVEL); the log goes to a file, as a
// service's stderr goes to journald or a container log.
func newSteward(ctx context.Context, dir, logLevel string) (*steward, error) {
	st := &steward{dbPath: filepath.Join(dir, "steward.db"), jrDir: filepath.Join(dir, "journal")}
	cfg, err := config.Load([]string{"--database-url", st.dbPath, "--journal-dir", st.jrDir, "--demo=false", "--log-level", logLevel},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		return nil, err
	}
	if st.logFile, err = os.Create(filepath.Join(dir, "steward.log")); err != nil {
		return nil, err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(st.logFile, &slog.HandlerOptions{Level: level}))

	if st.store, err = models.Open(cfg.DatabaseURL, log); err != nil {
		return nil, err
	}
	if err := st.store.Migrate(); err != nil {
		return nil, err
	}
	st.key = "stwi_" + randomString(32)
	src, err := st.store.CreateSource(ctx, catalog.SystemActor("bench"), models.NewSource{Name: "bench SDK", Kind: traffic.KindTreblle, IngestKey: st.key})
	if err != nil {
		return nil, err
	}
	st.sourceID = src.ID
	box, err := sealing.New(randomString(48))
	if err != nil {
		return nil, err
	}
	if st.journal, err = journal.Open(cfg.JournalDir, journal.Options{Log: log}); err != nil {
		return nil, err
	}
	e, err := handlers.New(handlers.Deps{Store: st.store, Identities: st.store, Config: cfg, Log: log, Static: static.Files, Background: ctx,
		Sealer: box, Ingest: st.journal, ConsumerKey: box.ConsumerKey(), Metrics: metrics.New()})
	if err != nil {
		return nil, err
	}
	st.handler = e
	return st, nil
}

// journaled closes the journal, opens the directory afresh as a restarted
// Steward would, and counts the records it holds and those of the bench
// source that decode.
func (st *steward) journaled() (records, events int64, err error) {
	if err := st.journal.Close(); err != nil {
		return 0, 0, err
	}
	j, err := journal.Open(st.jrDir, journal.Options{})
	if err != nil {
		return 0, 0, err
	}
	defer j.Close()
	_, _, err = j.ReadFrom(journal.Position{}, math.MaxInt, func(b []byte) error {
		records++
		if src, _, err := journal.DecodeEvent(b); err == nil && src == st.sourceID {
			events++
		}
		return nil
	})
	return records, events, err
}

func (st *steward) close() {
	st.journal.Close()
	st.store.Close()
	st.logFile.Close()
}

// treblleEvent is one request as the Treblle SDKs report it (treblle-node
// generation), with the key sent in x-api-key rather than the payload.
func treblleEvent(now time.Time) string {
	b, err := json.Marshal(map[string]any{
		"api_key": "", "project_id": "proj_bench", "version": 1.2, "sdk": "express",
		"data": map[string]any{
			"server":   map[string]any{"ip": "10.0.0.4", "timezone": "UTC", "software": "node", "protocol": "HTTP/1.1", "os": map[string]any{"name": "linux", "release": "6.1.0", "architecture": "x64"}},
			"language": map[string]any{"name": "node", "version": "22.1.0"},
			"request": map[string]any{
				"timestamp": now.UTC().Format("2006-01-02 15:04:05"), "ip": "203.0.113.9", "url": "https://pets.example.com/v1/pets/42?expand=owner",
				"user_agent": "pets-app/1.0 (iOS 18.1)", "method": "GET",
				"headers": map[string]any{"Authorization": "Bearer secret-token-value", "Accept": "application/json", "Host": "pets.example.com"},
				"body":    map[string]any{},
			},
			"response": map[string]any{
				"headers": map[string]any{"Content-Type": "application/json", "Content-Encoding": "gzip", "X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "97"},
				"code":    200, "size": 512, "load_time": 12.5, "body": map[string]any{"id": 42, "name": "Rex", "species": "dog"},
			},
			"errors": []any{},
		},
	})
	if err != nil {
		panic(fmt.Sprintf("marshal a constant event: %v", err))
	}
	return string(b)
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails on Linux (crypto/rand panics rather)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}
