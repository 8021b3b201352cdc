package ingest

import (
	"cmp"
	"math"
	"mime"
	"strconv"
	"strings"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/steward-governance/steward/traffic"
)

// DecodeOTLP reads an OTLP/HTTP trace export (the body POSTed to
// /v1/traces, already decompressed) and returns an event for each SERVER
// span that carries an HTTP method attribute. contentType selects the
// encoding: application/x-protobuf or application/json (OTLP's JSON
// mapping; trace and span ids are not read, so their hex spelling does not
// matter). Both the current HTTP semantic conventions and the old ones
// (http.method, http.target, http.status_code...) are understood. A span
// whose method or status is nonsense is skipped, not the request.
//
// The request is decoded as a TracesData message, which has the same wire
// format and JSON form as ExportTraceServiceRequest, so the package does
// not import the collector packages and, through them, gRPC.
func DecodeOTLP(body []byte, contentType string, h Hasher) ([]traffic.Event, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(contentType))
	}
	var td tracepb.TracesData
	switch mt {
	case "application/x-protobuf", "application/protobuf":
		err = proto.Unmarshal(body, &td)
	case "application/json":
		err = protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(body, &td)
	default:
		return nil, &Error{Format: "otlp", Kind: ErrUnsupported,
			Reason: "content type " + strconv.Quote(contentType) + " is not OTLP; send application/x-protobuf or application/json"}
	}
	if err != nil {
		return nil, malformed("otlp", "not an OTLP trace export (%s): %v", mt, err)
	}
	spans, servers := 0, 0
	for _, rs := range td.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			spans += len(ss.GetSpans())
			for _, s := range ss.GetSpans() {
				if s.GetKind() == tracepb.Span_SPAN_KIND_SERVER {
					servers++
				}
			}
		}
	}
	if spans > MaxOTLPSpans {
		return nil, &Error{Format: "otlp", Kind: ErrTooLarge, Limit: MaxOTLPSpans,
			Reason: "the request carries " + strconv.Itoa(spans) + " spans; send at most " + strconv.Itoa(MaxOTLPSpans) + " per request"}
	}
	events := make([]traffic.Event, 0, servers)
	for _, rs := range td.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				if s.GetKind() != tracepb.Span_SPAN_KIND_SERVER {
					continue
				}
				if e, ok := spanEvent(s, h); ok {
					events = append(events, e)
				}
			}
		}
	}
	return events, nil
}

// spanAttrs is what a server span's attributes say, under either
// generation of the HTTP semantic conventions.
type spanAttrs struct {
	method, methodOriginal string
	scheme                 string
	host, hostOld          string
	path, target, fullURL  string
	query                  string
	route                  string
	userAgent              string
	client                 string
	user                   string
	status                 number
	size                   number
	req, resp              headerFacts
}

func (a *spanAttrs) add(kv *commonpb.KeyValue) {
	k, v := kv.GetKey(), kv.GetValue()
	switch k {
	case "http.request.method", "http.method":
		a.method = anyText(v)
	case "http.request.method_original":
		a.methodOriginal = anyText(v)
	case "url.scheme", "http.scheme":
		a.scheme = anyText(v)
	case "server.address", "http.host":
		a.host = anyText(v)
	case "net.host.name", "http.server_name":
		a.hostOld = anyText(v)
	case "url.path":
		a.path = anyText(v)
	case "url.query":
		a.query = anyText(v)
	case "http.target":
		a.target = anyText(v)
	case "url.full", "http.url":
		a.fullURL = anyText(v)
	case "http.route":
		a.route = anyText(v)
	case "user_agent.original", "http.user_agent":
		a.userAgent = anyText(v)
	case "client.address", "http.client_ip":
		a.client = anyText(v)
	case "enduser.id", "user.id":
		a.user = anyText(v)
	case "http.response.status_code", "http.status_code":
		a.status = anyNumber(v)
	case "http.response.body.size", "http.response_content_length":
		a.size = anyNumber(v)
	default:
		if name, ok := strings.CutPrefix(k, "http.request.header."); ok {
			a.req.add(name, anyText(v))
		} else if name, ok := strings.CutPrefix(k, "http.response.header."); ok {
			a.resp.add(name, anyText(v))
		}
	}
}

// spanEvent turns a server span into an event; false when it is not an
// HTTP span or its facts are nonsense.
func spanEvent(s *tracepb.Span, h Hasher) (traffic.Event, bool) {
	var a spanAttrs
	for i, kv := range s.GetAttributes() {
		if i == maxSpanAttributes {
			break
		}
		a.add(kv)
	}
	method := a.method
	if method == "_OTHER" {
		method = a.methodOriginal
	}
	var e traffic.Event
	var ok bool
	if e.Method, ok = methodOf(method); !ok {
		return e, false
	}
	if e.Status, ok = statusOf(a.status); !ok {
		return e, false
	}
	start, end := s.GetStartTimeUnixNano(), s.GetEndTimeUnixNano()
	if start == 0 || start > math.MaxInt64 {
		return e, false
	}
	e.Time = time.Unix(0, int64(start)).UTC()
	if end > start && end <= math.MaxInt64 {
		e.Duration = time.Duration(end - start)
	}

	var t target
	switch {
	case a.path != "":
		t = splitTarget(a.path)
		t.rawQuery = a.query
	case a.target != "":
		t = splitTarget(a.target)
	case a.fullURL != "":
		t = splitTarget(a.fullURL)
	default:
		return e, false
	}
	if a.fullURL != "" {
		full := splitTarget(a.fullURL)
		t.scheme, t.host = cmp.Or(t.scheme, full.scheme), cmp.Or(t.host, full.host)
	}
	e.Scheme = schemeOf(cmp.Or(a.scheme, t.scheme))
	e.Host = cmp.Or(hostOf(a.host), hostOf(a.hostOld), t.host, hostOf(a.req.host))
	e.Path = t.path
	e.Route = a.route
	e.ResponseBytes = bytesOf(a.size)
	e.UserAgent = cutUserAgent(cmp.Or(a.userAgent, a.req.userAgent))
	e.Authenticated = a.req.auth || a.user != "" || queryHasKey(t.rawQuery)
	e.Consumer = consumer(h, a.user, a.req.credential(), a.client)
	a.resp.respond(&e)
	ok = checkPath("otlp", &e) == nil
	return e, ok
}

// anyText returns an attribute value as text: strings as they are, the
// first element of an array (header attributes are string arrays), numbers
// formatted.
func anyText(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonpb.AnyValue_DoubleValue:
		return strconv.FormatFloat(x.DoubleValue, 'f', -1, 64)
	case *commonpb.AnyValue_BoolValue:
		if x.BoolValue {
			return "true"
		}
	case *commonpb.AnyValue_ArrayValue:
		if vs := x.ArrayValue.GetValues(); len(vs) > 0 {
			return anyText(vs[0])
		}
	}
	return ""
}

// anyNumber returns an attribute value as a number; some instrumentations
// record status codes as strings.
func anyNumber(v *commonpb.AnyValue) number {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_IntValue:
		return number{v: float64(x.IntValue), ok: true}
	case *commonpb.AnyValue_DoubleValue:
		if math.IsNaN(x.DoubleValue) || math.IsInf(x.DoubleValue, 0) {
			return number{bad: true}
		}
		return number{v: x.DoubleValue, ok: true}
	case *commonpb.AnyValue_StringValue:
		s := strings.TrimSpace(x.StringValue)
		if s == "" {
			return number{}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return number{bad: true}
		}
		return number{v: f, ok: true}
	}
	return number{}
}
