package external

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/probes"
)

// GraphRequest is one call the bot made to the Graph API, as the harness saw
// it: the probes' type, since a Harness is a probes.Target.
type GraphRequest = probes.GraphCall

// graphMux is the one Graph API listener of a run. It routes every call to
// the current world's fakegraph (scenarios use fresh PSIDs, so one bot
// process serves them all), counts calls in flight for settling, and keeps a
// log of the calls for the security probes.
type graphMux struct {
	mu       sync.Mutex
	current  http.Handler
	inflight int
	last     time.Time     // when a call last started or ended
	changed  chan struct{} // closed and replaced on every change
	log      []GraphRequest
}

func newGraphMux() *graphMux {
	return &graphMux{changed: make(chan struct{}), last: time.Now()}
}

// use makes h the handler every later call reaches.
func (g *graphMux) use(h http.Handler) {
	g.mu.Lock()
	g.current = h
	g.mu.Unlock()
}

// signalLocked wakes whoever waits for activity. Callers hold g.mu.
func (g *graphMux) signalLocked() {
	g.last = time.Now()
	close(g.changed)
	g.changed = make(chan struct{})
}

func (g *graphMux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, fakegraph.MaxBodyBytes+1))
	r.Body = io.NopCloser(bytes.NewReader(body))
	g.mu.Lock()
	h := g.current
	g.inflight++
	g.signalLocked()
	g.mu.Unlock()

	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	// Deferred: a dropped connection (an armed fault) aborts the handler
	// with a panic, and the call is over all the same.
	defer func() {
		g.mu.Lock()
		g.inflight--
		g.log = append(g.log, GraphRequest{Seq: len(g.log) + 1, Method: r.Method, Path: r.URL.Path, Body: body, Status: rec.status})
		g.signalLocked()
		g.mu.Unlock()
	}()
	if h == nil {
		// Between worlds: answer like Graph does for a call it cannot place.
		writeNoWorld(rec)
		return
	}
	h.ServeHTTP(rec, r)
}

func writeNoWorld(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = io.WriteString(w, `{"error":{"message":"(#2) Service temporarily unavailable: no simulation is running","type":"OAuthException","code":2,"is_transient":true,"fbtrace_id":"otnsimNoWorldRunning00"}}`)
}

// state returns the calls in flight, when activity last changed, and a
// channel closed at the next change.
func (g *graphMux) state() (int, time.Time, <-chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inflight, g.last, g.changed
}

// touch records activity that is not a Graph call (the bot just answered).
func (g *graphMux) touch() {
	g.mu.Lock()
	g.signalLocked()
	g.mu.Unlock()
}

// since returns the calls logged after mark (a length of the log).
func (g *graphMux) since(mark int) []GraphRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	if mark > len(g.log) {
		mark = len(g.log)
	}
	return append([]GraphRequest(nil), g.log[mark:]...)
}

func (g *graphMux) mark() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.log)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
