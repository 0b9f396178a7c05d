package fakegraph

import (
	"net/http"
	"time"

	"github.com/otnsim/otnsim/platform"
)

// Settings are fakegraph's fidelity settings. Every fact of the facts sheet
// marked [assumed] is one named field here with a documented default; a
// verdict that rests on one of them is recorded with Call.Assumed set.
// DefaultSettings returns the defaults; a zero Settings in Config means them.
type Settings struct {
	// PlatformDate is the date the simulated platform lives at: it selects the
	// era for tag retirement and the region rules. Zero means the clock's now.
	PlatformDate time.Time `yaml:"platform_date"`

	// RecipientIDOnTokenSend says whether a successful token send answers
	// recipient_id. [assumed] Default true.
	RecipientIDOnTokenSend bool `yaml:"recipient_id_on_token_send"`
	// MessagingTypeOnTokenSend says whether a token send must carry
	// messaging_type. [assumed] Default false (accepted when missing).
	MessagingTypeOnTokenSend bool `yaml:"messaging_type_on_token_send"`
	// MessagingTypeOnRequest says whether an OTN request must carry
	// messaging_type like any standard send. [assumed] Default true.
	MessagingTypeOnRequest bool `yaml:"messaging_type_on_request"`
	// TokenRichContent lets a token carry one template or attachment message,
	// not only text. [assumed] Default true.
	TokenRichContent bool `yaml:"token_rich_content"`
	// TokenErrorCode is the code for a reused, expired, foreign or malformed
	// token. [assumed] Default 100, no subcode, HTTP 400.
	TokenErrorCode int `yaml:"token_error_code"`
	// PermissionErrorCode is the code when a page without the OTN feature
	// sends a request or a token. [assumed] Default 10.
	PermissionErrorCode int `yaml:"permission_error_code"`
	// ErrorStatus is the HTTP status of every refusal but the window error
	// (which is 400, verified). [assumed] Default 400.
	ErrorStatus int `yaml:"error_status"`
	// TokenLength is the number of random bytes in a token before URL-safe
	// base64 encoding. [assumed] Default 48 (64 characters).
	TokenLength int `yaml:"token_length"`
	// MaxRequestPayloadRunes is the longest OTN request payload. [assumed] Default 1000.
	MaxRequestPayloadRunes int `yaml:"max_request_payload_runes"`
	// RequestOnlyTitlePayload refuses OTN request payload keys other than
	// template_type, title and payload. [assumed] Default true, code 100.
	RequestOnlyTitlePayload bool `yaml:"request_only_title_payload"`

	// RequestSpamLimit is how many OTN requests with the same payload one user
	// may get within RequestSpamWindow before Meta's spam guard refuses more.
	// [assumed] Default 3 per 24h; 0 turns the guard off.
	RequestSpamLimit int `yaml:"request_spam_limit"`
	// RequestSpamWindow is the span the spam guard counts over. [assumed] Default 24h.
	RequestSpamWindow time.Duration `yaml:"request_spam_window"`
	// RequestSpamSubcode is the subcode of the spam guard's code 613.
	// [assumed] Default 2018338 (bothersome or abusive sending).
	RequestSpamSubcode int `yaml:"request_spam_subcode"`

	// TokenLifetime is how long an OTN token lives after its opt-in. Meta
	// says "one year"; whether that is 365 days or the same calendar date
	// a year on is [assumed]. Default 365d.
	TokenLifetime time.Duration `yaml:"token_lifetime"`
	// TokenCalendarYear reads "one year" as the same calendar date and time
	// a year after the opt-in (366 days across a 29 February; an opt-in on
	// 29 February lasts until 1 March) instead of TokenLifetime. [assumed]
	// Default false.
	TokenCalendarYear bool `yaml:"token_calendar_year"`
	// RequireAppSecretProof refuses every Graph call without a matching
	// appsecret_proof (code 100), as an app with "Require App Secret" on
	// does; it adds to the page's own Page.RequireAppSecretProof. Default false.
	RequireAppSecretProof bool `yaml:"require_appsecret_proof"`
	// AdWindow is how long the standard window lasts after the first
	// message a person sends after a Click-to-Messenger ad, from
	// AdWindowFrom (Meta's policy of 2026-09-28). Default 7d.
	AdWindow time.Duration `yaml:"ad_window"`
	// AdWindowFrom is when the Click-to-Messenger window took effect.
	// Default platform.AdWindowDate(), 2026-09-28.
	AdWindowFrom time.Time `yaml:"ad_window_from"`
	// Content says what a message may carry: "rich" (default: text, media,
	// every template, quick replies) or "basic" (text or a button template
	// of at most 3 buttons, as some platforms send; anything else is
	// refused with code 100).
	Content string `yaml:"content"`

	// Recurring holds the successor of OTN: recurring notifications.
	Recurring RecurringSettings `yaml:"recurring"`
	// Region holds the Europe and Japan rules.
	Region RegionSettings `yaml:"region"`
	// RateLimit holds the Send API's rate limits.
	RateLimit RateLimitSettings `yaml:"rate_limit"`
	// Webhook holds how webhook events are delivered.
	Webhook WebhookSettings `yaml:"webhook"`

	// RetiredTagsDate is when CONFIRMED_EVENT_UPDATE, ACCOUNT_UPDATE and
	// POST_PURCHASE_UPDATE began to be refused with code 100. Default
	// platform.RetiredTagsDate(), 2026-04-27.
	RetiredTagsDate time.Time `yaml:"retired_tags_date"`
	// LegacyWindowSubcode answers outside-window sends with the legacy
	// 10/2018065 instead of 10/2018278. [assumed era switch] Default false.
	LegacyWindowSubcode bool `yaml:"legacy_window_subcode"`
}

// RegionSettings are the rules for pages, admins and users in Europe and Japan.
type RegionSettings struct {
	// Disabled turns the region rules off.
	Disabled bool `yaml:"disabled"`
	// Europe is the list of countries (ISO codes) under the December 2020
	// rules. Default: platform.Europe(), the EEA (EU 27, Iceland,
	// Liechtenstein, Norway). [assumed list]
	Europe []string `yaml:"europe"`
	// EuropeFrom is when the rules took effect in Europe. Default
	// platform.EuropeRulesDate(), 2020-12-16.
	EuropeFrom time.Time `yaml:"europe_from"`
	// Japan is the list of countries under the March 2021 rules. Default
	// platform.Japan(), ["JP"].
	Japan []string `yaml:"japan"`
	// JapanFrom is when the rules took effect in Japan. Default
	// platform.JapanRulesDate(), 2021-03-30.
	JapanFrom time.Time `yaml:"japan_from"`
	// ErrorCode is the Send API code for an OTN request or token send in an
	// affected thread. [assumed] Default 10 with a permission message.
	ErrorCode int `yaml:"error_code"`
	// RefuseRequests refuses OTN requests in affected threads. When false the
	// request is accepted but the opt-in webhook is suppressed. [assumed] Default true.
	RefuseRequests bool `yaml:"refuse_requests"`
}

// RecurringSettings are the rules of recurring notifications
// (notification_messages), OTN's successor.
type RecurringSettings struct {
	// RepeatWindow is the span within which one title may be asked of one
	// person once: 613/1893016 otherwise. Default 7d.
	RepeatWindow time.Duration `yaml:"repeat_window"`
	// MaxRequests is how many requests (any titles) one person may get
	// within RepeatWindow before 9/2018352. [assumed] Default 5; 0 is no limit.
	MaxRequests int `yaml:"max_requests"`
	// Cooldown is the time between two messages with one token: 24h,
	// and Cooldown48h from Cooldown48From. Defaults 24h, 48h, 2025-09-01.
	Cooldown        time.Duration `yaml:"cooldown"`
	Cooldown48h     time.Duration `yaml:"cooldown_48h"`
	Cooldown48From  time.Time     `yaml:"cooldown_48h_from"`
	FollowUps       int           `yaml:"follow_ups"`        // messages exempt right after the opt-in; default 3
	FollowUpsWithin time.Duration `yaml:"follow_ups_within"` // how soon after it; default 2m
	// TokenLifetime is how long a token created from 2023-02-02 lives.
	// [assumed] Default 365d. Before that date it was 6, 9 or 12 months by
	// the request's frequency (DAILY, WEEKLY, MONTHLY).
	TokenLifetime time.Duration `yaml:"token_lifetime"`
	// DeprecatedFrom is when Meta deprecated recurring notifications in
	// favour of the Marketing Messages API. Default 2026-02-10.
	DeprecatedFrom time.Time `yaml:"deprecated_from"`
	// AfterDeprecation is what happens from DeprecatedFrom on: "refuse"
	// (requests and token sends get DeprecatedCode) or "allow" (it goes on
	// working). [assumed] Default refuse.
	AfterDeprecation string `yaml:"after_deprecation"`
	// DeprecatedCode is the code of that refusal. [assumed] Default 12
	// (Graph's "deprecated API").
	DeprecatedCode int `yaml:"deprecated_code"`
	// StatusUnderscores spells the stop and resume webhooks'
	// notification_messages_status with underscores (STOP_NOTIFICATIONS),
	// as seen in the wild, instead of the documented spaces. [assumed]
	// Default false.
	StatusUnderscores bool `yaml:"status_underscores"`
	// AnyTimezone accepts any notification_messages_timezone in a request;
	// by default one that is not an IANA zone name (America/Los_Angeles)
	// is refused with 100. [assumed] Default false.
	AnyTimezone bool `yaml:"any_timezone"`
}

// RateLimitSettings are the Send API's throttles, counted on the simulated clock.
type RateLimitSettings struct {
	// Disabled turns every rate limit off (load runs on a frozen clock want this).
	Disabled bool `yaml:"disabled"`
	// PerPagePerSecond is the calls per second a page may make. Default 300.
	PerPagePerSecond int `yaml:"per_page_per_second"`
	// MediaPerSecond is the audio and video sends per second. Default 10.
	MediaPerSecond int `yaml:"media_per_second"`
	// DailyPerUser times the number of people the page can message is the
	// 24-hour quota. Default 200.
	DailyPerUser int `yaml:"daily_per_user"`
	// ThreadBurst is how many calls one thread may take within ThreadWindow.
	// [assumed] Default 20 per second; 0 turns it off.
	ThreadBurst int `yaml:"thread_burst"`
	// ThreadWindow is the span ThreadBurst counts over. [assumed] Default 1s.
	ThreadWindow time.Duration `yaml:"thread_window"`
	// PageCode, MediaCode, DailyCode and ThreadCode are the codes the throttles
	// answer (with is_transient). [assumed] Defaults 32, 613/2534040, 4, 613/2534040.
	PageCode   int `yaml:"page_code"`
	MediaCode  int `yaml:"media_code"`
	DailyCode  int `yaml:"daily_code"`
	ThreadCode int `yaml:"thread_code"`
}

// WebhookSettings say how fakegraph delivers webhook events.
type WebhookSettings struct {
	// Timeout is how long the bot has to answer. Default 5s.
	Timeout time.Duration `yaml:"timeout"`
	// Retries is how many times a failed delivery is retried. [assumed] Default 3.
	Retries int `yaml:"retries"`
	// Backoff is the first retry's delay on the clock; each later one doubles.
	// [assumed] Default 5s.
	Backoff time.Duration `yaml:"backoff"`
	// DuplicateRate is the probability (0..1, seeded) that an event is
	// delivered twice. Default 0.
	DuplicateRate float64 `yaml:"duplicate_rate"`
	// ReorderRate is the probability (0..1, seeded) that an event is held back
	// by ReorderDelay on the clock, so later events overtake it. Default 0.
	ReorderRate float64 `yaml:"reorder_rate"`
	// ReorderDelay is how long a held-back event waits. Default 2s.
	ReorderDelay time.Duration `yaml:"reorder_delay"`
	// SHA1Signature also sends the legacy X-Hub-Signature. [assumed] Default true.
	SHA1Signature bool `yaml:"sha1_signature"`
}

// DefaultSettings returns the fidelity settings fakegraph uses unless told
// otherwise. To change a few, start from DefaultSettings() and edit fields: a
// Settings whose codes, limits and dates are all zero is taken as the defaults
// (keeping only its switches that default to off: PlatformDate, the Disabled
// flags, the webhook rates, LegacyWindowSubcode, MessagingTypeOnTokenSend).
func DefaultSettings() Settings {
	return Settings{
		RecipientIDOnTokenSend:  true,
		MessagingTypeOnRequest:  true,
		TokenRichContent:        true,
		TokenErrorCode:          100,
		PermissionErrorCode:     10,
		ErrorStatus:             http.StatusBadRequest,
		TokenLength:             48,
		MaxRequestPayloadRunes:  MaxPayloadRunes,
		RequestOnlyTitlePayload: true,
		RequestSpamLimit:        3,
		RequestSpamWindow:       24 * time.Hour,
		RequestSpamSubcode:      2018338,
		RetiredTagsDate:         platform.RetiredTagsDate(),
		TokenLifetime:           platform.TokenLifetime,
		AdWindow:                platform.AdWindow,
		AdWindowFrom:            platform.AdWindowDate(),
		Content:                 ContentRich,
		Recurring:               defaultRecurring(),
		Region: RegionSettings{
			Europe:         platform.Europe(),
			EuropeFrom:     platform.EuropeRulesDate(),
			Japan:          platform.Japan(),
			JapanFrom:      platform.JapanRulesDate(),
			ErrorCode:      10,
			RefuseRequests: true,
		},
		RateLimit: RateLimitSettings{
			PerPagePerSecond: 300,
			MediaPerSecond:   10,
			DailyPerUser:     200,
			ThreadBurst:      20,
			ThreadWindow:     time.Second,
			PageCode:         32,
			MediaCode:        613,
			DailyCode:        4,
			ThreadCode:       613,
		},
		Webhook: WebhookSettings{
			Timeout:       5 * time.Second,
			Retries:       3,
			Backoff:       5 * time.Second,
			ReorderDelay:  2 * time.Second,
			SHA1Signature: true,
		},
	}
}

// isZero reports whether s was left unset (so the defaults apply).
func (s Settings) isZero() bool {
	return s.TokenErrorCode == 0 && s.PermissionErrorCode == 0 && s.ErrorStatus == 0 &&
		s.TokenLength == 0 && s.RetiredTagsDate.IsZero() && s.Region.EuropeFrom.IsZero() &&
		s.RateLimit.PerPagePerSecond == 0 && s.Webhook.Timeout == 0
}

// withDefaults fills the numeric fields a partly set Settings left at zero.
func (s Settings) withDefaults() Settings {
	if s.isZero() {
		d := DefaultSettings()
		d.PlatformDate = s.PlatformDate
		d.RateLimit.Disabled = s.RateLimit.Disabled
		d.Region.Disabled = s.Region.Disabled
		d.Webhook.DuplicateRate = s.Webhook.DuplicateRate
		d.Webhook.ReorderRate = s.Webhook.ReorderRate
		d.LegacyWindowSubcode = s.LegacyWindowSubcode
		d.MessagingTypeOnTokenSend = s.MessagingTypeOnTokenSend
		d.TokenCalendarYear = s.TokenCalendarYear
		d.RequireAppSecretProof = s.RequireAppSecretProof
		d.Recurring.StatusUnderscores = s.Recurring.StatusUnderscores
		if s.Content != "" {
			d.Content = s.Content
		}
		return d
	}
	d := DefaultSettings()
	fillInt(&s.TokenErrorCode, d.TokenErrorCode)
	fillInt(&s.PermissionErrorCode, d.PermissionErrorCode)
	fillInt(&s.ErrorStatus, d.ErrorStatus)
	fillInt(&s.TokenLength, d.TokenLength)
	fillInt(&s.MaxRequestPayloadRunes, d.MaxRequestPayloadRunes)
	fillInt(&s.RequestSpamSubcode, d.RequestSpamSubcode)
	if s.RequestSpamWindow == 0 {
		s.RequestSpamWindow = d.RequestSpamWindow
	}
	if s.RetiredTagsDate.IsZero() {
		s.RetiredTagsDate = d.RetiredTagsDate
	}
	if s.TokenLifetime == 0 {
		s.TokenLifetime = d.TokenLifetime
	}
	if s.AdWindow == 0 {
		s.AdWindow = d.AdWindow
	}
	if s.AdWindowFrom.IsZero() {
		s.AdWindowFrom = d.AdWindowFrom
	}
	if s.Content == "" {
		s.Content = d.Content
	}
	s.Recurring = s.Recurring.withDefaults()
	r := &s.Region
	if r.Europe == nil {
		r.Europe = d.Region.Europe
	}
	if r.Japan == nil {
		r.Japan = d.Region.Japan
	}
	if r.EuropeFrom.IsZero() {
		r.EuropeFrom = d.Region.EuropeFrom
	}
	if r.JapanFrom.IsZero() {
		r.JapanFrom = d.Region.JapanFrom
	}
	fillInt(&r.ErrorCode, d.Region.ErrorCode)
	rl := &s.RateLimit
	fillInt(&rl.PerPagePerSecond, d.RateLimit.PerPagePerSecond)
	fillInt(&rl.MediaPerSecond, d.RateLimit.MediaPerSecond)
	fillInt(&rl.DailyPerUser, d.RateLimit.DailyPerUser)
	if rl.ThreadWindow == 0 {
		rl.ThreadWindow = d.RateLimit.ThreadWindow
	}
	fillInt(&rl.PageCode, d.RateLimit.PageCode)
	fillInt(&rl.MediaCode, d.RateLimit.MediaCode)
	fillInt(&rl.DailyCode, d.RateLimit.DailyCode)
	fillInt(&rl.ThreadCode, d.RateLimit.ThreadCode)
	wh := &s.Webhook
	if wh.Timeout == 0 {
		wh.Timeout = d.Webhook.Timeout
	}
	if wh.Backoff == 0 {
		wh.Backoff = d.Webhook.Backoff
	}
	if wh.ReorderDelay == 0 {
		wh.ReorderDelay = d.Webhook.ReorderDelay
	}
	return s
}

func fillInt(p *int, def int) {
	if *p == 0 {
		*p = def
	}
}
