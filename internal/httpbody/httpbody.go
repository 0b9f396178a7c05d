// Package httpbody reads HTTP bodies with a size limit into one buffer of their
// announced length.
package httpbody

import "io"

// Read is io.ReadAll(io.LimitReader(r, limit)), but reads into one
// buffer of the announced size (a request's or response's ContentLength)
// instead of growing one from 512 bytes.
func Read(r io.Reader, size, limit int64) ([]byte, error) {
	if size <= 0 || size >= limit {
		return io.ReadAll(io.LimitReader(r, limit))
	}
	lr := io.LimitedReader{R: r, N: limit} // a value, not io.LimitReader's allocation
	b := make([]byte, 0, size+1)           // +1: the read that meets EOF needs room
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF { // as io.ReadAll: only the bare sentinel ends the body
				err = nil
			}
			return b, err
		}
	}
}
