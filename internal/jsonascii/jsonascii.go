// Package jsonascii rewrites JSON the way Meta does before it signs a
// webhook body: every non-ASCII character becomes a \uXXXX escape.
package jsonascii

import (
	"bytes"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// Escape rewrites every non-ASCII character of a JSON document as a \uXXXX
// escape with lowercase hex (a surrogate pair above U+FFFF), as Meta does
// before signing webhooks. ASCII bytes are copied as they are.
func Escape(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r < utf8.RuneSelf {
			out.WriteByte(b[0])
			b = b[1:]
			continue
		}
		if r > 0xFFFF {
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
		} else {
			fmt.Fprintf(&out, `\u%04x`, r)
		}
		b = b[size:]
	}
	return out.Bytes()
}
