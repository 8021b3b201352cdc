package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/gommon/random"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/traffic"
	"github.com/steward-governance/steward/traffic/ingest"
	"github.com/steward-governance/steward/traffic/journal"
)

// Ingester keeps acknowledged events; *journal.Journal implements it. An
// append returns only once the events are durable.
type Ingester interface {
	Append(ctx context.Context, payload []byte) error
	AppendBatch(ctx context.Context, payloads [][]byte) error
}

// retryAfterSeconds is what an over-capacity answer asks senders to wait:
// the journal drains in milliseconds, so a second is plenty.
const retryAfterSeconds = "1"

// ingestAhead answers POSTs from SDKs and exporters before routing and the
// page middleware: an SDK sends one request per event, and the security
// headers, gzip, request timeout, request id and request log, none of which
// an SDK reads, cost about a fifth of each event's CPU. What ingest does need is
// kept: panics become 500s, refusals go through the one error handler (which
// logs them, with a request id), and the request metrics. The routes are
// registered too (routes.go), for the route table and the contract tests.
func (s *Server) ingestAhead(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		var h echo.HandlerFunc
		switch {
		case r.Method != http.MethodPost:
			return next(c)
		case r.URL.Path == "/ingest/treblle":
			h = s.ingestTreblle
		case r.URL.Path == "/v1/traces":
			h = s.ingestOTLP
		default:
			return next(c)
		}
		c.SetPath(r.URL.Path)
		start := time.Now()
		if err := callRecovering(h, c); err != nil {
			c.Response().Header().Set(echo.HeaderXRequestID, random.String(32))
			c.Error(err)
		}
		if s.metrics != nil {
			s.metrics.Request(r.Method, r.URL.Path, c.Response().Status, time.Since(start))
		}
		return nil
	}
}

// callRecovering runs h, turning a panic into an error with its stack, as
// the Recover middleware does for every other route.
func callRecovering(h echo.HandlerFunc, c echo.Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			stack := make([]byte, 4<<10)
			stack = stack[:runtime.Stack(stack, false)]
			err = fmt.Errorf("panic: %v\n%s", p, stack)
		}
	}()
	return h(c)
}

// ingestTreblle accepts one event in the Treblle SDK format. The key comes
// from the x-api-key header or the payload (either generation of names).
func (s *Server) ingestTreblle(c echo.Context) error {
	body, err := s.readIngestBody(c)
	if err != nil {
		return err
	}
	env, ev, err := ingest.DecodeTreblle(body, s.hasher)
	if err != nil {
		return ingestError(err)
	}
	src, err := s.ingestSource(c.Request().Context(), traffic.KindTreblle, env.Keys(c.Request().Header.Get("X-Api-Key"))...)
	if err != nil {
		return err
	}
	if err := s.ingest.Append(c.Request().Context(), journal.EncodeEvent(nil, src, &ev)); err != nil {
		return appendError(err)
	}
	s.countIngested(traffic.KindTreblle, 1)
	return c.JSONBlob(http.StatusAccepted, acceptedOne)
}

// ingestOTLP accepts OTLP/HTTP trace exports, protobuf or JSON; the key
// comes in x-api-key or as a bearer token, as OTEL_EXPORTER_OTLP_HEADERS
// sets either.
func (s *Server) ingestOTLP(c echo.Context) error {
	body, err := s.readIngestBody(c)
	if err != nil {
		return err
	}
	h := c.Request().Header
	key := h.Get("X-Api-Key")
	if bearer, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer "); ok && key == "" {
		key = strings.TrimSpace(bearer)
	}
	src, err := s.ingestSource(c.Request().Context(), traffic.KindOTLP, key)
	if err != nil {
		return err
	}
	contentType := h.Get(echo.HeaderContentType)
	events, err := ingest.DecodeOTLP(body, contentType, s.hasher)
	if err != nil {
		return ingestError(err)
	}
	if len(events) > 0 {
		payloads := make([][]byte, len(events))
		for i := range events {
			payloads[i] = journal.EncodeEvent(nil, src, &events[i])
		}
		if err := s.ingest.AppendBatch(c.Request().Context(), payloads); err != nil {
			return appendError(err)
		}
		s.countIngested(traffic.KindOTLP, len(events))
	}
	// OTLP/HTTP answers an empty ExportTraceServiceResponse in the
	// request's encoding; an empty protobuf message is zero bytes.
	if strings.HasPrefix(contentType, "application/json") {
		return c.JSONBlob(http.StatusOK, []byte("{}"))
	}
	return c.Blob(http.StatusOK, "application/x-protobuf", nil)
}

func (s *Server) readIngestBody(c echo.Context) ([]byte, error) {
	if s.ingest == nil {
		return nil, echo.NewHTTPError(http.StatusServiceUnavailable, "Ingestion is not running on this Steward.")
	}
	body, err := ingest.ReadBody(c.Request().Body, c.Request().Header.Get(echo.HeaderContentEncoding), s.cfg.IngestMaxBytes)
	if err != nil {
		return nil, ingestError(err)
	}
	return body, nil
}

// ingestError maps a decoder's refusal to its status, keeping its reason.
func ingestError(err error) error {
	var ie *ingest.Error
	if !errors.As(err, &ie) {
		return err
	}
	switch ie.Kind {
	case ingest.ErrTooLarge:
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, ie.Reason)
	case ingest.ErrUnsupported:
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, ie.Reason)
	}
	return echo.NewHTTPError(http.StatusBadRequest, ie.Reason)
}

// acceptedOne is the answer to every accepted SDK event, encoded once.
var acceptedOne = []byte(`{"status":"accepted","events":1}`)

// statusClientClosed is nginx's name for a request whose client left
// before the answer: not the server's error, and nobody reads the answer.
const statusClientClosed = 499

// appendError says "later" when the journal is full, never dropping.
func appendError(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		// The client gave up waiting; its events may still be written
		// (delivery is at least once), so this is neither a 500 nor news.
		return echo.NewHTTPError(statusClientClosed, "The client closed the connection before the events were stored.")
	case errors.Is(err, journal.ErrOverCapacity):
		he := echo.NewHTTPError(http.StatusTooManyRequests, "Steward is taking in events faster than it can store them; retry after a second.")
		return &retryAfter{he, retryAfterSeconds}
	case errors.Is(err, journal.ErrBatchTooLarge), errors.Is(err, journal.ErrRecordTooLarge):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "This request holds more events than Steward stores at once; send smaller batches.")
	case errors.Is(err, journal.ErrClosed):
		he := echo.NewHTTPError(http.StatusServiceUnavailable, "Steward is shutting down; retry shortly.")
		return &retryAfter{he, "5"}
	}
	return err
}

// retryAfter is an HTTP error whose answer carries Retry-After.
type retryAfter struct {
	*echo.HTTPError
	seconds string
}

func (r *retryAfter) Unwrap() error { return r.HTTPError }

// ingestSource finds the enabled source of kind that one of keys belongs
// to. Keys are looked up through a short-lived cache: a busy SDK sends
// thousands of events a second with the same key.
func (s *Server) ingestSource(ctx context.Context, kind traffic.SourceKind, keys ...string) (int64, error) {
	for _, key := range keys {
		if key == "" {
			continue
		}
		id, k, err := s.ingestKeys.lookup(ctx, key, func(ctx context.Context, key string) (int64, traffic.SourceKind, error) {
			src, err := s.store.SourceByIngestKey(ctx, key)
			if err != nil {
				return 0, "", err
			}
			return src.ID, src.Kind, nil
		})
		if err != nil {
			return 0, err
		}
		if id != 0 && k == kind {
			return id, nil
		}
	}
	return 0, echo.NewHTTPError(http.StatusUnauthorized, "No enabled "+kind.Title()+" source has this key. Create one on Steward's sources page and send its ingest key.")
}

// keyCache remembers which source an ingest key belongs to, and that a key
// belongs to none, for a short while.
type keyCache struct {
	mu      sync.Mutex
	entries map[string]keyEntry
}

type keyEntry struct {
	id      int64
	kind    traffic.SourceKind
	expires time.Time
}

// Known keys are trusted for a minute, unknown ones refused for five
// seconds: pausing or deleting a source on another replica takes effect
// within a minute; here it is immediate (forget).
const (
	keyCacheTTL        = time.Minute
	keyCacheMissTTL    = 5 * time.Second
	keyCacheMaxEntries = 10_000
)

func (kc *keyCache) lookup(ctx context.Context, key string, load func(context.Context, string) (int64, traffic.SourceKind, error)) (int64, traffic.SourceKind, error) {
	now := time.Now()
	kc.mu.Lock()
	e, ok := kc.entries[key]
	kc.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.id, e.kind, nil
	}
	id, kind, err := load(ctx, key)
	ttl := keyCacheTTL
	if errors.Is(err, catalog.ErrNotFound) {
		id, kind, err, ttl = 0, "", nil, keyCacheMissTTL
	}
	if err != nil {
		return 0, "", err
	}
	kc.mu.Lock()
	if kc.entries == nil || len(kc.entries) >= keyCacheMaxEntries {
		kc.entries = map[string]keyEntry{}
	}
	kc.entries[key] = keyEntry{id, kind, now.Add(ttl)}
	kc.mu.Unlock()
	return id, kind, nil
}

// forget drops every cached key after a source changes.
func (kc *keyCache) forget() {
	kc.mu.Lock()
	kc.entries = nil
	kc.mu.Unlock()
}

func (s *Server) countIngested(kind traffic.SourceKind, n int) {
	if s.metrics != nil {
		s.metrics.Ingested(string(kind), n)
	}
}
