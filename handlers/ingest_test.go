package handlers_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	common "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/steward-governance/steward/traffic"
	"github.com/steward-governance/steward/traffic/journal"
)

// treblleEvent is one request as a Treblle SDK (treblle-node generation)
// reports it, with key as its api_key.
func treblleEvent(key string) string {
	b, _ := json.Marshal(map[string]any{
		"api_key": key, "project_id": "proj_1", "version": 1.2, "sdk": "express",
		"data": map[string]any{
			"server":   map[string]any{"ip": "10.0.0.4", "timezone": "UTC", "protocol": "HTTP/1.1"},
			"language": map[string]any{"name": "node", "version": "22.1.0"},
			"request": map[string]any{
				"timestamp": "2026-11-25 10:15:02", "ip": "203.0.113.9", "url": "https://pets.example.com/pets/42?expand=owner",
				"user_agent": "pets-app/1.0", "method": "GET",
				"headers": map[string]any{"Authorization": "Bearer secret-token-value", "Accept": "application/json"},
				"body":    map[string]any{"password": "hunter2"},
			},
			"response": map[string]any{
				"headers": map[string]any{"Content-Type": "application/json", "Content-Encoding": "gzip", "X-RateLimit-Limit": "100"},
				"code":    200, "size": 512, "load_time": 12.5, "body": map[string]any{"name": "Rex"},
			},
			"errors": []any{},
		},
	})
	return string(b)
}

// addSource creates a source through the admin page and returns its
// ingest key, shown once.
func (s *site) addSource(name, kind, api string) string {
	s.t.Helper()
	p := s.post("/admin/sources", "/admin/sources", url.Values{"name": {name}, "kind": {kind}, "api": {api}})
	if p.status != http.StatusCreated {
		s.t.Fatalf("create source: %d %s", p.status, p.text(".error-text, .field-error"))
	}
	key := p.text("[data-testid=new-source-key]")
	if !strings.HasPrefix(key, "stwi_") {
		s.t.Fatalf("no ingest key shown: %q", key)
	}
	return key
}

// journaled reads every event the journal holds.
func (s *site) journaled() ([]int64, []traffic.Event) {
	s.t.Helper()
	var sources []int64
	var events []traffic.Event
	_, _, err := s.journal.ReadFrom(journal.Position{}, 1000, func(b []byte) error {
		src, ev, err := journal.DecodeEvent(b)
		sources, events = append(sources, src), append(events, ev)
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return sources, events
}

func (s *site) send(path, contentType string, body []byte, header http.Header) *page {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header[k] = v
	}
	return s.do(req)
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestIngestTreblleAcceptsEveryKeyPlacement(t *testing.T) {
	s := newSite(t, "sqlite")
	key := s.addSource("payments SDK", "treblle", "")
	withKeyIn := func(field string) string {
		var m map[string]any
		json.Unmarshal([]byte(treblleEvent("")), &m)
		delete(m, "api_key")
		m[field] = key
		b, _ := json.Marshal(m)
		return string(b)
	}
	cases := []struct {
		name     string
		body     []byte
		header   http.Header
		wantCode int
	}{
		{"api_key (treblle-node)", []byte(treblleEvent(key)), nil, http.StatusAccepted},
		{"project_id (treblle-go v2)", []byte(withKeyIn("project_id")), nil, http.StatusAccepted},
		{"sdk_token (treblle-laravel v6)", []byte(withKeyIn("sdk_token")), nil, http.StatusAccepted},
		{"x-api-key header", []byte(treblleEvent("")), http.Header{"X-Api-Key": {key}}, http.StatusAccepted},
		{"gzip", gzipped(treblleEvent(key)), http.Header{"Content-Encoding": {"gzip"}}, http.StatusAccepted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := s.send("/ingest/treblle", "application/json", c.body, c.header)
			if p.status != c.wantCode {
				t.Fatalf("status %d, want %d: %s", p.status, c.wantCode, p.body)
			}
		})
	}
	sources, events := s.journaled()
	if len(events) != len(cases) {
		t.Fatalf("journal holds %d events, want %d", len(events), len(cases))
	}
	ev := events[0]
	if sources[0] == 0 || ev.Method != "GET" || ev.Scheme != "https" || ev.Host != "pets.example.com" || ev.Path != "/pets/42" ||
		ev.Status != 200 || !ev.Authenticated || !ev.Compressed || !ev.RateLimitHeaders || ev.Consumer == "" {
		t.Errorf("event as journaled: source %d %+v", sources[0], ev)
	}
	// Nothing of bodies, header values or the raw identity is kept.
	raw, _ := json.Marshal(events)
	for _, secret := range []string{"hunter2", "secret-token-value", "Rex", "expand=owner", "203.0.113.9"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("journaled events hold %q", secret)
		}
	}
}

func TestIngestRefusesBadInput(t *testing.T) {
	s := newSite(t, "sqlite")
	key := s.addSource("payments SDK", "treblle", "")
	otlpKey := s.addSource("traces", "otlp", "")
	cases := []struct {
		name       string
		path       string
		body       []byte
		header     http.Header
		wantStatus int
		wantIn     string
	}{
		{"not JSON", "/ingest/treblle", []byte("{not json"), nil, http.StatusBadRequest, "JSON"},
		{"no request", "/ingest/treblle", []byte(`{"api_key":"` + key + `","data":{}}`), nil, http.StatusBadRequest, "request"},
		{"no key", "/ingest/treblle", []byte(treblleEvent("")), nil, http.StatusUnauthorized, "ingest key"},
		{"unknown key", "/ingest/treblle", []byte(treblleEvent("stwi_nope")), nil, http.StatusUnauthorized, "ingest key"},
		{"key of another kind of source", "/ingest/treblle", []byte(treblleEvent(otlpKey)), nil, http.StatusUnauthorized, "ingest key"},
		{"over the size limit", "/ingest/treblle", []byte(`{"pad":"` + strings.Repeat("x", 3<<20) + `"}`), nil, http.StatusRequestEntityTooLarge, ""},
		{"gzip bomb", "/ingest/treblle", gzipped(strings.Repeat(" ", 50<<20)), http.Header{"Content-Encoding": {"gzip"}}, http.StatusRequestEntityTooLarge, ""},
		{"unknown encoding", "/ingest/treblle", []byte(treblleEvent(key)), http.Header{"Content-Encoding": {"br"}}, http.StatusUnsupportedMediaType, "gzip"},
		{"OTLP without key", "/v1/traces", []byte(`{"resourceSpans":[]}`), nil, http.StatusUnauthorized, "ingest key"},
		{"OTLP garbage", "/v1/traces", []byte("\xff\xfe"), http.Header{"X-Api-Key": {otlpKey}}, http.StatusBadRequest, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ct := "application/json"
			if c.name == "OTLP garbage" {
				ct = "application/x-protobuf"
			}
			p := s.send(c.path, ct, c.body, c.header)
			if p.status != c.wantStatus {
				t.Fatalf("status %d, want %d: %s", p.status, c.wantStatus, p.body)
			}
			var body struct {
				Error struct {
					Message   string
					RequestID string `json:"request_id"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(p.body), &body); err != nil || body.Error.Message == "" {
				t.Fatalf("answer is not a JSON error with a message: %s", p.body)
			}
			if !strings.Contains(body.Error.Message, c.wantIn) {
				t.Errorf("message %q does not mention %q", body.Error.Message, c.wantIn)
			}
			// The sender can quote the id; the warning logged carries it too.
			if id := p.header.Get("X-Request-Id"); id == "" || body.Error.RequestID != id {
				t.Errorf("request id: header %q, body %q", id, body.Error.RequestID)
			}
		})
	}
	if _, events := s.journaled(); len(events) != 0 {
		t.Errorf("refused requests left %d events in the journal", len(events))
	}
}

func TestIngestStopsWhenSourceIsPaused(t *testing.T) {
	s := newSite(t, "sqlite")
	key := s.addSource("payments SDK", "treblle", "")
	if p := s.send("/ingest/treblle", "application/json", []byte(treblleEvent(key)), nil); p.status != http.StatusAccepted {
		t.Fatalf("before pausing: %d", p.status)
	}
	srcs, _ := s.store.Sources(t.Context())
	p := s.post("/admin/sources", "/admin/sources/"+strconv.FormatInt(srcs[0].ID, 10)+"/enabled", url.Values{"enabled": {"false"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("pause: %d", p.status)
	}
	if p := s.send("/ingest/treblle", "application/json", []byte(treblleEvent(key)), nil); p.status != http.StatusUnauthorized {
		t.Errorf("after pausing: %d, want 401", p.status)
	}
	page := s.get("/admin/sources")
	if got := page.text("tr[data-source='payments SDK'] .source-state"); !strings.HasPrefix(got, "paused") {
		t.Errorf("state shown: %q", got)
	}
}

// otlpRequest is an OTLP trace export; TracesData has the same wire form
// as ExportTraceServiceRequest without pulling in the gRPC gateway.
func otlpRequest() *tracepb.TracesData {
	str := func(k, v string) *common.KeyValue {
		return &common.KeyValue{Key: k, Value: &common.AnyValue{Value: &common.AnyValue_StringValue{StringValue: v}}}
	}
	num := func(k string, v int64) *common.KeyValue {
		return &common.KeyValue{Key: k, Value: &common.AnyValue{Value: &common.AnyValue_IntValue{IntValue: v}}}
	}
	span := func(kind tracepb.Span_SpanKind, attrs ...*common.KeyValue) *tracepb.Span {
		return &tracepb.Span{TraceId: bytes.Repeat([]byte{1}, 16), SpanId: bytes.Repeat([]byte{2}, 8), Name: "GET /pets/{id}", Kind: kind,
			StartTimeUnixNano: 1_764_000_000_000_000_000, EndTimeUnixNano: 1_764_000_000_025_000_000, Attributes: attrs}
	}
	return &tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
		span(tracepb.Span_SPAN_KIND_SERVER, str("http.request.method", "GET"), str("url.scheme", "https"), str("server.address", "pets.example.com"),
			str("url.path", "/pets/7"), str("http.route", "/pets/{id}"), num("http.response.status_code", 404)),
		span(tracepb.Span_SPAN_KIND_CLIENT, str("http.request.method", "GET"), str("url.full", "https://elsewhere.example.com/x")),
	}}}}}}
}

func TestIngestOTLP(t *testing.T) {
	s := newSite(t, "sqlite")
	key := s.addSource("traces", "otlp", "")
	pb, err := proto.Marshal(otlpRequest())
	if err != nil {
		t.Fatal(err)
	}
	p := s.send("/v1/traces", "application/x-protobuf", pb, http.Header{"Authorization": {"Bearer " + key}})
	if p.status != http.StatusOK || p.header.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("protobuf export: %d %s", p.status, p.header.Get("Content-Type"))
	}
	_, events := s.journaled()
	if len(events) != 1 {
		t.Fatalf("journal holds %d events, want the one server span", len(events))
	}
	if ev := events[0]; ev.Route != "/pets/{id}" || ev.Status != 404 || ev.Host != "pets.example.com" {
		t.Errorf("event: %+v", ev)
	}
}
