package ingest

// Limits on what one input may make the decoders do. They bound memory and
// time per request, not what a sender may legitimately report.
const (
	// MaxBodyBytes is ReadBody's default cap on a request body after
	// decompression. Treblle SDKs replace bodies over 2 MB with a stub, so
	// one payload (request and response bodies, headers, envelope) stays
	// well under 8 MiB; OTLP exporters batch a few MB of spans at most.
	MaxBodyBytes = 8 << 20

	// MaxHeaderEntries is how many entries of one header map (request or
	// response) or query-string object are looked at; the rest are skipped
	// unread. Real requests carry a few dozen headers.
	MaxHeaderEntries = 128

	// MaxPathBytes is the longest request path an event may carry; a
	// longer one is refused (ErrMalformed; an OTLP span is skipped), and a
	// longer route template is dropped. nginx refuses request lines over
	// 8 KiB by default too.
	MaxPathBytes = 8 << 10

	// MaxUserAgentBytes is where Event.UserAgent is cut, on a UTF-8
	// boundary, as traffic.Event documents.
	MaxUserAgentBytes = 256

	// MaxOTLPSpans is the most spans (of any kind) one OTLP request may
	// carry; more is rejected as too large. The OpenTelemetry Collector's
	// batch processor sends at most 8,192 by default.
	MaxOTLPSpans = 10_000

	// maxSpanAttributes bounds the attributes read from one span: the
	// HTTP ones and a header map's worth of header attributes.
	maxSpanAttributes = 4 * MaxHeaderEntries

	// maxTokenBytes bounds the bearer tokens whose JWT claims are read.
	maxTokenBytes = 8 << 10
)
