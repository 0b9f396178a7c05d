package scenarios

import (
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/reference"
)

// FormatVersion is the version of the scenario file format this package reads.
const FormatVersion = 1

// Scenario is one parsed scenario file, or one case of a table scenario.
type Scenario struct {
	File        string
	Name        string // for a case: "name [case]"
	Case        string // the case's name, for a case of a table scenario
	Description string
	Tags        []string
	Seed        int64
	Start       time.Time // zero means the simulator's default
	World       WorldSpec
	Bot         reference.Setup  // the reference bot's preset, policy and shop
	Checks      findings.Options // thresholds of the practice rules
	Subscribers []SubscriberSpec
	Steps       []Step
	// Cases holds the expanded cases of a table scenario (a file with
	// "cases:"); each is a whole Scenario. Load runs the cases, not the table.
	Cases []*Scenario
}

// Expand returns the scenarios to run for sc: its cases, or sc itself.
func (sc *Scenario) Expand() []*Scenario {
	if len(sc.Cases) > 0 {
		return sc.Cases
	}
	return []*Scenario{sc}
}

// WorldSpec is the platform side of a scenario: the page and Meta's settings.
type WorldSpec struct {
	// PageCountry is the page's country (ISO 3166-1 alpha-2); empty means
	// fakegraph's default.
	PageCountry string
	// AdminCountries are the countries of the page's admins.
	AdminCountries []string
	// OTNPermission says whether the page holds the One-Time Notification feature.
	OTNPermission bool
	// PlatformDate is the date Meta's rules are taken as of (retired tags,
	// regional changes); zero means the virtual clock's date.
	PlatformDate time.Time
	// Settings are fakegraph's fidelity settings: fakegraph.DefaultSettings()
	// with the file's overrides (world.settings, by fakegraph.Settings' yaml
	// names) decoded over them.
	Settings fakegraph.Settings
}

// SubscriberSpec declares one subscriber; gofakeit fills what is left empty.
type SubscriberSpec struct {
	Pos      Pos
	Alias    string
	Name     string
	Region   string
	Locale   string
	Timezone *float64
	// Zone is an IANA time zone of the subscriber's country, given as
	// timezone: Europe/Berlin; empty means the country's main zone.
	Zone string
	// UserRef is the checkbox plugin's reference the page may send to
	// instead of the PSID (a send step's user_ref).
	UserRef   string
	Generated bool // made by a "generate:" entry
}

// StepKind names what a step does.
type StepKind string

// Step kinds.
const (
	StepSay        StepKind = "say"
	StepReply      StepKind = "reply"
	StepQuickReply StepKind = "quick_reply"
	StepPostback   StepKind = "postback"
	StepNotifyMe   StepKind = "notify_me"
	StepReact      StepKind = "react"
	StepBlock      StepKind = "block"
	StepUnblock    StepKind = "unblock"
	StepAdvance    StepKind = "advance"
	StepAt         StepKind = "at"
	StepTrigger    StepKind = "trigger"
	StepFault      StepKind = "fault"
	StepSend       StepKind = "send"
	StepExpect     StepKind = "expect"
	StepRepeat     StepKind = "repeat" // expanded while parsing; never run
	// StepReferral is an ad click-through or another referral.
	StepReferral StepKind = "referral"
	// The successor of OTN: recurring notifications.
	StepRecurringOptIn  StepKind = "recurring_opt_in"
	StepRecurringStop   StepKind = "recurring_stop"
	StepRecurringResume StepKind = "recurring_resume"
)

var stepKinds = []string{
	string(StepSay), string(StepReply), string(StepQuickReply), string(StepPostback), string(StepNotifyMe),
	string(StepReact), string(StepBlock), string(StepUnblock), string(StepAdvance), string(StepAt),
	string(StepTrigger), string(StepFault), string(StepSend), string(StepExpect), string(StepRepeat),
	string(StepReferral), string(StepRecurringOptIn), string(StepRecurringStop), string(StepRecurringResume),
}

// StepKinds returns every step name a scenario may use.
func StepKinds() []string { return append([]string(nil), stepKinds...) }

// Step is one line of a scenario's story.
type Step struct {
	Pos  Pos
	Kind StepKind

	Who     string // subscriber alias
	Text    string // say, reply, quick_reply
	Topic   string // notify_me
	Title   string // postback
	Payload string // postback, quick_reply
	Emoji   string // react
	Ref     string // referral: the link's or ad's ref
	Source  string // referral: ADS, SHORTLINK, ...
	AdID    string // referral: the Click-to-Messenger ad

	Duration time.Duration // advance
	At       time.Time     // at (absolute)
	AtOffset time.Duration // at: +DURATION, from the scenario's start
	Relative bool          // at is relative to the start

	Trigger string         // trigger name
	Data    map[string]any // trigger data; with Who set, data.psid is their PSID

	Fault *FaultSpec // fault
	Send  *SendSpec  // send

	Expect []Expectation // expect
}

// FaultSpec arms a fault in fakegraph: the next matching Send API calls fail.
type FaultSpec struct {
	Name        string
	Kind        string // graph_error, http_5xx, latency, drop, lost_response; inferred when empty
	Code        int
	Subcode     int
	Status      int           // HTTP status; 0 means the Graph error's usual one
	Times       int           // how many matching calls fail (default 1); -1 means every one
	Who         string        // only calls to this subscriber
	Stage       string        // before (the call has no effect) or after (it took effect, the answer is lost)
	Probability float64       // chance each matching call fails; 1 means always
	Latency     time.Duration // delay before answering
}

// FaultKinds are the kinds of fault a scenario can arm.
var faultKinds = []string{
	string(fakegraph.FaultGraphError), string(fakegraph.FaultHTTP5xx), string(fakegraph.FaultLatency),
	string(fakegraph.FaultDrop), string(fakegraph.FaultLostResponse),
}

// SendSpec is a Send API call the harness makes itself, playing a careless bot.
type SendSpec struct {
	To           string // alias, for recipient.id
	UserRefOf    string // alias whose user_ref to send to (recipient.user_ref)
	UserRefValue string // a literal user_ref (one no subscriber has)
	// Response, when set, is what the step expects of the Send API's
	// answer: "omitted" or "included" for its recipient_id.
	Response      string
	TokenOf       string // alias whose token to use
	TokenTopic    string
	TokenNth      int    // 1 = first token issued to them for the topic; 0 = latest
	TokenValue    string // a literal token value (one this page never issued)
	MessagingType string // "none" leaves the field out
	AccessToken   string // the page token presented; empty means the page's own
	Tag           string
	Text          string
	OTNRequest    bool // send an OTN request (OTNTitle, OTNTopic) instead of Text
	OTNTitle      string
	OTNTopic      string
	// RecurringOf is the alias whose recurring notifications token to use
	// (RecurringTopic picks it by its request's payload; default the latest).
	RecurringOf    string
	RecurringTopic string
	// RecurringRequest sends the notification_messages template (Title,
	// Topic as its payload, Timezone) instead of Text.
	RecurringRequest *RecurringRequestSpec
	// Template is a template payload sent as the message's attachment
	// (template_type and its fields), instead of Text.
	Template map[string]any
	// Attachment is a media attachment {type, url} sent instead of Text.
	Attachment map[string]any
	// QuickReplies are sent with Text: each {title, payload}.
	QuickReplies []map[string]any
	// Encoding is how Text is encoded: "utf-8" (default) or "latin1",
	// playing a bot that sends ISO 8859-1 bytes.
	Encoding string
}

// RecurringRequestSpec is a notification_messages request a send step makes.
type RecurringRequestSpec struct {
	Title    string // empty: Meta's default title
	Topic    string
	Timezone string
}

// ExpectKind names what an expectation checks.
type ExpectKind string

// Expectation kinds.
const (
	ExpectTokens    ExpectKind = "tokens"
	ExpectDelivered ExpectKind = "delivered"
	ExpectErrors    ExpectKind = "errors"
	ExpectWindow    ExpectKind = "window"
	ExpectFindings  ExpectKind = "findings"
	// ExpectRecurring counts recurring notifications tokens.
	ExpectRecurring ExpectKind = "recurring"
)

var expectKinds = []string{string(ExpectTokens), string(ExpectDelivered), string(ExpectErrors), string(ExpectWindow), string(ExpectFindings), string(ExpectRecurring)}

// Expectation is one check against the ledger. Counts holds the fields the
// file set; unset fields are not checked.
type Expectation struct {
	Pos    Pos
	Kind   ExpectKind
	Who    string
	Topic  string
	Via    string // delivered: id (alias normal), token, tag
	What   string // delivered: message, otn_request
	Code   int    // errors
	Sub    int    // errors: error_subcode
	Rule   string // errors, findings: counted; every kind: the rule a failure fails
	Open   *bool  // window
	Zone   string // recurring: the tokens' notification_messages_timezone
	Counts map[string]int
}
