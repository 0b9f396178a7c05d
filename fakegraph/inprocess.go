package fakegraph

import (
	"net/http"
	"net/http/httptest"

	"github.com/jarcoal/httpmock"
)

// MockTransport returns an httpmock transport on which every request is
// answered by s, in process, with no sockets. Give it to the bot's
// http.Client.
func (s *Server) MockTransport() *httpmock.MockTransport {
	t := httpmock.NewMockTransport()
	t.RegisterNoResponder(s.Respond)
	return t
}

// Intercept routes every request that client makes to s, in process. A nil
// client means http.DefaultClient, so a bot that uses the default transport is
// intercepted too. It returns a function that restores the client.
func (s *Server) Intercept(client *http.Client) (restore func()) {
	if client == nil {
		client = http.DefaultClient
	}
	old := client.Transport
	client.Transport = s.MockTransport()
	return func() { client.Transport = old }
}

// Respond answers one request with s; it is an httpmock.Responder.
func (s *Server) Respond(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}
