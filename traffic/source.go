package traffic

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// SourceKind says how a source's traffic reaches Steward.
type SourceKind string

// Source kinds. SDK and OpenTelemetry sources push to Steward with an ingest
// key; the others are pulled by a job.
const (
	KindTreblle  SourceKind = "treblle"
	KindOTLP     SourceKind = "otlp"
	KindKong     SourceKind = "kong"
	KindNginxLog SourceKind = "nginx-log"
	KindKongLog  SourceKind = "kong-log"
	KindEnvoyLog SourceKind = "envoy-log"
)

// SourceKinds lists the kinds in the order the admin page offers them.
var SourceKinds = []SourceKind{KindTreblle, KindOTLP, KindKong, KindNginxLog, KindKongLog, KindEnvoyLog}

// Title names the kind for people.
func (k SourceKind) Title() string {
	switch k {
	case KindTreblle:
		return "SDK events (Treblle-compatible)"
	case KindOTLP:
		return "OpenTelemetry traces (OTLP/HTTP)"
	case KindKong:
		return "Kong gateway configuration (Admin API)"
	case KindNginxLog:
		return "nginx access log (JSON)"
	case KindKongLog:
		return "Kong http-log file (JSON)"
	case KindEnvoyLog:
		return "Envoy access log (JSON)"
	}
	return string(k)
}

// Push reports whether the source sends events to Steward with an ingest
// key, rather than being read by a job.
func (k SourceKind) Push() bool { return k == KindTreblle || k == KindOTLP }

// LogFile reports whether the source is an access log file read by a job.
func (k SourceKind) LogFile() bool {
	return k == KindNginxLog || k == KindKongLog || k == KindEnvoyLog
}

// Valid reports whether k is a known kind.
func (k SourceKind) Valid() bool {
	for _, known := range SourceKinds {
		if k == known {
			return true
		}
	}
	return false
}

// SourceSettings are the kind-specific settings of a source.
type SourceSettings struct {
	// URL is the Kong Admin API address.
	URL string `json:"url,omitempty"`
	// Workspace is the Kong workspace, "" for the default one.
	Workspace string `json:"workspace,omitempty"`
	// Path is the access log file to read.
	Path string `json:"path,omitempty"`
}

// Validate checks the settings a kind needs, returning messages per field
// a person can act on.
func (s SourceSettings) Validate(k SourceKind) map[string]string {
	errs := map[string]string{}
	switch {
	case k == KindKong:
		u, err := url.Parse(s.URL)
		if s.URL == "" {
			errs["url"] = "Give the Kong Admin API address, such as http://kong:8001."
		} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs["url"] = "Must be an http(s) URL such as http://kong:8001."
		}
		if strings.ContainsAny(s.Workspace, "/?#") {
			errs["workspace"] = "A workspace name cannot contain / ? or #."
		}
	case k.LogFile():
		if s.Path == "" {
			errs["path"] = "Give the log file's path on the Steward host, such as /var/log/nginx/steward.json.log."
		} else if !filepath.IsAbs(s.Path) {
			errs["path"] = "Must be an absolute path: Steward's working folder is not where you think it is."
		}
	}
	return errs
}

// Summary describes the settings in one line for lists.
func (s SourceSettings) Summary(k SourceKind) string {
	switch {
	case k == KindKong && s.Workspace != "":
		return fmt.Sprintf("%s (workspace %s)", s.URL, s.Workspace)
	case k == KindKong:
		return s.URL
	case k.LogFile():
		return s.Path
	}
	return ""
}
