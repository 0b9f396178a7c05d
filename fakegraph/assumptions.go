package fakegraph

import (
	"encoding/json"
	"reflect"
	"time"
)

// tokenExpiry is when an OTN token issued at now expires: TokenLifetime
// after it, or the same calendar date and time a year on.
func (s *Server) tokenExpiry(now time.Time) time.Time {
	if s.set().TokenCalendarYear {
		return now.AddDate(1, 0, 0)
	}
	return now.Add(s.set().TokenLifetime)
}

// Assumption is one fidelity setting whose default is otnsim's reading of
// something Meta does not document (or documents only in part).
type Assumption struct {
	// Setting is the setting's name as a scenario file's world.settings
	// and PATCH /otnsim/v1/settings spell it (rate_limit.thread_burst).
	Setting string `json:"setting"`
	// Default is the default value, as JSON the way GET /otnsim/v1/settings
	// renders it.
	Default json.RawMessage `json:"default"`
	// Value is the value in effect, as JSON.
	Value json.RawMessage `json:"value"`
	// Changed says Value differs from Default.
	Changed bool `json:"changed"`
	// Reading says what otnsim assumes and why, in a sentence.
	Reading string `json:"reading"`
}

// assumed lists every assumed setting with otnsim's reading of it, in the
// order GET /otnsim/v1/assumptions shows them.
var assumed = []struct{ setting, reading string }{
	{"recipient_id_on_token_send", "whether a token send answers recipient_id: Meta's reference shows it only for id sends"},
	{"messaging_type_on_token_send", "whether a token send must carry messaging_type: accepted without it"},
	{"messaging_type_on_request", "whether an OTN request must carry messaging_type like any standard send"},
	{"token_rich_content", "whether a token may carry a template or attachment: Meta's docs show only text"},
	{"token_error_code", "the code for a reused, expired, foreign or malformed token: not documented"},
	{"permission_error_code", "the code for a page without the OTN feature"},
	{"error_status", "the HTTP status of every refusal but the window error (400 is verified only for that one)"},
	{"token_length", "the token's length: Meta's tokens are opaque"},
	{"token_lifetime", "what \"one year\" means for a token: 365 days"},
	{"token_calendar_year", "or the same calendar date a year on (off by default)"},
	{"max_request_payload_runes", "the longest OTN request payload"},
	{"request_only_title_payload", "whether an OTN request may carry keys besides title and payload"},
	{"request_spam_limit", "Meta's spam guard on repeated OTN requests for one topic: its threshold"},
	{"request_spam_window", "the span the spam guard counts over"},
	{"request_spam_subcode", "the spam guard's subcode"},
	{"region.europe", "the countries under the Europe rules: the EEA"},
	{"region.error_code", "the code for OTN where the region rules apply"},
	{"region.refuse_requests", "whether an OTN request is refused there, or accepted with its opt-in suppressed"},
	{"rate_limit.thread_burst", "the per-thread limit: Meta says only that a single thread may be rate limited"},
	{"rate_limit.thread_window", "the span the per-thread limit counts over"},
	{"rate_limit.page_code", "the page limit's code"},
	{"rate_limit.media_code", "the audio and video limit's code"},
	{"rate_limit.daily_code", "the 24-hour quota's code"},
	{"rate_limit.thread_code", "the per-thread limit's code"},
	{"webhook.retries", "how often Meta retries a failed delivery"},
	{"webhook.backoff", "how long Meta waits before the first retry"},
	{"webhook.sha1_signature", "whether the legacy X-Hub-Signature (SHA-1) is still sent"},
	{"legacy_window_subcode", "the era of the legacy outside-window subcode 2018065"},
	{"recurring.max_requests", "how many notification_messages requests to one person in a week are too many (9/2018352)"},
	{"recurring.token_lifetime", "the lifetime of a recurring notifications token created after February 2023"},
	{"recurring.after_deprecation", "what Meta does with recurring notifications after their deprecation"},
	{"recurring.deprecated_code", "the code of a refusal after the deprecation"},
	{"recurring.status_underscores", "the spelling of notification_messages_status (spaces in the docs, underscores in the wild)"},
	{"recurring.any_timezone", "whether a request's notification_messages_timezone may be other than an IANA zone name: refused with 100 by default"},
}

// Assumptions returns every assumed fidelity setting with its default and
// the value in set; each has the name world.settings uses.
func Assumptions(set Settings) []Assumption {
	def := DefaultSettings()
	out := make([]Assumption, 0, len(assumed))
	for _, a := range assumed {
		d := settingJSON(reflect.ValueOf(def), a.setting)
		v := settingJSON(reflect.ValueOf(set), a.setting)
		out = append(out, Assumption{Setting: a.setting, Default: json.RawMessage(d), Value: json.RawMessage(v), Changed: d != v, Reading: a.reading})
	}
	return out
}
