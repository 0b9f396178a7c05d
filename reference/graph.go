package reference

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/otnsim/otnsim/internal/httpbody"
)

// GraphError is an error the Send API answered with.
type GraphError struct {
	Status      int
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode"`
	IsTransient bool   `json:"is_transient"`
	FBTraceID   string `json:"fbtrace_id"`
}

// Error implements error.
func (e *GraphError) Error() string {
	return fmt.Sprintf("send API error %d/%d (HTTP %d): %s", e.Code, e.Subcode, e.Status, e.Message)
}

// Transient reports whether Meta asks the caller to retry later: codes 1,
// 2, 4, 32, 613 and 1200, HTTP 5xx, or is_transient. 613/2018338 (abusive
// sending) is not: retrying it would make matters worse.
func (e *GraphError) Transient() bool {
	if e.Code == 613 && e.Subcode == 2018338 {
		return false
	}
	if e.IsTransient || e.Status >= 500 {
		return true
	}
	switch e.Code {
	case 1, 2, 4, 32, 613, 1200:
		return true
	}
	return false
}

// ErrOutcomeUnknown is wrapped by send errors after which Meta may or may
// not have acted: a timeout, a dropped connection, an unreadable answer.
var ErrOutcomeUnknown = errors.New("send API outcome unknown")

// outcome is how a Send API call ended, as the bot acts on it.
type outcome int

const (
	outOK        outcome = iota
	outTransient         // refused for now; retry later
	outLimited           // a rate limit: slow down, retry later, never give up
	outUnknown           // Meta may have acted; never repeat
	outWindow            // 10/2018278 or 10/2018065: the window is closed
	outBlocked           // 551 or 200/1545041: the person is unavailable
	outRegion            // 10 otherwise: OTN not available here
	outPermanent         // anything else
)

// classify says what err (from send) means for the bot.
func classify(err error) outcome {
	if err == nil {
		return outOK
	}
	ge, ok := asGraphError(err)
	if !ok {
		return outUnknown
	}
	switch {
	case ge.rateLimited():
		return outLimited
	case ge.Transient():
		return outTransient
	case ge.Code == 10 && (ge.Subcode == 2018278 || ge.Subcode == 2018065):
		return outWindow
	case ge.Code == 551 || ge.Subcode == 1545041:
		return outBlocked
	case ge.Code == 10 && ge.Subcode != 2018108:
		return outRegion
	}
	return outPermanent
}

// graphClient calls the Send API.
type graphClient struct {
	base     string // e.g. https://graph.facebook.com/v19.0
	host     string // e.g. https://graph.facebook.com
	auth     string // the query's access_token and appsecret_proof
	http     *http.Client
	endpoint string
}

// newGraphClient returns a client calling graphURL's version with the page
// access token, and with appsecret_proof on every call unless proof is "".
func newGraphClient(graphURL, version, token string, c *http.Client, proof string) *graphClient {
	if c == nil {
		c = http.DefaultClient
	}
	base := strings.TrimRight(graphURL, "/") + "/" + version
	auth := "access_token=" + url.QueryEscape(token)
	if proof != "" {
		auth += "&appsecret_proof=" + proof
	}
	return &graphClient{
		base:     base,
		host:     strings.TrimRight(graphURL, "/"),
		auth:     auth,
		http:     c,
		endpoint: base + "/me/messages?" + auth,
	}
}

// proofFor is the appsecret_proof the bot's Graph calls carry: the hex
// HMAC-SHA256 of the page access token keyed with the app secret, when
// the policy asks for it and the bot has the secret.
func proofFor(cfg Config) string {
	if !cfg.Policy.AppSecretProof || cfg.AppSecret == "" {
		return ""
	}
	m := hmac.New(sha256.New, []byte(cfg.AppSecret))
	m.Write([]byte(cfg.PageAccessToken))
	return hex.EncodeToString(m.Sum(nil))
}

// sendResult is the Send API's success body.
type sendResult struct {
	RecipientID string `json:"recipient_id"`
	MessageID   string `json:"message_id"`
}

// send posts one Send API call. A refusal comes back as *GraphError.
func (g *graphClient) send(body any) (*sendResult, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode send request: %w", err)
	}
	resp, err := g.http.Post(g.endpoint, "application/json", bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("send API call: %w: %w", ErrOutcomeUnknown, err)
	}
	defer resp.Body.Close()
	raw, err := httpbody.Read(resp.Body, resp.ContentLength, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("read send API response: %w: %w", ErrOutcomeUnknown, err)
	}
	if resp.StatusCode != http.StatusOK {
		var env struct {
			Error *GraphError `json:"error"`
		}
		if json.Unmarshal(raw, &env) != nil || env.Error == nil {
			return nil, fmt.Errorf("send API answered HTTP %d without an error envelope: %w", resp.StatusCode, ErrOutcomeUnknown)
		}
		env.Error.Status = resp.StatusCode
		return nil, env.Error
	}
	var res sendResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("decode send API response: %w: %w", ErrOutcomeUnknown, err)
	}
	return &res, nil
}

// get reads a Graph path (relative to the versioned base, or absolute from
// the host when it starts with "/otnsim/") into v.
func (g *graphClient) get(path string, v any) error {
	u := g.base + path
	if strings.HasPrefix(path, "/otnsim/") {
		u = g.host + path
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	resp, err := g.http.Get(u + sep + g.auth)
	if err != nil {
		return fmt.Errorf("graph GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("graph GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("graph GET %s: HTTP %d", path, resp.StatusCode)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("graph GET %s: %w", path, err)
	}
	return nil
}

// asGraphError unwraps a *GraphError from err.
func asGraphError(err error) (*GraphError, bool) {
	var ge *GraphError
	ok := errors.As(err, &ge)
	return ge, ok
}

type recipient struct {
	ID    string `json:"id,omitempty"`
	Token string `json:"one_time_notif_token,omitempty"`
}

type textMessage struct {
	Text string `json:"text"`
}

type sendText struct {
	Recipient     recipient   `json:"recipient"`
	MessagingType string      `json:"messaging_type,omitempty"`
	Message       textMessage `json:"message"`
}

type otnRequestMessage struct {
	Attachment struct {
		Type    string `json:"type"`
		Payload struct {
			TemplateType string `json:"template_type"`
			Title        string `json:"title"`
			Payload      string `json:"payload"`
		} `json:"payload"`
	} `json:"attachment"`
}

type sendOTNRequest struct {
	Recipient     recipient         `json:"recipient"`
	MessagingType string            `json:"messaging_type"`
	Message       otnRequestMessage `json:"message"`
}

func newOTNRequest(psid, title, topic string) sendOTNRequest {
	r := sendOTNRequest{Recipient: recipient{ID: psid}, MessagingType: "RESPONSE"}
	r.Message.Attachment.Type = "template"
	r.Message.Attachment.Payload.TemplateType = "one_time_notif_req"
	r.Message.Attachment.Payload.Title = title
	r.Message.Attachment.Payload.Payload = topic
	return r
}

// sendAny is a Send API call with any message object.
type sendAny struct {
	Recipient     recipient      `json:"recipient"`
	MessagingType string         `json:"messaging_type,omitempty"`
	Message       map[string]any `json:"message"`
}
