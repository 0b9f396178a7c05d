package fakegraph

import (
	"net/http"
	"net/http/httptest"
	"regexp"

	"github.com/jarcoal/httpmock"
)

// MockTransport returns a transport on which every request is answered by s,
// in process, with no sockets. Give it to the bot's http.Client:
// &http.Client{Transport: s.MockTransport()}.
func (s *Server) MockTransport() http.RoundTripper {
	t := httpmock.NewMockTransport()
	t.RegisterNoResponder(s.Respond)
	return t
}

// Intercept routes every request that client makes to s, in process. A nil
// client means http.DefaultClient, so a bot that uses the default client is
// intercepted too. It returns a function that restores the client.
func (s *Server) Intercept(client *http.Client) (restore func()) {
	if client == nil {
		client = http.DefaultClient
	}
	old := client.Transport
	client.Transport = s.MockTransport()
	return func() { client.Transport = old }
}

// graphHost matches the Graph API's hosts (graph.facebook.com and its
// regional and beta variants).
var graphHost = regexp.MustCompile(`^https?://graph(\.[a-z0-9-]+)?\.facebook\.com(:\d+)?/`)

// InterceptDefault is the one call that puts s behind http.DefaultTransport:
// every client in the process that uses the default transport (including
// clients built as &http.Client{}) reaches s for Graph API hosts, and the
// real network for every other host. It returns a function that restores the
// default transport. Not for tests running in parallel with other users of
// the default transport.
func (s *Server) InterceptDefault() (restore func()) {
	old := http.DefaultTransport
	t := httpmock.NewMockTransport()
	t.RegisterRegexpResponder(http.MethodGet, graphHost, s.Respond)
	t.RegisterRegexpResponder(http.MethodPost, graphHost, s.Respond)
	t.RegisterRegexpResponder(http.MethodDelete, graphHost, s.Respond)
	t.RegisterRegexpResponder(http.MethodPatch, graphHost, s.Respond)
	t.RegisterNoResponder(func(req *http.Request) (*http.Response, error) { return old.RoundTrip(req) })
	http.DefaultTransport = t
	return func() { http.DefaultTransport = old }
}

// Respond answers one request with s; it is an httpmock.Responder. A dropped
// connection (an armed fault) is returned as an error, as a real transport would.
func (s *Server) Respond(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	if s.serve(rec, req) {
		return nil, errDropped
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}
