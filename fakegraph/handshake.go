package fakegraph

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Handshake is the outcome of Meta's webhook verification handshake: when
// a webhook is subscribed, Meta sends GET <callback>?hub.mode=subscribe&
// hub.verify_token=<token>&hub.challenge=<n> and expects 200 with the raw
// challenge (Webhooks docs, https://developers.facebook.com/docs/graph-api/webhooks/getting-started).
type Handshake struct {
	URL       string `json:"url"`
	Challenge string `json:"challenge"`
	Status    int    `json:"status"`          // what the bot answered; 0 if it could not be reached
	Answer    string `json:"answer"`          // the start of its body
	Verified  bool   `json:"verified"`        // 200 with exactly the challenge
	Error     string `json:"error,omitempty"` // why it could not be reached
}

// Subscribe performs the verification handshake against the webhook URL,
// records its outcome in the ledger (an event of kind "subscribe") and
// returns it. It fails only when no webhook is configured.
func (s *Server) Subscribe() (Handshake, error) {
	if s.cfg.Webhook.URL == "" {
		return Handshake{}, fmt.Errorf("subscribe: no webhook URL configured")
	}
	s.mu.Lock()
	challenge := strconv.FormatUint(uint64(s.rng.Uint32()), 10)
	s.mu.Unlock()
	h := Handshake{URL: s.cfg.Webhook.URL, Challenge: challenge}
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {s.cfg.Page.VerifyToken}, "hub.challenge": {challenge}}
	target := s.cfg.Webhook.URL
	if strings.Contains(target, "?") {
		target += "&" + q.Encode()
	} else {
		target += "?" + q.Encode()
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.set().Webhook.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, http.NoBody)
	if err == nil {
		client := s.cfg.Webhook.Client
		if client == nil {
			client = http.DefaultClient
		}
		var resp *http.Response
		if resp, err = client.Do(req); err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
			_ = resp.Body.Close()
			h.Status, h.Answer = resp.StatusCode, string(b)
			h.Verified = resp.StatusCode == http.StatusOK && strings.TrimSpace(h.Answer) == challenge
		}
	}
	detail := fmt.Sprintf("verification handshake to %s: ", h.URL)
	switch {
	case err != nil:
		h.Error = err.Error()
		detail += "not reached: " + h.Error
	case h.Verified:
		detail += "verified (200 with the challenge)"
	default:
		detail += fmt.Sprintf("refused (HTTP %d, answer %q)", h.Status, h.Answer)
	}
	s.mu.Lock()
	s.ledger.addEvent(Event{At: s.clock.Now(), Kind: "subscribe", Detail: detail})
	s.mu.Unlock()
	return h, nil
}

// Handshakes returns the verification handshakes recorded in the ledger,
// oldest first, as their events' details.
func (l Ledger) Handshakes() []Event {
	var out []Event
	for _, e := range l.Events {
		if e.Kind == "subscribe" {
			out = append(out, e)
		}
	}
	return out
}
