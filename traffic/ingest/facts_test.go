package ingest

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestCredentialIdentity(t *testing.T) {
	tests := []struct {
		name          string
		value         string
		authorization bool
		want          string
	}{
		{"bearer opaque", "Bearer abc.def", true, "abc.def"},
		{"bearer lower-case scheme", "bearer tok_123", true, "tok_123"},
		{"bearer JWT", "Bearer " + sampleJWT, true, "jwt https://auth.example.com/ client-42"},
		{"bearer masked by SDK", "Bearer *********", true, ""},
		{"basic", "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:s3cr3t")), true, "basic alice"},
		{"basic not base64", "Basic %%%", true, "%%%"},
		{"digest changes per request", `Digest username="alice", nonce="x"`, true, ""},
		{"aws signature", "AWS4-HMAC-SHA256 Credential=AKID/20260514/eu-west-1/s3/aws4_request", true, ""},
		{"bare token", "tok_123", true, "tok_123"},
		{"api key", " ak_live_51Hq7 ", false, "ak_live_51Hq7"},
		{"api key masked", "*********", false, ""},
		{"api key with space is kept whole", "key with space", false, "key with space"},
		{"JWT without subject", "Bearer eyJhbGciOiJub25lIn0.e30.", true, "eyJhbGciOiJub25lIn0.e30."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := credentialIdentity(tt.value, tt.authorization); got != tt.want {
				t.Errorf("credentialIdentity(%q) = %q, want %q", tt.value, got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		want headerKind
	}{
		{"Authorization", hAuthorization},
		{"X-API-KEY", hAPIKey},
		{"api_key", hAPIKey},
		{"apikey", hAPIKey},
		{"Cookie", hOther},
		{"RateLimit", hRateLimit},
		{"ratelimit-policy", hRateLimit},
		{"X-RateLimit-Remaining-Minute", hRateLimit},
		{"x-rate-limit-reset", hRateLimit},
		{"Retry-After", hRetryAfter},
		{"Strict-Transport-Security", hHSTS},
		{"content_encoding", hContentEncoding},
		{"Content-Security-Policy-Report-Only", hOther},
		{"x-ratelimit-" + strings.Repeat("z", 100), hRateLimit},
		{strings.Repeat("authorization", 10), hOther},
	}
	for _, tt := range tests {
		if got := classify(tt.name); got != tt.want {
			t.Errorf("classify(%q) = %d, want %d", tt.name, got, tt.want)
		}
		if got := classify([]byte(tt.name)); got != tt.want {
			t.Errorf("classify([]byte(%q)) = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestSplitTarget(t *testing.T) {
	tests := []struct {
		in   string
		want target
	}{
		{"/a/b?x=1", target{path: "/a/b", rawQuery: "x=1"}},
		{"/caf%C3%A9/%zz?q", target{path: "/caf%C3%A9/%zz", rawQuery: "q"}},
		{"/caf%C3%A9", target{path: "/café"}},
		{"", target{path: "/"}},
		{"HTTPS://user:pw@Example.COM:8443/x#frag", target{scheme: "https", host: "example.com", path: "/x"}},
		{"http://[2001:db8::1]:80", target{scheme: "http", host: "2001:db8::1", path: "/"}},
		{"/redirect?to=http://evil.example/", target{path: "/redirect", rawQuery: "to=http://evil.example/"}},
		{"*", target{path: "*"}},
	}
	for _, tt := range tests {
		if got := splitTarget(tt.in); got != tt.want {
			t.Errorf("splitTarget(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestHostOf(t *testing.T) {
	tests := map[string]string{
		"API.Example.com":        "api.example.com",
		"api.example.com:8443":   "api.example.com",
		"api.example.com.":       "api.example.com",
		"[2001:DB8::1]:443":      "2001:db8::1",
		"2001:db8::1":            "2001:db8::1",
		"":                       "",
		"evil.com/path":          "",
		strings.Repeat("a", 300): "",
	}
	for in, want := range tests {
		if got := hostOf(in); got != want {
			t.Errorf("hostOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCutUserAgent(t *testing.T) {
	ua := strings.Repeat("a", 255) + "é" // the é straddles byte 256
	got := cutUserAgent(ua)
	if len(got) != 255 {
		t.Errorf("cut to %d bytes, want 255 (before the split rune)", len(got))
	}
	if s := strings.Repeat("b", 300); len(cutUserAgent(s)) != MaxUserAgentBytes {
		t.Errorf("ASCII UA not cut at %d", MaxUserAgentBytes)
	}
}

func TestEachMemberHandlesOddInput(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a"`, `{"a":`, `{"a":1`, `{"a":1,`, `{"a":"x\"}`, `{"a":[1,{"b":"]"}]}`, `[]`, `null`, `"x"`, `{"a\u0041":1}`} {
		var keys []string
		_ = eachMember([]byte(in), 10, func(k, v []byte) { keys = append(keys, keyText(k)) })
		if in == `{"a":[1,{"b":"]"}]}` && (len(keys) != 1 || keys[0] != "a") {
			t.Errorf("nested value: keys %q", keys)
		}
		if in == `{"a\u0041":1}` && (len(keys) != 1 || keys[0] != "aA") {
			t.Errorf("escaped key: keys %q", keys)
		}
	}
}
