package ingest

import (
	"encoding/hex"
	"strings"
	"testing"
)

func TestHasherConsumer(t *testing.T) {
	other := NewHasher([]byte("another-key-0123456789abcdef0123"))
	tests := []struct {
		name     string
		h        Hasher
		identity string
		wantHash bool
	}{
		{"api key", testHasher, "ak_live_51Hq7", true},
		{"address", testHasher, "203.0.113.54", true},
		{"empty identity", testHasher, "", false},
		{"zero hasher", Hasher{}, "ak_live_51Hq7", false},
		{"empty key", NewHasher(nil), "ak_live_51Hq7", false},
		{"other key", other, "ak_live_51Hq7", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.h.Consumer(tt.identity)
			if !tt.wantHash {
				if got != "" {
					t.Fatalf("Consumer(%q) = %q, want \"\"", tt.identity, got)
				}
				return
			}
			if len(got) != 32 {
				t.Fatalf("Consumer(%q) = %q, want 32 hex digits", tt.identity, got)
			}
			if _, err := hex.DecodeString(got); err != nil {
				t.Fatalf("Consumer(%q) = %q is not hex", tt.identity, got)
			}
			if strings.Contains(got, tt.identity) {
				t.Fatalf("Consumer(%q) = %q contains the identity", tt.identity, got)
			}
			if again := tt.h.Consumer(tt.identity); again != got {
				t.Fatalf("Consumer is not stable: %q then %q", got, again)
			}
		})
	}
	if testHasher.Consumer("a") == other.Consumer("a") {
		t.Error("different keys give the same consumer")
	}
	if testHasher.Consumer("a") == testHasher.Consumer("b") {
		t.Error("different identities give the same consumer")
	}
}

func TestNewHasherCopiesKey(t *testing.T) {
	key := []byte("steward-test-key-0123456789abcdef")
	h := NewHasher(key)
	before := h.Consumer("x")
	key[0] = 'X'
	if h.Consumer("x") != before {
		t.Error("changing the caller's key slice changed the Hasher")
	}
}
