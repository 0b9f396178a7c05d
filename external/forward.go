package external

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/otnsim/otnsim/sim"
)

// exitGrace is how long a transport failure waits to see whether the bot's
// process is exiting.
const exitGrace = 500 * time.Millisecond

// maxAnswer is how much of a bot's answer the harness reads.
const maxAnswer = 1 << 20

// forwarder is the http.Handler a world sees as its bot: it forwards each
// request to the external bot, settles, and hands the answer back. A bot that
// cannot be reached, hangs or answers 5xx is recorded as the run's fatal
// error, and the world gets a 502 so the scenario stops at once.
type forwarder struct {
	h   *Harness
	env sim.BotEnv

	mu      sync.Mutex
	started bool // the world has posted to the bot
}

func (f *forwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := f.h
	if err := h.Err(); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	// The handshake aside, the world's first request to the bot is a trigger
	// (which carries "now") or an event, before which the bot gets a tick.
	f.mu.Lock()
	first := !f.started && r.Method == http.MethodPost
	f.started = f.started || first
	f.mu.Unlock()
	if first && r.URL.Path != DefaultTriggerPath {
		if err := h.startTick(f.env); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
	}
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(r.Body, maxAnswer))
	}
	path := r.URL.Path
	switch path {
	case DefaultWebhookPath:
		path = h.cfg.WebhookPath
	case DefaultTriggerPath:
		path = h.cfg.TriggerPath
	}
	status, header, answer, err := h.exchange(r.Method, path, r.URL.RawQuery, r.Header, body)
	if err == nil && status >= 500 {
		err = h.fail(botErrorf(ServerError, "%s %s answered HTTP %d: %s", r.Method, path, status, snippet(answer)))
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for k, v := range header {
		if k == "Content-Length" {
			continue
		}
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	_, _ = w.Write(answer)
}

// exchange sends one request to the bot and settles afterwards. Transport
// failures and hangs are recorded as the run's fatal error.
func (h *Harness) exchange(method, path, query string, header http.Header, body []byte) (int, http.Header, []byte, error) {
	u := h.botURL + path
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("build request to the bot: %w", err)
	}
	for k, v := range header {
		req.Header[k] = append([]string(nil), v...)
	}
	began := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, nil, nil, h.fail(h.classify(method, path, err))
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	_ = resp.Body.Close()
	h.answered(time.Since(began))
	h.graph.touch()
	if err := h.settle(); err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, answer, nil
}

// classify names a transport failure: the process died, the bot hung, or
// nothing listens.
func (h *Harness) classify(method, path string, err error) *BotError {
	if h.proc != nil {
		// A dropped connection is often the first sign of a dying process;
		// give its exit a moment to be noticed.
		t := time.NewTimer(exitGrace)
		select {
		case <-h.proc.done:
		case <-t.C:
		}
		t.Stop()
		if done, how := h.proc.exited(); done {
			return botErrorf(Crashed, "the bot's process %s (during %s %s)", how, method, path)
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return botErrorf(Hung, "%s %s got no answer within the step timeout (%s)", method, path, h.cfg.StepTimeout)
	}
	return botErrorf(Unreachable, "%s %s: %v", method, path, err)
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}
