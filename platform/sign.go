package platform

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
	"sync"
)

// Webhook signature headers and the prefixes of their values.
const (
	// SignatureHeader carries "sha256=" and the lowercase hex HMAC-SHA256 of
	// the raw body keyed with the app secret.
	SignatureHeader = "X-Hub-Signature-256"
	// LegacySignatureHeader carries "sha1=" and the lowercase hex HMAC-SHA1
	// of the raw body keyed with the app secret.
	LegacySignatureHeader = "X-Hub-Signature"
	// SHA256Prefix starts every SignatureHeader value.
	SHA256Prefix = "sha256="
	// SHA1Prefix starts every LegacySignatureHeader value.
	SHA1Prefix = "sha1="
)

// Sign returns the SignatureHeader ("sha256=<hex>") and LegacySignatureHeader
// ("sha1=<hex>") values Meta sends with body under the app secret.
func Sign(secret string, body []byte) (sha256Header, sha1Header string) {
	return headerValue(SHA256Prefix, hmac.New(sha256.New, []byte(secret)), body),
		headerValue(SHA1Prefix, hmac.New(sha1.New, []byte(secret)), body)
}

// Verify reports whether header, a SignatureHeader value, is "sha256=" and
// the HMAC-SHA256 of body under secret in lowercase hex, as Meta sends it. It
// compares in constant time. An empty secret verifies nothing, and so does
// any other prefix, including the legacy "sha1=".
func Verify(secret string, body []byte, header string) bool {
	if secret == "" {
		return false
	}
	return verify(hmac.New(sha256.New, []byte(secret)), body, header)
}

// Signer signs and verifies webhook bodies under one app secret. It keeps
// keyed HMAC states for reuse, which is cheaper than keying one for every
// body; it is safe for concurrent use.
type Signer struct {
	secret string
	pool   sync.Pool // *macPair
}

type macPair struct{ h256, h1 hash.Hash }

// NewSigner returns a Signer for the app secret.
func NewSigner(secret string) *Signer {
	s := &Signer{secret: secret}
	s.pool.New = func() any {
		return &macPair{h256: hmac.New(sha256.New, []byte(secret)), h1: hmac.New(sha1.New, []byte(secret))}
	}
	return s
}

// Secret returns the app secret s signs with.
func (s *Signer) Secret() string { return s.secret }

// Sign returns what the package's Sign returns for s's secret; the legacy
// SHA-1 value only when withSHA1 (otherwise "").
func (s *Signer) Sign(body []byte, withSHA1 bool) (sha256Header, sha1Header string) {
	p := s.pool.Get().(*macPair)
	defer s.pool.Put(p)
	p.h256.Reset()
	sha256Header = headerValue(SHA256Prefix, p.h256, body)
	if withSHA1 {
		p.h1.Reset()
		sha1Header = headerValue(SHA1Prefix, p.h1, body)
	}
	return sha256Header, sha1Header
}

// Verify is the package's Verify under s's secret.
func (s *Signer) Verify(body []byte, header string) bool {
	if s.secret == "" {
		return false
	}
	p := s.pool.Get().(*macPair)
	defer s.pool.Put(p)
	p.h256.Reset()
	return verify(p.h256, body, header)
}

// headerValue returns prefix and the lowercase hex MAC of body under h, a
// fresh or reset keyed hash.
func headerValue(prefix string, h hash.Hash, body []byte) string {
	h.Write(body)
	var sum [sha256.Size]byte
	out := make([]byte, len(prefix)+2*h.Size())
	copy(out, prefix)
	hex.Encode(out[len(prefix):], h.Sum(sum[:0]))
	return string(out)
}

// verify checks header against the HMAC-SHA256 of body under h, a fresh or
// reset keyed hash, in constant time.
func verify(h hash.Hash, body []byte, header string) bool {
	got, ok := strings.CutPrefix(header, SHA256Prefix)
	if !ok || len(got) != 2*sha256.Size {
		return false
	}
	h.Write(body)
	var sum [sha256.Size]byte
	var want [2 * sha256.Size]byte
	hex.Encode(want[:], h.Sum(sum[:0]))
	return hmac.Equal(want[:], []byte(got))
}
