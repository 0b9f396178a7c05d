package fakegraph

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
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
}

type messageEvent struct {
	MID  string `json:"mid"`
	Text string `json:"text,omitempty"`
}

type postbackEvent struct {
	MID     string `json:"mid"`
	Title   string `json:"title,omitempty"`
	Payload string `json:"payload"`
}

type optinEvent struct {
	Type    string `json:"type"`
	Payload string `json:"payload"`
	Token   string `json:"one_time_notif_token"`
}

// EscapeNonASCII rewrites every non-ASCII character of a JSON document as a
// \uXXXX escape with lowercase hex, as Meta does before signing webhooks.
func EscapeNonASCII(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r < utf8.RuneSelf {
			out.WriteByte(b[0])
			b = b[1:]
			continue
		}
		if r > 0xFFFF {
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
		} else {
			fmt.Fprintf(&out, `\u%04x`, r)
		}
		b = b[size:]
	}
	return out.Bytes()
}

// Sign returns the X-Hub-Signature-256 and X-Hub-Signature header values for
// body under secret.
func Sign(secret string, body []byte) (sha256Header, sha1Header string) {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	m1 := hmac.New(sha1.New, []byte(secret))
	m1.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil)), "sha1=" + hex.EncodeToString(m1.Sum(nil))
}

// encodeWebhook renders one event as a signed-ready webhook body.
func (s *Server) encodeWebhook(ev messagingEvent) []byte {
	env := WebhookEnvelope{Object: "page", Entry: []WebhookEntry{{
		ID: s.cfg.Page.ID, Time: ev.Timestamp, Messaging: []messagingEvent{ev},
	}}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(env)
	return EscapeNonASCII(bytes.TrimRight(buf.Bytes(), "\n"))
}

// deliver posts one event to the bot's webhook, signed with the app secret,
// and records the outcome in the ledger.
func (s *Server) deliver(psid string, ev messagingEvent) Delivery {
	body := s.encodeWebhook(ev)
	if s.cfg.Webhook.URL == "" {
		s.recordDelivery(psid, Delivery{Err: fmt.Errorf("no webhook configured")})
		return Delivery{}
	}
	req, err := http.NewRequest(http.MethodPost, s.cfg.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		d := Delivery{Err: fmt.Errorf("build webhook request: %w", err)}
		s.recordDelivery(psid, d)
		return d
	}
	sig256, sig1 := Sign(s.cfg.Page.AppSecret, body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", sig256)
	req.Header.Set("X-Hub-Signature", sig1)
	client := s.cfg.Webhook.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	d := Delivery{Err: err}
	if err == nil {
		d.Status = resp.StatusCode
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	s.recordDelivery(psid, d)
	return d
}

func (s *Server) recordDelivery(psid string, d Delivery) {
	detail := "delivered, bot answered " + strconv.Itoa(d.Status)
	if d.Err != nil {
		detail = "not delivered: " + d.Err.Error()
	}
	s.mu.Lock()
	s.ledger.addEvent(Event{At: s.clock.Now(), PSID: psid, Kind: "webhook", Detail: detail})
	s.mu.Unlock()
}
