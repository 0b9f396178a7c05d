package reference

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
)

// signBody returns the X-Hub-Signature-256 and X-Hub-Signature values Meta
// would send for body under secret.
func signBody(secret string, body []byte) (sha256Header, sha1Header string) {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	m1 := hmac.New(sha1.New, []byte(secret))
	m1.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil)), "sha1=" + hex.EncodeToString(m1.Sum(nil))
}
