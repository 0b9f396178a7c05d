package fakegraph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/otnsim/otnsim/rules"
)

// MaxBodyBytes is the largest request body fakegraph reads.
const MaxBodyBytes = 1 << 20

// Limits from the facts sheet.
const (
	MaxTextRunes     = 2000
	MaxMetadataRunes = 999
	MaxTitleRunes    = 65
	MaxPayloadRunes  = 1000
)

// SendRequest is the body of a Send API call.
type SendRequest struct {
	Recipient        Recipient       `json:"recipient"`
	MessagingType    string          `json:"messaging_type,omitempty"`
	Tag              string          `json:"tag,omitempty"`
	Message          *Message        `json:"message,omitempty"`
	SenderAction     string          `json:"sender_action,omitempty"`
	NotificationType string          `json:"notification_type,omitempty"`
	AccessToken      string          `json:"access_token,omitempty"`
	AppSecretProof   string          `json:"appsecret_proof,omitempty"`
	extra            map[string]bool // top-level keys present
}

// Recipient names who a message goes to.
type Recipient struct {
	ID                string `json:"id,omitempty"`
	OneTimeNotifToken string `json:"one_time_notif_token,omitempty"`
	UserRef           string `json:"user_ref,omitempty"`
}

// Message is the message object of a Send API call.
type Message struct {
	Text         string          `json:"text,omitempty"`
	Attachment   *Attachment     `json:"attachment,omitempty"`
	QuickReplies json.RawMessage `json:"quick_replies,omitempty"`
	Metadata     string          `json:"metadata,omitempty"`
}

// Attachment is a message attachment: media or a template.
type Attachment struct {
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

// otnRequestPayload is the payload of the one_time_notif_req template.
type otnRequestPayload struct {
	TemplateType string `json:"template_type"`
	Title        string `json:"title"`
	Payload      string `json:"payload"`
}

// DecodeSendRequest parses a Send API body. Form-encoded bodies carry the
// JSON objects in fields, as Graph accepts them.
func DecodeSendRequest(contentType string, body []byte) (*SendRequest, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/x-www-form-urlencoded" {
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("parse form body: %w", err)
		}
		obj := map[string]json.RawMessage{}
		for k, v := range vals {
			if len(v) == 0 {
				continue
			}
			raw := strings.TrimSpace(v[0])
			if strings.HasPrefix(raw, "{") {
				obj[k] = json.RawMessage(raw)
			} else {
				q, _ := json.Marshal(v[0])
				obj[k] = q
			}
		}
		body, _ = json.Marshal(obj)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil {
		return nil, fmt.Errorf("parse JSON body: %w", err)
	}
	var req SendRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("parse JSON body: %w", err)
	}
	req.extra = map[string]bool{}
	for k := range keys {
		req.extra[k] = true
	}
	return &req, nil
}

// accessToken finds the page access token in any of the forms Graph accepts.
func accessToken(r *http.Request, req *SendRequest) string {
	if t := r.URL.Query().Get("access_token"); t != "" {
		return t
	}
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") || strings.HasPrefix(h, "OAuth ") {
		return strings.TrimSpace(h[strings.IndexByte(h, ' ')+1:])
	}
	if req != nil {
		return req.AccessToken
	}
	return ""
}

// handleSend serves POST /vX.Y/me/messages and /vX.Y/{page-id}/messages.
func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		s.writeError(w, errInvalidParam("", "Could not read the request body"))
		return
	}
	if len(body) > MaxBodyBytes {
		s.writeError(w, errInvalidParam("", "Request body is too large"))
		return
	}
	req, decErr := DecodeSendRequest(r.Header.Get("Content-Type"), body)
	if tok := accessToken(r, req); tok != s.cfg.Page.AccessToken {
		s.writeError(w, errInvalidToken())
		return
	}
	if decErr != nil {
		s.mu.Lock()
		s.ledger.addCall(Call{At: s.clock.Now(), Kind: KindUnknown, Code: 100})
		s.mu.Unlock()
		s.writeError(w, errInvalidParam("", "Invalid JSON in the request body"))
		return
	}
	resp, gerr := s.send(req)
	if gerr != nil {
		s.writeError(w, gerr)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// SendResponse is the Send API's success body.
type SendResponse struct {
	RecipientID string `json:"recipient_id,omitempty"`
	MessageID   string `json:"message_id"`
}

// send applies Meta's rules to one call and records it. It is the only place
// that consumes tokens; the whole decision runs under s.mu so a token is spent
// exactly once however many goroutines race for it.
func (s *Server) send(req *SendRequest) (*SendResponse, *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	call := Call{At: now, MessagingType: req.MessagingType, Tag: req.Tag}
	call.Kind, call.Text, call.Topic = classify(req)
	refuse := func(e *Error) (*SendResponse, *Error) {
		call.Code, call.Subcode, call.Rule, call.Assumed = e.Code, e.Subcode, e.Rule, e.Assumed
		s.ledger.addCall(call)
		return nil, e
	}

	if gerr := validateShape(req); gerr != nil {
		call.RecipientKind = recipientKind(req.Recipient)
		call.PSID = req.Recipient.ID
		return refuse(gerr)
	}
	call.RecipientKind = recipientKind(req.Recipient)

	var user *userState
	var token *tokenRecord
	switch call.RecipientKind {
	case RecipientPSID:
		u, ok := s.users[req.Recipient.ID]
		if !ok {
			return refuse(errNoUser())
		}
		user = u
	case RecipientToken:
		t, ok := s.tokens[req.Recipient.OneTimeNotifToken]
		if !ok || t.pageID != s.cfg.Page.ID {
			e := errInvalidParam(rules.TokenScope, "The one_time_notif_token is invalid")
			e.Assumed = true
			return refuse(e)
		}
		token = t
		call.TokenSeq = t.seq
		call.PSID = t.psid
		call.Topic = t.topic
		user = s.users[t.psid]
	case RecipientUserRef:
		return refuse(errNoUser())
	}
	call.PSID = user.PSID
	call.WindowOpen = user.windowOpen(now)

	if user.blocked {
		return refuse(errUnavailable())
	}

	if token != nil {
		if gerr := s.checkTokenSend(req, token, now); gerr != nil {
			token.rejected = append(token.rejected, Rejection{At: now, Code: gerr.Code, Subcode: gerr.Subcode, Reason: gerr.Message})
			return refuse(gerr)
		}
		token.consumed = true
		token.consumedAt = now
	} else if gerr := s.checkStandardSend(req, call.Kind, user, now); gerr != nil {
		return refuse(gerr)
	}

	if call.Kind == KindOTNRequest {
		s.requests[user.PSID] = append(s.requests[user.PSID], otnRequest{psid: user.PSID, title: otnTitle(req), payload: call.Topic, at: now})
	}
	call.OK = true
	call.MessageID = "m_" + s.randomString(24)
	call = s.ledger.addCall(call)
	return &SendResponse{RecipientID: user.PSID, MessageID: call.MessageID}, nil
}

func recipientKind(r Recipient) RecipientKind {
	switch {
	case r.ID != "":
		return RecipientPSID
	case r.OneTimeNotifToken != "":
		return RecipientToken
	case r.UserRef != "":
		return RecipientUserRef
	}
	return RecipientNone
}

// classify says what a request carries, its text and, for an OTN request, its payload.
func classify(req *SendRequest) (CallKind, string, string) {
	if req.Message == nil {
		if req.SenderAction != "" {
			return KindSenderAction, req.SenderAction, ""
		}
		return KindMessage, "", ""
	}
	if a := req.Message.Attachment; a != nil && a.Type == "template" {
		var p otnRequestPayload
		if json.Unmarshal(a.Payload, &p) == nil && p.TemplateType == "one_time_notif_req" {
			return KindOTNRequest, p.Title, p.Payload
		}
	}
	return KindMessage, req.Message.Text, ""
}

func otnTitle(req *SendRequest) string {
	var p otnRequestPayload
	_ = json.Unmarshal(req.Message.Attachment.Payload, &p)
	return p.Title
}

// validateShape checks the parts of a request that do not depend on state.
func validateShape(req *SendRequest) *Error {
	n := 0
	for _, v := range []string{req.Recipient.ID, req.Recipient.OneTimeNotifToken, req.Recipient.UserRef} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return errInvalidParam("", "param recipient must name exactly one of id, one_time_notif_token or user_ref")
	}
	if req.Message != nil && req.SenderAction != "" {
		return errInvalidParam("", "param sender_action cannot be combined with message")
	}
	if req.Message == nil && req.SenderAction == "" {
		return errInvalidParam("", "param message must be non-empty.")
	}
	if m := req.Message; m != nil {
		if m.Text == "" && m.Attachment == nil {
			return errInvalidParam("", "param message must have text or attachment")
		}
		if m.Text != "" && m.Attachment != nil {
			return errInvalidParam(rules.Content, "param message cannot have both text and attachment")
		}
		if !utf8.ValidString(m.Text) {
			return errInvalidParam("", "param message[text] must be UTF-8 encoded")
		}
		if utf8.RuneCountInString(m.Text) > MaxTextRunes {
			return errInvalidParam("", "param message[text] must be UTF-8 encoded with a 2000 character limit")
		}
		if utf8.RuneCountInString(m.Metadata) > MaxMetadataRunes {
			return errInvalidParam("", "param message[metadata] must be less than 1000 characters")
		}
	}
	switch req.NotificationType {
	case "", "REGULAR", "SILENT_PUSH", "NO_PUSH":
	default:
		return errInvalidParam("", "param notification_type must be one of {REGULAR, SILENT_PUSH, NO_PUSH}")
	}
	return nil
}

// checkTokenSend applies the OTN token rules.
func (s *Server) checkTokenSend(req *SendRequest, t *tokenRecord, now time.Time) *Error {
	if !s.cfg.Page.OTNApproved {
		e := errPermission(rules.Feature, "Requires one_time_notification permission for this page")
		e.Assumed = true
		return e
	}
	if t.consumed {
		e := errInvalidParam(rules.TokenOnce, "The one_time_notif_token has already been used")
		e.Assumed = true
		return e
	}
	if !now.Before(t.expiresAt) {
		e := errInvalidParam(rules.TokenExpiry, "The one_time_notif_token has expired")
		e.Assumed = true
		return e
	}
	if req.Message == nil {
		return errInvalidParam(rules.Content, "A one_time_notif_token can only be used to send a message")
	}
	if a := req.Message.Attachment; a != nil && a.Type == "template" {
		var p otnRequestPayload
		if json.Unmarshal(a.Payload, &p) == nil && p.TemplateType == "one_time_notif_req" {
			return errInvalidParam(rules.Content, "A one_time_notif_token cannot carry a one_time_notif_req template")
		}
	}
	return nil
}

// checkStandardSend applies the window, messaging_type and OTN request rules
// to a call addressed by PSID.
func (s *Server) checkStandardSend(req *SendRequest, kind CallKind, u *userState, now time.Time) *Error {
	if kind == KindSenderAction {
		if !u.windowOpen(now) {
			return errOutsideWindow(rules.Win24h)
		}
		return nil
	}
	if kind == KindOTNRequest {
		return s.checkOTNRequest(req, u, now)
	}
	switch req.MessagingType {
	case "":
		return errInvalidParam("", "param messaging_type is required")
	case "RESPONSE", "UPDATE":
		if !u.windowOpen(now) {
			return errOutsideWindow(rules.Win24h)
		}
	case "MESSAGE_TAG":
		return checkTag(req.Tag, u, now)
	default:
		return errInvalidParam("", "param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}")
	}
	return nil
}

// RetiredTagsDate is when CONFIRMED_EVENT_UPDATE, ACCOUNT_UPDATE and
// POST_PURCHASE_UPDATE stopped being accepted.
var RetiredTagsDate = time.Date(2026, 4, 27, 0, 0, 0, 0, time.UTC)

func checkTag(tag string, u *userState, now time.Time) *Error {
	switch tag {
	case "HUMAN_AGENT", "CUSTOMER_FEEDBACK":
		if u.lastAction.IsZero() || !now.Before(u.lastAction.Add(7*24*time.Hour)) {
			return errOutsideWindow(rules.Win24h)
		}
		return nil
	case "CONFIRMED_EVENT_UPDATE", "ACCOUNT_UPDATE", "POST_PURCHASE_UPDATE":
		if !now.Before(RetiredTagsDate) {
			return errInvalidParam(rules.Win24h, "param tag %s is no longer supported", tag)
		}
		return nil
	case "":
		return errInvalidParam("", "param tag is required when messaging_type is MESSAGE_TAG")
	default:
		return errInvalidParam("", "param tag %s is not a valid message tag", tag)
	}
}

// checkOTNRequest applies the rules for the one_time_notif_req template.
func (s *Server) checkOTNRequest(req *SendRequest, u *userState, now time.Time) *Error {
	if !s.cfg.Page.OTNApproved {
		e := errPermission(rules.Feature, "Requires one_time_notification permission for this page")
		e.Assumed = true
		return e
	}
	var p map[string]json.RawMessage
	if err := json.Unmarshal(req.Message.Attachment.Payload, &p); err != nil {
		return errInvalidParam(rules.ReqFormat, "param message[attachment][payload] must be an object")
	}
	for k := range p {
		if k != "template_type" && k != "title" && k != "payload" {
			e := errInvalidParam(rules.ReqFormat, "param message[attachment][payload][%s] is not allowed in one_time_notif_req", k)
			e.Assumed = true
			return e
		}
	}
	var op otnRequestPayload
	if err := json.Unmarshal(req.Message.Attachment.Payload, &op); err != nil {
		return errInvalidParam(rules.ReqFormat, "param message[attachment][payload] is malformed")
	}
	if title := utf8.RuneCountInString(op.Title); title == 0 || title > MaxTitleRunes {
		e := errInvalidParam(rules.ReqFormat, "param title must be between 1 and 65 characters")
		e.Assumed = true
		return e
	}
	if pl := utf8.RuneCountInString(op.Payload); pl == 0 || pl > MaxPayloadRunes {
		e := errInvalidParam(rules.ReqFormat, "param payload must be between 1 and 1000 characters")
		e.Assumed = true
		return e
	}
	if !u.windowOpen(now) {
		return errOutsideWindow(rules.ReqWindow)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) writeError(w http.ResponseWriter, e *Error) {
	s.mu.Lock()
	trace := s.traceID()
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_request" "`+strings.ReplaceAll(e.Message, `"`, `'`)+`"`)
	w.WriteHeader(e.Status)
	_, _ = w.Write(e.MarshalEnvelope(trace))
}
