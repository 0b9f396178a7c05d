package external

import (
	"fmt"
	"github.com/otnsim/otnsim/internal/relay"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// readyPoll is how often the harness retries the handshake while the bot starts.
const readyPoll = 25 * time.Millisecond

// waitReady performs the verification handshake until the bot echoes the
// challenge, its process exits, or cfg.StartTimeout passes.
func (h *Harness) waitReady() error {
	deadline := time.Now().Add(h.cfg.StartTimeout)
	var died <-chan struct{}
	if h.proc != nil {
		died = h.proc.died
	}
	last := "nothing listened"
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	for {
		ok, what := h.tryHandshake()
		if ok {
			return nil
		}
		last = what
		if !time.Now().Before(deadline) {
			e := botErrorf(NeverReady, "did not answer the verification handshake at %s%s within %s (last attempt: %s)", h.botURL, h.cfg.WebhookPath, h.cfg.StartTimeout, last)
			e.Output = h.Output()
			return e
		}
		select {
		case <-tick.C:
		case <-died:
			_, how := h.proc.exited()
			e := botErrorf(Crashed, "the bot's process %s before answering the verification handshake (last attempt: %s)", how, last)
			e.Output = h.Output()
			return e
		}
	}
}

// tryHandshake makes one handshake attempt with the right verify token.
func (h *Harness) tryHandshake() (bool, string) {
	status, body, err := h.Handshake(h.cfg.Page.VerifyToken, h.nextChallenge(), time.Second)
	if err != nil {
		return false, err.Error()
	}
	if status == http.StatusOK && body == h.lastChallenge() {
		return true, ""
	}
	return false, fmt.Sprintf("HTTP %d %q", status, relay.Snippet([]byte(body)))
}

func (h *Harness) nextChallenge() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.challenge++
	return strconv.Itoa(100000000 + h.challenge)
}

func (h *Harness) lastChallenge() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strconv.Itoa(100000000 + h.challenge)
}

// Handshake performs one verification handshake with the given verify token
// and challenge, and returns the bot's status and body. It records nothing.
func (h *Harness) Handshake(verifyToken, challenge string, timeout time.Duration) (int, string, error) {
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {verifyToken}, "hub.challenge": {challenge}}
	c := &http.Client{Timeout: timeout}
	resp, err := c.Get(h.botURL + h.cfg.WebhookPath + "?" + q.Encode())
	if err != nil {
		return 0, "", fmt.Errorf("handshake: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(body), nil
}
