package reference

import (
	"time"

	"github.com/otnsim/otnsim/platform"
)

// Policy is the bot's switchable behaviour.
//
// The yaml tags are the knob names in scenario files (bot.policy) and in
// `otnsim bot --config`; scenario files decode them generically, so a new
// field with a tag is usable there at once. A zero Policy turns every guard
// off; DefaultPolicy and PresetPolicy give the platform styles.
type Policy struct {
	// IdleAfter delays a notification until the subscriber has been idle
	// this long (the OTN-IDLE practice); until then it shows as still
	// sending. Zero disables the guard.
	IdleAfter time.Duration `yaml:"idle_after"`
	// SpendTokenInWindow spends a token even when the window is open,
	// instead of sending a normal message and keeping it.
	SpendTokenInWindow bool `yaml:"spend_token_in_window"`
	// FlowAskAfter is how long after a flow finishes its opt-in request is
	// sent, for flows that do not set their own ask_after. The request goes
	// out only if the window is still open then.
	FlowAskAfter time.Duration `yaml:"flow_ask_after"`
	// Throttle limits OTN requests to one subscriber.
	Throttle Throttle `yaml:"throttle"`
	// Retry says how transient Graph errors are retried.
	Retry Retry `yaml:"retry"`
	// Regions says where OTN must not be used.
	Regions Regions `yaml:"regions"`
	// SendRate paces scheduled sends (broadcasts, campaigns, notifications)
	// under Meta's Send API limits. A zero PerSecond switches pacing off,
	// a misbehaviour: a large broadcast then meets SEND-RATE refusals.
	SendRate SendRate `yaml:"send_rate"`
	// Analytics tunes the bot's counters and revenue attribution.
	Analytics Analytics `yaml:"analytics"`

	// AppSecretProof sends appsecret_proof (the HMAC-SHA256 of the page
	// access token under the app secret) with every Graph API call, as an
	// app with "Require App Secret" on must.
	AppSecretProof bool `yaml:"appsecret_proof"`

	// Misbehaviours, for scenarios that show otnsim catching a bad bot.

	// AskOutsideWindow sends OTN requests even when the window is closed.
	AskOutsideWindow bool `yaml:"ask_outside_window"`
	// ReuseSpentTokens keeps a token after using it, so it is used again.
	ReuseSpentTokens bool `yaml:"reuse_spent_tokens"`
	// UseExpiredTokens keeps tokens past their one-year expiry.
	UseExpiredTokens bool `yaml:"use_expired_tokens"`
	// SkipSignatureCheck accepts webhook events without checking X-Hub-Signature-256.
	SkipSignatureCheck bool `yaml:"skip_signature_check"`
	// UseAnyTopicToken spends a subscriber's token of any topic on a
	// notification when they hold none of its own topic (OTN-TOPIC-MATCH).
	UseAnyTopicToken bool `yaml:"use_any_topic_token"`
	// IgnoreRecurringCooldown sends recurring notifications (recurring.notify)
	// without waiting out the cooldown between two messages with one token
	// (RN-TOKEN-COOLDOWN).
	IgnoreRecurringCooldown bool `yaml:"ignore_recurring_cooldown"`
}

// Throttle limits OTN requests to one subscriber, since Meta penalises
// pages that pester people. Zero values switch a limit off.
type Throttle struct {
	// PerTopic is the least time between two requests for the same topic
	// to the same subscriber.
	PerTopic time.Duration `yaml:"per_topic"`
	// PerDay is the most requests (all topics) to one subscriber in any
	// 24 hours.
	PerDay int `yaml:"per_day"`
}

// Retry is the back-off for transient Graph errors (codes 1, 2, 4, 32,
// 613, 1200 and HTTP 5xx with an error envelope). Permanent errors are never
// retried, and a call whose outcome is unknown (timeout, lost response) is
// never repeated. A rate-limit refusal (codes 4, 17, 32, 613 other than
// 613/2018338) is retried on the same back-off but never gives up: it does
// not count towards MaxAttempts, and the wait is capped at MaxBackoff (one
// hour when that is 0).
type Retry struct {
	// MaxAttempts is the most calls made for one delivery, rate-limit
	// refusals not counted; 0 or 1 means no retry.
	MaxAttempts int `yaml:"max_attempts"`
	// Backoff is the wait before the first retry; it doubles on each one.
	Backoff time.Duration `yaml:"backoff"`
	// MaxBackoff caps the wait between two attempts (0: no cap).
	MaxBackoff time.Duration `yaml:"max_backoff"`
}

// SendRate is how fast the bot sends scheduled work, counted over any one
// second of virtual time (a sliding window). Meta allows a page 300 calls a
// second and 10 for audio and video; the defaults stay under both. Replies
// to a subscriber are never held back, but they count.
type SendRate struct {
	// PerSecond is the most Send API calls in any second (0: no pacing).
	PerSecond int `yaml:"per_second"`
	// MediaPerSecond is the most audio and video sends in any second
	// (0: only PerSecond applies).
	MediaPerSecond int `yaml:"media_per_second"`
}

// Regions says where the bot must not ask for or send OTN: Meta switched
// the feature off for pages located in, with admins in, or talking to users
// in Europe and Japan.
type Regions struct {
	// PageAffected is the page's own flag (subject_to_new_eu_privacy_rules).
	PageAffected bool `yaml:"page_affected"`
	// CheckPageFlag asks the Graph API for that flag once, before the first
	// OTN call; an unreadable answer counts as "not affected".
	CheckPageFlag bool `yaml:"check_page_flag"`
	// AdminCountries are the countries of the page's admins (ISO codes).
	AdminCountries []string `yaml:"admin_countries"`
	// Affected lists the affected countries; nil means AffectedCountries().
	Affected []string `yaml:"affected"`
}

// Analytics tunes counters and revenue attribution.
type Analytics struct {
	// AttributionWindow is how long after a notification a purchase is
	// credited to it (0: one week).
	AttributionWindow time.Duration `yaml:"attribution_window"`
	// Timezone is the IANA zone the daily counters are kept in ("" = UTC).
	Timezone string `yaml:"timezone"`
}

// AffectedCountries are the countries the bot treats as having lost OTN:
// Meta's lists (platform.Europe, the EEA; platform.Japan) and, to be safe,
// the United Kingdom and Switzerland. Each call returns a fresh slice.
func AffectedCountries() []string {
	out := append(platform.Europe(), "GB", "CH")
	return append(out, platform.Japan()...)
}

// DefaultPolicy is the careful behaviour: a 5-minute idle guard, tokens kept
// while the window is open, at most three requests to one subscriber in any
// 24 hours, retries with back-off, regions respected, sends paced at 250 a
// second (8 for audio and video), no misbehaviour.
func DefaultPolicy() Policy {
	return Policy{
		IdleAfter: 5 * time.Minute,
		Throttle:  Throttle{PerDay: 3},
		Retry:     Retry{MaxAttempts: 5, Backoff: 30 * time.Second, MaxBackoff: time.Hour},
		Regions:   Regions{CheckPageFlag: true},
		SendRate:  SendRate{PerSecond: 250, MediaPerSecond: 8},
		Analytics: Analytics{AttributionWindow: 7 * 24 * time.Hour},
	}
}

// Setup is the bot's behaviour as a scenario file gives it under "bot:"
// (or `otnsim bot --config`). The yaml tags are the field names there.
type Setup struct {
	// Preset names the policy to start from (see PresetPolicy); empty means "careful".
	Preset string `yaml:"preset"`
	// Policy is the behaviour, Preset's values overridden by what is set.
	Policy Policy `yaml:"policy"`
	// Products is the shop's catalogue; nil means DefaultCatalogue.
	Products []Product `yaml:"products"`
	// OptIns are the opt-in definitions the bot asks with.
	OptIns []OptIn `yaml:"opt_ins"`
	// Flows are conversation flows that end by asking for an opt-in.
	Flows []Flow `yaml:"flows"`
	// Campaigns are notifications created when the bot starts.
	Campaigns []Campaign `yaml:"campaigns"`
}

// OptIn is an opt-in definition: what the bot asks a subscriber to be
// notified about.
type OptIn struct {
	// Name is internal; the subscriber never sees it.
	Name string `yaml:"name" json:"name"`
	// Title is shown in the request (at most 65 characters).
	Title string `yaml:"title" json:"title"`
	// Confirmation is sent after the tap, while the window is open ("" = none).
	Confirmation string `yaml:"confirmation" json:"confirmation"`
	// Topic is the request's payload; a notification must use exactly the
	// same string (case and punctuation) to spend the token.
	Topic string `yaml:"topic" json:"topic"`
	// Keywords ask for this opt-in when a message contains one (any case).
	Keywords []string `yaml:"keywords" json:"keywords"`
	// Payloads ask for this opt-in when a quick reply or button with one of
	// these payloads is tapped.
	Payloads []string `yaml:"payloads" json:"payloads"`
}

// Flow is a short scripted conversation that ends by asking for an opt-in.
type Flow struct {
	Name string `yaml:"name" json:"name"`
	// Keyword starts the flow when a message contains it (any case).
	Keyword string `yaml:"keyword" json:"keyword"`
	// Messages are sent in order when the flow runs; the flow then ends.
	Messages []string `yaml:"messages" json:"messages"`
	// Ask names the opt-in requested once the flow ends.
	Ask string `yaml:"ask" json:"ask"`
	// AskAfter is the wait between the end of the flow and the request;
	// nil means Policy.FlowAskAfter.
	AskAfter *time.Duration `yaml:"ask_after" json:"ask_after"`
}

// Product is an item of the shop the bot sells for.
type Product struct {
	Slug    string `yaml:"slug"` // used in topics: restock:<slug>
	Name    string `yaml:"name"`
	InStock bool   `yaml:"in_stock"`
}

// DefaultCatalogue is the small shop the reference bot runs when none is given.
func DefaultCatalogue() []Product {
	return []Product{
		{Slug: "red-lipstick", Name: "Red Lipstick", InStock: false},
		{Slug: "silk-scarf", Name: "Silk Scarf", InStock: false},
		{Slug: "canvas-tote", Name: "Canvas Tote", InStock: true},
	}
}
