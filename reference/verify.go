package reference

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sync"
)

// macPools holds, per app secret, keyed HMAC-SHA256 states to reuse: keying
// one costs more than hashing a webhook body.
var macPools sync.Map // string -> *sync.Pool of hash.Hash

// bodyMAC returns the lowercase hex HMAC-SHA256 of body under secret.
func bodyMAC(secret string, body []byte) []byte {
	p, ok := macPools.Load(secret)
	if !ok {
		p, _ = macPools.LoadOrStore(secret, &sync.Pool{New: func() any { return hmac.New(sha256.New, []byte(secret)) }})
	}
	pool := p.(*sync.Pool)
	h := pool.Get().(hash.Hash)
	h.Reset()
	h.Write(body)
	var sum [sha256.Size]byte
	out := make([]byte, hex.EncodedLen(sha256.Size))
	hex.Encode(out, h.Sum(sum[:0]))
	pool.Put(h)
	return out
}
