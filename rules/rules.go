// Package rules is the catalogue of OTN and messaging rules that otnsim
// judges bots by. Rule ids are stable: they appear in scenario files, reports
// and findings, and are never renumbered.
package rules

import (
	"fmt"
	"sort"
)

// Kind says who enforces a rule.
type Kind string

// Rule kinds.
const (
	// Platform rules are enforced by Meta: fakegraph refuses the call.
	Platform Kind = "platform"
	// Practice rules are good behaviour: the call succeeds but the bot misbehaved.
	Practice Kind = "practice"
	// Security rules concern how the bot treats webhooks.
	Security Kind = "security"
)

// Severity says how much a broken rule matters.
type Severity string

// Severities.
const (
	Failure Severity = "failure"
	Warning Severity = "warning"
	Info    Severity = "info"
)

// Rule is one entry of the catalogue.
type Rule struct {
	ID       string
	Kind     Kind
	Severity Severity
	Text     string // the rule in our words
	Source   string // where the rule comes from
	// Assumption says what a verdict of this rule takes for granted that
	// Meta does not document (fakegraph's switchable reading); empty when
	// the rule rests on documented facts only.
	Assumption string
}

// Rule ids.
const (
	ReqWindow     = "OTN-REQ-WINDOW"
	ReqFormat     = "OTN-REQ-FORMAT"
	TokenOnce     = "OTN-TOKEN-ONCE"
	TokenExpiry   = "OTN-TOKEN-EXPIRY"
	TokenScope    = "OTN-TOKEN-SCOPE"
	Region        = "OTN-REGION"
	Feature       = "OTN-FEATURE"
	Content       = "OTN-CONTENT"
	Win24h        = "WIN-24H"
	WinReopen     = "WIN-REOPEN"
	InWindowKeep  = "OTN-IN-WINDOW-KEEP"
	Idle          = "OTN-IDLE"
	TopicMatch    = "OTN-TOPIC-MATCH"
	ReqThrottle   = "OTN-REQ-THROTTLE"
	Multi         = "OTN-MULTI"
	HookSignature = "HOOK-SIGNATURE"
	HookVerify    = "HOOK-VERIFY"
	HookReplay    = "HOOK-REPLAY"
	SendAuth      = "SEND-AUTH"
	SendFormat    = "SEND-FORMAT"
	SendRate      = "SEND-RATE"
	UserAvailable = "USER-AVAILABLE"
	ReqSpam       = "OTN-REQ-SPAM"
	WinTag        = "WIN-TAG"
)

var catalogue = map[string]Rule{
	ReqWindow:     {ReqWindow, Platform, Failure, "an OTN request may only be sent inside the 24-hour window", "Messenger Platform docs: One-Time Notification", ""},
	ReqFormat:     {ReqFormat, Platform, Failure, "the request template needs a title of at most 65 characters and a payload", "Messenger Platform docs: One-Time Notification", ""},
	TokenOnce:     {TokenOnce, Platform, Failure, "a token delivers exactly one message; a second use is refused", "Messenger Platform docs: One-Time Notification", ""},
	TokenExpiry:   {TokenExpiry, Platform, Failure, "a token is valid for one year from the opt-in", "Messenger Platform docs: One-Time Notification", ""},
	TokenScope:    {TokenScope, Platform, Failure, "a token works only for the page that issued it", "Messenger Platform docs: One-Time Notification", ""},
	Region:        {Region, Platform, Failure, "OTN is unavailable where the page, an admin or the user is in Europe or Japan", "Messenger Platform changelog, Dec 2020 and Mar 2021", ""},
	Feature:       {Feature, Platform, Failure, "the page must have been granted the One-Time Notification feature", "Messenger Platform docs: Advanced Messaging", ""},
	Content:       {Content, Platform, Failure, "a notification is a single message of an allowed type", "Messenger Platform docs: One-Time Notification", ""},
	Win24h:        {Win24h, Platform, Failure, "outside the 24-hour window, no standard message without a token or an allowed tag", "Messenger Platform docs: Messaging Policy", ""},
	WinReopen:     {WinReopen, Platform, Info, "a user's reply reopens the 24-hour window", "Messenger Platform docs: Messaging Policy", ""},
	InWindowKeep:  {InWindowKeep, Practice, Warning, "inside the window, send normally and keep the token", "seed platforms' documented behaviour", ""},
	Idle:          {Idle, Practice, Warning, "do not interrupt: notify only after the subscriber has been idle (default 5 minutes)", "seed platforms' documented behaviour", ""},
	TopicMatch:    {TopicMatch, Practice, Failure, "a notification is sent only with a token of the same topic", "seed platforms' documented behaviour", ""},
	ReqThrottle:   {ReqThrottle, Practice, Warning, "no bursts of OTN requests to one subscriber", "Messenger Platform docs: One-Time Notification", ""},
	Multi:         {Multi, Platform, Info, "several tokens per subscriber (one per consent) are all usable, each once", "Messenger Platform docs: One-Time Notification", ""},
	HookSignature: {HookSignature, Security, Failure, "the bot rejects webhook events with a missing or wrong signature", "Messenger Platform docs: Webhooks", ""},
	HookVerify:    {HookVerify, Security, Failure, "the bot answers the verification handshake only with the right verify token", "Messenger Platform docs: Webhooks", ""},
	HookReplay:    {HookReplay, Security, Failure, "a replayed (duplicate) event is processed at most once", "Messenger Platform docs: Webhooks", ""},
	SendAuth:      {SendAuth, Platform, Failure, "every Graph call carries a valid page access token (and a matching appsecret_proof when given or required)", "Graph API docs: access tokens, securing requests", ""},
	SendFormat:    {SendFormat, Platform, Failure, "a Send API call is well formed: one recipient, a valid message or sender action, valid messaging_type and notification_type", "Messenger Platform docs: Send API reference", ""},
	SendRate:      {SendRate, Platform, Failure, "the page stays within the Send API rate limits (per second, per thread, per 24 hours)", "Messenger Platform docs: rate limiting", ""},
	UserAvailable: {UserAvailable, Platform, Failure, "messages go only to known users who can receive them (not blocked, not deactivated)", "Messenger Platform docs: Send API error codes", ""},
	ReqSpam:       {ReqSpam, Platform, Failure, "repeated OTN requests for the same topic to one user are refused as spam", "Messenger Platform docs: One-Time Notification (threshold assumed)", ""},
	WinTag:        {WinTag, Platform, Failure, "a MESSAGE_TAG send names a valid message tag (a tag used outside its limits, or a retired one, breaks WIN-24H)", "Messenger Platform docs: message tags", ""},
}

// assumptions are the undocumented facts rules rest on, by rule id.
var assumptions = map[string]string{
	TokenOnce:   "the error Meta answers for a token used a second time",
	TokenExpiry: "the error Meta answers for an expired token",
	TokenScope:  "the error Meta answers for a token of another page",
	ReqSpam:     "the spam guard's threshold (3 requests for one topic to one person in 24 hours) and its error",
	Region:      "the error Meta answers for an OTN call where the region rules apply",
	Feature:     "the error Meta answers for a page without the feature",
}

// Lookup returns the rule with the given id.
func Lookup(id string) (Rule, bool) {
	r, ok := catalogue[id]
	r.Assumption = assumptions[id]
	return r, ok
}

// All returns the whole catalogue sorted by id.
func All() []Rule {
	out := make([]Rule, 0, len(catalogue))
	for id := range catalogue {
		r, _ := Lookup(id)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// IDs returns every rule id, sorted.
func IDs() []string {
	all := All()
	ids := make([]string, len(all))
	for i, r := range all {
		ids[i] = r.ID
	}
	return ids
}

// ParseSeverity reads a --fail-on level: failure, warning or info.
func ParseSeverity(s string) (Severity, error) {
	switch v := Severity(s); v {
	case Failure, Warning, Info:
		return v, nil
	}
	return "", fmt.Errorf("severity %q: want failure, warning or info", s)
}

// rank orders severities: info 0, warning 1, failure 2 (and anything else).
func rank(s Severity) int {
	switch s {
	case Info:
		return 0
	case Warning:
		return 1
	}
	return 2
}

// AtLeast reports whether s is as severe as min or more: with min warning,
// warnings and failures are, infos are not.
func AtLeast(s, min Severity) bool { return rank(s) >= rank(min) }

// SeverityOf returns the severity of rule id; an id outside the catalogue
// counts as a failure.
func SeverityOf(id string) Severity {
	if r, ok := Lookup(id); ok {
		return r.Severity
	}
	return Failure
}
