package ingest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"sync"
)

// consumerBytes is how much of the HMAC a consumer keeps: 128 bits, plenty
// to tell callers apart, short enough to index.
const consumerBytes = 16

// Hasher turns a caller's identity (an API key, a token subject, a client
// address) into Event.Consumer: a keyed hash, so Steward can count and
// follow callers without storing, or being able to recover, who they are.
// The zero Hasher has no key and returns "" for every identity.
type Hasher struct {
	key []byte
	// macs holds keyed HMACs for reuse: keying one costs more than
	// hashing a short identity, and ingest hashes one per event.
	macs *sync.Pool
}

// NewHasher returns a Hasher keyed with key, which should be at least 32
// random bytes kept secret: with a guessable key, client addresses could be
// recovered from their hashes by trying them all. An empty key gives a
// Hasher that identifies no one.
func NewHasher(key []byte) Hasher {
	k := bytes.Clone(key)
	return Hasher{key: k, macs: &sync.Pool{New: func() any { return hmac.New(sha256.New, k) }}}
}

// Consumer returns the hex HMAC-SHA256 of identity under the key, cut to
// 32 hex digits; "" for an empty identity or a Hasher without a key. It
// never returns identity itself.
func (h Hasher) Consumer(identity string) string {
	if identity == "" || len(h.key) == 0 {
		return ""
	}
	m := h.macs.Get().(hash.Hash)
	defer h.macs.Put(m)
	m.Reset()
	io.WriteString(m, identity)
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0])[:consumerBytes])
}
