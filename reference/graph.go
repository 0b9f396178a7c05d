package reference

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
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

// Transient reports whether Meta asks the caller to retry later.
func (e *GraphError) Transient() bool {
	if e.IsTransient || e.Status >= 500 {
		return true
	}
	switch e.Code {
	case 1, 2, 4, 613, 1200:
		return true
	}
	return false
}

// graphClient calls the Send API.
type graphClient struct {
	base     string // e.g. https://graph.facebook.com/v19.0
	token    string
	http     *http.Client
	endpoint string
}

func newGraphClient(graphURL, version, token string, c *http.Client) *graphClient {
	if c == nil {
		c = http.DefaultClient
	}
	base := strings.TrimRight(graphURL, "/") + "/" + version
	return &graphClient{
		base:     base,
		token:    token,
		http:     c,
		endpoint: base + "/me/messages?access_token=" + url.QueryEscape(token),
	}
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
		return nil, fmt.Errorf("send API call: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read send API response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var env struct {
			Error *GraphError `json:"error"`
		}
		if json.Unmarshal(raw, &env) != nil || env.Error == nil {
			return nil, &GraphError{Status: resp.StatusCode, Code: 2, Message: "unreadable error response: " + strings.TrimSpace(string(raw))}
		}
		env.Error.Status = resp.StatusCode
		return nil, env.Error
	}
	var res sendResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("decode send API response: %w", err)
	}
	return &res, nil
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
