package ingest

import (
	"time"

	"github.com/steward-governance/steward/traffic"
)

// EnvoyLogFormat is the log_format block users put in the typed_config of
// an Envoy file access logger
// (envoy.extensions.access_loggers.file.v3.FileAccessLog), next to its
// path. Response headers are cut to one character (":1"): Steward needs
// only their presence, and the log stays small. Credentials are logged
// whole so Steward can tell callers apart; it keeps only a keyed hash, but
// the log file holds them and must be protected like one that does. Client
// certificate fingerprints count as credentials.
const EnvoyLogFormat = `log_format:
  json_format:
    start_time: "%START_TIME%"
    method: "%REQ(:METHOD)%"
    path: "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%"
    scheme: "%REQ(X-FORWARDED-PROTO?:SCHEME)%"
    authority: "%REQ(:AUTHORITY)%"
    protocol: "%PROTOCOL%"
    response_code: "%RESPONSE_CODE%"
    duration: "%DURATION%"
    bytes_sent: "%BYTES_SENT%"
    user_agent: "%REQ(USER-AGENT)%"
    x_forwarded_for: "%REQ(X-FORWARDED-FOR)%"
    downstream_remote_address: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%"
    client_cert: "%DOWNSTREAM_PEER_FINGERPRINT_256%"
    authorization: "%REQ(AUTHORIZATION)%"
    x_api_key: "%REQ(X-API-KEY)%"
    api_key: "%REQ(API-KEY)%"
    strict_transport_security: "%RESP(STRICT-TRANSPORT-SECURITY):1%"
    content_encoding: "%RESP(CONTENT-ENCODING)%"
    ratelimit: "%RESP(RATELIMIT):1%"
    ratelimit_limit: "%RESP(RATELIMIT-LIMIT):1%"
    ratelimit_policy: "%RESP(RATELIMIT-POLICY):1%"
    x_ratelimit_limit: "%RESP(X-RATELIMIT-LIMIT):1%"
    retry_after: "%RESP(RETRY-AFTER):1%"
    x_content_type_options: "%RESP(X-CONTENT-TYPE-OPTIONS):1%"
    content_security_policy: "%RESP(CONTENT-SECURITY-POLICY):1%"
    x_frame_options: "%RESP(X-FRAME-OPTIONS):1%"
`

// envoyLine is a line EnvoyLogFormat writes. Envoy writes numbers for
// %RESPONSE_CODE%, %DURATION% and %BYTES_SENT%, and null (or "-" in older
// versions) for missing values.
type envoyLine struct {
	StartTime string `json:"start_time"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Scheme    string `json:"scheme"`
	Authority string `json:"authority"`
	// Protocol ("HTTP/2") is in the format for the HTTP/2 check; Event
	// has no field for it yet.
	Protocol      string `json:"protocol"`
	ResponseCode  number `json:"response_code"`
	Duration      number `json:"duration"`
	BytesSent     number `json:"bytes_sent"`
	UserAgent     string `json:"user_agent"`
	XForwardedFor string `json:"x_forwarded_for"`
	Downstream    string `json:"downstream_remote_address"`
	ClientCert    string `json:"client_cert"`

	loggedHeaders
}

// ParseEnvoy parses a line written with EnvoyLogFormat. The consumer
// identity is the request's credential, then its client certificate, then
// the first X-Forwarded-For address, then the downstream address. Envoy
// knows route names, not templates, so Route stays "". A response code of
// 0 (Envoy's "no response", e.g. the client went away) is kept as unknown.
func ParseEnvoy(line []byte, h Hasher) (traffic.Event, error) {
	var l envoyLine
	if err := decodeLine("envoy", line, &l); err != nil {
		return traffic.Event{}, err
	}
	var e traffic.Event
	var ok bool
	if e.Method, ok = methodOf(dash(l.Method)); !ok {
		return traffic.Event{}, malformed("envoy", "method %q is not an HTTP method", clip(l.Method))
	}
	if e.Time, ok = parseTime(l.StartTime); !ok {
		return traffic.Event{}, malformed("envoy", "start_time %q is not %%START_TIME%% in its default format", clip(l.StartTime))
	}
	if e.Status, ok = statusOf(l.ResponseCode); !ok {
		return traffic.Event{}, malformed("envoy", "response_code is not an HTTP status (100-599)")
	}
	t := splitTarget(dash(l.Path))
	e.Scheme = schemeOf(dash(l.Scheme))
	if e.Scheme == "" {
		e.Scheme = schemeOf(t.scheme)
	}
	e.Host = hostOf(dash(l.Authority))
	if e.Host == "" {
		e.Host = t.host
	}
	e.Path = t.path
	e.Duration = durationOf(l.Duration, time.Millisecond)
	e.ResponseBytes = bytesOf(l.BytesSent)
	e.UserAgent = cutUserAgent(dash(l.UserAgent))

	req, resp := l.facts()
	cert := dash(l.ClientCert)
	if cert != "" {
		cert = "cert " + cert
	}
	e.Authenticated = req.auth || cert != "" || queryHasKey(t.rawQuery)
	e.Consumer = consumer(h, req.credential(), cert, firstAddress(dash(l.XForwardedFor)), dash(l.Downstream))

	resp.respond(&e)
	if err := checkPath("envoy", &e); err != nil {
		return traffic.Event{}, err
	}
	return e, nil
}
