package retirement

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header is one response header a deprecated API should send.
type Header struct {
	Name, Value string
}

// Notice is what a deprecated version tells its callers, written out for
// people to paste into their gateway.
type Notice struct {
	// Headers are the exact header values: Deprecation (RFC 9745),
	// Sunset (RFC 8594) and Link.
	Headers []Header
	// Kong is a declarative response-transformer plugin that adds them.
	Kong string
	// Nginx is add_header lines that add them.
	Nginx string
}

// DeprecationValue is the Deprecation header of RFC 9745: "@" and the Unix
// time in seconds (a structured-field date).
func DeprecationValue(t time.Time) string { return "@" + strconv.FormatInt(t.Unix(), 10) }

// SunsetValue is the Sunset header of RFC 8594: an HTTP date (IMF-fixdate).
func SunsetValue(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// LinkValue is the Link header pointing callers at the notice (what
// changes and how to migrate), the successor when there is one, and the
// sunset policy (the same notice page).
func LinkValue(noticeURL, replacement string) string {
	links := []string{fmt.Sprintf(`<%s>; rel="deprecation"; type="text/html"`, noticeURL)}
	if replacement != "" {
		links = append(links, fmt.Sprintf(`<%s>; rel="successor-version"`, replacement))
	}
	links = append(links, fmt.Sprintf(`<%s>; rel="sunset"; type="text/html"`, noticeURL))
	return strings.Join(links, ", ")
}

// NewNotice writes the notice of an approved case; noticeURL is the
// absolute address of its notice page, which the links name unless the
// team gave a migration guide of its own.
func NewNotice(c Case, noticeURL string) Notice {
	if c.MigrationURL != "" {
		noticeURL = c.MigrationURL
	}
	n := Notice{Headers: []Header{
		{"Deprecation", DeprecationValue(c.Deprecation)},
		{"Sunset", SunsetValue(c.Sunset)},
		{"Link", LinkValue(noticeURL, c.Replacement)},
	}}
	where := c.APIName + " " + c.Version
	if c.Scope == ScopeEndpoints {
		where += ", only on " + strings.Join(c.Endpoints, ", ")
	}

	var k strings.Builder
	fmt.Fprintf(&k, "# Kong (decK or kong.yml): add to the service or route that serves %s.\n", where)
	k.WriteString("plugins:\n  - name: response-transformer\n    config:\n      add:\n        headers:\n")
	for _, h := range n.Headers {
		// Kong splits each entry at its first colon, so the values
		// (which hold colons) pass as they are.
		fmt.Fprintf(&k, "          - %s\n", yamlQuote(h.Name+":"+h.Value))
	}
	n.Kong = k.String()

	var x strings.Builder
	fmt.Fprintf(&x, "# nginx: in the server or location block that proxies %s.\n", where)
	x.WriteString("# A location with add_header lines of its own inherits none of these: repeat them there.\n")
	for _, h := range n.Headers {
		fmt.Fprintf(&x, "add_header %s %s always;\n", h.Name, nginxQuote(h.Value))
	}
	n.Nginx = x.String()
	return n
}

// yamlQuote writes s as a double-quoted YAML scalar.
func yamlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// nginxQuote writes s as a double-quoted nginx string. nginx would read
// "$" as a variable; it can only come from a URL here, where %24 means the
// same.
func nginxQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `%24`).Replace(s) + `"`
}
