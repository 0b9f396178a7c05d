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
	last     time.Time     // when a call last started or ended, or the bot answered
	changed  chan struct{} // closed and replaced on every change
	log      []GraphRequest

	// The step the bot's calls belong to (settle.go).
	phase  stepPhase
	what   string    // the request of the open or last closed step
	stats  stepStats // of the open step
	settle settler
	label  string // what is being played (Harness.Step)
	late   []LateCall
}

// stepPhase is where the harness is with the bot.
type stepPhase int

const (
	phaseStarting stepPhase = iota // no step closed yet: calls are the bot's start-up
	phaseOpen                      // a request is with the bot
	phaseAnswered                  // the bot answered; the harness settles
	phaseClosed                    // the step is over: a call now is late
)

func newGraphMux(settle time.Duration) *graphMux {
	return &graphMux{changed: make(chan struct{}), last: time.Now(), settle: settler{max: settle}}
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
	g.callStartsLocked(r)
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

// callStartsLocked files a call that starts now under the step it belongs
// to. Callers hold g.mu.
func (g *graphMux) callStartsLocked(r *http.Request) {
	gap := time.Since(g.last)
	switch g.phase {
	case phaseOpen:
		g.stats.before++
	case phaseAnswered:
		g.stats.after++
		g.stats.gap = max(g.stats.gap, gap)
	case phaseClosed:
		g.late = append(g.late, LateCall{Method: r.Method, Path: r.URL.Path, After: g.what, Step: g.label, Gap: gap})
		g.settle.late(gap)
	}
}

// openStep starts a step: what (a request) is on its way to the bot.
func (g *graphMux) openStep(what string) {
	g.mu.Lock()
	g.phase, g.what, g.stats = phaseOpen, what, stepStats{}
	g.mu.Unlock()
}

// answered records that the bot answered the open step's request.
func (g *graphMux) answered() {
	g.mu.Lock()
	if g.phase == phaseOpen {
		g.phase = phaseAnswered
		g.stats.busyAtAnswer = g.inflight > 0
	}
	g.signalLocked()
	g.mu.Unlock()
}

// closeStep ends the open step and learns from it.
func (g *graphMux) closeStep() {
	g.mu.Lock()
	if g.phase == phaseOpen || g.phase == phaseAnswered {
		g.settle.learn(g.stats)
		g.phase = phaseClosed
	}
	g.mu.Unlock()
}

// state returns the calls in flight, when activity last changed, a
// channel closed at the next change, and the quiet period that closes the
// open step.
func (g *graphMux) state() (int, time.Time, <-chan struct{}, time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inflight, g.last, g.changed, g.settle.quiet(g.stats)
}

// setLabel names what is being played, for late calls.
func (g *graphMux) setLabel(label string) {
	g.mu.Lock()
	g.label = label
	g.mu.Unlock()
}

// lateCalls returns the late calls so far.
func (g *graphMux) lateCalls() []LateCall {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]LateCall(nil), g.late...)
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
