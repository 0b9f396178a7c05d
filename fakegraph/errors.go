package fakegraph

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/otnsim/otnsim/rules"
)

// Error is a Graph API error, as Meta returns it in the error envelope.
// Callers branch on Code and Subcode, never on Message.
type Error struct {
	Status      int    // HTTP status of the response
	Message     string // human-readable text, prefixed "(#code)" as Meta does
	Type        string // OAuthException, GraphMethodException, ...
	Code        int
	Subcode     int  // 0 when Meta sends none
	IsTransient bool // set on errors the caller may retry
	// Rule is the catalogue rule the refused call broke, if any.
	Rule string
	// Assumed reports that the code or shape rests on an [assumed] fact.
	Assumed bool
}

// Error implements error.
func (e *Error) Error() string {
	if e.Subcode != 0 {
		return fmt.Sprintf("graph error %d/%d: %s", e.Code, e.Subcode, e.Message)
	}
	return fmt.Sprintf("graph error %d: %s", e.Code, e.Message)
}

// envelope is the JSON shape of a Graph error response.
type envelope struct {
	Error envelopeBody `json:"error"`
}

type envelopeBody struct {
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode,omitempty"`
	IsTransient bool   `json:"is_transient,omitempty"`
	FBTraceID   string `json:"fbtrace_id"`
}

// MarshalEnvelope renders e as Meta's error envelope with the given trace id.
func (e *Error) MarshalEnvelope(traceID string) []byte {
	b, _ := json.Marshal(envelope{Error: envelopeBody{
		Message:     e.Message,
		Type:        e.Type,
		Code:        e.Code,
		Subcode:     e.Subcode,
		IsTransient: e.IsTransient,
		FBTraceID:   traceID,
	}})
	return b
}

func oauthErr(code, subcode int, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{
		Status:  http.StatusBadRequest,
		Message: "(#" + itoa(code) + ") " + msg,
		Type:    "OAuthException",
		Code:    code,
		Subcode: subcode,
	}
}

// Error constructors for the codes in the facts sheet. Those whose status or
// code rests on an assumption take it from the settings.

func errInvalidToken(subcode int) *Error {
	e := oauthErr(190, subcode, "%s", "")
	switch subcode {
	case 463:
		e.Message = "Error validating access token: Session has expired."
	case 460:
		e.Message = "Error validating access token: The session has been invalidated."
	case 458:
		e.Message = "Error validating access token: The user has not authorized the application."
	default:
		e.Message = "Invalid OAuth access token - Cannot parse access token"
	}
	e.Rule = rules.SendAuth
	return e
}

func errOutsideWindow(rule string, legacy bool) *Error {
	if legacy {
		e := oauthErr(10, 2018065, "This message is sent outside of allowed window. You need page_messaging_subscriptions permission to be able to do it.")
		e.Rule, e.Assumed = rule, true
		return e
	}
	e := oauthErr(10, 2018278, "This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview")
	e.Rule = rule
	return e
}

func (s *Server) errParam(rule string, assumed bool, format string, args ...any) *Error {
	e := oauthErr(100, 0, format, args...)
	e.Rule, e.Status = rule, s.set().ErrorStatus
	e.Assumed = assumed || s.set().ErrorStatus != http.StatusBadRequest
	return e
}

func (s *Server) errNoUser() *Error {
	e := oauthErr(100, 2018001, "No matching user found")
	e.Status, e.Rule = s.set().ErrorStatus, rules.UserAvailable
	return e
}

func (s *Server) errUnavailable(st UserState) *Error {
	var e *Error
	switch st {
	case UserDeactivated:
		e = oauthErr(200, 1545041, "This person isn't available right now.")
	case UserUnreachable:
		e = oauthErr(10, 2018108, "This person isn't receiving messages from you right now.")
	default:
		e = oauthErr(551, 1545041, "This person isn't available right now.")
	}
	e.Status, e.Rule = s.set().ErrorStatus, rules.UserAvailable
	return e
}

func (s *Server) errAppNotLive() *Error {
	e := oauthErr(200, 2018028, "Cannot message users who are not admins, developers or testers of the app until pages_messaging permission is reviewed and the app is live.")
	e.Status, e.Rule = s.set().ErrorStatus, rules.UserAvailable
	return e
}

func (s *Server) errPermission(rule string, code int, format string, args ...any) *Error {
	e := oauthErr(code, 0, format, args...)
	e.Rule, e.Status, e.Assumed = rule, s.set().ErrorStatus, true
	return e
}

// errThrottle builds a rate-limit refusal; every one is transient.
func (s *Server) errThrottle(code int, msg string) *Error {
	sub := 0
	if code == 613 {
		sub = 2534040
	}
	e := oauthErr(code, sub, "%s", msg)
	e.Status, e.IsTransient, e.Rule, e.Assumed = s.set().ErrorStatus, true, rules.SendRate, true
	return e
}

func errUnsupported(method, path string) *Error {
	return &Error{
		Status:  http.StatusBadRequest,
		Message: fmt.Sprintf("Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", method, path),
		Type:    "GraphMethodException",
		Code:    100,
		Subcode: 33,
	}
}

// errControl is a control API refusal, shaped like a Graph error so one
// decoder reads both.
func errControl(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...), Type: "OTNSimException", Code: status}
}
