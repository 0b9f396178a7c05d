package fakegraph

import "encoding/base64"

// Token values are opaque to bots ([assumed]: a long random URL-safe
// string). fakegraph's are URL-safe base64 of Settings.TokenLength bytes whose
// first four bytes tag the issuing page, so a token from another page is told
// apart from a malformed or made-up one (internal/pagetoken makes the tag).

type tokenOriginKind int

const (
	originMalformed tokenOriginKind = iota
	originForeign
	originOurs
)

func (s *Server) pageTag() [4]byte { return s.tag }

// tokenOrigin classifies a token value that is not in the server's table.
func tokenOrigin(v string, length int, tag [4]byte) tokenOriginKind {
	if base64.RawURLEncoding.DecodedLen(len(v)) != length {
		return originMalformed
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) != length || length < 4 {
		return originMalformed
	}
	if [4]byte(b[:4]) != tag {
		return originForeign
	}
	return originOurs
}

// newTokenValue returns a fresh token for the page, one never issued before
// in the server's life, resets included. Callers hold s.mu.
func (s *Server) newTokenValue() string {
	n := max(s.set().TokenLength, 8)
	b := make([]byte, n)
	tag := s.pageTag()
	copy(b, tag[:])
	for {
		for i := 4; i < n; i++ {
			b[i] = byte(s.rng.Uint32())
		}
		v := base64.RawURLEncoding.EncodeToString(b)
		if !s.issuedLocked(v) {
			return v
		}
	}
}

// issuedLocked reports whether v was ever issued as a token. Callers hold s.mu.
func (s *Server) issuedLocked(v string) bool {
	if _, ok := s.tokens[v]; ok {
		return true
	}
	if _, ok := s.rn.tokens[v]; ok {
		return true
	}
	_, ok := s.retired[v]
	return ok
}

// retire remembers a token value across a reset. Callers hold s.mu.
func (s *Server) retire(v string) {
	if s.retired == nil {
		s.retired = map[string]struct{}{}
	}
	s.retired[v] = struct{}{}
}
