package ingest

import (
	"bytes"
	"encoding/json"

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
