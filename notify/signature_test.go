package notify_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/steward-governance/steward/notify"
)

func TestSignatureRoundTrip(t *testing.T) {
	const secret = "shared-secret-typed-by-the-admin"
	body := []byte(`{"text":"Retire pets v1"}`)
	sent := time.Unix(1767225600, 0)
	sig := notify.Sign(secret, sent, body)
	ts := strconv.FormatInt(sent.Unix(), 10)
	cases := []struct {
		name      string
		secret    string
		body      []byte
		timestamp string
		signature string
		now       time.Time
		want      error
	}{
		{"as sent", secret, body, ts, sig, sent.Add(time.Minute), nil},
		{"rotating: one of several matches", secret, body, ts, "v1=00ff, " + sig, sent, nil},
		{"other secret", "another-secret", body, ts, sig, sent, notify.ErrBadSignature},
		{"body changed", secret, []byte(`{"text":"Retire pets v2"}`), ts, sig, sent, notify.ErrBadSignature},
		{"timestamp changed", secret, body, strconv.FormatInt(sent.Unix()+1, 10), sig, sent, notify.ErrBadSignature},
		{"replayed later", secret, body, ts, sig, sent.Add(6 * time.Minute), notify.ErrStale},
		{"from the future", secret, body, ts, sig, sent.Add(-6 * time.Minute), notify.ErrStale},
		{"no timestamp", secret, body, "", sig, sent, notify.ErrStale},
		{"no signature", secret, body, ts, "", sent, notify.ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := notify.Verify(c.secret, c.body, c.timestamp, c.signature, c.now, notify.DefaultTolerance)
			if !errors.Is(err, c.want) {
				t.Errorf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}

// TestSignatureIsDocumentedHMAC pins the scheme receivers implement:
// HMAC-SHA256 over "<timestamp>.<body>", lower-case hex, prefixed "v1=".
func TestSignatureIsDocumentedHMAC(t *testing.T) {
	// printf '1.body' | openssl dgst -sha256 -hmac key
	const want = "v1=91b5374b153842ad05b2c4eab9349b8321b14703165bd3fb8b034dfb8be98ae5"
	if got := notify.Sign("key", time.Unix(1, 0), []byte("body")); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}
