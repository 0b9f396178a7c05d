// Package pagetoken knows how fakegraph's token values name the page that
// issued them: the first four bytes of a token are a tag derived from the
// page id. Tests use it to make tokens "from another page".
package pagetoken

import (
	"crypto/sha256"
	"encoding/base64"
)

// Tag returns the four-byte tag that starts every token pageID issues.
func Tag(pageID string) [4]byte {
	sum := sha256.Sum256([]byte("otnsim-page:" + pageID))
	return [4]byte{sum[0], sum[1], sum[2], sum[3]}
}

// Foreign returns a well-formed token value of length bytes (before URL-safe
// base64) as the page otherPageID would issue it, for tests of the token
// scope rule. length must be at least 4.
func Foreign(otherPageID string, length int) string {
	b := make([]byte, length)
	tag := Tag(otherPageID)
	copy(b, tag[:])
	for i := 4; i < len(b); i++ {
		b[i] = byte(i * 7)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
