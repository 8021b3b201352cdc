package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Headers every webhook delivery carries.
//
// A receiver verifies a delivery as it would one from Slack or Stripe:
//
//  1. Read X-Steward-Timestamp (Unix seconds) and refuse the request if it
//     is more than five minutes from the receiver's clock, so a captured
//     request cannot be replayed later.
//  2. Compute HMAC-SHA256, keyed with the shared secret typed on Steward's
//     webhooks page, over the timestamp, a dot and the raw request body
//     exactly as received: "1767225600.{"text":...}".
//  3. Compare "v1=" and the lower-case hex of that digest with
//     X-Steward-Signature in constant time.
//
// X-Steward-Delivery stays the same across the retries of one delivery,
// so a receiver can drop a duplicate; X-Steward-Event is the message kind.
// Verify does all three steps for receivers written in Go.
const (
	SignatureHeader = "X-Steward-Signature"
	TimestampHeader = "X-Steward-Timestamp"
	DeliveryHeader  = "X-Steward-Delivery"
	EventHeader     = "X-Steward-Event"
)

// signatureVersion prefixes the digest so the scheme can change later
// without receivers mistaking one for the other.
const signatureVersion = "v1="

// DefaultTolerance is how far a delivery's timestamp may be from the
// receiver's clock.
const DefaultTolerance = 5 * time.Minute

// Sign returns the X-Steward-Signature value for body sent at ts.
func Sign(secret string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return signatureVersion + hex.EncodeToString(mac.Sum(nil))
}

// Errors Verify returns.
var (
	ErrBadSignature = errors.New("notify: the signature does not match the body and the shared secret")
	ErrStale        = errors.New("notify: the timestamp is missing or too far from now")
)

// Verify checks a delivery as a receiver should: the timestamp header
// within tolerance of now, and the signature header (which may list
// several comma-separated signatures while a secret is being rotated)
// matching the body.
func Verify(secret string, body []byte, timestamp, signature string, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrStale
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return ErrStale
	}
	want := []byte(Sign(secret, ts, body))
	for _, got := range strings.Split(signature, ",") {
		if hmac.Equal([]byte(strings.TrimSpace(got)), want) {
			return nil
		}
	}
	return ErrBadSignature
}
