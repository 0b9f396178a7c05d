// Package servebench holds what otnsim serve's throughput is measured
// against: a bare net/http handler that answers a Send API call with the
// same success body fakegraph gives, without judging anything, and the
// in-window text send that the comparison posts to both.
package servebench

import (
	"io"
	"net/http"
)

// PSID is the subscriber the comparison's sends go to; a fakegraph under
// test must know it and have its 24-hour window open.
const PSID = "111"

// SendBody is the in-window text send posted to both servers.
const SendBody = `{"recipient":{"id":"` + PSID + `"},"messaging_type":"RESPONSE","message":{"text":"Back in stock!"}}`

// SendPath is the Send API path the comparison posts to, without the
// access token.
const SendPath = "/v19.0/me/messages"

// successBody is fakegraph's success body for SendBody: the recipient and a
// message id of the same length as fakegraph's.
var successBody = []byte(`{"recipient_id":"` + PSID + `","message_id":"m_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`)

var jsonHeader = []string{"application/json; charset=UTF-8"}

// Bare returns the bare handler: it reads the request body and answers 200
// with the success body, whatever the request.
func Bare() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header()["Content-Type"] = jsonHeader
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(successBody)
	})
}
