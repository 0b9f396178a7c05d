package fakegraph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/otnsim/otnsim/internal/jsonascii"
	"github.com/otnsim/otnsim/platform"
)

// WebhookEnvelope is the body of a webhook delivery.
type WebhookEnvelope struct {
	Object string         `json:"object"`
	Entry  []WebhookEntry `json:"entry"`
}

// WebhookEntry is one entry of a delivery; it holds exactly one messaging event.
type WebhookEntry struct {
	ID        string           `json:"id"`
	Time      int64            `json:"time"`
	Messaging []messagingEvent `json:"messaging"`
}

type party struct {
	ID string `json:"id"`
}

type messagingEvent struct {
	Sender    party          `json:"sender"`
	Recipient party          `json:"recipient"`
	Timestamp int64          `json:"timestamp"`
	Message   *messageEvent  `json:"message,omitempty"`
	Postback  *postbackEvent `json:"postback,omitempty"`
	Optin     *optinEvent    `json:"optin,omitempty"`
	Reaction  *reactionEvent `json:"reaction,omitempty"`
	Referral  *referralEvent `json:"referral,omitempty"`
}

type messageEvent struct {
	MID        string           `json:"mid"`
	Text       string           `json:"text,omitempty"`
	QuickReply *quickReplyEvent `json:"quick_reply,omitempty"`
}

type quickReplyEvent struct {
	Payload string `json:"payload"`
}

type postbackEvent struct {
	MID     string `json:"mid"`
	Title   string `json:"title,omitempty"`
	Payload string `json:"payload"`
}

type optinEvent struct {
	Type    string `json:"type"`
	Payload string `json:"payload"`
	Token   string `json:"one_time_notif_token,omitempty"`
	// A recurring notifications opt-in, stop or resume (successor.go).
	*recurringOptin
}

// Webhook fields a page subscribes to (POST /me/subscribed_apps).
const (
	fieldMessages  = "messages"
	fieldPostbacks = "messaging_postbacks"
	fieldOptins    = "messaging_optins"
)

// encodeWebhook renders one event as a signed-ready webhook body.
func (s *Server) encodeWebhook(ev messagingEvent) []byte {
	env := WebhookEnvelope{Object: "page", Entry: []WebhookEntry{{
		ID: s.cfg.Page.ID, Time: ev.Timestamp, Messaging: []messagingEvent{ev},
	}}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(env)
	out := bytes.TrimRight(buf.Bytes(), "\n")
	if isASCII(out) {
		return out
	}
	return jsonascii.Escape(out)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// subscribedTo reports whether the page receives events of field.
func (s *Server) subscribedTo(field string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.subscribed == nil || slices.Contains(s.subscribed, field)
}

// deliver posts one event to the bot's webhook, signed with the app secret,
// and records the outcome in the ledger. A failed delivery is retried on the
// clock with doubling back-off; the settings may duplicate the event or hold
// it back so later events overtake it.
func (s *Server) deliver(psid, field string, ev messagingEvent) Delivery {
	if !s.subscribedTo(field) {
		s.metrics.hookNotSubscribed.Add(1)
		s.recordDelivery(psid, Delivery{Skipped: true, Err: fmt.Errorf("page not subscribed to %s", field)}, 0)
		return Delivery{Skipped: true}
	}
	body := s.encodeWebhook(ev)
	wh := &s.set().Webhook
	s.mu.Lock()
	dup := wh.DuplicateRate > 0 && s.rng.Float64() < wh.DuplicateRate
	hold := wh.ReorderRate > 0 && s.rng.Float64() < wh.ReorderRate
	s.mu.Unlock()
	if hold {
		s.metrics.hookHeldBack.Add(1)
		s.clock.AfterFunc(wh.ReorderDelay, func() { s.attempt(psid, body, 1) })
		s.recordEvent(psid, "webhook", "held back "+wh.ReorderDelay.String()+" (out-of-order delivery)")
		return Delivery{Deferred: true}
	}
	d := s.attempt(psid, body, 1)
	if dup {
		d2 := s.post(body)
		s.metrics.hookDuplicates.Add(1)
		s.countDelivery(d2, 1)
		s.recordDelivery(psid, d2, 1)
	}
	return d
}

// attempt posts body once, records it, and schedules a retry if it failed.
func (s *Server) attempt(psid string, body []byte, n int) Delivery {
	d := s.post(body)
	d.Attempts = n
	s.countDelivery(d, n)
	s.recordDelivery(psid, d, n)
	if d.Err == nil && d.Status == http.StatusOK {
		return d
	}
	if s.cfg.Webhook.URL == "" || n > s.set().Webhook.Retries {
		return d
	}
	delay := s.set().Webhook.Backoff << (n - 1)
	s.clock.AfterFunc(delay, func() { s.attempt(psid, body, n+1) })
	return d
}

// post sends one signed delivery and waits at most the webhook timeout.
func (s *Server) post(body []byte) Delivery {
	if s.cfg.Webhook.URL == "" {
		return Delivery{Err: errors.New("no webhook configured")}
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.set().Webhook.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return Delivery{Err: fmt.Errorf("build webhook request: %w", err)}
	}
	sig256, sig1 := s.webhookSigner().Sign(body, s.set().Webhook.SHA1Signature)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(platform.SignatureHeader, sig256)
	if s.set().Webhook.SHA1Signature {
		req.Header.Set(platform.LegacySignatureHeader, sig1)
	}
	client := s.cfg.Webhook.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return Delivery{Err: fmt.Errorf("post webhook: %w", err)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxBodyBytes))
	_ = resp.Body.Close()
	return Delivery{Status: resp.StatusCode}
}

// countDelivery counts one webhook POST in the metrics; without a webhook
// URL nothing was posted, so nothing is counted.
func (s *Server) countDelivery(d Delivery, attempt int) {
	if s.cfg.Webhook.URL != "" {
		s.metrics.delivery(d, attempt)
	}
}

func (s *Server) recordDelivery(psid string, d Delivery, attempt int) {
	detail := "delivered, bot answered " + strconv.Itoa(d.Status)
	if d.Err != nil {
		detail = "not delivered: " + d.Err.Error()
	}
	if attempt > 1 {
		detail += " (attempt " + strconv.Itoa(attempt) + ")"
	}
	s.recordEvent(psid, "webhook", detail)
}

func (s *Server) recordEvent(psid, kind, detail string) {
	s.mu.Lock()
	s.ledger.addEvent(Event{At: s.clock.Now(), PSID: psid, Kind: kind, Detail: detail})
	s.mu.Unlock()
}
