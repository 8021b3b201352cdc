package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/steward-governance/steward/traffic"
)

// testLines returns the lines of a testdata log.
func testLines(t testing.TB, name string) [][]byte {
	t.Helper()
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(readTestdata(t, name)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, slices.Clone(sc.Bytes()))
	}
	return lines
}

// jsonTags returns the json tags of v's fields, in order, with those of
// embedded structs in their place, as encoding/json reads them.
func jsonTags(v any) []string {
	var tags []string
	rt := reflect.TypeOf(v)
	for i := range rt.NumField() {
		f := rt.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			tags = append(tags, jsonTags(reflect.Zero(f.Type).Interface())...)
			continue
		}
		tags = append(tags, strings.Split(f.Tag.Get("json"), ",")[0])
	}
	return tags
}

func TestParseNginx(t *testing.T) {
	lines := testLines(t, "nginx.log")
	want := []traffic.Event{
		{
			Time: mustTime("2026-05-14T09:21:06.952Z"), Method: "GET", Scheme: "https", Host: "api.shop.example.com",
			Path: "/v2/orders/ord_8812", Status: 200, Duration: 48 * time.Millisecond, ResponseBytes: 1834,
			UserAgent: "shop-ios/5.2.1 (iPhone; iOS 17.4; Scale/3.00)",
			Consumer:  testHasher.Consumer("jwt https://auth.example.com/ client-42"), Authenticated: true,
			RateLimitHeaders: true, HSTS: true, Compressed: true, SecurityHeaders: true,
		},
		{
			Time: mustTime("2026-05-14T07:21:07.750Z"), Method: "POST", Scheme: "http", Host: "crm.example.org",
			Path: "/api/v1/contacts", Status: 201, Duration: 1250 * time.Millisecond, ResponseBytes: 0,
			UserAgent: "curl/8.7.1 \"quoted\" \"also quoted\" \x1b[0m",
			Consumer:  testHasher.Consumer("ak_live_51Hq7"), Authenticated: true,
		},
		{
			Time: mustTime("2026-05-14T09:22:00Z"), Method: "GET", Scheme: "https", Host: "maps.example.com",
			Path: "/tiles/12/2200/1343.png", Status: 499, ResponseBytes: 0,
			Consumer: testHasher.Consumer("198.51.100.9"), Authenticated: true, // ?key=
		},
		{
			Time: mustTime("2026-05-14T09:23:29.998Z"), Method: "HEAD", Scheme: "https", Host: "files.example.com",
			Path: "/files/résumé.pdf", Status: 304, Duration: 2 * time.Millisecond, ResponseBytes: 0,
			UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
			Consumer:  testHasher.Consumer("basic alice"), Authenticated: true, HSTS: true, SecurityHeaders: true,
		},
		{
			Time: mustTime("2026-05-14T09:24:00.996Z"), Method: "DELETE", Scheme: "https", Host: "api.shop.example.com",
			Path: "/v2/carts/c_91", Status: 429, Duration: 4 * time.Millisecond, ResponseBytes: 71,
			UserAgent: "okhttp/4.12.0", Consumer: testHasher.Consumer("ak_test_77"), Authenticated: true,
			RateLimitHeaders: true, Compressed: true,
		},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d sample lines, %d expectations", len(lines), len(want))
	}
	for i, line := range lines {
		t.Run(string(want[i].Method), func(t *testing.T) {
			e, err := ParseNginx(line, testHasher)
			if err != nil {
				t.Fatal(err)
			}
			sameEvent(t, e, want[i])
			checkInvariants(t, e, "ak_live_51Hq7", "198.51.100.9", "ak_test_77")
		})
	}
}

// nginxVariables are the nginx variables NginxLogFormat may use, with the
// value a realistic request gives them.
var nginxVariables = map[string]string{
	"time_iso8601": "2026-05-14T09:21:07+00:00", "request_method": "GET", "scheme": "https",
	"host": "api.example.com", "request_uri": "/v1/users/42?fields=name", "server_protocol": "HTTP/2.0", "status": "200",
	"request_time": "0.012", "body_bytes_sent": "512", "http_user_agent": `Go-http-client/1.1 "x"`,
	"remote_addr": "203.0.113.7", "http_authorization": "Bearer tok_1", "http_x_api_key": "",
	"http_api_key": "", "sent_http_strict_transport_security": "max-age=63072000",
	"sent_http_content_encoding": "gzip", "sent_http_ratelimit": "", "sent_http_ratelimit_limit": "",
	"sent_http_ratelimit_policy": "", "sent_http_x_ratelimit_limit": "100", "sent_http_retry_after": "",
	"sent_http_x_content_type_options": "nosniff", "sent_http_content_security_policy": "",
	"sent_http_x_frame_options": "DENY",
}

func TestNginxLogFormat(t *testing.T) {
	lines := strings.Split(NginxLogFormat, "\n")
	if lines[0] != "log_format steward escape=json" {
		t.Fatalf("first line %q", lines[0])
	}
	if !strings.HasSuffix(NginxLogFormat, "';") {
		t.Fatal("the directive does not end with ';")
	}
	// Each further line is one single-quoted string; nginx concatenates them.
	var template strings.Builder
	quoted := regexp.MustCompile(`^ +'([^']*)';?$`)
	for _, l := range lines[1:] {
		m := quoted.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %q is not a single-quoted nginx string", l)
		}
		template.WriteString(m[1])
	}
	if strings.Count(NginxLogFormat, ";") != 1 {
		t.Error("a ';' inside the format would end the directive early")
	}
	// Every variable is one nginx sets, every value sits in a JSON string.
	vars := regexp.MustCompile(`"\$([a-z0-9_]+)"`)
	used := map[string]bool{}
	for _, m := range vars.FindAllStringSubmatch(template.String(), -1) {
		if _, ok := nginxVariables[m[1]]; !ok {
			t.Errorf("$%s is not a variable this test knows", m[1])
		}
		used[m[1]] = true
	}
	if n := strings.Count(template.String(), "$"); n != len(used) {
		t.Errorf("%d $ signs for %d quoted variables: one is outside quotes or repeated", n, len(used))
	}
	// Render it as nginx would (escape=json) and parse the line.
	line := vars.ReplaceAllStringFunc(template.String(), func(s string) string {
		b, _ := json.Marshal(nginxVariables[s[2:len(s)-1]])
		return string(b)
	})
	var fields map[string]any
	if err := json.Unmarshal([]byte(line), &fields); err != nil {
		t.Fatalf("rendered format is not JSON: %v\n%s", err, line)
	}
	var keys []string
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	tags := jsonTags(nginxLine{})
	slices.Sort(tags)
	if !slices.Equal(keys, tags) {
		t.Errorf("format keys %q\nparser reads %q", keys, tags)
	}
	e, err := ParseNginx([]byte(line), testHasher)
	if err != nil {
		t.Fatal(err)
	}
	sameEvent(t, e, traffic.Event{
		Time: mustTime("2026-05-14T09:21:06.988Z"), Method: "GET", Scheme: "https", Host: "api.example.com",
		Path: "/v1/users/42", Status: 200, Duration: 12 * time.Millisecond, ResponseBytes: 512,
		UserAgent: `Go-http-client/1.1 "x"`, Consumer: testHasher.Consumer("tok_1"), Authenticated: true,
		RateLimitHeaders: true, HSTS: true, Compressed: true, SecurityHeaders: true,
	})
}

func TestParseKong(t *testing.T) {
	lines := testLines(t, "kong.log")
	want := []traffic.Event{
		{
			// The sample from Kong's http-log documentation.
			Time: time.UnixMilli(1614232668342).UTC(), Method: "GET", Scheme: "http", Host: "localhost",
			Path: "/log", Route: "/log", Status: 200, Duration: 515 * time.Millisecond, ResponseBytes: 827,
			UserAgent: "HTTPie/2.4.0", Consumer: testHasher.Consumer("192.168.144.1"),
		},
		{
			// A consumer authenticated by a plugin, a regex route.
			Time: time.UnixMilli(1778750467412).UTC(), Method: "GET", Scheme: "https", Host: "api.shop.example.com",
			Path: "/v2/orders/ord_8812", Status: 200, Duration: 37 * time.Millisecond, ResponseBytes: 2291,
			UserAgent: "shop-android/5.2.0", Consumer: testHasher.Consumer("kong a3f5c2d1-6e7b-4a8c-9d0e-1f2a3b4c5d6e"),
			Authenticated: true, RateLimitHeaders: true, HSTS: true, Compressed: true, SecurityHeaders: true,
		},
		{
			// Retry-After on a 503 is not rate limiting; ?apikey= is a credential.
			Time: time.UnixMilli(1778750500000).UTC(), Method: "HEAD", Scheme: "https", Host: "status.example.com",
			Path: "/healthz", Route: "/healthz", Status: 503, Duration: time.Millisecond, ResponseBytes: 160,
			UserAgent: "kube-probe/1.30", Consumer: testHasher.Consumer("10.1.0.1"), Authenticated: true,
		},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d sample lines, %d expectations", len(lines), len(want))
	}
	for i, line := range lines {
		t.Run(want[i].Path, func(t *testing.T) {
			e, err := ParseKong(line, testHasher)
			if err != nil {
				t.Fatal(err)
			}
			sameEvent(t, e, want[i])
			checkInvariants(t, e, "192.168.144.1", "10.1.0.1")
		})
	}

	batch := append(append([]byte("[\n"), bytes.Join(lines, []byte(",\n"))...), []byte(",{\"request\":{}}]")...)
	events, err := ParseKongBatch(batch, testHasher)
	if len(events) != 3 {
		t.Errorf("batch gave %d events, want 3", len(events))
	}
	var ie *Error
	if !errors.As(err, &ie) || !strings.Contains(ie.Reason, "entry 4") {
		t.Errorf("batch error %v should name entry 4", err)
	}
	if events, err := ParseKongBatch(lines[0], testHasher); err != nil || len(events) != 1 {
		t.Errorf("single-entry body: %d events, %v", len(events), err)
	}
}

func TestKongRoute(t *testing.T) {
	tests := []struct {
		paths []string
		want  string
	}{
		{[]string{"/log"}, "/log"},
		{[]string{"/log", "/other"}, ""},
		{[]string{"/lo"}, ""},
		{[]string{"~/log$"}, ""},
		{[]string{"/l(o)g"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		paths, _ := json.Marshal(tt.paths)
		line := `{"request":{"method":"GET","url":"http://k/log"},"response":{"status":200},"started_at":1,"route":{"paths":` + string(paths) + `}}`
		e, err := ParseKong([]byte(line), testHasher)
		if err != nil {
			t.Fatal(err)
		}
		if e.Route != tt.want {
			t.Errorf("paths %q: Route = %q, want %q", tt.paths, e.Route, tt.want)
		}
	}
}

func TestParseEnvoy(t *testing.T) {
	lines := testLines(t, "envoy.log")
	want := []traffic.Event{
		{
			Time: mustTime("2026-05-14T09:21:07.364Z"), Method: "GET", Scheme: "https", Host: "api.shop.example.com",
			Path: "/v2/orders/ord_8812", Status: 200, Duration: 48 * time.Millisecond, ResponseBytes: 1834,
			UserAgent: "shop-ios/5.2.1 (iPhone; iOS 17.4; Scale/3.00)",
			Consumer:  testHasher.Consumer("jwt https://auth.example.com/ client-42"), Authenticated: true,
			RateLimitHeaders: true, HSTS: true, Compressed: true, SecurityHeaders: true,
		},
		{
			// No response (code 0); a client certificate is a credential.
			Time: mustTime("2026-05-14T09:21:09.001Z"), Method: "POST", Scheme: "http", Host: "mesh-internal",
			Path: "/grpc.health.v1.Health/Check", Status: 0, Duration: 15001 * time.Millisecond, ResponseBytes: 0,
			UserAgent: "grpc-go/1.64.0", Authenticated: true,
			Consumer: testHasher.Consumer("cert 9e8a1f6b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f"),
		},
		{
			// Numbers as strings and "-" for missing values, as older Envoys write.
			Time: mustTime("2026-05-14T09:22:30.5Z"), Method: "PUT", Host: "2001:db8::1",
			Path: "/v1/users/u/7/avatar", Status: 429, Duration: 2 * time.Millisecond, ResponseBytes: 19,
			Consumer: testHasher.Consumer("ak_live_51Hq7"), Authenticated: true, RateLimitHeaders: true,
		},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d sample lines, %d expectations", len(lines), len(want))
	}
	for i, line := range lines {
		t.Run(want[i].Method, func(t *testing.T) {
			e, err := ParseEnvoy(line, testHasher)
			if err != nil {
				t.Fatal(err)
			}
			sameEvent(t, e, want[i])
			checkInvariants(t, e, "ak_live_51Hq7")
		})
	}
}

func TestEnvoyLogFormat(t *testing.T) {
	var doc struct {
		LogFormat struct {
			JSONFormat yaml.Node `yaml:"json_format"`
		} `yaml:"log_format"`
	}
	if err := yaml.Unmarshal([]byte(EnvoyLogFormat), &doc); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	m := doc.LogFormat.JSONFormat
	if m.Kind != yaml.MappingNode {
		t.Fatal("log_format.json_format is not a mapping")
	}
	command := regexp.MustCompile(`^%[A-Z0-9_]+(\([A-Z0-9:?_-]+\))?(:[0-9]+)?%$`)
	numeric := map[string]bool{"%RESPONSE_CODE%": true, "%DURATION%": true, "%BYTES_SENT%": true}
	// A line as Envoy would write it for a request with these headers.
	sample := map[string]any{
		"%START_TIME%": "2026-05-14T09:21:07.364Z", "%REQ(:METHOD)%": "GET",
		"%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%": "/v1/users/42?fields=name", "%REQ(X-FORWARDED-PROTO?:SCHEME)%": "https",
		"%REQ(:AUTHORITY)%": "api.example.com:443", "%PROTOCOL%": "HTTP/2", "%RESPONSE_CODE%": 200,
		"%DURATION%": 12, "%BYTES_SENT%": 512, "%REQ(USER-AGENT)%": "Go-http-client/2.0",
		"%REQ(X-FORWARDED-FOR)%": "203.0.113.7", "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%": "10.0.0.1",
		"%REQ(AUTHORIZATION)%": "Bearer tok_1", "%RESP(CONTENT-ENCODING)%": "gzip",
		"%RESP(STRICT-TRANSPORT-SECURITY):1%": "m", "%RESP(X-RATELIMIT-LIMIT):1%": "1",
		"%RESP(X-CONTENT-TYPE-OPTIONS):1%": "n", "%RESP(X-FRAME-OPTIONS):1%": "D",
	}
	line := map[string]any{}
	var keys []string
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i].Value, m.Content[i+1].Value
		keys = append(keys, k)
		if !command.MatchString(v) {
			t.Errorf("%s: %q is not a single Envoy command operator", k, v)
		}
		if s, ok := sample[v]; ok {
			line[k] = s
		} else if numeric[v] {
			line[k] = 0
		} else {
			line[k] = nil
		}
	}
	slices.Sort(keys)
	tags := jsonTags(envoyLine{})
	slices.Sort(tags)
	if !slices.Equal(keys, tags) {
		t.Errorf("format keys %q\nparser reads %q", keys, tags)
	}
	b, _ := json.Marshal(line)
	e, err := ParseEnvoy(b, testHasher)
	if err != nil {
		t.Fatal(err)
	}
	sameEvent(t, e, traffic.Event{
		Time: mustTime("2026-05-14T09:21:07.364Z"), Method: "GET", Scheme: "https", Host: "api.example.com",
		Path: "/v1/users/42", Status: 200, Duration: 12 * time.Millisecond, ResponseBytes: 512,
		UserAgent: "Go-http-client/2.0", Consumer: testHasher.Consumer("tok_1"), Authenticated: true,
		RateLimitHeaders: true, HSTS: true, Compressed: true, SecurityHeaders: true,
	})
}

func TestLineParsersRefuse(t *testing.T) {
	nginx := string(testLines(t, "nginx.log")[0])
	kong := string(testLines(t, "kong.log")[0])
	envoy := string(testLines(t, "envoy.log")[0])
	tests := []struct {
		format string
		line   string
		reason string
	}{
		{"nginx", "", "empty line"},
		{"nginx", `203.0.113.54 - - [14/May/2026:09:21:07 +0000] "GET / HTTP/1.1" 200 12`, "not a JSON object"},
		{"nginx", `{"time":"2026-05-14T09:21:07+00:00","method":"GET","user_agent":"a\x22b"}`, "escape=json"},
		{"nginx", strings.Replace(nginx, `"method":"GET"`, `"method":""`, 1), "not an HTTP method"},
		{"nginx", strings.Replace(nginx, `"method":"GET"`, `"method":"\u0016\u0003\u0001"`, 1), "not an HTTP method"},
		{"nginx", strings.Replace(nginx, `"status":"200"`, `"status":"2000"`, 1), "not an HTTP status"},
		{"nginx", strings.Replace(nginx, `"time":"2026-05-14T09:21:07+00:00"`, `"time":"14/May/2026:09:21:07 +0000"`, 1), "$time_iso8601"},
		{"nginx", nginx[:len(nginx)/2], "not valid JSON"},
		{"nginx", strings.Replace(nginx, `"uri":"/v2/orders/ord_8812`, `"uri":"/`+strings.Repeat("a", MaxPathBytes), 1), "longer than"},
		{"kong", strings.Replace(kong, `"started_at":1614232668342`, `"started_at":"soon"`, 1), "started_at"},
		{"kong", strings.Replace(kong, `"status":200`, `"status":42`, 1), "not an HTTP status"},
		{"kong", strings.Replace(kong, `"method":"GET"`, `"method":"G E T"`, 1), "not an HTTP method"},
		{"kong", `{"request":{"method":"GET"},"response":{"status":200},"started_at":1}`, "request.url"},
		{"kong", `[]`, "not a JSON object"},
		{"envoy", strings.Replace(envoy, `"start_time":"2026-05-14T09:21:07.364Z"`, `"start_time":null`, 1), "start_time"},
		{"envoy", strings.Replace(envoy, `"response_code":200`, `"response_code":"UF"`, 1), "not an HTTP status"},
		{"envoy", strings.Replace(envoy, `"method":"GET"`, `"method":null`, 1), "not an HTTP method"},
	}
	for _, tt := range tests {
		t.Run(tt.format+"/"+tt.reason, func(t *testing.T) {
			parse, ok := ParserFor(tt.format)
			if !ok {
				t.Fatalf("no parser for %s", tt.format)
			}
			_, err := parse([]byte(tt.line), testHasher)
			var ie *Error
			if !errors.As(err, &ie) || ie.Kind != ErrMalformed || ie.Format != tt.format {
				t.Fatalf("err = %v, want a %s ErrMalformed", err, tt.format)
			}
			if !strings.Contains(ie.Reason, tt.reason) {
				t.Errorf("reason %q does not mention %q", ie.Reason, tt.reason)
			}
		})
	}
	if _, ok := ParserFor("apache"); ok {
		t.Error("ParserFor knows a format it has no parser for")
	}
}

func fuzzLines(f *testing.F, name string, parse LineParser) {
	for _, line := range testLines(f, name) {
		f.Add(line)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"method":"GET","status":"200","time":"2026-01-01T00:00:00Z","start_time":"2026-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := parse(line, testHasher)
		if err != nil {
			var ie *Error
			if !errors.As(err, &ie) || ie.Kind != ErrMalformed || ie.Reason == "" {
				t.Fatalf("error %v is not a malformed-input *Error with a reason", err)
			}
			return
		}
		checkInvariants(t, e)
	})
}

func FuzzNginx(f *testing.F) { fuzzLines(f, "nginx.log", ParseNginx) }
func FuzzKong(f *testing.F)  { fuzzLines(f, "kong.log", ParseKong) }
func FuzzEnvoy(f *testing.F) { fuzzLines(f, "envoy.log", ParseEnvoy) }

func BenchmarkNginxLine(b *testing.B) {
	line := testLines(b, "nginx.log")[0]
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseNginx(line, testHasher); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func TestKongAuthentication(t *testing.T) {
	const base = `{"request":{"method":"GET","url":"https://k/x"%s},"response":{"status":200},"started_at":1,"client_ip":"10.0.0.1"%s}`
	tests := []struct {
		name          string
		request, rest string
		auth          bool
		identity      string
	}{
		{"nothing", ``, ``, false, "10.0.0.1"},
		{"anonymous consumer", ``, `,"consumer":{"id":"anon"}`, false, "kong anon"},
		{"consumer with credential", ``, `,"consumer":{"id":"c1"},"authenticated_entity":{"id":"cred1"}`, true, "kong c1"},
		{"verified client certificate", `,"tls":{"client_verify":"SUCCESS"}`, ``, true, "10.0.0.1"},
		{"failed client certificate", `,"tls":{"client_verify":"FAILED:unknown CA"}`, ``, false, "10.0.0.1"},
		{"key-auth's apikey header", `,"headers":{"apikey":"k8","x-api-key":"k9"}`, ``, true, "k8"},
		{"session cookie", `,"headers":{"cookie":"session=abc"}`, ``, false, "10.0.0.1"},
	}
	for _, tt := range tests {
		e, err := ParseKong(fmt.Appendf(nil, base, tt.request, tt.rest), testHasher)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if e.Authenticated != tt.auth || e.Consumer != testHasher.Consumer(tt.identity) {
			t.Errorf("%s: Authenticated %v, Consumer %s; want %v and the hash of %q", tt.name, e.Authenticated, e.Consumer, tt.auth, tt.identity)
		}
	}
}
