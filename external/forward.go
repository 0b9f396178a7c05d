package external

import (
	"bytes"
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
	began := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, nil, nil, h.fail(h.classify(method, path, err))
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, relay.MaxBody))
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
