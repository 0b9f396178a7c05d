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
	// Fix says, in a sentence or two, what a bot that fails the rule
	// usually does wrong and what to do instead.
	Fix string
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

	// The successor of OTN: recurring notifications (notification_messages).
	RNReqWindow = "RN-REQ-WINDOW"
	RNReqFormat = "RN-REQ-FORMAT"
	RNReqRepeat = "RN-REQ-REPEAT"
	RNCooldown  = "RN-TOKEN-COOLDOWN"
	RNStopped   = "RN-TOKEN-STOPPED"
	RNTokenOK   = "RN-TOKEN-VALID"
	RNEra       = "RN-ERA"
)

var catalogue = map[string]Rule{
	ReqWindow:     {ReqWindow, Platform, Failure, "an OTN request may only be sent inside the 24-hour window", "Messenger Platform docs: One-Time Notification", "", ""},
	ReqFormat:     {ReqFormat, Platform, Failure, "the request template needs a title of at most 65 characters and a payload", "Messenger Platform docs: One-Time Notification", "", ""},
	TokenOnce:     {TokenOnce, Platform, Failure, "a token delivers exactly one message; a second use is refused", "Messenger Platform docs: One-Time Notification", "", ""},
	TokenExpiry:   {TokenExpiry, Platform, Failure, "a token is valid for one year from the opt-in", "Messenger Platform docs: One-Time Notification", "", ""},
	TokenScope:    {TokenScope, Platform, Failure, "a token works only for the page that issued it", "Messenger Platform docs: One-Time Notification", "", ""},
	Region:        {Region, Platform, Failure, "OTN is unavailable where the page, an admin or the user is in Europe or Japan", "Messenger Platform changelog, Dec 2020 and Mar 2021", "", ""},
	Feature:       {Feature, Platform, Failure, "the page must have been granted the One-Time Notification feature", "Messenger Platform docs: Advanced Messaging", "", ""},
	Content:       {Content, Platform, Failure, "a notification is a single message of an allowed type", "Messenger Platform docs: One-Time Notification", "", ""},
	Win24h:        {Win24h, Platform, Failure, "outside the 24-hour window, no standard message without a token or an allowed tag", "Messenger Platform docs: Messaging Policy", "", ""},
	WinReopen:     {WinReopen, Platform, Info, "a user's reply reopens the 24-hour window", "Messenger Platform docs: Messaging Policy", "", ""},
	InWindowKeep:  {InWindowKeep, Practice, Warning, "inside the window, send normally and keep the token", "seed platforms' documented behaviour", "", ""},
	Idle:          {Idle, Practice, Warning, "do not interrupt: notify only after the subscriber has been idle (default 5 minutes)", "seed platforms' documented behaviour", "", ""},
	TopicMatch:    {TopicMatch, Practice, Failure, "a notification is sent only with a token of the same topic", "seed platforms' documented behaviour", "", ""},
	ReqThrottle:   {ReqThrottle, Practice, Warning, "no bursts of OTN requests to one subscriber", "Messenger Platform docs: One-Time Notification", "", ""},
	Multi:         {Multi, Platform, Info, "several tokens per subscriber (one per consent) are all usable, each once", "Messenger Platform docs: One-Time Notification", "", ""},
	HookSignature: {HookSignature, Security, Failure, "the bot rejects webhook events with a missing or wrong signature", "Messenger Platform docs: Webhooks", "", ""},
	HookVerify:    {HookVerify, Security, Failure, "the bot answers the verification handshake only with the right verify token", "Messenger Platform docs: Webhooks", "", ""},
	HookReplay:    {HookReplay, Security, Failure, "a replayed (duplicate) event is processed at most once", "Messenger Platform docs: Webhooks", "", ""},
	SendAuth:      {SendAuth, Platform, Failure, "every Graph call carries a valid page access token (and a matching appsecret_proof when given or required)", "Graph API docs: access tokens, securing requests", "", ""},
	SendFormat:    {SendFormat, Platform, Failure, "a Send API call is well formed: one recipient, a valid message or sender action, valid messaging_type and notification_type", "Messenger Platform docs: Send API reference", "", ""},
	SendRate:      {SendRate, Platform, Failure, "the page stays within the Send API rate limits (per second, per thread, per 24 hours)", "Messenger Platform docs: rate limiting", "", ""},
	UserAvailable: {UserAvailable, Platform, Failure, "messages go only to known users who can receive them (not blocked, not deactivated)", "Messenger Platform docs: Send API error codes", "", ""},
	ReqSpam:       {ReqSpam, Platform, Failure, "repeated OTN requests for the same topic to one user are refused as spam", "Messenger Platform docs: One-Time Notification (threshold assumed)", "", ""},
	WinTag:        {WinTag, Platform, Failure, "a MESSAGE_TAG send names a valid message tag (a tag used outside its limits, or a retired one, breaks WIN-24H)", "Messenger Platform docs: message tags", "", ""},
	RNReqWindow:   {RNReqWindow, Platform, Failure, "a recurring notifications request (notification_messages) may only be sent inside the 24-hour window", "Messenger Platform docs: Recurring Notifications", "", ""},
	RNReqFormat:   {RNReqFormat, Platform, Failure, "the notification_messages template has a payload, a title of at most 65 characters, and only the documented CTA texts and frequencies", "Messenger Platform docs: Recurring Notifications", "", ""},
	RNReqRepeat:   {RNReqRepeat, Platform, Failure, "one notification_messages request with the same title to one person a week (613/1893016), and not too many requests (9/2018352)", "Messenger Platform docs: Recurring Notifications", "", ""},
	RNCooldown:    {RNCooldown, Platform, Failure, "one message per recurring notifications token every 24 hours (48 hours from 2025-09-01), besides up to three follow-ups within two minutes of the opt-in", "Messenger Platform docs: Recurring Notifications", "", ""},
	RNStopped:     {RNStopped, Platform, Failure, "no message with the token of a person who stopped the notifications (10/1893015)", "Messenger Platform docs: Recurring Notifications", "", ""},
	RNTokenOK:     {RNTokenOK, Platform, Failure, "a notification_messages_token must be one the page was given and not expired (100)", "Messenger Platform docs: Recurring Notifications", "", ""},
	RNEra:         {RNEra, Platform, Failure, "recurring notifications are deprecated from 2026-02-10 in favour of the ads-based Marketing Messages API", "Messenger Platform changelog: Marketing Messages", "", ""},
}

// assumptions are the undocumented facts rules rest on, by rule id.
var assumptions = map[string]string{
	TokenOnce:   "the error Meta answers for a token used a second time",
	TokenExpiry: "the error Meta answers for an expired token",
	TokenScope:  "the error Meta answers for a token of another page",
	ReqSpam:     "the spam guard's threshold (3 requests for one topic to one person in 24 hours) and its error",
	Region:      "the error Meta answers for an OTN call where the region rules apply",
	Feature:     "the error Meta answers for a page without the feature",
	SendRate:    "the per-thread limit (20 calls a second; Meta says only that a single thread may be rate limited) and the codes of every throttle",
	RNReqRepeat: "how many notification_messages requests to one person in a week are too many (default 5)",
	RNTokenOK:   "the lifetime of a token created after February 2023 (default one year)",
	RNEra:       "what Meta answers after the deprecation (default: code 12, the API is deprecated)",
}

// fixes say how to mend a failure of each rule.
var fixes = map[string]string{
	ReqWindow:     "Send the one_time_notif_req template only while the subscriber's 24-hour window is open: keep the time of their last message, postback, quick reply or reaction, and compare with < 24h, not <=.",
	ReqFormat:     "Keep the request's title to 65 characters (Unicode code points) and always give a payload; when a title is longer, skip the request rather than truncate it.",
	TokenOnce:     "Delete a token (or mark it spent) as soon as a send with it succeeds, before anything else can reuse it; after a lost answer, do not send again with the same token.",
	TokenExpiry:   "Store each token's opt-in time and drop it one year later: a token is valid strictly before issued + 365 days.",
	TokenScope:    "Use the one_time_notif_token exactly as the messaging_optins webhook gave it, for the page that received it: no truncation, no re-encoding, no sharing between pages.",
	Region:        "After Meta answers code 10 for OTN in a subscriber's thread, mark that subscriber and never request or send OTN to them again; check the page's own flag (subject_to_new_eu_privacy_rules) before any OTN.",
	Feature:       "A permission error for OTN (code 10) on a page without the feature is permanent: stop sending OTN requests for the page instead of retrying.",
	Content:       "Send one notification as one message with the token: put the text and a single attachment or template in the same message, never two sends with one token.",
	Win24h:        "Outside the 24-hour window send nothing standard: use a token you hold (a notification) or nothing; a MESSAGE_TAG only for its allowed purposes and limits.",
	WinReopen:     "Treat every message, postback, quick reply or reaction as reopening the 24-hour window, including one that follows a notification.",
	InWindowKeep:  "When the subscriber's window is open, answer with a normal message and keep the token for later, when the window is closed.",
	Idle:          "Hold a notification until the subscriber has been quiet for the idle period (5 minutes by default, from the webhook's millisecond timestamp), then send it on a later tick.",
	TopicMatch:    "Spend only a token whose topic (the request's payload) equals the notified topic exactly, case included; with none held, send nothing.",
	ReqThrottle:   "Cap OTN requests per subscriber (at most 3 in any 24 hours, counting only requests Meta accepted).",
	Multi:         "Keep every token a subscriber gives you, one list per topic, and spend each once: a new opt-in must not replace the tokens of other topics.",
	HookSignature: "Verify X-Hub-Signature-256 as an HMAC-SHA256 of the raw request bytes with the app secret, compared in constant time over the whole digest; refuse a missing, empty or short signature, and do not rely on the SHA-1 header alone.",
	HookVerify:    "Answer the subscription handshake with hub.challenge only when hub.verify_token equals your verify token; answer 403 otherwise.",
	HookReplay:    "Deduplicate webhook events (for example by message mid, or the opt-in's token) and process each at most once, since Meta retries deliveries.",
	SendAuth:      "Send every Graph call with the current page access token (and a matching appsecret_proof when you send one or the app requires it).",
	SendFormat:    "Build Send API bodies with exactly one recipient, a valid message or sender_action, and a messaging_type (RESPONSE, UPDATE or MESSAGE_TAG).",
	SendRate:      "Pace sends: stay under the page's calls per second and the per-thread limits; spread large campaigns over time and back off on 613.",
	UserAvailable: "After Meta answers 551 (or another 'cannot be reached' error) for a subscriber, send them nothing until they write again; forget PSIDs Meta does not know.",
	ReqSpam:       "Do not ask the same subscriber for the same topic again and again: once asked (and not tapped), wait at least a day before asking that topic again.",
	WinTag:        "Use MESSAGE_TAG only with a valid, current tag name (HUMAN_AGENT, or CUSTOMER_FEEDBACK with the Customer Feedback template only), and never to get around the window.",
	RNReqWindow:   "Send the notification_messages request only while the person's 24-hour window is open, like any standard message.",
	RNReqFormat:   "Give the notification_messages template a payload, a title of at most 65 characters, and only ALLOW, GET, GET_UPDATES, OPT_IN or SIGN_UP as the CTA text.",
	RNReqRepeat:   "Remember when you last asked each person for each title and ask again only after a week; keep the number of different requests small.",
	RNCooldown:    "Keep, for each token, the time of its last message and send again only after the cooldown (48 hours since 2025-09-01); follow-ups right after the opt-in are exempt only within two minutes and up to three.",
	RNStopped:     "On a notification_messages_status STOP webhook, mark the token stopped and send nothing with it until a RESUME webhook.",
	RNTokenOK:     "Use the notification_messages_token exactly as the opt-in webhook gave it, and drop it at its token_expiry_timestamp.",
	RNEra:         "After 2026-02-10 stop using recurring notifications: move to the Marketing Messages API.",
}

// Lookup returns the rule with the given id.
func Lookup(id string) (Rule, bool) {
	r, ok := catalogue[id]
	r.Assumption = assumptions[id]
	r.Fix = fixes[id]
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
