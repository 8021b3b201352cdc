package ingest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/steward-governance/steward/traffic"
)

var testHasher = NewHasher([]byte("steward-test-key-0123456789abcdef"))

// sampleJWT's claims: iss https://auth.example.com/, sub client-42.
const sampleJWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0." +
	"eyJpc3MiOiJodHRwczovL2F1dGguZXhhbXBsZS5jb20vIiwic3ViIjoiY2xpZW50LTQyIiwiYXVkIjoib3JkZXJzIiwiZXhwIjoxNzc4NzUwMDAwfQ." +
	"c2lnbmF0dXJl"

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// sameEvent fails t unless got equals want, naming each differing field.
func sameEvent(t *testing.T, got, want traffic.Event) {
	t.Helper()
	if !got.Time.Equal(want.Time) {
		t.Errorf("Time = %v, want %v", got.Time, want.Time)
	}
	if got.Time.Location() != time.UTC {
		t.Errorf("Time is in %v, want UTC", got.Time.Location())
	}
	got.Time, want.Time = time.Time{}, time.Time{}
	if got == want {
		return
	}
	type field struct {
		name      string
		got, want any
	}
	for _, f := range []field{
		{"Method", got.Method, want.Method}, {"Scheme", got.Scheme, want.Scheme},
		{"Host", got.Host, want.Host}, {"Path", got.Path, want.Path}, {"Route", got.Route, want.Route},
		{"Status", got.Status, want.Status}, {"Duration", got.Duration, want.Duration},
		{"ResponseBytes", got.ResponseBytes, want.ResponseBytes}, {"UserAgent", got.UserAgent, want.UserAgent},
		{"Consumer", got.Consumer, want.Consumer}, {"Authenticated", got.Authenticated, want.Authenticated},
		{"RateLimitHeaders", got.RateLimitHeaders, want.RateLimitHeaders}, {"HSTS", got.HSTS, want.HSTS},
		{"Compressed", got.Compressed, want.Compressed}, {"SecurityHeaders", got.SecurityHeaders, want.SecurityHeaders},
	} {
		if f.got != f.want {
			t.Errorf("%s = %#v, want %#v", f.name, f.got, f.want)
		}
	}
}

// checkInvariants fails t when an event a decoder accepted breaks what
// traffic.Event promises.
func checkInvariants(t *testing.T, e traffic.Event, identities ...string) {
	t.Helper()
	if _, ok := methodOf(e.Method); !ok || e.Method == "" {
		t.Errorf("Method %q is not an upper-case method", e.Method)
	}
	for i := 0; i < len(e.Method); i++ {
		if c := e.Method[i]; 'a' <= c && c <= 'z' {
			t.Errorf("Method %q is not upper-case", e.Method)
			break
		}
	}
	if e.Status != 0 && (e.Status < 100 || e.Status > 599) {
		t.Errorf("Status %d out of range", e.Status)
	}
	if e.Scheme != "" && e.Scheme != "http" && e.Scheme != "https" {
		t.Errorf("Scheme %q", e.Scheme)
	}
	if len(e.UserAgent) > MaxUserAgentBytes {
		t.Errorf("UserAgent is %d bytes", len(e.UserAgent))
	}
	if e.Duration < 0 || e.ResponseBytes < -1 {
		t.Errorf("Duration %v, ResponseBytes %d", e.Duration, e.ResponseBytes)
	}
	if e.Time.Location() != time.UTC {
		t.Errorf("Time %v not UTC", e.Time)
	}
	if e.Path == "" || len(e.Path) > MaxPathBytes || len(e.Route) > MaxPathBytes {
		t.Errorf("Path %d bytes, Route %d bytes", len(e.Path), len(e.Route))
	}
	if e.Consumer != "" && len(e.Consumer) != 2*consumerBytes {
		t.Errorf("Consumer %q is not a hash", e.Consumer)
	}
	for _, id := range identities {
		if id != "" && e.Consumer == id {
			t.Errorf("Consumer is the raw identity %q", id)
		}
	}
}
