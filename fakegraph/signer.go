package fakegraph

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sync"
)

// signer signs webhook bodies under one app secret, reusing keyed HMAC
// states instead of deriving the key pads for every delivery.
type signer struct {
	secret string
	pool   sync.Pool // *macPair
}

type macPair struct{ h256, h1 hash.Hash }

func newSigner(secret string) *signer {
	s := &signer{secret: secret}
	s.pool.New = func() any {
		return &macPair{h256: hmac.New(sha256.New, []byte(secret)), h1: hmac.New(sha1.New, []byte(secret))}
	}
	return s
}

// sign returns what Sign returns; the SHA-1 header only when withSHA1.
func (s *signer) sign(body []byte, withSHA1 bool) (sha256Header, sha1Header string) {
	p := s.pool.Get().(*macPair)
	defer s.pool.Put(p)
	sha256Header = hexHeader("sha256=", p.h256, body)
	if withSHA1 {
		sha1Header = hexHeader("sha1=", p.h1, body)
	}
	return sha256Header, sha1Header
}

func hexHeader(prefix string, h hash.Hash, body []byte) string {
	h.Reset()
	h.Write(body)
	var sum [sha256.Size]byte
	out := make([]byte, len(prefix)+2*h.Size())
	copy(out, prefix)
	hex.Encode(out[len(prefix):], h.Sum(sum[:0]))
	return string(out)
}

// webhookSigner returns the signer for the page's current app secret.
func (s *Server) webhookSigner() *signer {
	secret := s.cfg.Page.AppSecret
	if sg := s.signer.Load(); sg != nil && sg.secret == secret {
		return sg
	}
	sg := newSigner(secret)
	s.signer.Store(sg)
	return sg
}
