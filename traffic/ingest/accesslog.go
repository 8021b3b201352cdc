package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/steward-governance/steward/traffic"
)

// LineParser turns one access-log line into an event. Bad lines return an
// *Error of kind ErrMalformed naming the format and the reason; no line
// makes a parser panic.
type LineParser func(line []byte, h Hasher) (traffic.Event, error)

// ParserFor returns the parser for an access-log format by name: "nginx",
// "kong" or "envoy".
func ParserFor(format string) (LineParser, bool) {
	switch format {
	case "nginx":
		return ParseNginx, true
	case "kong":
		return ParseKong, true
	case "envoy":
		return ParseEnvoy, true
	}
	return nil, false
}

// decodeLine unmarshals a JSON log line into v, explaining failures the
// way someone fixing their proxy's config needs.
func decodeLine(format string, line []byte, v any) error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return malformed(format, "empty line")
	}
	if line[0] != '{' {
		return malformed(format, "line is not a JSON object; configure the %s log format Steward documents", format)
	}
	if err := json.Unmarshal(line, v); err != nil {
		reason := jsonReason(err)
		if format == "nginx" && bytes.Contains(line, []byte(`\x`)) {
			reason += ` (the line has \x escapes: the log_format needs escape=json)`
		}
		return malformed(format, "%s", reason)
	}
	return nil
}

// jsonReason turns an encoding/json error into a sentence about the input,
// without Go type names.
func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("not valid JSON at byte %d: %s", se.Offset, se.Error())
	case errors.As(err, &te):
		return typeMismatch(te.Field, te.Value)
	}
	return "not valid JSON: " + err.Error()
}

// loggedHeaders are the header values the nginx and Envoy formats log,
// under the same JSON names: read for presence (and the credential, for
// the consumer hash), never kept.
type loggedHeaders struct {
	Authorization string `json:"authorization"`
	XAPIKey       string `json:"x_api_key"`
	APIKey        string `json:"api_key"`

	HSTS            string `json:"strict_transport_security"`
	ContentEncoding string `json:"content_encoding"`
	RateLimit       string `json:"ratelimit"`
	RateLimitLimit  string `json:"ratelimit_limit"`
	RateLimitPolicy string `json:"ratelimit_policy"`
	XRateLimitLimit string `json:"x_ratelimit_limit"`
	RetryAfter      string `json:"retry_after"`
	NoSniff         string `json:"x_content_type_options"`
	CSP             string `json:"content_security_policy"`
	FrameOptions    string `json:"x_frame_options"`
}

// facts reads the request's credentials and the response's headers.
func (l *loggedHeaders) facts() (req, resp headerFacts) {
	req.set(hAuthorization, dash(l.Authorization))
	req.set(hAPIKey, dash(l.XAPIKey))
	req.set(hAPIKey, dash(l.APIKey))
	resp.set(hHSTS, dash(l.HSTS))
	resp.set(hContentEncoding, dash(l.ContentEncoding))
	for _, v := range [...]string{l.RateLimit, l.RateLimitLimit, l.RateLimitPolicy, l.XRateLimitLimit} {
		resp.set(hRateLimit, dash(v))
	}
	resp.set(hRetryAfter, dash(l.RetryAfter))
	resp.set(hNoSniff, dash(l.NoSniff))
	resp.set(hCSP, dash(l.CSP))
	resp.set(hFrameOptions, dash(l.FrameOptions))
	return req, resp
}
