package ingest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/steward-governance/steward/traffic"
)

// headerKind is what a header tells Steward. Headers of any other kind are
// not looked at.
type headerKind uint8

const (
	hOther headerKind = iota
	hAuthorization
	hAPIKey
	hUserID
	hUserAgent
	hHost
	hRateLimit
	hRetryAfter
	hHSTS
	hContentEncoding
	hNoSniff
	hCSP
	hFrameOptions
)

// classify tells a header's kind from its name, in any case, with "_"
// taken as "-" (old OpenTelemetry conventions and log formats spell header
// names that way).
func classify[T string | []byte](name T) headerKind {
	var buf [48]byte
	n := min(len(name), len(buf))
	for i := range n {
		c := name[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == '_':
			c = '-'
		}
		buf[i] = c
	}
	s := buf[:n]
	if len(name) <= len(buf) {
		switch string(s) {
		case "authorization":
			return hAuthorization
		case "x-api-key", "api-key", "apikey": // apikey: Kong key-auth's default
			return hAPIKey
		case "treblle-user-id":
			return hUserID
		case "user-agent":
			return hUserAgent
		case "host":
			return hHost
		case "retry-after":
			return hRetryAfter
		case "strict-transport-security":
			return hHSTS
		case "content-encoding":
			return hContentEncoding
		case "x-content-type-options":
			return hNoSniff
		case "content-security-policy":
			return hCSP
		case "x-frame-options":
			return hFrameOptions
		}
	}
	// RateLimit, RateLimit-Limit, -Policy, -Remaining, -Reset (IETF draft),
	// X-RateLimit-* (GitHub, Kong: X-RateLimit-Limit-Minute), X-Rate-Limit-*.
	if bytes.HasPrefix(s, []byte("ratelimit")) || bytes.HasPrefix(s, []byte("x-ratelimit")) ||
		bytes.HasPrefix(s, []byte("x-rate-limit")) {
		return hRateLimit
	}
	return hOther
}

// headerFacts is what one header map says. Values are held only as long
// as the decoder runs: credential and userID become a hash, the rest
// booleans.
type headerFacts struct {
	auth       bool
	authID     string // identity from Authorization
	keyID      string // identity from X-Api-Key or Api-Key
	userID     string // treblle-user-id
	userAgent  string
	host       string
	rateLimit  bool
	retryAfter bool
	hsts       bool
	compressed bool
	noSniff    bool
	csp        bool
	frameOpts  bool
}

// set records a header of kind k; empty values count as absent (nginx and
// Envoy log a missing header as "" or "-", which callers turn into "").
func (f *headerFacts) set(k headerKind, value string) {
	if value == "" {
		return
	}
	switch k {
	case hAuthorization:
		f.auth = true
		if f.authID == "" {
			f.authID = credentialIdentity(value, true)
		}
	case hAPIKey:
		f.auth = true
		if f.keyID == "" {
			f.keyID = credentialIdentity(value, false)
		}
	case hUserID:
		f.userID = value
	case hUserAgent:
		f.userAgent = cutUserAgent(value)
	case hHost:
		f.host = value
	case hContentEncoding:
		v := strings.TrimSpace(value)
		f.compressed = v != "" && !strings.EqualFold(v, "identity")
	default:
		f.note(k)
	}
}

// readsValue reports whether set looks at the value of a header of kind k
// rather than only noting that it has one, so that a reader can leave the
// other values unconverted.
func (k headerKind) readsValue() bool {
	switch k {
	case hAuthorization, hAPIKey, hUserID, hUserAgent, hHost, hContentEncoding:
		return true
	}
	return false
}

// note records a header of kind k that has a non-empty value, for the
// kinds whose value does not matter.
func (f *headerFacts) note(k headerKind) {
	switch k {
	case hRateLimit:
		f.rateLimit = true
	case hRetryAfter:
		f.retryAfter = true
	case hHSTS:
		f.hsts = true
	case hNoSniff:
		f.noSniff = true
	case hCSP:
		f.csp = true
	case hFrameOptions:
		f.frameOpts = true
	}
}

// add records a header by name.
func (f *headerFacts) add(name, value string) {
	if k := classify(name); k != hOther {
		f.set(k, value)
	}
}

// UnmarshalJSON reads a header map: an object whose values are strings or
// arrays of strings, at most MaxHeaderEntries of them. Anything else (PHP's
// [] for an empty map, null) is an empty map.
func (f *headerFacts) UnmarshalJSON(data []byte) error {
	return eachMember(data, MaxHeaderEntries, func(key, raw []byte) {
		if k := keyKind(key); k != hOther {
			f.set(k, valueText(raw))
		}
	})
}

// keyKind classifies a header map's raw key (escapes kept).
func keyKind(key []byte) headerKind {
	if bytes.IndexByte(key, '\\') >= 0 {
		return classify(keyText(key))
	}
	return classify(key)
}

// credential returns the identity the headers' credentials give, preferring
// Authorization to an API key header.
func (f *headerFacts) credential() string {
	if f.authID != "" {
		return f.authID
	}
	return f.keyID
}

// respond sets the response facts of e; call it after e.Status is set,
// since Retry-After means rate limiting only on a 429.
func (f *headerFacts) respond(e *traffic.Event) {
	e.RateLimitHeaders = f.rateLimit || (f.retryAfter && e.Status == 429)
	e.HSTS = f.hsts
	e.Compressed = f.compressed
	e.SecurityHeaders = f.noSniff && (f.csp || f.frameOpts)
}

// credentialIdentity returns what identifies the caller in the value of
// an Authorization header (authorization) or an API key header: the issuer
// and subject of a JWT (tokens rotate, their subject does not), the user
// of Basic credentials, the token or key itself otherwise. It returns ""
// when the value identifies no one: masked by an SDK ("Bearer *********"),
// or a scheme whose value changes per request (Digest, AWS signatures).
func credentialIdentity(value string, authorization bool) string {
	v := strings.TrimSpace(value)
	if authorization {
		scheme, rest, found := strings.Cut(v, " ")
		if found {
			rest = strings.TrimSpace(rest)
			switch strings.ToLower(scheme) {
			case "bearer", "token", "apikey", "api-key", "key":
				v = rest
			case "basic":
				return basicUser(rest)
			default:
				return ""
			}
		}
	}
	if masked(v) {
		return ""
	}
	if sub := jwtSubject(v); sub != "" {
		return sub
	}
	return v
}

// masked reports whether an SDK replaced the value with asterisks.
func masked(v string) bool {
	if v == "" {
		return true
	}
	for i := 0; i < len(v); i++ {
		if v[i] != '*' {
			return false
		}
	}
	return true
}

func basicUser(creds string) string {
	if masked(creds) {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(creds)
	if err != nil {
		return creds
	}
	user, _, _ := bytes.Cut(b, []byte(":"))
	if len(user) == 0 {
		return creds
	}
	return "basic " + string(user)
}

// jwtSubject returns "iss sub" from an unverified JWT's claims (client_id
// or azp when there is no sub), or "" when token is not a JWT. The claims
// only group requests by caller; nothing is authorised on them.
func jwtSubject(token string) string {
	if len(token) > maxTokenBytes || strings.Count(token, ".") != 2 {
		return ""
	}
	_, rest, _ := strings.Cut(token, ".")
	payload, _, _ := strings.Cut(rest, ".")
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(payload, "="))
	if err != nil {
		return ""
	}
	var c struct {
		Iss      string `json:"iss"`
		Sub      string `json:"sub"`
		ClientID string `json:"client_id"`
		Azp      string `json:"azp"`
	}
	if json.Unmarshal(b, &c) != nil {
		return ""
	}
	who := c.Sub
	if who == "" {
		who = c.ClientID
	}
	if who == "" {
		who = c.Azp
	}
	if who == "" {
		return ""
	}
	return "jwt " + c.Iss + " " + who
}

// isAPIKeyParam reports whether a query parameter name usually carries an
// API key. Only the name is looked at.
func isAPIKeyParam(name string) bool {
	switch strings.ToLower(name) {
	case "api_key", "apikey", "api-key", "key", "access_token":
		return true
	}
	return false
}

// queryHasKey reports whether a raw query string has an API key parameter,
// looking at its first MaxHeaderEntries names.
func queryHasKey(rawQuery string) bool {
	for n := 0; rawQuery != "" && n < MaxHeaderEntries; n++ {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		name, _, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(name, "%+") {
			if u, err := url.QueryUnescape(name); err == nil {
				name = u
			}
		}
		if isAPIKeyParam(name) {
			return true
		}
	}
	return false
}

// queryNames reads a query-string object ({"api_key": "..."}), a raw query
// string, or PHP's [] for none, noting only whether an API key parameter
// is there.
type queryNames struct{ apiKey bool }

func (q *queryNames) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		q.apiKey = queryHasKey(strings.TrimPrefix(unquote(data), "?"))
		return nil
	}
	return eachMember(data, MaxHeaderEntries, func(key, _ []byte) {
		if isAPIKeyParam(keyText(key)) {
			q.apiKey = true
		}
	})
}

// methodOf returns the upper-case method, or false when s is not an HTTP
// method token (RFC 9110 tchars, at most 32 of them).
func methodOf(s string) (string, bool) {
	if s == "" || len(s) > 32 {
		return "", false
	}
	lower := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case 'a' <= c && c <= 'z':
			lower = true
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return "", false
		}
	}
	if lower {
		s = strings.ToUpper(s)
	}
	return s, true
}

// statusOf returns the status code n holds: 0 when absent, false when it
// is not a whole number from 100 to 599.
func statusOf(n number) (int, bool) {
	if n.bad {
		return 0, false
	}
	if !n.ok || n.v == 0 {
		return 0, true
	}
	s := int(n.v)
	if float64(s) != n.v || s < 100 || s > 599 {
		return 0, false
	}
	return s, true
}

// bytesOf returns a byte count, or -1 when it is absent or nonsense.
func bytesOf(n number) int64 {
	if !n.ok || n.v < 0 || n.v > 1<<53 {
		return -1
	}
	return int64(n.v)
}

// durationOf returns n units as a Duration; 0 when absent, negative or
// out of range.
func durationOf(n number, unit time.Duration) time.Duration {
	if !n.ok || n.v <= 0 {
		return 0
	}
	d := n.v * float64(unit)
	if d >= 1<<62 {
		return 0
	}
	return time.Duration(d)
}

// cutUserAgent cuts s to MaxUserAgentBytes on a rune boundary, copying the
// cut so the event does not pin a large input in memory.
func cutUserAgent(s string) string {
	if len(s) <= MaxUserAgentBytes {
		return s
	}
	i := MaxUserAgentBytes
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return strings.Clone(s[:i])
}

// hostOf returns a host name lower-case, without port, brackets or a
// trailing dot; "" when it cannot be a host name.
func hostOf(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return ""
		}
		s = s[1:end]
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 && strings.IndexByte(s, ':') == i {
		s = s[:i]
	}
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 || strings.ContainsAny(s, " /?#@\\\"") {
		return ""
	}
	return strings.ToLower(s)
}

// target is a request target split into the event's parts.
type target struct {
	scheme, host, path, rawQuery string
}

// splitTarget splits a request target: an origin-form path with query
// ("/a%20b?x=1") or an absolute URL. The path comes back percent-decoded
// (kept as sent when it does not decode), "/" when empty.
func splitTarget(s string) target {
	var t target
	if i := strings.Index(s, "://"); i > 0 && !strings.ContainsAny(s[:i], "/?#") {
		t.scheme = strings.ToLower(s[:i])
		s = s[i+3:]
		authority := s
		if j := strings.IndexAny(s, "/?#"); j >= 0 {
			authority, s = s[:j], s[j:]
		} else {
			s = ""
		}
		if at := strings.LastIndexByte(authority, '@'); at >= 0 {
			authority = authority[at+1:]
		}
		t.host = hostOf(authority)
	}
	s, _, _ = strings.Cut(s, "#")
	s, t.rawQuery, _ = strings.Cut(s, "?")
	if strings.IndexByte(s, '%') >= 0 {
		if p, err := url.PathUnescape(s); err == nil {
			s = p
		}
	}
	if s == "" {
		s = "/"
	}
	t.path = s
	return t
}

// checkPath refuses an event whose path is over MaxPathBytes and drops a
// route template over it.
func checkPath(format string, e *traffic.Event) error {
	if len(e.Route) > MaxPathBytes {
		e.Route = ""
	}
	if len(e.Path) > MaxPathBytes {
		return malformed(format, "the request path is longer than %d bytes", MaxPathBytes)
	}
	return nil
}

// schemeOf returns "http" or "https" for s in any case, "" otherwise.
func schemeOf(s string) string {
	switch {
	case strings.EqualFold(s, "https"):
		return "https"
	case strings.EqualFold(s, "http"):
		return "http"
	}
	return ""
}

// firstAddress returns the first address of an X-Forwarded-For list.
func firstAddress(s string) string {
	first, _, _ := strings.Cut(s, ",")
	return strings.TrimSpace(first)
}

// consumer hashes the first non-empty identity.
func consumer(h Hasher, identities ...string) string {
	for _, id := range identities {
		if id != "" {
			return h.Consumer(id)
		}
	}
	return ""
}

// dash turns the "-" access logs write for a missing value into "".
func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}
