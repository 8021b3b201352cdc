package ingest

import (
	"errors"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/steward-governance/steward/traffic"
)

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func num(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}

func strs(k string, vs ...string) *commonpb.KeyValue {
	arr := &commonpb.ArrayValue{}
	for _, v := range vs {
		arr.Values = append(arr.Values, &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}})
	}
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: arr}}}
}

var otlpStart = mustTime("2026-05-14T09:21:07.412Z")

func span(kind tracepb.Span_SpanKind, d time.Duration, attrs ...*commonpb.KeyValue) *tracepb.Span {
	return &tracepb.Span{
		TraceId:           []byte("0123456789abcdef"),
		SpanId:            []byte("01234567"),
		Name:              "span",
		Kind:              kind,
		StartTimeUnixNano: uint64(otlpStart.UnixNano()),
		EndTimeUnixNano:   uint64(otlpStart.Add(d).UnixNano()),
		Attributes:        attrs,
	}
}

// traces wraps spans the way an exporter sends them. TracesData has the
// wire format and JSON form of ExportTraceServiceRequest (one repeated
// field, resource_spans, number 1).
func traces(spans ...*tracepb.Span) *tracepb.TracesData {
	return &tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", "orders")}},
		ScopeSpans: []*tracepb.ScopeSpans{{
			Scope: &commonpb.InstrumentationScope{Name: "otelhttp"},
			Spans: spans,
		}},
	}}}
}

func TestDecodeOTLP(t *testing.T) {
	server, client, internal := tracepb.Span_SPAN_KIND_SERVER, tracepb.Span_SPAN_KIND_CLIENT, tracepb.Span_SPAN_KIND_INTERNAL
	tests := []struct {
		name string
		data *tracepb.TracesData
		want []traffic.Event
	}{
		{
			name: "current semantic conventions",
			data: traces(span(server, 48*time.Millisecond,
				str("http.request.method", "GET"), str("url.scheme", "https"), str("url.path", "/v2/orders/ord%208812"),
				str("url.query", "expand=items"), str("server.address", "API.shop.example.com"), num("server.port", 443),
				str("http.route", "/v2/orders/{id}"), num("http.response.status_code", 200),
				num("http.response.body.size", 1834), str("user_agent.original", "shop-ios/5.2.1"),
				str("client.address", "203.0.113.54"),
				strs("http.request.header.authorization", "Bearer "+sampleJWT),
				strs("http.response.header.content-encoding", "gzip"),
				strs("http.response.header.x-ratelimit-limit", "600"),
				strs("http.response.header.x-content-type-options", "nosniff"),
				strs("http.response.header.content-security-policy", "default-src 'none'"),
			)),
			want: []traffic.Event{{
				Time: otlpStart, Method: "GET", Scheme: "https", Host: "api.shop.example.com",
				Path: "/v2/orders/ord 8812", Route: "/v2/orders/{id}", Status: 200, Duration: 48 * time.Millisecond,
				ResponseBytes: 1834, UserAgent: "shop-ios/5.2.1",
				Consumer: testHasher.Consumer("jwt https://auth.example.com/ client-42"), Authenticated: true,
				RateLimitHeaders: true, Compressed: true, SecurityHeaders: true,
			}},
		},
		{
			name: "old semantic conventions",
			data: traces(span(server, 3*time.Millisecond,
				str("http.method", "post"), str("http.scheme", "http"), str("http.target", "/v1/contacts?api_key=abc"),
				str("http.host", "crm.example.org:8080"), num("http.status_code", 201),
				str("http.user_agent", "curl/8.7.1"), str("http.client_ip", "192.0.2.77"),
				num("http.response_content_length", 0),
				strs("http.response.header.strict_transport_security", "max-age=1"),
			)),
			want: []traffic.Event{{
				Time: otlpStart, Method: "POST", Scheme: "http", Host: "crm.example.org", Path: "/v1/contacts",
				Status: 201, Duration: 3 * time.Millisecond, ResponseBytes: 0, UserAgent: "curl/8.7.1",
				Consumer: testHasher.Consumer("192.0.2.77"), Authenticated: true, HSTS: true,
			}},
		},
		{
			name: "old conventions with http.url, net.host.name and a string status",
			data: traces(span(server, 0,
				str("http.method", "DELETE"), str("http.url", "https://Billing.example.net:8443/invoices/7"),
				str("net.host.name", "billing.example.net"), str("http.status_code", "204"),
				strs("http.request.header.x_api_key", "ak_1"),
			)),
			want: []traffic.Event{{
				Time: otlpStart, Method: "DELETE", Scheme: "https", Host: "billing.example.net", Path: "/invoices/7",
				Status: 204, ResponseBytes: -1, Consumer: testHasher.Consumer("ak_1"), Authenticated: true,
			}},
		},
		{
			name: "_OTHER method uses the original, enduser.id identifies",
			data: traces(span(server, time.Millisecond,
				str("http.request.method", "_OTHER"), str("http.request.method_original", "PURGE"),
				str("url.path", "/cache/x"), num("http.response.status_code", 200), str("enduser.id", "alice"),
			)),
			want: []traffic.Event{{
				Time: otlpStart, Method: "PURGE", Path: "/cache/x", Status: 200, Duration: time.Millisecond,
				ResponseBytes: -1, Consumer: testHasher.Consumer("alice"), Authenticated: true,
			}},
		},
		{
			name: "only HTTP server spans count",
			data: traces(
				span(client, time.Millisecond, str("http.request.method", "GET"), str("url.full", "https://upstream/x")),
				span(internal, time.Millisecond, str("http.request.method", "GET"), str("url.path", "/x")),
				span(server, time.Millisecond, str("rpc.system", "grpc"), str("rpc.method", "Check")),
				span(server, time.Millisecond, str("http.request.method", "GET")), // no path at all
				span(server, time.Millisecond, str("http.request.method", "GET /x"), str("url.path", "/x")),
				span(server, time.Millisecond, str("http.request.method", "GET"), str("url.path", "/x"), num("http.response.status_code", 1000)),
			),
			want: []traffic.Event{},
		},
	}
	for _, tt := range tests {
		for _, enc := range []struct {
			contentType string
			marshal     func(proto.Message) ([]byte, error)
		}{
			{"application/x-protobuf", proto.Marshal},
			{"application/json; charset=utf-8", protojson.Marshal},
		} {
			t.Run(tt.name+"/"+enc.contentType, func(t *testing.T) {
				body, err := enc.marshal(tt.data)
				if err != nil {
					t.Fatal(err)
				}
				got, err := DecodeOTLP(body, enc.contentType, testHasher)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(tt.want) {
					t.Fatalf("got %d events, want %d: %+v", len(got), len(tt.want), got)
				}
				for i := range got {
					sameEvent(t, got[i], tt.want[i])
					checkInvariants(t, got[i])
				}
			})
		}
	}
}

func TestDecodeOTLPJSONFromAnExporter(t *testing.T) {
	// Written as exporters write it: hex ids, enum as a number, int64 as strings.
	got, err := DecodeOTLP(readTestdata(t, "otlp.json"), "application/json", testHasher)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d events, want the one server span", len(got))
	}
	sameEvent(t, got[0], traffic.Event{
		Time: otlpStart, Method: "GET", Scheme: "https", Host: "api.shop.example.com", Path: "/v2/orders/ord_8812",
		Route: "/v2/orders/{id}", Status: 200, Duration: 48710 * time.Microsecond, ResponseBytes: 1834,
		UserAgent: "shop-ios/5.2.1", Consumer: testHasher.Consumer("ak_live_51Hq7"), Authenticated: true,
		Compressed: true, HSTS: true,
	})
}

func TestDecodeOTLPRefuses(t *testing.T) {
	many := make([]*tracepb.Span, MaxOTLPSpans+1)
	for i := range many {
		many[i] = span(tracepb.Span_SPAN_KIND_INTERNAL, 0)
	}
	tooMany, err := proto.Marshal(traces(many...))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		body        []byte
		contentType string
		kind        ErrorKind
	}{
		{"protobuf garbage", []byte{0xff, 0xff, 0xff, 0x01}, "application/x-protobuf", ErrMalformed},
		{"JSON garbage", []byte(`{"resourceSpans": 7}`), "application/json", ErrMalformed},
		{"not JSON", []byte(`resourceSpans`), "application/json", ErrMalformed},
		{"unknown content type", []byte(`{}`), "text/plain", ErrUnsupported},
		{"no content type", []byte(`{}`), "", ErrUnsupported},
		{"too many spans", tooMany, "application/x-protobuf", ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeOTLP(tt.body, tt.contentType, testHasher)
			var ie *Error
			if !errors.Is(err, tt.kind) || !errors.As(err, &ie) || ie.Format != "otlp" {
				t.Fatalf("err = %v, want an otlp %s", err, tt.kind)
			}
		})
	}
}

func TestDecodeOTLPEmpty(t *testing.T) {
	for _, ct := range []string{"application/x-protobuf", "application/json"} {
		body := []byte{}
		if ct == "application/json" {
			body = []byte(`{}`)
		}
		got, err := DecodeOTLP(body, ct, testHasher)
		if err != nil || len(got) != 0 {
			t.Errorf("%s: empty export gave %v, %v", ct, got, err)
		}
	}
}

func FuzzOTLP(f *testing.F) {
	f.Add(readTestdata(f, "otlp.json"), true)
	pb, _ := proto.Marshal(traces(span(tracepb.Span_SPAN_KIND_SERVER, time.Millisecond,
		str("http.method", "GET"), str("http.target", "/x?y"), num("http.status_code", 200))))
	f.Add(pb, false)
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		ct := "application/x-protobuf"
		if json {
			ct = "application/json"
		}
		events, err := DecodeOTLP(body, ct, testHasher)
		if err != nil {
			var ie *Error
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		for _, e := range events {
			checkInvariants(t, e)
		}
	})
}
