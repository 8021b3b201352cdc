package ingest

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/steward-governance/steward/traffic"
)

// kongEntry is one entry of Kong's log serializer, as the http-log and
// file-log plugins write it. Bodies, tries, the service and the workspace
// are skipped unread.
type kongEntry struct {
	Request struct {
		Method      string      `json:"method"`
		URI         string      `json:"uri"`
		URL         string      `json:"url"`
		Headers     headerFacts `json:"headers"`
		Querystring queryNames  `json:"querystring"`
		TLS         struct {
			ClientVerify string `json:"client_verify"`
		} `json:"tls"`
	} `json:"request"`
	Response struct {
		Status  number      `json:"status"`
		Headers headerFacts `json:"headers"`
		Size    number      `json:"size"`
	} `json:"response"`
	Latencies struct {
		Request number `json:"request"`
	} `json:"latencies"`
	StartedAt number `json:"started_at"`
	ClientIP  string `json:"client_ip"`
	Route     *struct {
		Paths []string `json:"paths"`
	} `json:"route"`
	Consumer *struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		CustomID string `json:"custom_id"`
	} `json:"consumer"`
	AuthenticatedEntity *struct {
		ID string `json:"id"`
	} `json:"authenticated_entity"`
}

// ParseKong parses one entry of Kong's http-log or file-log plugin. The
// consumer identity is Kong's consumer (its id), then the authenticated
// credential, then the request's own credential headers, then client_ip.
// Authenticated means an authenticated entity, a verified client
// certificate, or credential headers or query parameters; Kong's anonymous
// consumer is not authentication.
// Kong routes match path prefixes and regexes, not templates, so Route is
// set only when the route has a single plain path equal to the request's.
// Duration is latencies.request (Kong and upstream); ResponseBytes is
// response.size, which Kong counts with the headers.
func ParseKong(line []byte, h Hasher) (traffic.Event, error) {
	var k kongEntry
	if err := decodeLine("kong", line, &k); err != nil {
		return traffic.Event{}, err
	}
	var e traffic.Event
	var ok bool
	if e.Method, ok = methodOf(k.Request.Method); !ok {
		return traffic.Event{}, malformed("kong", "request.method %q is not an HTTP method", clip(k.Request.Method))
	}
	if !k.StartedAt.ok || k.StartedAt.v <= 0 || k.StartedAt.v > 1e15 {
		return traffic.Event{}, malformed("kong", "started_at is not a time in milliseconds since 1970")
	}
	e.Time = time.UnixMilli(int64(k.StartedAt.v)).UTC()
	if e.Status, ok = statusOf(k.Response.Status); !ok {
		return traffic.Event{}, malformed("kong", "response.status is not an HTTP status (100-599)")
	}
	t := splitTarget(k.Request.URL)
	if k.Request.URL == "" {
		t = splitTarget(k.Request.URI)
	}
	if k.Request.URL == "" && k.Request.URI == "" {
		return traffic.Event{}, malformed("kong", "request.url and request.uri are both missing")
	}
	e.Scheme = schemeOf(t.scheme)
	e.Host = t.host
	if e.Host == "" {
		e.Host = hostOf(k.Request.Headers.host)
	}
	e.Path = t.path
	if r := k.Route; r != nil && len(r.Paths) == 1 && r.Paths[0] == e.Path && !regexPath(r.Paths[0]) {
		e.Route = r.Paths[0]
	}
	e.Duration = durationOf(k.Latencies.Request, time.Millisecond)
	e.ResponseBytes = bytesOf(k.Response.Size)
	e.UserAgent = k.Request.Headers.userAgent

	var consumerID, entityID string
	if c := k.Consumer; c != nil {
		if id := cmp.Or(c.ID, c.Username, c.CustomID); id != "" {
			consumerID = "kong " + id
		}
	}
	if a := k.AuthenticatedEntity; a != nil && a.ID != "" {
		entityID = "kong credential " + a.ID
	}
	// A consumer without an authenticated entity is the anonymous
	// consumer an auth plugin falls back to: not authentication.
	e.Authenticated = entityID != "" || k.Request.TLS.ClientVerify == "SUCCESS" ||
		k.Request.Headers.auth || k.Request.Querystring.apiKey || queryHasKey(t.rawQuery)
	e.Consumer = consumer(h, consumerID, entityID, k.Request.Headers.credential(), k.ClientIP)
	k.Response.Headers.respond(&e)
	if err := checkPath("kong", &e); err != nil {
		return traffic.Event{}, err
	}
	return e, nil
}

// ParseKongBatch parses an http-log request body: one entry, or an array
// of them when the plugin's queue.max_batch_size is over 1. It returns the
// events of the entries it could read and, joined, the errors of the
// others (each an *Error naming the entry), so a caller can keep the good
// ones.
func ParseKongBatch(body []byte, h Hasher) ([]traffic.Event, error) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '{' {
		e, err := ParseKong(body, h)
		if err != nil {
			return nil, err
		}
		return []traffic.Event{e}, nil
	}
	if len(body) == 0 || body[0] != '[' {
		return nil, malformed("kong", "body is neither an http-log entry nor an array of them")
	}
	var events []traffic.Event
	var errs []error
	i := 0
	err := eachElement(body, func(raw []byte) {
		i++
		e, err := ParseKong(raw, h)
		if err != nil {
			var ie *Error
			if errors.As(err, &ie) {
				ie.Reason = fmt.Sprintf("entry %d: %s", i, ie.Reason)
			}
			errs = append(errs, err)
			return
		}
		events = append(events, e)
	})
	if err != nil {
		return nil, malformed("kong", "body is not a valid JSON array")
	}
	return events, errors.Join(errs...)
}

// regexPath reports whether a Kong route path is a regex: Kong 3 marks
// them with "~", older versions took any path with regex characters.
func regexPath(p string) bool {
	return strings.HasPrefix(p, "~") || strings.ContainsAny(p, `()[]{}*+?^$|\`)
}
