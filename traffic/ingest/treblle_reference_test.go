package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/traffic"
)

// decodeTreblleReference is DecodeTreblle as it was before it validated
// and read payloads in one pass: encoding/json validates the payload, then
// decodes it into referenceWire. The single-pass decoder must accept and
// refuse the same payloads and read the same members from them.
func decodeTreblleReference(body []byte, h Hasher) (TreblleEnvelope, traffic.Event, error) {
	var w referenceWire
	if err := json.Unmarshal(body, &w); err != nil {
		return TreblleEnvelope{}, traffic.Event{}, malformed("treblle", "%s", jsonReason(err))
	}
	f := w.fields()
	return f.event(h)
}

// referenceWire is the payload as DecodeTreblle declared it for
// encoding/json.
type referenceWire struct {
	APIKey    string        `json:"api_key"`
	ProjectID string        `json:"project_id"`
	SDKToken  string        `json:"sdk_token"`
	Version   referenceText `json:"version"`
	SDK       string        `json:"sdk"`
	Data      *struct {
		Language referenceLanguage `json:"language"`
		Request  *struct {
			Timestamp string        `json:"timestamp"`
			IP        string        `json:"ip"`
			URL       string        `json:"url"`
			UserAgent string        `json:"user_agent"`
			Method    string        `json:"method"`
			Headers   headerFacts   `json:"headers"`
			Query     queryNames    `json:"query"`
			RoutePath referenceText `json:"route_path"`
		} `json:"request"`
		Response struct {
			Headers  headerFacts `json:"headers"`
			Code     number      `json:"code"`
			Size     number      `json:"size"`
			LoadTime number      `json:"load_time"`
		} `json:"response"`
		Errors referenceCount `json:"errors"`
	} `json:"data"`
}

func (w *referenceWire) fields() treblleFields {
	f := treblleFields{
		apiKey: w.APIKey, projectID: w.ProjectID, sdkToken: w.SDKToken,
		version: string(w.Version), sdk: w.SDK,
	}
	d := w.Data
	if d == nil {
		return f
	}
	f.hasData = true
	f.data.language = treblleLanguage(d.Language)
	f.data.errors = int(d.Errors)
	f.data.response = treblleResponse{headers: d.Response.Headers, code: d.Response.Code,
		size: d.Response.Size, loadTime: d.Response.LoadTime}
	if q := d.Request; q != nil {
		f.data.hasRequest = true
		f.data.request = treblleRequest{timestamp: q.Timestamp, ip: q.IP, url: q.URL,
			userAgent: q.UserAgent, method: q.Method, headers: q.Headers, query: q.Query,
			routePath: string(q.RoutePath)}
	}
	return f
}

type referenceLanguage struct{ Name, Version string }

func (l *referenceLanguage) UnmarshalJSON(b []byte) error {
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

type referenceText string

func (t *referenceText) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '"':
		*t = referenceText(unquote(b))
	case string(b) == "null" || len(b) == 0 || b[0] == '{' || b[0] == '[':
		*t = ""
	default:
		*t = referenceText(b)
	}
	return nil
}

type referenceCount int

func (c *referenceCount) UnmarshalJSON(b []byte) error {
	n := 0
	err := eachElement(b, func([]byte) { n++ })
	*c = referenceCount(n)
	return err
}

// depthReason is how DecodeTreblle words the one refusal it words
// differently from encoding/json, whose "invalid character '{' exceeded
// max depth" does not say what the limit is.
const depthReason = "exceeded max depth of 10000 nested objects and arrays"

// sameAsReference fails t unless DecodeTreblle and the reference agree on
// body: both accept it with the same envelope and event, or both refuse it
// for the same reason.
func sameAsReference(t *testing.T, body []byte) {
	t.Helper()
	env, e, err := DecodeTreblle(body, testHasher)
	refEnv, refE, refErr := decodeTreblleReference(body, testHasher)
	if (err == nil) != (refErr == nil) {
		t.Fatalf("DecodeTreblle: %v\nreference:    %v\nbody: %q", err, refErr, clipBody(body))
	}
	if err != nil {
		reason, refReason := reasonOf(t, err), reasonOf(t, refErr)
		if strings.HasSuffix(refReason, "exceeded max depth") {
			refReason = refReason[:strings.LastIndex(refReason, "invalid character")] + depthReason
		}
		if reason != refReason {
			t.Errorf("reason %q\nreference %q\nbody: %q", reason, refReason, clipBody(body))
		}
	}
	if env != refEnv {
		t.Errorf("envelope %+v\nreference %+v\nbody: %q", env, refEnv, clipBody(body))
	}
	if e != refE {
		t.Errorf("event %+v\nreference %+v\nbody: %q", e, refE, clipBody(body))
	}
}

func reasonOf(t *testing.T, err error) string {
	t.Helper()
	var ie *Error
	if !errors.As(err, &ie) || ie.Kind != ErrMalformed || ie.Format != "treblle" {
		t.Fatalf("err = %v, want a treblle ErrMalformed", err)
	}
	return ie.Reason
}

func clipBody(b []byte) []byte {
	if len(b) > 600 {
		return append(b[:300:300], append([]byte(" ... "), b[len(b)-300:]...)...)
	}
	return b
}

// treblleSeeds returns the payloads of the Treblle tests: the samples, the
// ones TestDecodeTreblleRefuses and TestDecodeTreblleTolerates make from
// them, the ones the tests of the JSON reader use, and payloads for each
// of encoding/json's rules DecodeTreblle keeps.
func treblleSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, name := range []string{"treblle_node.json", "treblle_go_v2.json", "treblle_laravel_v6.json"} {
		seeds = append(seeds, readTestdata(t, name))
	}
	seeds = append(seeds, []byte(benchTreblleEvent))
	for _, r := range treblleReplacements(t) {
		seeds = append(seeds, treblleWith(t, r[0], r[1]))
	}
	for _, s := range []string{
		// From TestDecodeTreblleRefuses and FuzzTreblle.
		"api_key=abc&data=1", "", `[1,2]`,
		`{"api_key":"k","sdk":"go"}`,
		`{"api_key":"k","data":{"response":{"code":200}}}`,
		`{"data":{"request":{"method":"GET","timestamp":"2026-01-01 00:00:00","headers":{"a":[]}}}}`,
		// Keys match fields in any case, escaped, and by Unicode folding
		// (the Kelvin sign is k, the long s is s); the last duplicate wins.
		`{"API_KEY":"a","Api_Key":"b","data":{"REQUEST":{"Method":"get","TimeStamp":"2026-01-01 00:00:00"}}}`,
		`{"api_\u004bey":"a","` + "api_\u212aey" + `":"b","` + "\u017fdk" + `":"go","data":{"request":{"method":"GET","timestamp":"2026-01-01 00:00:00"}}}`,
		`{"data":{"request":{"method":"GET","timestamp":"2026-01-01 00:00:00","headers":{"Treblle-User-ID":"u","treblle-user-\u0069d":"v"}}}}`,
		// null keeps a string, drops data and request, keeps response.
		`{"sdk":"go","sdk":null,"data":{"request":{"method":"GET","timestamp":"2026-01-01 00:00:00"},"response":{"code":204},"response":null}}`,
		`{"data":{"request":{"method":"GET","timestamp":"2026-01-01 00:00:00"}},"data":null}`,
		`{"data":{"request":{"method":"GET","timestamp":"2026-01-01 00:00:00"},"request":null}}`,
		`{"data":{"request":{"method":"GET"}},"data":{"request":{"timestamp":"2026-01-01 00:00:00"}}}`,
		// Repeated header maps add up; query strings and objects.
		`{"data":{"request":{"method":"GET","timestamp":"2026-01-01 00:00:00","headers":{"authorization":"Bearer a"},"headers":{"x-api-key":"k","treblle-user-id":["","u"]},"query":"?api_key=1"}}}`,
		`{"data":{"request":{"method":"GET","timestamp":"2026-01-01 00:00:00","query":{"API_KEY":1},"query":"x=1"}}}`,
		`{"data":{"request":{"method":"GET","timestamp":"2026-01-01 00:00:00","headers":{"host":7,"user-agent":true,"authorization":false,"x-api-key":{"a":1}}}}}`,
		// Numbers as strings, escaped, odd; text members of every type.
		`{"version":false,"data":{"request":{"method":"GET","timestamp":"2026-01-01 00:00:00","route_path":12},"response":{"code":"2\u0030\u0030","size":"1e3","load_time":" 5 "}}}`,
		`{"version":{"a":1},"data":{"request":{"method":"GET","timestamp":"2026-01-01 00:00:00","route_path":null},"response":{"code":[],"size":null,"load_time":"-"}}}`,
		`{"data":{"request":{"method":"GET","timestamp":"2026-01-01 00:00:00"},"response":{"code":200.0,"size":-1,"load_time":1e400}}}`,
		// Language as a string, an object, anything else; errors counted.
		`{"data":{"language":"php","language":{"version":8},"errors":[1,{},[]],"request":{"method":"GET","timestamp":"2026-01-01 00:00:00"}}}`,
		`{"data":{"language":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"name":"late"},"errors":{},"request":{"method":"GET","timestamp":"2026-01-01 00:00:00"}}}`,
		// Strings: invalid UTF-8 as sent, escapes, surrogates, control escapes.
		"{\"api_key\":\"k\xff\",\"sdk\":\"\xc3\",\"data\":{\"language\":\"n\xffode\",\"request\":{\"method\":\"GET\",\"timestamp\":\"2026-01-01 00:00:00\",\"url\":\"/a\xfe\",\"headers\":{\"user-agent\":\"ua\xff\"}}}}",
		`{"api_key":"\ud83d\ude00\ud83d\u0041\udc00\/\b\f\n\r\t\"\\","sdk":"\u00e9\u0000","data":{"language":"\ud800","request":{"method":"GET","timestamp":"2026-01-01 00:00:00","user_agent":"\u0061\ud83d"}}}`,
		// The payload of the wrong type, and members of the wrong type.
		`null`, `"x"`, `1`, `true`, ` {} `, `{"data":[]}`, `{"data":"x"}`, `{"data":{"request":true}}`,
		`{"data":{"request":{"method":7}}}`, `{"data":{"response":1,"request":{"method":"GET"}}}`,
		`{"api_key":1,"data":{"request":{"method":{}}}}`, `{"project_id":[],"sdk_token":false}`,
		`{"data":{"request":{"method":"GET","timestamp":"2026-01-01 00:00:00","ip":1}}} x`,
	} {
		seeds = append(seeds, []byte(s))
	}
	for _, tt := range malformedJSONTests() {
		seeds = append(seeds, []byte(tt.body))
	}
	return seeds
}

// treblleReplacements are the changes TestDecodeTreblleRefuses and
// TestDecodeTreblleTolerates make to the node sample.
func treblleReplacements(t testing.TB) [][2]string {
	deepObjects := strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)
	deepArrays := strings.Repeat(`[`, 5000) + strings.Repeat("]", 5000)
	var huge strings.Builder
	huge.WriteString(`{`)
	for i := range 100_000 {
		fmt.Fprintf(&huge, `"x-h-%d":"v",`, i)
	}
	huge.WriteString(`"authorization":"Bearer late"}`)
	return [][2]string{
		{`"method": "get"`, `"method": "GET /x"`},
		{`"method": "get"`, `"method": ""`},
		{`"code": 200`, `"code": 99999`},
		{`"code": 200`, `"code": -1`},
		{`"code": 200`, `"code": "OK"`},
		{`"2026-05-14T09:21:07.412Z"`, `"yesterday"`},
		{`"method": "get"`, `"method": 7`},
		{`/v2/orders/ord_8812%20x`, "/" + strings.Repeat("p", MaxPathBytes)},
		{`"body": {}`, `"body": ` + deepObjects},
		{`"body": {}`, `"body": ` + deepArrays},
		{`"headers": {
        "host"`, `"headers": ` + huge.String() + `, "ignored": {"host"`},
		{`"code": 200`, `"code": "200"`},
		{`"code": 200,`, ``},
		{`"size": 1834,
      "load_time": 48.71`, `"load_time": -3`},
		{`"headers": {
        "host"`, `"headers": null, "x": {"host"`},
		{`"shop-ios/5.2.1 (iPhone; iOS 17.4; Scale/3.00)"`, `"` + strings.Repeat("ü", 400) + `"`},
		{`{"name": "node", "version": "v20.11.1"}`, `"node"`},
		{`"treblle-user-id": "customer-4711"`, `"authorization": "Bearer ` + sampleJWT + `"`},
		{`"authorization": "Bearer *********",`, ``},
	}
}

// parseTimeReference is parseTime as it was, trying the layouts in one
// order whatever the timestamp.
func parseTimeReference(s string) (time.Time, bool) {
	for _, layout := range [...]string{"2006-01-02 15:04:05", time.RFC3339, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func TestParseTimeMatchesReference(t *testing.T) {
	for _, s := range []string{
		"2026-05-14 09:21:08", "2026-05-14  09:21:08", "2026-05-14 09:21:08.5", "2026-05-14 09:21:08Z",
		"2026-05-14T09:21:07.412Z", "2026-05-14T09:21:07+02:00", "2026-05-14t09:21:07Z", "2026-05-14T09:21:07",
		"2026-05-14T09:21:07.123456789", "2026-05-14T09:21:07 ", "-026-05-14T09:21:07Z", "2026-5-14T09:21:07Z",
		"2026-05-14T25:21:07Z", "2026-05-14", "2026-05-14T", "", "yesterday",
	} {
		got, ok := parseTime(s)
		want, wantOK := parseTimeReference(s)
		if ok != wantOK || !got.Equal(want) || got.Location() != want.Location() {
			t.Errorf("parseTime(%q) = %v, %v; reference %v, %v", s, got, ok, want, wantOK)
		}
	}
}

func TestDecodeTreblleMatchesReference(t *testing.T) {
	for _, body := range treblleSeeds(t) {
		sameAsReference(t, body)
	}
}

func FuzzDecodeTreblle(f *testing.F) {
	for _, body := range treblleSeeds(f) {
		// The fuzzer mutates seeds byte by byte; the megabyte ones only
		// slow it down, and TestDecodeTreblleMatchesReference runs them.
		if len(body) < 64<<10 {
			f.Add(body)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sameAsReference(t, body)
	})
}

// benchTreblleEvent is the event cmd/steward-ingest-bench posts, as
// encoding/json writes it (keys sorted, no spaces).
var benchTreblleEvent = `{"api_key":"","data":{"errors":[],"language":{"name":"node","version":"22.1.0"},` +
	`"request":{"body":{},"headers":{"Accept":"application/json","Authorization":"Bearer secret-token-value","Host":"pets.example.com"},` +
	`"ip":"203.0.113.9","method":"GET","timestamp":"2026-05-14 09:21:07","url":"https://pets.example.com/v1/pets/42?expand=owner","user_agent":"pets-app/1.0 (iOS 18.1)"},` +
	`"response":{"body":{"id":42,"name":"Rex","species":"dog"},"code":200,"headers":{"Content-Encoding":"gzip","Content-Type":"application/json","X-RateLimit-Limit":"100","X-RateLimit-Remaining":"97"},"load_time":12.5,"size":512},` +
	`"server":{"ip":"10.0.0.4","os":{"architecture":"x64","name":"linux","release":"6.1.0"},"protocol":"HTTP/1.1","software":"node","timezone":"UTC"}},` +
	`"project_id":"proj_bench","sdk":"express","version":1.2}`

// benchmarkTreblle measures decode on the node sample and on the event
// cmd/steward-ingest-bench posts.
func benchmarkTreblle(b *testing.B, decode func([]byte, Hasher) (TreblleEnvelope, traffic.Event, error)) {
	for _, p := range []struct {
		name string
		body []byte
	}{
		{"node", readTestdata(b, "treblle_node.json")},
		{"ingest-bench", []byte(benchTreblleEvent)},
	} {
		b.Run(p.name, func(b *testing.B) {
			b.SetBytes(int64(len(p.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := decode(p.body, testHasher); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
