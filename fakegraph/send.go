package fakegraph

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/otnsim/otnsim/internal/httpbody"
	"github.com/otnsim/otnsim/platform"
	"github.com/otnsim/otnsim/rules"
)

// SendResponse is the Send API's success body.
type SendResponse struct {
	RecipientID string `json:"recipient_id,omitempty"`
	MessageID   string `json:"message_id,omitempty"`
}

// readBody reads at most MaxBodyBytes of a request body.
func (s *Server) readBody(r *http.Request) ([]byte, *Error) {
	if r.Body == nil {
		return nil, nil
	}
	if r.ContentLength > MaxBodyBytes {
		return nil, s.errParam(rules.SendFormat, true, "Request body is too large (over 1 MiB)")
	}
	body, err := httpbody.Read(r.Body, r.ContentLength, MaxBodyBytes+1)
	if err != nil {
		return nil, s.errParam(rules.SendFormat, true, "Could not read the request body")
	}
	if len(body) > MaxBodyBytes {
		return nil, s.errParam(rules.SendFormat, true, "Request body is too large (over 1 MiB)")
	}
	return body, nil
}

// handleSend serves POST /vX.Y/me/messages and /vX.Y/{page-id}/messages. It
// reports whether the connection must be dropped (an armed fault).
func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) (drop bool) {
	body, gerr := s.readBody(r)
	if gerr != nil {
		s.recordBad(gerr)
		s.writeError(w, gerr)
		return false
	}
	if len(body) == 0 && r.URL.RawQuery != "" {
		// Graph also reads parameters from the query string.
		q := r.URL.Query()
		q.Del("access_token")
		q.Del("appsecret_proof")
		if len(q) > 0 {
			body = []byte(q.Encode())
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	req, decErr := DecodeSendRequest(r.Header.Get("Content-Type"), body)
	token, proof := credentials(r, req)
	if gerr := s.authorize(token, proof); gerr != nil {
		s.recordRefusedAuth(gerr, req)
		s.writeError(w, gerr)
		return false
	}
	if decErr != nil {
		msg := "Invalid JSON in the request body"
		if errors.Is(decErr, ErrContentType) {
			msg = "Unsupported Content-Type: send JSON or form-encoded parameters"
		}
		gerr := s.errParam(rules.SendFormat, false, "%s", msg)
		s.recordBad(gerr)
		s.writeError(w, gerr)
		return false
	}
	f := s.takeFault(r.Method, r.URL.Path, req)
	if f != nil && f.Latency > 0 {
		if !s.sleep(r, f.Latency) {
			return true
		}
	}
	if f != nil && f.Stage != StageAfter && f.Kind != FaultLatency {
		s.recordFault(req, f)
		if f.Kind == FaultDrop {
			return true
		}
		s.writeError(w, f.graphError())
		return false
	}
	var lost *armedFault
	if f != nil && f.Stage == StageAfter {
		lost = f
	}
	resp, gerr := s.send(req, lost)
	if lost != nil && gerr == nil {
		if f.Kind == FaultDrop || f.Kind == FaultLostResponse {
			return true
		}
		s.writeError(w, f.graphError())
		return false
	}
	if gerr != nil {
		s.writeError(w, gerr)
		return false
	}
	writeSendResponse(w, resp)
	return false
}

// recordBad records a call refused before its body could be read.
func (s *Server) recordBad(e *Error) {
	s.mu.Lock()
	s.recordCallLocked(Call{At: s.clock.Now(), Kind: KindUnknown, Code: e.Code, Subcode: e.Subcode, Rule: e.Rule, Assumed: e.Assumed})
	s.mu.Unlock()
}

// recordRefusedAuth records a call refused for its credentials. When its
// body could be read, the call is attributed to the user it names, so the
// refusal shows in that subscriber's timeline.
func (s *Server) recordRefusedAuth(e *Error, req *SendRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	call := Call{At: s.clock.Now(), Kind: KindUnknown, Code: e.Code, Subcode: e.Subcode, Rule: e.Rule, Assumed: e.Assumed}
	if req != nil {
		call.Kind = requestKind(req)
		call.RecipientKind, call.MessagingType, call.Tag = recipientKind(req.Recipient), req.MessagingType, req.Tag
		call.PSID = s.psidOfLocked(req.Recipient)
		if t, ok := s.tokens[req.Recipient.OneTimeNotifToken]; ok {
			call.TokenSeq, call.Topic = t.seq, t.topic
		}
		if u, ok := s.users[call.PSID]; ok {
			call.WindowOpen = u.windowOpen(call.At)
		} else {
			call.PSID = ""
		}
	}
	s.recordCallLocked(call)
}

// Send applies the Send API's rules to req as if it had arrived over HTTP
// with a valid page token, and records the call. It is the in-process fast
// path for load runs.
func (s *Server) Send(req *SendRequest) (*SendResponse, error) {
	resp, gerr := s.send(req, nil)
	if gerr != nil {
		return nil, gerr
	}
	return resp, nil
}

// send applies Meta's rules to one call and records it. It is the only place
// that consumes tokens; the whole decision runs under s.mu so a token is spent
// exactly once however many goroutines race for it, and a refused call changes
// nothing but the ledger. lost, when set, is the after-stage fault that
// replaces the answer of a call that takes effect.
func (s *Server) send(req *SendRequest, lost *armedFault) (*SendResponse, *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	call := Call{At: now, MessagingType: req.MessagingType, Tag: req.Tag, RecipientKind: recipientKind(req.Recipient)}
	refuse := func(e *Error) (*SendResponse, *Error) {
		call.Code, call.Subcode, call.Rule, call.Assumed = e.Code, e.Subcode, e.Rule, call.Assumed || e.Assumed
		if u, ok := s.users[call.PSID]; ok {
			call.WindowOpen = u.windowOpen(now)
		} else if call.RecipientKind == RecipientPSID {
			call.PSID = req.Recipient.ID // an unknown user: named, without a window
		}
		s.recordCallLocked(call)
		return nil, e
	}

	pm, gerr := s.validateShape(req)
	call.Kind, call.Text, call.Topic = pm.kind, pm.text, pm.topic
	if call.Kind == "" {
		call.Kind = requestKind(req)
	}
	if gerr != nil {
		call.PSID = s.psidOfLocked(req.Recipient)
		return refuse(gerr)
	}

	user, token, gerr := s.resolve(req.Recipient, &call)
	if gerr != nil {
		return refuse(gerr)
	}
	call.PSID = user.PSID
	call.WindowOpen = user.windowOpen(now)
	if gerr := s.throttle(now, user.PSID, pm.media); gerr != nil {
		return refuse(gerr)
	}
	if user.state != UserActive {
		return refuse(s.errUnavailable(user.state))
	}
	if s.cfg.Page.AppInDevelopment && !user.AppRole {
		return refuse(s.errAppNotLive())
	}

	if token != nil {
		if gerr := s.checkTokenSend(req, &pm, token, user, now, &call); gerr != nil {
			token.rejected = append(token.rejected, Rejection{At: now, Code: gerr.Code, Subcode: gerr.Subcode, Reason: gerr.Message})
			return refuse(gerr)
		}
		token.consumed = true
		token.consumedAt = now
		s.metrics.tokensConsumed.Add(1)
	} else if call.RecurringSeq != 0 {
		if gerr := s.checkRecurringSend(req, &pm, now); gerr != nil {
			return refuse(gerr)
		}
	} else if gerr := s.checkStandardSend(req, &pm, user, now, &call); gerr != nil {
		return refuse(gerr)
	}

	if pm.kind == KindOTNRequest {
		suppressed := s.threadAffected(user, now)
		s.requests[user.PSID] = append(s.requests[user.PSID], otnRequest{psid: user.PSID, title: pm.title, payload: pm.topic, at: now, suppressed: suppressed})
	} else if pm.kind == KindRecurringRequest || call.RecurringSeq != 0 {
		s.recurringTookEffect(req, &pm, user, now)
	}
	call.OK = true
	resp := &SendResponse{RecipientID: user.PSID}
	if pm.kind != KindSenderAction {
		call.MessageID = s.messageID()
		resp.MessageID = call.MessageID
	}
	if token != nil && !s.set().RecipientIDOnTokenSend {
		resp.RecipientID = ""
	}
	if call.RecipientKind == RecipientUserRef {
		// Meta's Send API reference: recipient_id is not included in the
		// response when the recipient was given as user_ref.
		resp.RecipientID = ""
	}
	if lost != nil {
		call.Fault, call.Answered = lost.Name, lost.answered()
		if lost.Kind != FaultDrop && lost.Kind != FaultLostResponse {
			e := lost.graphError()
			call.Code, call.Subcode = e.Code, e.Subcode
		}
	}
	s.recordCallLocked(call)
	return resp, nil
}

// requestKind is what a request carries, judged from its body alone.
func requestKind(req *SendRequest) CallKind {
	switch {
	case req == nil:
	case req.Message != nil && req.Message.Attachment != nil && bytes.Contains(req.Message.Attachment.Payload, []byte(`"one_time_notif_req"`)):
		return KindOTNRequest
	case req.Message != nil:
		return KindMessage
	case req.SenderAction != "":
		return KindSenderAction
	}
	return KindUnknown
}

// resolve finds the user (and token) a recipient names. Callers hold s.mu.
func (s *Server) resolve(r Recipient, call *Call) (*userState, *tokenRecord, *Error) {
	switch {
	case r.ID != "":
		u, ok := s.users[r.ID]
		if !ok {
			return nil, nil, s.errNoUser()
		}
		return u, nil, nil
	case r.OneTimeNotifToken != "":
		t, ok := s.tokens[r.OneTimeNotifToken]
		if !ok {
			call.StaleToken = tokenOrigin(r.OneTimeNotifToken, s.set().TokenLength, s.pageTag()) == originOurs
			return nil, nil, s.unknownToken(r.OneTimeNotifToken)
		}
		call.TokenSeq, call.Topic = t.seq, t.topic
		return s.users[t.psid], t, nil
	case r.UserRef != "":
		psid, ok := s.userRefs[r.UserRef]
		if !ok {
			return nil, nil, s.errNoUser()
		}
		call.Assumed = true // how a user_ref send is judged beyond "known" is our reading
		return s.users[psid], nil, nil
	case r.NotificationMessagesToken != "":
		u, gerr := s.resolveRecurring(r.NotificationMessagesToken, call)
		return u, nil, gerr
	default:
		return nil, nil, s.errParam(rules.SendFormat, false, "param recipient must name exactly one of id, one_time_notif_token, user_ref or notification_messages_token")
	}
}

// unknownToken explains why a token value is not one of ours.
func (s *Server) unknownToken(v string) *Error {
	code := s.set().TokenErrorCode
	switch tokenOrigin(v, s.set().TokenLength, s.pageTag()) {
	case originMalformed:
		return s.tokenErr(code, rules.TokenScope, "The one_time_notif_token is malformed")
	case originForeign:
		return s.tokenErr(code, rules.TokenScope, "The one_time_notif_token was issued by another page")
	default:
		return s.tokenErr(code, rules.TokenScope, "The one_time_notif_token is invalid")
	}
}

func (s *Server) tokenErr(code int, rule, msg string) *Error {
	e := oauthErr(code, 0, "%s", msg)
	e.Status, e.Rule, e.Assumed = s.set().ErrorStatus, rule, true
	return e
}

// checkTokenSend applies the OTN token rules. Callers hold s.mu.
func (s *Server) checkTokenSend(req *SendRequest, pm *parsedMsg, t *tokenRecord, u *userState, now time.Time, call *Call) *Error {
	if !s.cfg.Page.OTNApproved {
		return s.errPermission(rules.Feature, s.set().PermissionErrorCode, "Requires one_time_notification permission for this page")
	}
	if s.threadAffected(u, now) {
		return s.errPermission(rules.Region, s.set().Region.ErrorCode, "One-time notifications are not available for this page or person in their region")
	}
	if t.consumed {
		return s.tokenErr(s.set().TokenErrorCode, rules.TokenOnce, "The one_time_notif_token has already been used")
	}
	if !now.Before(t.expiresAt) {
		return s.tokenErr(s.set().TokenErrorCode, rules.TokenExpiry, "The one_time_notif_token has expired")
	}
	switch {
	case pm.kind == KindSenderAction:
		return s.errParam(rules.Content, true, "A one_time_notif_token can only be used to send a message")
	case pm.kind == KindOTNRequest:
		// Meta's OTN FAQ: a page may use a token to send another
		// notification request. Meta's spam guard still counts it.
		if gerr := s.checkRequestSpam(pm, u, now); gerr != nil {
			return gerr
		}
	case req.Message.Attachment != nil:
		if !s.set().TokenRichContent {
			return s.errParam(rules.Content, true, "A one_time_notif_token can only carry text")
		}
		call.Assumed = true
	}
	if req.MessagingType == "" {
		if s.set().MessagingTypeOnTokenSend {
			return s.errParam(rules.SendFormat, true, "param messaging_type is required")
		}
		call.Assumed = true
	}
	return nil
}

// checkStandardSend applies the window, messaging_type, tag and OTN request
// rules to a call addressed by PSID or user_ref. Callers hold s.mu.
func (s *Server) checkStandardSend(req *SendRequest, pm *parsedMsg, u *userState, now time.Time, call *Call) *Error {
	switch pm.kind {
	case KindSenderAction:
		if !u.windowOpen(now) {
			return errOutsideWindow(rules.Win24h, s.set().LegacyWindowSubcode)
		}
		return nil
	case KindOTNRequest:
		return s.checkOTNRequest(req, pm, u, now, call)
	}
	if req.MessagingType == "" {
		if !s.platformDate(now).Before(platform.MessagingTypeRequiredDate()) {
			return s.errParam(rules.SendFormat, false, "param messaging_type is required")
		}
		req.MessagingType = "RESPONSE"
	}
	if pm.kind == KindRecurringRequest {
		return s.checkRecurringRequest(pm, u, now)
	}
	switch req.MessagingType {
	case "RESPONSE", "UPDATE":
		if !u.windowOpen(now) {
			return errOutsideWindow(rules.Win24h, s.set().LegacyWindowSubcode)
		}
		return nil
	default: // MESSAGE_TAG
		return s.checkTag(req.Tag, pm, u, now)
	}
}

// checkTag applies the message tag rules. CUSTOMER_FEEDBACK carries only
// the customer feedback template: Meta's Send API reference says any other
// use "is prohibited and will fail" (its code is our reading).
func (s *Server) checkTag(tag string, pm *parsedMsg, u *userState, now time.Time) *Error {
	if tag == "CUSTOMER_FEEDBACK" && pm.template != "customer_feedback" {
		return s.errParam(rules.WinTag, true, "param tag CUSTOMER_FEEDBACK can only be used with the customer feedback template")
	}
	switch tag {
	case "HUMAN_AGENT", "CUSTOMER_FEEDBACK":
		if u.lastAction.IsZero() || !now.Before(u.lastAction.Add(platform.TagWindow)) {
			return errOutsideWindow(rules.Win24h, s.set().LegacyWindowSubcode)
		}
		return nil
	case "CONFIRMED_EVENT_UPDATE", "ACCOUNT_UPDATE", "POST_PURCHASE_UPDATE":
		if !s.platformDate(now).Before(s.set().RetiredTagsDate) {
			return s.errParam(rules.Win24h, false, "param tag %s is no longer supported", tag)
		}
		return nil
	case "":
		return s.errParam(rules.WinTag, false, "param tag is required when messaging_type is MESSAGE_TAG")
	default:
		return s.errParam(rules.WinTag, false, "param tag %s is not a valid message tag", tag)
	}
}

// checkOTNRequest applies the rules for sending the one_time_notif_req template.
func (s *Server) checkOTNRequest(req *SendRequest, pm *parsedMsg, u *userState, now time.Time, call *Call) *Error {
	if !s.cfg.Page.OTNApproved {
		return s.errPermission(rules.Feature, s.set().PermissionErrorCode, "Requires one_time_notification permission for this page")
	}
	if s.threadAffected(u, now) {
		if s.set().Region.RefuseRequests {
			return s.errPermission(rules.Region, s.set().Region.ErrorCode, "One-time notifications are not available for this page or person in their region")
		}
		call.Assumed = true
	}
	if req.MessagingType == "" && s.set().MessagingTypeOnRequest && !s.platformDate(now).Before(platform.MessagingTypeRequiredDate()) {
		return s.errParam(rules.SendFormat, true, "param messaging_type is required")
	}
	if req.MessagingType == "MESSAGE_TAG" {
		if gerr := s.checkTag(req.Tag, pm, u, now); gerr != nil {
			return gerr
		}
	}
	if !u.windowOpen(now) {
		return errOutsideWindow(rules.ReqWindow, s.set().LegacyWindowSubcode)
	}
	return s.checkRequestSpam(pm, u, now)
}

// checkRequestSpam is Meta's spam guard on OTN requests for one topic to
// one person (its threshold and error are our reading). Callers hold s.mu.
func (s *Server) checkRequestSpam(pm *parsedMsg, u *userState, now time.Time) *Error {
	if lim := s.set().RequestSpamLimit; lim > 0 {
		n := 0
		for _, r := range s.requests[u.PSID] {
			if r.payload == pm.topic && now.Sub(r.at) < s.set().RequestSpamWindow {
				n++
			}
		}
		if n >= lim {
			e := oauthErr(613, s.set().RequestSpamSubcode, "This OTN request was refused: too many requests for the same topic to this person")
			e.Status, e.Rule, e.Assumed = s.set().ErrorStatus, rules.ReqSpam, true
			return e
		}
	}
	return nil
}

func recipientKind(r Recipient) RecipientKind {
	switch {
	case r.ID != "":
		return RecipientPSID
	case r.OneTimeNotifToken != "":
		return RecipientToken
	case r.UserRef != "":
		return RecipientUserRef
	case r.NotificationMessagesToken != "":
		return RecipientNotificationMessagesToken
	}
	return RecipientNone
}

var jsonHeader = []string{"application/json; charset=UTF-8"}

// respBufs holds the buffers success bodies are rendered in.
var respBufs = sync.Pool{New: func() any { b := make([]byte, 0, 128); return &b }}

// writeSendResponse writes the success body without reflection on the hot
// path, in a pooled buffer.
func writeSendResponse(w http.ResponseWriter, r *SendResponse) {
	w.Header()["Content-Type"] = jsonHeader
	w.WriteHeader(http.StatusOK)
	bp := respBufs.Get().(*[]byte)
	defer respBufs.Put(bp)
	buf := (*bp)[:0]
	buf = append(buf, '{')
	if r.RecipientID != "" {
		buf = append(buf, `"recipient_id":`...)
		buf = appendJSONString(buf, r.RecipientID)
		if r.MessageID != "" {
			buf = append(buf, ',')
		}
	}
	if r.MessageID != "" {
		buf = append(buf, `"message_id":`...)
		buf = appendJSONString(buf, r.MessageID)
	}
	buf = append(buf, '}')
	_, _ = w.Write(buf)
	*bp = buf
}

// appendJSONString appends s as a JSON string.
func appendJSONString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// writeJSON answers v as JSON with status. A value that cannot be encoded
// (a time past year 9999, say) is answered as a Graph error with status
// 500, never as a 200 with an empty or cut body; a write that fails means
// the client has gone, which nothing can be told.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	w.Header()["Content-Type"] = jsonHeader
	if err != nil {
		e := &Error{Status: http.StatusInternalServerError, Type: "OAuthException", Code: 1,
			Message: "otnsim could not encode its answer: " + err.Error()}
		w.WriteHeader(e.Status)
		_, _ = w.Write(e.MarshalEnvelope("AotnsimEncodeError"))
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func (s *Server) writeError(w http.ResponseWriter, e *Error) {
	s.mu.Lock()
	trace := s.traceID()
	s.mu.Unlock()
	w.Header()["Content-Type"] = jsonHeader
	if e.Code == 190 {
		w.Header().Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token" "`+e.Message+`"`)
	}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.WriteHeader(status)
	_, _ = w.Write(e.MarshalEnvelope(trace))
}
