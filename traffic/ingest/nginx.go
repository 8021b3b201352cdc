package ingest

import (
	"time"

	"github.com/steward-governance/steward/traffic"
)

// NginxLogFormat is the log_format users add to the http block of
// nginx.conf, with an access_log line that uses it, for example
//
//	access_log /var/log/nginx/steward.log steward;
//
// Credentials (Authorization, X-Api-Key, Api-Key) are logged so Steward
// can tell callers apart; it keeps only whether they were there and a
// keyed hash of the caller, never the values, but the log file itself
// holds them and must be protected like one that does. Response headers
// are logged only for their presence.
const NginxLogFormat = `log_format steward escape=json
    '{"time":"$time_iso8601",'
    '"method":"$request_method",'
    '"scheme":"$scheme",'
    '"host":"$host",'
    '"uri":"$request_uri",'
    '"protocol":"$server_protocol",'
    '"status":"$status",'
    '"request_time":"$request_time",'
    '"body_bytes_sent":"$body_bytes_sent",'
    '"user_agent":"$http_user_agent",'
    '"remote_addr":"$remote_addr",'
    '"authorization":"$http_authorization",'
    '"x_api_key":"$http_x_api_key",'
    '"api_key":"$http_api_key",'
    '"strict_transport_security":"$sent_http_strict_transport_security",'
    '"content_encoding":"$sent_http_content_encoding",'
    '"ratelimit":"$sent_http_ratelimit",'
    '"ratelimit_limit":"$sent_http_ratelimit_limit",'
    '"ratelimit_policy":"$sent_http_ratelimit_policy",'
    '"x_ratelimit_limit":"$sent_http_x_ratelimit_limit",'
    '"retry_after":"$sent_http_retry_after",'
    '"x_content_type_options":"$sent_http_x_content_type_options",'
    '"content_security_policy":"$sent_http_content_security_policy",'
    '"x_frame_options":"$sent_http_x_frame_options"}';`

// nginxLine is a line NginxLogFormat writes. Numbers are quoted in the
// format (so a line is valid JSON whatever nginx logs) but read either way.
type nginxLine struct {
	Time   string `json:"time"`
	Method string `json:"method"`
	Scheme string `json:"scheme"`
	Host   string `json:"host"`
	URI    string `json:"uri"`
	// Protocol ("HTTP/2.0") is in the format for the HTTP/2 check; Event
	// has no field for it yet.
	Protocol      string `json:"protocol"`
	Status        number `json:"status"`
	RequestTime   number `json:"request_time"`
	BodyBytesSent number `json:"body_bytes_sent"`
	UserAgent     string `json:"user_agent"`
	RemoteAddr    string `json:"remote_addr"`

	loggedHeaders
}

// ParseNginx parses a line written with NginxLogFormat. nginx logs when a
// response is done, so the event's time is $time_iso8601 less
// $request_time.
func ParseNginx(line []byte, h Hasher) (traffic.Event, error) {
	var l nginxLine
	if err := decodeLine("nginx", line, &l); err != nil {
		return traffic.Event{}, err
	}
	var e traffic.Event
	var ok bool
	if e.Method, ok = methodOf(dash(l.Method)); !ok {
		return traffic.Event{}, malformed("nginx", "method %q is not an HTTP method", clip(l.Method))
	}
	end, err := time.Parse(time.RFC3339, l.Time)
	if err != nil {
		return traffic.Event{}, malformed("nginx", "time %q is not $time_iso8601", clip(l.Time))
	}
	if e.Status, ok = statusOf(l.Status); !ok {
		return traffic.Event{}, malformed("nginx", "status is not an HTTP status (100-599)")
	}
	e.Duration = durationOf(l.RequestTime, time.Second)
	e.Time = end.Add(-e.Duration).UTC()
	t := splitTarget(dash(l.URI))
	e.Scheme = schemeOf(dash(l.Scheme))
	e.Host = hostOf(dash(l.Host))
	if e.Host == "" {
		e.Host = t.host
	}
	e.Path = t.path
	e.ResponseBytes = bytesOf(l.BodyBytesSent)
	e.UserAgent = cutUserAgent(dash(l.UserAgent))

	req, resp := l.facts()
	e.Authenticated = req.auth || queryHasKey(t.rawQuery)
	e.Consumer = consumer(h, req.credential(), dash(l.RemoteAddr))

	resp.respond(&e)
	if err := checkPath("nginx", &e); err != nil {
		return traffic.Event{}, err
	}
	return e, nil
}
