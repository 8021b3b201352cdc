package demotraffic

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steward-governance/steward/traffic/ingest"
)

// ingestStub stands in for Steward's POST /ingest/treblle: it reads bodies
// as Steward does (gzip undone, payload decoded), and answers with what
// answer returns for the n-th request (from 1).
type ingestStub struct {
	t        *testing.T
	answer   func(n int64, w http.ResponseWriter) bool // true: accepted
	requests atomic.Int64

	mu       sync.Mutex
	accepted [][]byte // decompressed payloads
	agents   []string
	keys     []string
}

func (s *ingestStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/ingest/treblle" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	n := s.requests.Add(1)
	body, err := ingest.ReadBody(r.Body, r.Header.Get("Content-Encoding"), 0)
	if err != nil {
		s.t.Errorf("request %d: reading body: %v", n, err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if _, _, err := ingest.DecodeTreblle(body, testHasher); err != nil {
		s.t.Errorf("request %d: %v", n, err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !s.answer(n, w) {
		return
	}
	s.mu.Lock()
	s.accepted = append(s.accepted, body)
	s.agents = append(s.agents, r.Header.Get("User-Agent"))
	s.keys = append(s.keys, r.Header.Get("X-Api-Key"))
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	w.Write([]byte(`{"status":"accepted","events":1}`))
}

func accept(int64, http.ResponseWriter) bool { return true }

// echoError answers the way Steward's error handler does.
func echoError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write([]byte(`{"message":"` + msg + `"}`))
}

func TestSendDeliversEveryEventOnce(t *testing.T) {
	events := Generate(smallCatalogue(), Options{Seed: 5, Now: testNow, Events: 400})
	gzipped := 0
	for _, e := range events {
		if e.Gzip {
			gzipped++
		}
	}
	if gzipped == 0 || gzipped == len(events) {
		t.Fatalf("%d of %d events gzipped; the test wants both kinds", gzipped, len(events))
	}

	tests := []struct {
		name          string
		answer        func(n int64, w http.ResponseWriter) bool
		wantThrottled int
		wantRetried   int
	}{
		{"accepted at once", accept, 0, 0},
		{"first requests over capacity", func(n int64, w http.ResponseWriter) bool {
			if n <= 3 {
				w.Header().Set("Retry-After", "1")
				echoError(w, http.StatusTooManyRequests, "Steward is taking in events faster than it can store them; retry after a second.")
				return false
			}
			return true
		}, 3, 0},
		{"shutting down once", func(n int64, w http.ResponseWriter) bool {
			if n == 2 {
				w.Header().Set("Retry-After", "0")
				echoError(w, http.StatusServiceUnavailable, "Steward is shutting down; retry shortly.")
				return false
			}
			return true
		}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stub := &ingestStub{t: t, answer: tt.answer}
			srv := httptest.NewServer(stub)
			defer srv.Close()

			var calls, last int
			var progressMu sync.Mutex
			stats, err := Send(context.Background(), srv.Client(), srv.URL+"/", testKey, events, 4, func(sent, total int) {
				progressMu.Lock()
				defer progressMu.Unlock()
				calls++
				if sent != last+1 || total != len(events) {
					t.Errorf("progress(%d, %d) after progress(%d, …), want (%d, %d)", sent, total, last, last+1, len(events))
				}
				last = sent
			})
			if err != nil {
				t.Fatal(err)
			}
			want := Stats{Sent: len(events), Throttled: tt.wantThrottled, Retried: tt.wantRetried}
			if stats != want {
				t.Errorf("stats = %+v, want %+v", stats, want)
			}
			if calls != len(events) {
				t.Errorf("progress called %d times, want %d", calls, len(events))
			}

			// Every event arrived exactly once.
			var sent, got []string
			for i := range events {
				sent = append(sent, string(events[i].Payload(testKey)))
			}
			for _, b := range stub.accepted {
				got = append(got, string(b))
			}
			slices.Sort(sent)
			slices.Sort(got)
			if !slices.Equal(sent, got) {
				t.Errorf("Steward accepted %d payloads, want the %d events each once", len(got), len(sent))
			}
			for i := range stub.agents {
				if stub.agents[i] != UserAgent || stub.keys[i] != testKey {
					t.Fatalf("request sent User-Agent %q, X-Api-Key %q; want %q, %q", stub.agents[i], stub.keys[i], UserAgent, testKey)
				}
			}
		})
	}
}

func TestSendStops(t *testing.T) {
	events := Generate(smallCatalogue(), Options{Seed: 6, Now: testNow, Events: 200})
	tests := []struct {
		name    string
		answer  func(n int64, w http.ResponseWriter) bool
		timeout time.Duration
		wantIs  error
		wantMsg string
	}{
		{"key refused", func(_ int64, w http.ResponseWriter) bool {
			echoError(w, http.StatusUnauthorized, "No enabled SDK events (Treblle-compatible) source has this key.")
			return false
		}, 0, ErrKeyRefused, "the demo source's key was refused (HTTP 401"},
		{"event refused", func(_ int64, w http.ResponseWriter) bool {
			echoError(w, http.StatusBadRequest, "treblle: data is missing")
			return false
		}, 0, nil, "HTTP 400 from"},
		{"over capacity until cancelled", func(_ int64, w http.ResponseWriter) bool {
			w.Header().Set("Retry-After", "1")
			echoError(w, http.StatusTooManyRequests, "retry after a second")
			return false
		}, 300 * time.Millisecond, context.DeadlineExceeded, "stopped after 0 of "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stub := &ingestStub{t: t, answer: tt.answer}
			srv := httptest.NewServer(stub)
			defer srv.Close()
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}

			start := time.Now()
			stats, err := Send(ctx, srv.Client(), srv.URL, testKey, events, 3, nil)
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v, want it to be %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q, want it to say %q", err, tt.wantMsg)
			}
			if stats.Sent != 0 {
				t.Errorf("%d events sent, want none", stats.Sent)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Send took %v to stop", d)
			}
			if n := stub.requests.Load(); tt.timeout == 0 && n > 3 {
				t.Errorf("%d requests after a refusal, want at most one per goroutine", n)
			}
		})
	}
}
