// Package loopback is a lean HTTP/1.1 client and server pair for worlds
// whose fakegraph and bot talk over loopback TCP. Each request is written
// and answered on one goroutine per side, through the standard library's
// request and response encoders, instead of net/http's Transport and
// Server, whose per-request goroutine hand-offs cost more than the handlers
// do on loopback. The bytes on the wire are ordinary HTTP/1.1.
package loopback
