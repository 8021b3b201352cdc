package demotraffic

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
)

// The Treblle payload as the SDKs send it (treblle-node's shape, the
// first generation of key names): api_key carries the source's key.
type wirePayload struct {
	APIKey  string   `json:"api_key"`
	Version string   `json:"version"`
	SDK     string   `json:"sdk"`
	Data    wireData `json:"data"`
}

type wireData struct {
	Server   wireServer   `json:"server"`
	Language wireLanguage `json:"language"`
	Request  wireRequest  `json:"request"`
	Response wireResponse `json:"response"`
	Errors   []wireError  `json:"errors"`
}

type wireServer struct {
	IP       string `json:"ip"`
	Timezone string `json:"timezone"`
	Protocol string `json:"protocol"`
	OS       wireOS `json:"os"`
}

type wireOS struct {
	Name         string `json:"name"`
	Release      string `json:"release"`
	Architecture string `json:"architecture"`
}

type wireLanguage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type wireRequest struct {
	Timestamp string            `json:"timestamp"`
	IP        string            `json:"ip"`
	URL       string            `json:"url"`
	UserAgent string            `json:"user_agent"`
	Method    string            `json:"method"`
	Headers   map[string]string `json:"headers"`
	Body      struct{}          `json:"body"`
	Query     map[string]string `json:"query"`
	RoutePath string            `json:"route_path,omitempty"`
}

type wireResponse struct {
	Headers  map[string]string `json:"headers"`
	Code     int               `json:"code"`
	Size     int64             `json:"size"`
	LoadTime float64           `json:"load_time"`
	Body     struct{}          `json:"body"`
}

type wireError struct {
	Source  string `json:"source"`
	Type    string `json:"type"`
	Message string `json:"message"`
	File    string `json:"file"`
	Line    int    `json:"line"`
}

// Payload returns the event as a Treblle SDK would post it, with key in
// api_key. Bodies are empty objects: Steward never stores them, and the
// demo has none to send. Credentials are sent unmasked, as an SDK
// configured not to mask them would, so Steward can tell consumers apart
// (it keeps only a keyed hash).
func (e *Event) Payload(key string) []byte {
	p := wirePayload{
		APIKey:  key,
		Version: "1",
		SDK:     SDKName,
		Data: wireData{
			Server:   wireServer{IP: e.serverIP, Timezone: "UTC", Protocol: "HTTP/1.1", OS: wireOS{"linux", "6.8.0", "x64"}},
			Language: wireLanguage{"go", "go1.26"},
			Request: wireRequest{
				Timestamp: e.Time.UTC().Format("2006-01-02 15:04:05"),
				IP:        e.ClientIP,
				URL:       e.URL(),
				UserAgent: e.UserAgent,
				Method:    e.Method,
				Headers:   e.requestHeaders(),
				Query:     query(e.RawQuery),
				RoutePath: e.Route,
			},
			Response: wireResponse{
				Headers:  e.responseHeaders(),
				Code:     e.Status,
				Size:     e.ResponseBytes,
				LoadTime: math.Round(float64(e.Duration)/1e4) / 100,
			},
			Errors: []wireError{},
		},
	}
	if e.Status >= 500 {
		p.Data.Errors = append(p.Data.Errors, wireError{Source: "onError", Type: "UNHANDLED_EXCEPTION",
			Message: fmt.Sprintf("upstream answered %d", e.Status), File: "server.go", Line: 214})
	}
	b, err := json.Marshal(p)
	if err != nil {
		// Only strings, numbers and maps of strings: this cannot fail.
		panic("demotraffic: marshal payload: " + err.Error())
	}
	return b
}

func (e *Event) requestHeaders() map[string]string {
	h := map[string]string{
		"host":            e.Host,
		"accept":          "application/json",
		"accept-encoding": "gzip, br",
		"user-agent":      e.UserAgent,
		"x-request-id":    e.requestID,
	}
	if e.Kind == HealthProbe {
		h["accept"] = "*/*"
		delete(h, "accept-encoding")
	}
	if e.authHeader != "" {
		h[e.authHeader] = e.authValue
	}
	return h
}

func (e *Event) responseHeaders() map[string]string {
	h := map[string]string{"content-type": "application/json; charset=utf-8"}
	if e.Kind == HealthProbe {
		h["content-type"] = "text/plain; charset=utf-8"
	}
	if e.compressed {
		h["content-encoding"] = "gzip"
		h["vary"] = "Accept-Encoding"
	}
	if e.rateLimit {
		h["x-ratelimit-limit"] = "1000"
		remaining := 0
		if e.Status != 429 {
			remaining = 1 + int(hash("remaining", e.requestID)%999)
		}
		h["x-ratelimit-remaining"] = strconv.Itoa(remaining)
		h["x-ratelimit-reset"] = strconv.Itoa(1 + int(hash("reset", e.requestID)%60))
	}
	if e.Status == 429 {
		h["retry-after"] = "30"
	}
	if e.hsts {
		h["strict-transport-security"] = "max-age=31536000; includeSubDomains"
	}
	if e.securityHeaders {
		h["x-content-type-options"] = "nosniff"
		h["x-frame-options"] = "DENY"
	}
	return h
}

// query turns a raw query string into the object the SDKs send.
func query(raw string) map[string]string {
	q := map[string]string{}
	values, _ := url.ParseQuery(raw)
	for k, v := range values {
		if len(v) > 0 {
			q[k] = v[0]
		}
	}
	return q
}
