// Package kong reads gateway configuration from the Kong Admin API, so that
// Steward learns which APIs run behind a Kong gateway and which of their
// routes require authentication or are rate limited.
//
// Steward pulls: a scheduled job calls Client.Fetch and turns the Snapshot
// into Endpoints. The client only reads (GET /services, /routes, /plugins);
// it never changes the gateway.
package kong

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Limits on what one Fetch reads. A gateway beyond them fails with an Error
// that says so, rather than being read partly and looking smaller than it is.
const (
	// PageSize is how many entities Fetch asks for per page: the Admin
	// API's maximum.
	PageSize = 1000
	// MaxPages is how many pages Fetch reads from one collection, so one
	// Fetch reads at most 1,000,000 services, routes or plugins.
	MaxPages = 1000
	// MaxPageBytes is the largest page body Fetch reads (10 MiB).
	MaxPageBytes = 10 << 20
	// DefaultTimeout bounds each request when Client.HTTPClient is nil.
	DefaultTimeout = 30 * time.Second
)

const (
	maxErrorBodyBytes = 64 << 10
	maxMessageRunes   = 300
	maxRedirects      = 10
)

// Client reads one Kong gateway's configuration through its Admin API.
// The zero value is not usable: BaseURL is required.
type Client struct {
	// BaseURL is the Admin API address, such as http://kong:8001, or a
	// Konnect control plane's core-entities URL. A path is kept, so an
	// Admin API behind a reverse proxy at /kong-admin works.
	BaseURL string
	// Token is the admin token. It is secret: it is sent only to BaseURL's
	// host and never appears in errors, logs or String output. Konnect
	// access tokens (kpat_…, spat_…) go in "Authorization: Bearer", as
	// Konnect requires; any other token goes in the Kong-Admin-Token header
	// that Kong Enterprise's RBAC reads. Empty sends no credentials.
	Token string
	// Workspace is a Kong Enterprise workspace name; requests go to
	// /{workspace}/services and so on. Empty means Kong's default.
	Workspace string
	// HTTPClient makes the requests; nil means one with DefaultTimeout.
	// Fetch uses a copy that refuses redirects to another host or from
	// https to http, since Go forwards custom headers such as
	// Kong-Admin-Token on redirect.
	HTTPClient *http.Client
}

// String describes the client with the token redacted. Its receiver is a
// value so that printing a Client or a *Client both go through it.
func (c Client) String() string {
	token := ""
	if c.token() != "" {
		token = redacted
	}
	return fmt.Sprintf("kong.Client{BaseURL: %q, Workspace: %q, Token: %q}",
		c.displayBaseURL(), c.Workspace, token)
}

// GoString is String, so %#v cannot print the token either.
func (c Client) GoString() string { return c.String() }

// LogValue keeps the token out of slog output, including the JSON handler,
// which would otherwise print every exported field.
func (c Client) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("base_url", c.displayBaseURL()),
		slog.String("workspace", c.Workspace),
		slog.Bool("token_set", c.token() != ""),
	)
}

// Fetch reads every service, route and plugin, following the Admin API's
// pagination. On failure it returns an *Error; IsRetryable tells whether a
// later attempt may succeed.
func (c *Client) Fetch(ctx context.Context) (*Snapshot, error) {
	snap, err := c.fetch(ctx)
	if err != nil {
		return nil, redactSecret(err, c.token())
	}
	return snap, nil
}

func (c *Client) fetch(ctx context.Context) (*Snapshot, error) {
	base, err := c.apiBase()
	if err != nil {
		return nil, err
	}
	r := &reader{
		http:      c.httpClient(),
		base:      base,
		workspace: c.Workspace,
	}
	r.authName, r.authValue = authHeader(c.token())

	services, err := list(ctx, r, "services", serviceJSON.service)
	if err != nil {
		return nil, err
	}
	routes, err := list(ctx, r, "routes", routeJSON.route)
	if err != nil {
		return nil, err
	}
	plugins, err := list(ctx, r, "plugins", pluginJSON.plugin)
	if err != nil {
		return nil, err
	}
	return &Snapshot{Workspace: c.Workspace, Services: services, Routes: routes, Plugins: plugins}, nil
}

// token trims the surrounding whitespace a token read from a file or an
// environment variable often carries; a trailing newline is never part of it.
func (c *Client) token() string {
	return strings.TrimSpace(c.Token)
}

func (c *Client) displayBaseURL() string {
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return "(invalid URL)"
	}
	shown := u.Redacted()
	if t := c.token(); t != "" {
		shown = strings.ReplaceAll(shown, t, redacted)
	}
	return shown
}

// apiBase checks the settings and returns the URL the collections hang off:
// BaseURL plus the workspace.
func (c *Client) apiBase() (*url.URL, error) {
	fail := func(reason, hint string) error {
		return &Error{Op: "check client settings", Err: errors.New(reason), Hint: hint}
	}
	if strings.TrimSpace(c.BaseURL) == "" {
		return nil, fail("BaseURL is empty", "set it to the Admin API address, such as http://kong:8001")
	}
	u, err := url.Parse(strings.TrimSpace(c.BaseURL))
	if err != nil {
		// The parse error quotes the whole URL, which may carry a password.
		var ue *url.Error
		reason := err
		if errors.As(err, &ue) {
			reason = ue.Err
		}
		return nil, fail("BaseURL is not a valid URL: "+reason.Error(), "set it to the Admin API address, such as http://kong:8001")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fail("BaseURL is not an absolute http or https URL", "set it to the Admin API address, such as http://kong:8001")
	}
	for _, r := range c.token() {
		if unicode.IsControl(r) {
			return nil, fail("the admin token contains a control character and cannot be sent in an HTTP header", "copy the admin token again")
		}
	}
	u.RawQuery, u.Fragment = "", ""
	if ws := c.Workspace; ws != "" {
		if ws == "." || ws == ".." || strings.ContainsAny(ws, "/\\?#%") || strings.IndexFunc(ws, unicode.IsSpace) >= 0 {
			return nil, fail(fmt.Sprintf("workspace %q is not a Kong workspace name", ws), "use the name shown in Kong Manager, such as default")
		}
		u = u.JoinPath(url.PathEscape(ws))
	}
	return u, nil
}

var errUnsafeRedirect = errors.New("refused a redirect")

// httpClient copies the configured client and guards its redirects: Go
// strips Authorization on a redirect to another host but forwards custom
// headers, so Kong-Admin-Token would follow a redirect anywhere.
func (c *Client) httpClient() *http.Client {
	hc := http.Client{Timeout: DefaultTimeout}
	if c.HTTPClient != nil {
		hc = *c.HTTPClient
	}
	checkNext := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		first := via[0].URL
		if req.URL.Host != first.Host || (first.Scheme == "https" && req.URL.Scheme != "https") {
			return fmt.Errorf("%w to %s://%s", errUnsafeRedirect, req.URL.Scheme, req.URL.Host)
		}
		if checkNext != nil {
			return checkNext(req, via)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		return nil
	}
	return &hc
}

func authHeader(token string) (name, value string) {
	switch {
	case token == "":
		return "", ""
	case strings.HasPrefix(token, "kpat_"), strings.HasPrefix(token, "spat_"):
		return "Authorization", "Bearer " + token
	default:
		return "Kong-Admin-Token", token
	}
}

// reader fetches pages of one gateway's collections.
type reader struct {
	http      *http.Client
	base      *url.URL
	workspace string
	authName  string
	authValue string
}

// pageJSON is one page of an Admin API collection: {"data": [...], "next":
// "/services?offset=...", "offset": "..."}, with next null on the last page.
type pageJSON struct {
	Data   json.RawMessage `json:"data"`
	Next   json.RawMessage `json:"next"`
	Offset string          `json:"offset"`
}

// list reads every page of a collection and converts its entities.
//
// Kong builds next as "/services?offset=…" from the server root: it drops
// the workspace and any path a proxy serves the Admin API under. So list
// takes the offset (from the offset field, or else from next) and asks the
// collection URL it started from for the next page.
func list[J, T any](ctx context.Context, r *reader, collection string, convert func(J) T) ([]T, error) {
	var out []T
	seen := make(map[string]bool)
	offset := ""
	for page := 1; page <= MaxPages; page++ {
		op := "list " + collection
		if page > 1 {
			op += " (page " + strconv.Itoa(page) + ")"
		}
		p, err := r.page(ctx, op, collection, offset)
		if err != nil {
			return nil, err
		}
		var items []J
		if !isEmptyObject(p.Data) {
			if err := json.Unmarshal(p.Data, &items); err != nil {
				return nil, &Error{Op: op, URL: r.shownURL(collection), Err: fmt.Errorf("decoding data: %w", err),
					Hint: "the entities are not in the Admin API's shape: check that BaseURL is the Kong Admin API"}
			}
		}
		for _, item := range items {
			out = append(out, convert(item))
		}

		next, more, err := p.nextOffset()
		if err != nil {
			return nil, &Error{Op: op, URL: r.shownURL(collection), Err: err}
		}
		if !more {
			return out, nil
		}
		if seen[next] {
			return nil, &Error{Op: op, URL: r.shownURL(collection),
				Err: errors.New("the offset Kong returned was one it had already returned, so paging would never end")}
		}
		seen[next] = true
		offset = next
	}
	return nil, &Error{Op: "list " + collection, URL: r.shownURL(collection),
		Err:  fmt.Errorf("stopped after %d pages of %d with more still to come", MaxPages, PageSize),
		Hint: fmt.Sprintf("Steward reads at most %d %s per gateway, MaxPages × PageSize", MaxPages*PageSize, collection)}
}

// nextOffset returns the offset of the page after p, and whether there is one.
func (p pageJSON) nextOffset() (offset string, more bool, err error) {
	switch next := strings.TrimSpace(string(p.Next)); next {
	case "null":
		return "", false, nil
	case "":
		// No next field at all: trust offset alone.
		return p.Offset, p.Offset != "", nil
	}
	if p.Offset != "" {
		return p.Offset, true, nil
	}
	var link string
	if err := json.Unmarshal(p.Next, &link); err != nil {
		return "", false, fmt.Errorf("next is not a link: %w", err)
	}
	if link == "" {
		return "", false, nil
	}
	u, err := url.Parse(link)
	if err != nil {
		return "", false, fmt.Errorf("next link %q is not a URL", link)
	}
	if offset = u.Query().Get("offset"); offset == "" {
		return "", false, fmt.Errorf("next link %q has no offset", link)
	}
	return offset, true, nil
}

func (r *reader) collectionURL(collection, offset string) string {
	u := r.base.JoinPath(collection)
	q := url.Values{"size": {strconv.Itoa(PageSize)}}
	if offset != "" {
		q.Set("offset", offset)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// shownURL is the collection URL for messages: no query, no password.
func (r *reader) shownURL(collection string) string {
	return r.base.JoinPath(collection).Redacted()
}

func (r *reader) page(ctx context.Context, op, collection, offset string) (pageJSON, error) {
	shown := r.shownURL(collection)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.collectionURL(collection, offset), nil)
	if err != nil {
		return pageJSON{}, &Error{Op: op, URL: shown, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	if r.authName != "" {
		req.Header.Set(r.authName, r.authValue)
	}

	resp, err := r.http.Do(req)
	if err != nil {
		return pageJSON{}, transportError(ctx, op, shown, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return pageJSON{}, r.statusError(op, shown, collection, resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxPageBytes+1))
	if err != nil {
		return pageJSON{}, transportError(ctx, op, shown, err)
	}
	if len(body) > MaxPageBytes {
		return pageJSON{}, &Error{Op: op, URL: shown,
			Err:  fmt.Errorf("the page is larger than the %d MiB Steward reads", MaxPageBytes>>20),
			Hint: "check that BaseURL is the Kong Admin API, since a page of Kong entities is normally far smaller"}
	}

	var p pageJSON
	if err := json.Unmarshal(body, &p); err != nil {
		return pageJSON{}, &Error{Op: op, URL: shown, Err: fmt.Errorf("the response is not valid JSON: %w", err),
			Hint: notAdminAPIHint(resp)}
	}
	if len(p.Data) == 0 || strings.TrimSpace(string(p.Data)) == "null" {
		return pageJSON{}, &Error{Op: op, URL: shown, Err: errors.New(`the response has no "data" list`),
			Hint: notAdminAPIHint(resp)}
	}
	return p, nil
}

// notAdminAPIHint guesses, from a response that is not an Admin API page,
// what BaseURL points at instead.
func notAdminAPIHint(resp *http.Response) string {
	if mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mediaType == "text/html" {
		return "the answer is an HTML page: BaseURL may point at Kong Manager, on port 8002 by default, or the proxy, on 8000, instead of the Admin API, on 8001"
	}
	return "check that BaseURL is the Kong Admin API address, such as http://kong:8001, with no path to a single entity"
}

func (r *reader) statusError(op, shown, collection string, resp *http.Response) *Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBodyBytes))
	e := &Error{Op: op, URL: shown, StatusCode: resp.StatusCode, Message: kongMessage(body)}
	where := ""
	if r.workspace != "" {
		where = fmt.Sprintf(" in workspace %q", r.workspace)
	}
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized && r.authName == "":
		e.Hint = "this Admin API requires an admin token because Kong RBAC is on: set the gateway's admin token"
	case code == http.StatusUnauthorized:
		e.Hint = fmt.Sprintf("check the admin token: Kong rejected the one sent in the %s header, which may be mistyped, expired or revoked", r.authName)
	case code == http.StatusForbidden:
		e.Hint = fmt.Sprintf("the admin token was accepted but its role may not read /%s%s: grant it read access", collection, where)
	case code == http.StatusNotFound && r.workspace != "":
		e.Hint = fmt.Sprintf("check that workspace %q exists and that BaseURL is the Admin API address, on port 8001 by default", r.workspace)
	case code == http.StatusNotFound:
		e.Hint = "check that BaseURL is the Kong Admin API address, on port 8001 by default, not the proxy or Kong Manager"
	case code == http.StatusTooManyRequests:
		// A 4xx, but one that says "later", not "never".
		e.Retryable = true
		e.Hint = "retry later: the Admin API is rate limiting Steward"
	case code >= 500:
		e.Retryable = true
		e.Hint = "Kong, or a proxy in front of it, failed: retry later, and check Kong's error log if it keeps failing"
	}
	return e
}

// kongMessage returns the "message" field of a Kong error body
// ({"message": "Invalid credentials. Token or User credentials required"}),
// shortened for a log line; "" when there is none.
func kongMessage(body []byte) string {
	var v struct {
		Message json.RawMessage `json:"message"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	var msg string
	if json.Unmarshal(v.Message, &msg) != nil {
		return ""
	}
	msg = strings.TrimSpace(msg)
	if runes := []rune(msg); len(runes) > maxMessageRunes {
		msg = string(runes[:maxMessageRunes]) + "…"
	}
	return msg
}

// transportError describes a request that got no usable answer. Those are
// retryable, except when the caller gave up, the redirect was refused, or the
// server's certificate is not trusted: trying again changes none of those.
func transportError(ctx context.Context, op, shown string, err error) *Error {
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err // url.Error repeats the URL, query and all
	}
	e := &Error{Op: op, URL: shown, Err: cause}

	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var badHost x509.HostnameError
	switch {
	case ctx.Err() != nil:
		if !errors.Is(cause, ctx.Err()) {
			e.Err = fmt.Errorf("%w (%w)", ctx.Err(), cause)
		}
	case errors.Is(err, errUnsafeRedirect):
		e.Hint = "Steward sends the admin token only to BaseURL's host and never over plain http after https: set BaseURL to the address Kong is served from"
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &badHost):
		e.Hint = "the Admin API's TLS certificate is not trusted here: add its CA to the system's trust store, or configure an HTTP client that trusts it"
	default:
		e.Retryable = true
		e.Hint = "the Admin API did not answer: check BaseURL and that Kong is running"
	}
	return e
}
