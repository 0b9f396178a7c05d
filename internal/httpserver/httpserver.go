// Package httpserver makes the http.Server every otnsim command serves
// with (otnsim serve, otnsim bot, the external-bot harness's fake Graph
// API), so that none is left without timeouts: a client that sends its
// headers or body slowly, never reads the answer, or keeps an idle
// connection open cannot hold a connection for ever.
package httpserver

import (
	"net/http"
	"time"
)

// The timeouts every server gets.
const (
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout = 10 * time.Second
	// ReadTimeout bounds reading a whole request, body included: a webhook
	// or Send API body is at most a few MiB.
	ReadTimeout = 30 * time.Second
	// WriteTimeout bounds a request from the end of its headers to the end
	// of its answer. It is long because an answer may wait on purpose: a
	// latency fault, a bot's handler that calls the Graph API.
	WriteTimeout = 5 * time.Minute
	// IdleTimeout bounds how long a keep-alive connection waits for its
	// next request.
	IdleTimeout = 2 * time.Minute
)

// Timeouts says the timeouts in words, for --help texts.
const Timeouts = "10s for the headers, 30s for the whole request, 5m for the answer, 2m idle between requests"

// New returns a server for h with the timeouts above; the caller serves it
// on its own listener (Serve) and stops it with Shutdown.
func New(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
	}
}
