// Package traffic turns what gateways and SDKs report about HTTP requests
// into Steward's own request events, matches them to the catalogue and rolls
// them up per endpoint and hour. It knows nothing of HTTP handlers or SQL:
// decoders take bytes, the matcher takes targets, rollups take events.
package traffic

import "time"

// Event is one request as Steward keeps it: facts about the exchange, never
// its bodies or header values. Decoders fill what their source reports and
// leave the rest at the zero value.
type Event struct {
	// Time is when the request arrived, in UTC.
	Time time.Time
	// Method is the upper-case HTTP method.
	Method string
	// Scheme is "http" or "https" as the client used it (after any TLS
	// terminating proxy when the source can tell).
	Scheme string
	// Host is the request's host name, lower-case, without the port.
	Host string
	// Path is the request path without query string, percent-decoded.
	Path string
	// Route is the route template the application or gateway matched
	// (for example "/users/{id}"), or "" when the source does not know it.
	Route string
	// Status is the HTTP response status code; 0 when unknown.
	Status int
	// Duration is the server-side time to respond; 0 when unknown.
	Duration time.Duration
	// ResponseBytes is the response size in bytes; -1 when unknown.
	ResponseBytes int64
	// UserAgent is the client's User-Agent, cut to 256 bytes.
	UserAgent string
	// Consumer is a keyed hash identifying the caller (API key, token
	// subject or client address, in that order of preference); "" when
	// nothing identifies it. Never the raw identity.
	Consumer string
	// Authenticated is true when the request carried credentials
	// (Authorization header, an API key header or query parameter, a
	// client certificate).
	Authenticated bool
	// RateLimitHeaders is true when the response carried rate-limit
	// headers (RateLimit-*, X-RateLimit-*, Retry-After on 429).
	RateLimitHeaders bool
	// HSTS is true when the response carried Strict-Transport-Security.
	HSTS bool
	// Compressed is true when the response had a Content-Encoding other
	// than identity.
	Compressed bool
	// SecurityHeaders is true when the response carried the usual
	// browser-hardening headers (X-Content-Type-Options and either
	// Content-Security-Policy or X-Frame-Options).
	SecurityHeaders bool
}

// Hour returns the start of the UTC hour the event falls in: the rollup
// bucket it belongs to.
func (e Event) Hour() time.Time { return e.Time.UTC().Truncate(time.Hour) }
