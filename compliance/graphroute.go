package compliance

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/probes"
)

// graphHostRE matches the Graph API's hosts: graph.facebook.com and its
// regional and beta variants.
var graphHostRE = regexp.MustCompile(`^graph(\.[a-z0-9-]+)?\.facebook\.com$`)

// defaultGraphHost is the host of fakegraph.DefaultGraphURL.
var defaultGraphHost = func() string {
	u, err := url.Parse(fakegraph.DefaultGraphURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}()

// isGraphHost reports whether a request to host is a Graph API call.
func isGraphHost(host string) bool {
	host = strings.ToLower(host)
	return host == defaultGraphHost || graphHostRE.MatchString(host)
}

// graphRouter is the RoundTripper an in-process bot's Graph API calls go
// through: Graph hosts reach the current world's fakegraph, in process;
// every other host goes to the transport the bot had before. It counts the
// calls in flight, so that a step ends only once they are answered, and logs
// them for the security probes.
type graphRouter struct {
	fallback func() http.RoundTripper

	mu       sync.Mutex
	current  http.Handler
	inflight int
	changed  chan struct{} // closed and replaced whenever inflight changes
	log      []probes.GraphCall
}

func newGraphRouter(fallback func() http.RoundTripper) *graphRouter {
	return &graphRouter{fallback: fallback, changed: make(chan struct{})}
}

// use makes h the fakegraph every later call reaches (nil: none).
func (g *graphRouter) use(h http.Handler) {
	g.mu.Lock()
	g.current = h
	g.mu.Unlock()
}

func (g *graphRouter) signalLocked() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// RoundTrip implements http.RoundTripper.
func (g *graphRouter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil || !isGraphHost(req.URL.Hostname()) {
		return g.fallback().RoundTrip(req)
	}
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(io.LimitReader(req.Body, fakegraph.MaxBodyBytes+1))
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("in-process Graph API: read the request body: %w", err)
		}
	}
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))

	g.mu.Lock()
	h := g.current
	g.inflight++
	g.signalLocked()
	g.mu.Unlock()

	resp, err := respond(h, r)
	status := 0
	if resp != nil {
		resp.Request = req
		status = resp.StatusCode
	}

	g.mu.Lock()
	g.inflight--
	g.log = append(g.log, probes.GraphCall{Seq: len(g.log) + 1, Method: req.Method, Path: req.URL.Path, Body: body, Status: status})
	g.signalLocked()
	g.mu.Unlock()
	return resp, err
}

// responder is what *fakegraph.Server offers beyond http.Handler: an answer
// as a transport gives it, a dropped connection included.
type responder interface {
	Respond(*http.Request) (*http.Response, error)
}

var errDropped = errors.New("in-process Graph API: connection dropped")

// respond answers r with h, in process.
func respond(h http.Handler, r *http.Request) (resp *http.Response, err error) {
	if h == nil {
		// Between worlds: answer like Graph does for a call it cannot place.
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", "application/json; charset=UTF-8")
		rec.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(rec, `{"error":{"message":"(#2) Service temporarily unavailable: no simulation is running","type":"OAuthException","code":2,"is_transient":true,"fbtrace_id":"otnsimNoWorldRunning00"}}`)
		return rec.Result(), nil
	}
	if s, ok := h.(responder); ok {
		return s.Respond(r)
	}
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			resp, err = nil, errDropped
		}
	}()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// quiet waits until no call is in flight, or until deadline.
func (g *graphRouter) quiet(deadline time.Time) error {
	for {
		g.mu.Lock()
		n, changed := g.inflight, g.changed
		g.mu.Unlock()
		if n == 0 {
			return nil
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return fmt.Errorf("%d Graph API call(s) still in flight", n)
		}
		t := time.NewTimer(wait)
		select {
		case <-changed:
		case <-t.C:
		}
		t.Stop()
	}
}

// since returns the calls logged after mark (a length of the log).
func (g *graphRouter) since(mark int) []probes.GraphCall {
	g.mu.Lock()
	defer g.mu.Unlock()
	if mark > len(g.log) {
		mark = len(g.log)
	}
	return append([]probes.GraphCall(nil), g.log[mark:]...)
}

func (g *graphRouter) mark() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.log)
}
