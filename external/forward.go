package external

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/otnsim/otnsim/internal/relay"
)

// exitGrace is how long a transport failure waits to see whether the bot's
// process is exiting.
const exitGrace = 500 * time.Millisecond

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
	h.graph.openStep(h.describe(method, path, body))
	began := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		h.graph.closeStep()
		return 0, nil, nil, h.fail(h.classify(method, path, err))
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, relay.MaxBody))
	_ = resp.Body.Close()
	h.answered(time.Since(began))
	h.graph.answered()
	if err := h.settle(); err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, answer, nil
}

// describe names a request to the bot for late-call reports: a trigger by
// its name, anything else by method and path.
func (h *Harness) describe(method, path string, body []byte) string {
	if path == h.cfg.TriggerPath {
		var t struct {
			Trigger string `json:"trigger"`
		}
		if json.Unmarshal(body, &t) == nil && t.Trigger != "" {
			return "trigger " + t.Trigger
		}
	}
	return method + " " + path
}

// classify names a transport failure: the process died, the bot hung, or
// nothing listens.
func (h *Harness) classify(method, path string, err error) *BotError {
	if h.proc != nil {
		// A dropped connection is often the first sign of a dying process;
		// give its exit a moment to be noticed.
		t := time.NewTimer(exitGrace)
		select {
		case <-h.proc.died:
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
