package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
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

// treblleWire is the payload as the SDKs send it. Bodies, server details
// and error messages are left out: encoding/json skips them unread.
type treblleWire struct {
	APIKey    string `json:"api_key"`
	ProjectID string `json:"project_id"`
	SDKToken  string `json:"sdk_token"`
	Version   text   `json:"version"`
	SDK       string `json:"sdk"`
	Data      *struct {
		Language treblleLanguage `json:"language"`
		Request  *struct {
			Timestamp string      `json:"timestamp"`
			IP        string      `json:"ip"`
			URL       string      `json:"url"`
			UserAgent string      `json:"user_agent"`
			Method    string      `json:"method"`
			Headers   headerFacts `json:"headers"`
			Query     queryNames  `json:"query"`
			RoutePath text        `json:"route_path"`
		} `json:"request"`
		Response struct {
			Headers  headerFacts `json:"headers"`
			Code     number      `json:"code"`
			Size     number      `json:"size"`
			LoadTime number      `json:"load_time"`
		} `json:"response"`
		Errors count `json:"errors"`
	} `json:"data"`
}

// treblleLanguage is {"name": "php", "version": "8.3"}, or just a name.
type treblleLanguage struct{ Name, Version string }

func (l *treblleLanguage) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		l.Name = unquote(b)
		return nil
	}
	return eachMember(b, 8, func(key, raw []byte) {
		switch string(key) {
		case "name":
			l.Name = valueText(raw)
		case "version":
			l.Version = valueText(raw)
		}
	})
}

// DecodeTreblle reads one payload a Treblle SDK posts (already
// decompressed; see ReadBody) into its envelope and the request event.
// The consumer identity is, in order of preference, the treblle-user-id
// header (request or response), the credential in Authorization or an API
// key header (unless the SDK masked it), and request.ip. Errors are
// *Error of kind ErrMalformed with a reason for the sender.
func DecodeTreblle(body []byte, h Hasher) (TreblleEnvelope, traffic.Event, error) {
	var w treblleWire
	if err := json.Unmarshal(body, &w); err != nil {
		return TreblleEnvelope{}, traffic.Event{}, malformed("treblle", "%s", jsonReason(err))
	}
	env := TreblleEnvelope{
		APIKey: w.APIKey, ProjectID: w.ProjectID, SDKToken: w.SDKToken,
		SDK: w.SDK, Version: string(w.Version),
	}
	if w.Data == nil {
		return env, traffic.Event{}, malformed("treblle", "data is missing")
	}
	env.Language, env.LanguageVersion = w.Data.Language.Name, w.Data.Language.Version
	env.Errors = int(w.Data.Errors)
	req, resp := w.Data.Request, &w.Data.Response
	if req == nil {
		return env, traffic.Event{}, malformed("treblle", "data.request is missing")
	}

	var e traffic.Event
	var ok bool
	if e.Method, ok = methodOf(req.Method); !ok {
		return env, traffic.Event{}, malformed("treblle", "data.request.method %q is not an HTTP method", clip(req.Method))
	}
	if e.Time, ok = parseTime(req.Timestamp); !ok {
		return env, traffic.Event{}, malformed("treblle", "data.request.timestamp %q is neither \"YYYY-MM-DD HH:MM:SS\" nor RFC 3339", clip(req.Timestamp))
	}
	if e.Status, ok = statusOf(resp.Code); !ok {
		return env, traffic.Event{}, malformed("treblle", "data.response.code is not an HTTP status (100-599)")
	}
	t := splitTarget(req.URL)
	e.Scheme, e.Host, e.Path = schemeOf(t.scheme), t.host, t.path
	if e.Host == "" {
		e.Host = hostOf(req.Headers.host)
	}
	e.Route = routeOf(string(req.RoutePath))
	e.Duration = durationOf(resp.LoadTime, time.Millisecond)
	e.ResponseBytes = bytesOf(resp.Size)
	e.UserAgent = cutUserAgent(req.UserAgent)
	if e.UserAgent == "" {
		e.UserAgent = req.Headers.userAgent
	}
	e.Authenticated = req.Headers.auth || req.Query.apiKey || queryHasKey(t.rawQuery)
	userID := req.Headers.userID
	if userID == "" {
		userID = resp.Headers.userID
	}
	e.Consumer = consumer(h, userID, req.Headers.credential(), firstAddress(req.IP))
	resp.Headers.respond(&e)
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
// (fractions allowed), RFC 3339, or RFC 3339 without a zone (UTC).
func parseTime(s string) (time.Time, bool) {
	for _, layout := range [...]string{"2006-01-02 15:04:05", time.RFC3339, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
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
		if te.Field == "" {
			return fmt.Sprintf("the payload is a JSON %s, not an object", te.Value)
		}
		return fmt.Sprintf("%s is a JSON %s, which is not what this field holds", te.Field, te.Value)
	}
	return "not valid JSON: " + err.Error()
}

// clip shortens input quoted back in an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
