package fakegraph

import (
	"encoding/json"
	"fmt"
	"net/http"
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
	return &Error{
		Status:  http.StatusBadRequest,
		Message: fmt.Sprintf("(#%d) ", code) + fmt.Sprintf(format, args...),
		Type:    "OAuthException",
		Code:    code,
		Subcode: subcode,
	}
}

// Error constructors for the codes in the facts sheet.

func errInvalidToken() *Error {
	e := oauthErr(190, 0, "Invalid OAuth access token - Cannot parse access token")
	e.Message = "Invalid OAuth access token - Cannot parse access token"
	return e
}

func errOutsideWindow(rule string) *Error {
	e := oauthErr(10, 2018278, "This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview")
	e.Rule = rule
	return e
}

func errInvalidParam(rule, format string, args ...any) *Error {
	e := oauthErr(100, 0, format, args...)
	e.Rule = rule
	return e
}

func errNoUser() *Error {
	return oauthErr(100, 2018001, "No matching user found")
}

func errUnavailable() *Error {
	return oauthErr(551, 1545041, "This person isn't available right now.")
}

func errPermission(rule, format string, args ...any) *Error {
	e := oauthErr(10, 0, format, args...)
	e.Rule = rule
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
