package external

import (
	"bytes"
	"fmt"
	"github.com/otnsim/otnsim/internal/relay"
	"io"
	"net/http"
)

// Deliver posts body to the bot's webhook with the given headers and settles
// afterwards. Unlike the world's traffic, any answer is returned, not judged:
// the security probes expect refusals. A transport error is returned as is,
// unless the bot's process died or the bot hung, which is fatal.
func (h *Harness) Deliver(header http.Header, body []byte) (int, error) {
	if err := h.Err(); err != nil {
		return 0, err
	}
	req, err := http.NewRequest(http.MethodPost, h.botURL+h.cfg.WebhookPath, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build webhook request: %w", err)
	}
	req.Header = header.Clone()
	h.graph.openStep("probe POST " + h.cfg.WebhookPath)
	resp, err := h.client.Do(req)
	if err != nil {
		be := h.classify(http.MethodPost, h.cfg.WebhookPath, err)
		if be.Kind == Crashed || be.Kind == Hung {
			h.graph.closeStep()
			return 0, h.fail(be)
		}
		// A bot may drop the connection on a body it refuses to read.
		h.graph.answered()
		if serr := h.settle(); serr != nil {
			return 0, serr
		}
		return 0, fmt.Errorf("deliver: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, relay.MaxBody))
	_ = resp.Body.Close()
	h.graph.answered()
	if err := h.settle(); err != nil {
		return resp.StatusCode, err
	}
	return resp.StatusCode, nil
}

// Mark returns a position in the log of the bot's Graph calls.
func (h *Harness) Mark() int { return h.graph.mark() }

// GraphCallsSince returns the bot's Graph calls logged after mark.
func (h *Harness) GraphCallsSince(mark int) []GraphRequest { return h.graph.since(mark) }
