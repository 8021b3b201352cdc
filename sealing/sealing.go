// Package sealing keeps credentials Steward must use again (a gateway's
// admin token) encrypted at rest with a key from the environment, and
// derives the key for hashing consumer identities from the same secret, so
// one setting protects both.
package sealing

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// MinSecretLength is the shortest STEWARD_SECRET_KEY accepted: 32
// characters of a random string carry enough entropy for AES-256.
const MinSecretLength = 32

// prefix versions the sealed format so the scheme can change later.
const prefix = "v1:"

// ErrNoKey means no secret key is configured, so nothing can be sealed.
var ErrNoKey = errors.New("no secret key is configured: set STEWARD_SECRET_KEY to a random string of at least 32 characters")

// Box seals and opens values with AES-256-GCM.
type Box struct {
	aead        cipher.AEAD
	consumerKey []byte
}

// New derives the encryption key and the consumer-hash key from secret.
// An empty secret gives a Box that refuses to seal (ErrNoKey).
func New(secret string) (*Box, error) {
	if secret == "" {
		return &Box{}, nil
	}
	if len(secret) < MinSecretLength {
		return nil, fmt.Errorf("the secret key is %d characters; it must be at least %d (try: openssl rand -base64 48)", len(secret), MinSecretLength)
	}
	encKey, err := hkdf.Key(sha256.New, []byte(secret), nil, "steward sealing v1", 32)
	if err != nil {
		return nil, err
	}
	consumerKey, err := hkdf.Key(sha256.New, []byte(secret), nil, "steward consumer hash v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead, consumerKey: consumerKey}, nil
}

// Ready reports whether a key is configured.
func (b *Box) Ready() bool { return b.aead != nil }

// ConsumerKey is the key for hashing consumer identities; nil without a
// configured secret.
func (b *Box) ConsumerKey() []byte { return b.consumerKey }

// Seal encrypts plaintext; context binds the result to where it is stored
// (e.g. "source:12:token"), so a sealed value copied elsewhere fails to open.
func (b *Box) Seal(plaintext, context string) (string, error) {
	if b.aead == nil {
		return "", ErrNoKey
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := b.aead.Seal(nonce, nonce, []byte(plaintext), []byte(context))
	return prefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal with the same context.
func (b *Box) Open(sealed, context string) (string, error) {
	if b.aead == nil {
		return "", ErrNoKey
	}
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return "", errors.New("sealing: unknown format")
	}
	raw, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return "", errors.New("sealing: damaged value")
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(context))
	if err != nil {
		return "", errors.New("sealing: cannot open: the secret key changed or the value was altered")
	}
	return string(plain), nil
}
