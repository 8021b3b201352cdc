package ingest

import (
	"time"

	"github.com/steward-governance/steward/traffic"
)

// TreblleEnvelope is what a Treblle payload says about who sent it, for the
// HTTP layer to find the source it belongs to. The SDK generations put the
// same credentials under different names: treblle-node sends api_key (API
// key) and project_id; treblle-go v2 sends the SDK token in api_key and the
// API key in project_id; treblle-laravel v6 sends api_key (the former
// project id) and sdk_token. Steward exposes all of them as sent; Keys
// lists the candidates.
type TreblleEnvelope struct {
	APIKey    string
	ProjectID string
	SDKToken  string
	// SDK is the SDK's name ("go", "laravel", "express"), Version its
	// version as sent (a number for some SDKs, a string for others).
	SDK     string
	Version string
	// Language and LanguageVersion describe the application's runtime.
	Language        string
	LanguageVersion string
	// Errors is how many errors the SDK reported for the request; their
	// messages are not kept.
	Errors int
}

// Keys returns the distinct non-empty credentials the request carried, in
// the order to try them against configured sources: the x-api-key header
// (pass "" when absent), then api_key, sdk_token and project_id.
func (e TreblleEnvelope) Keys(headerKey string) []string {
	var keys []string
	for _, k := range [...]string{headerKey, e.APIKey, e.SDKToken, e.ProjectID} {
		if k != "" && !contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// treblleFields are the members of a payload Steward reads, as the SDKs
// send them; bodies, server details and error messages are skipped
// unread.
type treblleFields struct {
	apiKey, projectID, sdkToken string
	version                     string // a number for some SDKs
	sdk                         string
	hasData                     bool
	data                        treblleData
}

type treblleData struct {
	language   treblleLanguage
	hasRequest bool
	request    treblleRequest
	response   treblleResponse
	errors     int // how many; the errors themselves are not read
}

type treblleRequest struct {
	timestamp, ip, url, userAgent, method string
	headers                               headerFacts
	query                                 queryNames
	routePath                             string
}

type treblleResponse struct {
	headers              headerFacts
	code, size, loadTime number
}

// treblleLanguage is {"name": "php", "version": "8.3"}, or just a name.
type treblleLanguage struct{ Name, Version string }

// languageMembers is how many members of a language object are looked
// at: name and version come first, then a few PHP settings.
const languageMembers = 8

// The read methods below read a payload as encoding/json would into structs
// of these fields tagged with the member names (see reader for its rules),
// so that payloads decode as they did when DecodeTreblle used it. Each
// starts at its object's opening brace.

func (w *treblleFields) read(r *reader) {
	var buf [16]byte
	for _, key := range r.members {
		switch string(fieldName(key, buf[:])) {
		case "api_key":
			r.stringField("api_key", &w.apiKey)
		case "project_id":
			r.stringField("project_id", &w.projectID)
		case "sdk_token":
			r.stringField("sdk_token", &w.sdkToken)
		case "version":
			w.version = r.text()
		case "sdk":
			r.stringField("sdk", &w.sdk)
		case "data":
			// encoding/json merged a repeated object into the first and
			// dropped it for null.
			if w.hasData = r.object("data"); w.hasData {
				w.data.read(r)
			} else {
				w.data = treblleData{}
			}
		default:
			r.skip()
		}
	}
}

func (d *treblleData) read(r *reader) {
	var buf [16]byte
	for _, key := range r.members {
		switch string(fieldName(key, buf[:])) {
		case "language":
			d.language.read(r)
		case "request":
			if d.hasRequest = r.object("data.request"); d.hasRequest {
				d.request.read(r)
			} else {
				d.request = treblleRequest{}
			}
		case "response":
			if r.object("data.response") {
				d.response.read(r)
			}
		case "errors":
			d.errors = r.count()
		default:
			r.skip()
		}
	}
}

func (q *treblleRequest) read(r *reader) {
	var buf [16]byte
	for _, key := range r.members {
		switch string(fieldName(key, buf[:])) {
		case "timestamp":
			r.stringField("data.request.timestamp", &q.timestamp)
		case "ip":
			r.stringField("data.request.ip", &q.ip)
		case "url":
			r.stringField("data.request.url", &q.url)
		case "user_agent":
			r.stringField("data.request.user_agent", &q.userAgent)
		case "method":
			r.stringField("data.request.method", &q.method)
		case "headers":
			r.headers(&q.headers)
		case "query":
			r.query(&q.query)
		case "route_path":
			q.routePath = r.text()
		default:
			r.skip()
		}
	}
}

func (p *treblleResponse) read(r *reader) {
	var buf [16]byte
	for _, key := range r.members {
		switch string(fieldName(key, buf[:])) {
		case "headers":
			r.headers(&p.headers)
		case "code":
			p.code = r.number()
		case "size":
			p.size = r.number()
		case "load_time":
			p.loadTime = r.number()
		default:
			r.skip()
		}
	}
}

// read takes a name, or the name and version of an object; unlike the
// payload's own members, the object's keys must be spelled exactly.
func (l *treblleLanguage) read(r *reader) {
	switch r.valueStart() {
	case '"':
		l.Name = stringText(r.str())
	case '{':
		for i, key := range r.members {
			switch {
			case i >= languageMembers:
				r.skip()
			case string(key) == "name":
				l.Name = tokenText(r.headerValue())
			case string(key) == "version":
				l.Version = tokenText(r.headerValue())
			default:
				r.skip()
			}
		}
	default:
		r.skip()
	}
}

// DecodeTreblle reads one payload a Treblle SDK posts (already
// decompressed; see ReadBody) into its envelope and the request event.
// The consumer identity is, in order of preference, the treblle-user-id
// header (request or response), the credential in Authorization or an API
// key header (unless the SDK masked it), and request.ip. Errors are
// *Error of kind ErrMalformed with a reason for the sender.
func DecodeTreblle(body []byte, h Hasher) (TreblleEnvelope, traffic.Event, error) {
	r := reader{data: body}
	var w treblleFields
	if r.object("") {
		w.read(&r)
	}
	r.end()
	if reason := r.reason(); reason != "" {
		return TreblleEnvelope{}, traffic.Event{}, malformed("treblle", "%s", reason)
	}
	return w.event(h)
}

// event checks the payload's members and turns them into the envelope and
// the event.
func (w *treblleFields) event(h Hasher) (TreblleEnvelope, traffic.Event, error) {
	env := TreblleEnvelope{
		APIKey: w.apiKey, ProjectID: w.projectID, SDKToken: w.sdkToken,
		SDK: w.sdk, Version: w.version,
	}
	if !w.hasData {
		return env, traffic.Event{}, malformed("treblle", "data is missing")
	}
	env.Language, env.LanguageVersion = w.data.language.Name, w.data.language.Version
	env.Errors = w.data.errors
	req, resp := &w.data.request, &w.data.response
	if !w.data.hasRequest {
		return env, traffic.Event{}, malformed("treblle", "data.request is missing")
	}

	var e traffic.Event
	var ok bool
	if e.Method, ok = methodOf(req.method); !ok {
		return env, traffic.Event{}, malformed("treblle", "data.request.method %q is not an HTTP method", clip(req.method))
	}
	if e.Time, ok = parseTime(req.timestamp); !ok {
		return env, traffic.Event{}, malformed("treblle", "data.request.timestamp %q is neither \"YYYY-MM-DD HH:MM:SS\" nor RFC 3339", clip(req.timestamp))
	}
	if e.Status, ok = statusOf(resp.code); !ok {
		return env, traffic.Event{}, malformed("treblle", "data.response.code is not an HTTP status (100-599)")
	}
	t := splitTarget(req.url)
	e.Scheme, e.Host, e.Path = schemeOf(t.scheme), t.host, t.path
	if e.Host == "" {
		e.Host = hostOf(req.headers.host)
	}
	e.Route = routeOf(req.routePath)
	e.Duration = durationOf(resp.loadTime, time.Millisecond)
	e.ResponseBytes = bytesOf(resp.size)
	e.UserAgent = cutUserAgent(req.userAgent)
	if e.UserAgent == "" {
		e.UserAgent = req.headers.userAgent
	}
	e.Authenticated = req.headers.auth || req.query.apiKey || queryHasKey(t.rawQuery)
	userID := req.headers.userID
	if userID == "" {
		userID = resp.headers.userID
	}
	e.Consumer = consumer(h, userID, req.headers.credential(), firstAddress(req.ip))
	resp.headers.respond(&e)
	if err := checkPath("treblle", &e); err != nil {
		return env, traffic.Event{}, err
	}
	return env, e, nil
}

// routeOf returns a route template with a leading slash (Laravel reports
// "api/users/{user}").
func routeOf(r string) string {
	if r == "" || r[0] == '/' {
		return r
	}
	return "/" + r
}

// parseTime reads the timestamps SDKs send: "YYYY-MM-DD HH:MM:SS" in UTC
// (fractions allowed), RFC 3339, or RFC 3339 without a zone (UTC). No
// timestamp fits two of the layouts (the first has a space where the
// others have a T, and only RFC 3339 has a zone), so the order they are
// tried in only matters for speed: a failed attempt allocates an error.
func parseTime(s string) (time.Time, bool) {
	layouts := [...]string{"2006-01-02 15:04:05", time.RFC3339, "2006-01-02T15:04:05"}
	if len(s) > 10 && s[10] == 'T' {
		layouts = [...]string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05"}
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// clip shortens input quoted back in an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
