package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/traffic"
)

func TestDecodeTreblle(t *testing.T) {
	tests := []struct {
		file     string
		encoding string
		wantEnv  TreblleEnvelope
		want     traffic.Event
	}{
		{
			// treblle-node: api_key is the API key, project_id the project.
			file: "treblle_node.json",
			wantEnv: TreblleEnvelope{APIKey: "tr_key_node_4f1c2a9b7d", ProjectID: "proj_7Hq2LmX9",
				SDK: "express", Version: "2.0.4", Language: "node", LanguageVersion: "v20.11.1"},
			want: traffic.Event{
				Time: mustTime("2026-05-14T09:21:07.412Z"), Method: "GET", Scheme: "https",
				Host: "api.shop.example.com", Path: "/v2/orders/ord_8812 x", Route: "/v2/orders/:orderId",
				Status: 200, Duration: 48710 * time.Microsecond, ResponseBytes: 1834,
				UserAgent: "shop-ios/5.2.1 (iPhone; iOS 17.4; Scale/3.00)",
				// Authorization is masked; treblle-user-id identifies the customer.
				Consumer: testHasher.Consumer("customer-4711"), Authenticated: true,
				RateLimitHeaders: true, HSTS: true, Compressed: true, SecurityHeaders: true,
			},
		},
		{
			// treblle-go v2: the SDK token in api_key, the API key in project_id.
			file: "treblle_go_v2.json",
			wantEnv: TreblleEnvelope{APIKey: "sdk_tok_GoV2_b81d0e6c4a", ProjectID: "tr_key_go_93ac1d",
				SDK: "go", Version: "2.0.1", Language: "go", LanguageVersion: "go1.26.1", Errors: 1},
			want: traffic.Event{
				Time: mustTime("2026-05-14T09:21:08Z"), Method: "PATCH", Scheme: "http",
				Host: "billing.internal.example.net", Path: "/invoices/INV-2026-0042", Route: "/invoices/{id}",
				Status: 429, Duration: 3 * time.Millisecond, ResponseBytes: 87,
				UserAgent: "billing-cli/0.9 (+https://example.net/billing)",
				Consumer:  testHasher.Consumer("ak_live_51Hq7"), Authenticated: true,
				RateLimitHeaders: true, // Retry-After on a 429
			},
		},
		{
			// treblle-laravel v6: api_key and sdk_token; PHP writes empty maps as [].
			file: "treblle_laravel_v6.json",
			wantEnv: TreblleEnvelope{APIKey: "tr_key_laravel_0d7e", SDKToken: "sdk_tok_Lv6_5c2f9a1e",
				SDK: "laravel", Version: "6.1", Language: "php", LanguageVersion: "8.3.6"},
			want: traffic.Event{
				Time: mustTime("2026-05-14T09:21:09Z"), Method: "POST", Scheme: "https",
				Host: "crm.example.org", Path: "/api/v1/contacts", Route: "/api/v1/contacts",
				Status: 201, Duration: 212400 * time.Microsecond, ResponseBytes: 0,
				UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
				// A session cookie is not authentication; the client address identifies.
				Consumer: testHasher.Consumer("2001:db8::7"),
			},
		},
		{
			file:     "treblle_laravel_v6.json.gz",
			encoding: "gzip",
			wantEnv: TreblleEnvelope{APIKey: "tr_key_laravel_0d7e", SDKToken: "sdk_tok_Lv6_5c2f9a1e",
				SDK: "laravel", Version: "6.1", Language: "php", LanguageVersion: "8.3.6"},
			want: traffic.Event{
				Time: mustTime("2026-05-14T09:21:09Z"), Method: "POST", Scheme: "https",
				Host: "crm.example.org", Path: "/api/v1/contacts", Route: "/api/v1/contacts",
				Status: 201, Duration: 212400 * time.Microsecond, ResponseBytes: 0,
				UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
				Consumer:  testHasher.Consumer("2001:db8::7"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := ReadBody(bytes.NewReader(readTestdata(t, tt.file)), tt.encoding, 0)
			if err != nil {
				t.Fatal(err)
			}
			env, e, err := DecodeTreblle(body, testHasher)
			if err != nil {
				t.Fatal(err)
			}
			if env != tt.wantEnv {
				t.Errorf("envelope = %+v\nwant       %+v", env, tt.wantEnv)
			}
			sameEvent(t, e, tt.want)
			checkInvariants(t, e, "customer-4711", "ak_live_51Hq7", "2001:db8::7")
		})
	}
}

func TestTreblleEnvelopeKeys(t *testing.T) {
	tests := []struct {
		name   string
		env    TreblleEnvelope
		header string
		want   []string
	}{
		{"node", TreblleEnvelope{APIKey: "key", ProjectID: "proj"}, "", []string{"key", "proj"}},
		{"go v2 with header", TreblleEnvelope{APIKey: "tok", ProjectID: "key"}, "tok", []string{"tok", "key"}},
		{"laravel v6", TreblleEnvelope{APIKey: "key", SDKToken: "tok"}, "tok", []string{"tok", "key"}},
		{"nothing", TreblleEnvelope{}, "", nil},
	}
	for _, tt := range tests {
		if got := tt.env.Keys(tt.header); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Keys(%q) = %q, want %q", tt.name, tt.header, got, tt.want)
		}
	}
}

// treblleWith returns the node sample with one substring replaced.
func treblleWith(t testing.TB, old, new string) []byte {
	t.Helper()
	b := readTestdata(t, "treblle_node.json")
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("sample has no %q", old)
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

func TestDecodeTreblleRefuses(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)
	tests := []struct {
		name   string
		body   []byte
		reason string
	}{
		{"not JSON", []byte("api_key=abc&data=1"), "not valid JSON"},
		{"empty", nil, "not valid JSON"},
		{"array", []byte(`[1,2]`), "not an object"},
		{"truncated", readTestdata(t, "treblle_node.json")[:300], "not valid JSON"},
		{"no data", []byte(`{"api_key":"k","sdk":"go"}`), "data is missing"},
		{"missing data.request", []byte(`{"api_key":"k","data":{"response":{"code":200}}}`), "data.request is missing"},
		{"bad method", treblleWith(t, `"method": "get"`, `"method": "GET /x"`), "not an HTTP method"},
		{"empty method", treblleWith(t, `"method": "get"`, `"method": ""`), "not an HTTP method"},
		{"absurd status", treblleWith(t, `"code": 200`, `"code": 99999`), "not an HTTP status"},
		{"negative status", treblleWith(t, `"code": 200`, `"code": -1`), "not an HTTP status"},
		{"status not a number", treblleWith(t, `"code": 200`, `"code": "OK"`), "not an HTTP status"},
		{"bad timestamp", treblleWith(t, `"2026-05-14T09:21:07.412Z"`, `"yesterday"`), "timestamp"},
		{"method of the wrong type", treblleWith(t, `"method": "get"`, `"method": 7`), "data.request.method"},
		{"path too long", treblleWith(t, `/v2/orders/ord_8812%20x`, "/"+strings.Repeat("p", MaxPathBytes)), "longer than"},
		{"deep nesting", treblleWith(t, `"body": {}`, `"body": `+deep), "max depth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := DecodeTreblle(tt.body, testHasher)
			var ie *Error
			if !errors.As(err, &ie) || ie.Kind != ErrMalformed || ie.Format != "treblle" {
				t.Fatalf("err = %v, want a treblle ErrMalformed", err)
			}
			if !strings.Contains(ie.Reason, tt.reason) {
				t.Errorf("reason %q does not mention %q", ie.Reason, tt.reason)
			}
		})
	}
}

func TestDecodeTreblleTolerates(t *testing.T) {
	deep := strings.Repeat(`[`, 5000) + strings.Repeat("]", 5000)
	var huge strings.Builder
	huge.WriteString(`{`)
	for i := range 100_000 {
		fmt.Fprintf(&huge, `"x-h-%d":"v",`, i)
	}
	huge.WriteString(`"authorization":"Bearer late"}`)

	tests := []struct {
		name  string
		body  []byte
		check func(t *testing.T, e traffic.Event)
	}{
		{"deeply nested body is skipped", treblleWith(t, `"body": {}`, `"body": `+deep),
			func(t *testing.T, e traffic.Event) {}},
		{"huge header map: entries past the limit are not looked at",
			treblleWith(t, `"headers": {
        "host"`, `"headers": `+huge.String()+`, "ignored": {"host"`),
			func(t *testing.T, e traffic.Event) {
				if e.Consumer != testHasher.Consumer("203.0.113.54") {
					t.Error("an Authorization header past MaxHeaderEntries was looked at")
				}
			}},
		{"status as a string", treblleWith(t, `"code": 200`, `"code": "200"`),
			func(t *testing.T, e traffic.Event) {
				if e.Status != 200 {
					t.Errorf("Status = %d", e.Status)
				}
			}},
		{"no status", treblleWith(t, `"code": 200,`, ``),
			func(t *testing.T, e traffic.Event) {
				if e.Status != 0 {
					t.Errorf("Status = %d, want 0 (unknown)", e.Status)
				}
			}},
		{"no size, negative load time", treblleWith(t, `"size": 1834,
      "load_time": 48.71`, `"load_time": -3`),
			func(t *testing.T, e traffic.Event) {
				if e.ResponseBytes != -1 || e.Duration != 0 {
					t.Errorf("ResponseBytes %d, Duration %v; want -1 and 0", e.ResponseBytes, e.Duration)
				}
			}},
		{"headers as null", treblleWith(t, `"headers": {
        "host"`, `"headers": null, "x": {"host"`),
			func(t *testing.T, e traffic.Event) {
				if e.Consumer != testHasher.Consumer("203.0.113.54") {
					t.Error("without headers the client address should identify the caller")
				}
			}},
		{"long user agent is cut", treblleWith(t, `"shop-ios/5.2.1 (iPhone; iOS 17.4; Scale/3.00)"`, `"`+strings.Repeat("ü", 400)+`"`),
			func(t *testing.T, e traffic.Event) {
				if len(e.UserAgent) != 256 {
					t.Errorf("UserAgent is %d bytes, want 256", len(e.UserAgent))
				}
			}},
		{"language as a string", treblleWith(t, `{"name": "node", "version": "v20.11.1"}`, `"node"`),
			func(t *testing.T, e traffic.Event) {}},
		{"unmasked bearer JWT identifies by subject", treblleWith(t, `"treblle-user-id": "customer-4711"`, `"authorization": "Bearer `+sampleJWT+`"`),
			func(t *testing.T, e traffic.Event) {
				if e.Consumer != testHasher.Consumer("jwt https://auth.example.com/ client-42") {
					t.Error("consumer is not the JWT subject's hash")
				}
			}},
		{"API key in the query, by name only", treblleWith(t, `"authorization": "Bearer *********",`, ``),
			func(t *testing.T, e traffic.Event) {
				if !e.Authenticated {
					t.Error("api_key query parameter not seen")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e, err := DecodeTreblle(tt.body, testHasher)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, e)
			tt.check(t, e)
		})
	}
}

func FuzzTreblle(f *testing.F) {
	for _, name := range []string{"treblle_node.json", "treblle_go_v2.json", "treblle_laravel_v6.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`{"data":{"request":{"method":"GET","timestamp":"2026-01-01 00:00:00","headers":{"a":[]}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, e, err := DecodeTreblle(body, testHasher)
		if err != nil {
			var ie *Error
			if !errors.As(err, &ie) || ie.Reason == "" {
				t.Fatalf("error %v is not an *Error with a reason", err)
			}
			return
		}
		checkInvariants(t, e)
	})
}

func BenchmarkDecodeTreblle(b *testing.B) {
	b.Run("single-pass", func(b *testing.B) { benchmarkTreblle(b, DecodeTreblle) })
	b.Run("reference", func(b *testing.B) { benchmarkTreblle(b, decodeTreblleReference) })
}
