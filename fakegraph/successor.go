package fakegraph

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/otnsim/otnsim/platform"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/sim/clock"
	"github.com/otnsim/otnsim/sim/region"
)

// OTN's successor, recurring notifications: the notification_messages
// request template, the opt-in that gives a notification_messages_token,
// the person's stop and resume, sends with the token under their cooldown,
// the token listing, and the deprecation of 2026-02-10. The rules follow
// Meta's Recurring Notifications documentation
// (https://developers.facebook.com/docs/messenger-platform/send-messages/recurring-notifications);
// what it leaves open is a RecurringSettings field marked [assumed].

// KindRecurringRequest is a call that carried the notification_messages
// request template.
const KindRecurringRequest CallKind = "recurring_request"

// DefaultRecurringTitle is the request's title when the template gives none.
const DefaultRecurringTitle = "Updates and promotions"

// The user_token_status of an opt-in webhook: a new token, or one the
// person renewed by opting in again.
const (
	TokenNotRefreshed = "NOT_REFRESHED"
	TokenRefreshed    = "REFRESHED"
)

// RecurringState is where a recurring notifications token is in its life.
type RecurringState string

// Recurring token states.
const (
	RecurringActive  RecurringState = "active"
	RecurringStopped RecurringState = "stopped"
	RecurringExpired RecurringState = "expired"
)

func defaultRecurring() RecurringSettings {
	return RecurringSettings{
		RepeatWindow:     7 * 24 * time.Hour,
		MaxRequests:      5,
		Cooldown:         24 * time.Hour,
		Cooldown48h:      48 * time.Hour,
		Cooldown48From:   platform.RecurringCooldown48Date(),
		FollowUps:        3,
		FollowUpsWithin:  2 * time.Minute,
		TokenLifetime:    365 * 24 * time.Hour,
		DeprecatedFrom:   platform.RecurringDeprecatedDate(),
		AfterDeprecation: "refuse",
		DeprecatedCode:   12,
	}
}

// withDefaults fills what a partly set RecurringSettings left at zero.
func (r RecurringSettings) withDefaults() RecurringSettings {
	d := defaultRecurring()
	fill := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	fill(&r.RepeatWindow, d.RepeatWindow)
	fill(&r.Cooldown, d.Cooldown)
	fill(&r.Cooldown48h, d.Cooldown48h)
	fill(&r.FollowUpsWithin, d.FollowUpsWithin)
	fill(&r.TokenLifetime, d.TokenLifetime)
	if r.Cooldown48From.IsZero() {
		r.Cooldown48From = d.Cooldown48From
	}
	if r.DeprecatedFrom.IsZero() {
		r.DeprecatedFrom = d.DeprecatedFrom
	}
	if r.AfterDeprecation == "" {
		r.AfterDeprecation = d.AfterDeprecation
	}
	fillInt(&r.DeprecatedCode, d.DeprecatedCode)
	return r
}

// recurringState is the server's record of recurring notifications.
type recurringState struct {
	requests map[string][]recurringRequest // by PSID, oldest first
	tokens   map[string]*recurringToken    // by value
	list     []*recurringToken             // in issue order
}

type recurringRequest struct {
	title, payload, timezone, frequency string
	at                                  time.Time
}

type recurringToken struct {
	seq                               int
	value, psid, title, payload, zone string
	issuedAt, optedInAt, expiresAt    time.Time
	status                            string // user_token_status of the latest opt-in
	stopped                           bool
	lastSend                          time.Time // the latest send the cooldown counts
	followUps                         int       // exempt sends since the latest opt-in
	sends                             []time.Time
	rejected                          []Rejection
}

func (t *recurringToken) state(now time.Time) RecurringState {
	switch {
	case !now.Before(t.expiresAt):
		return RecurringExpired
	case t.stopped:
		return RecurringStopped
	}
	return RecurringActive
}

// RecurringToken is a snapshot of one recurring notifications token.
type RecurringToken struct {
	Seq             int            `json:"seq"`
	Value           string         `json:"token"`
	PSID            string         `json:"psid"`
	Title           string         `json:"title"`
	Payload         string         `json:"payload"`
	Timezone        string         `json:"timezone,omitempty"`
	IssuedAt        time.Time      `json:"issued_at"`
	OptedInAt       time.Time      `json:"opted_in_at"` // the latest opt-in, a refresh included
	ExpiresAt       time.Time      `json:"expires_at"`
	State           RecurringState `json:"state"`
	UserTokenStatus string         `json:"user_token_status"`
	Sends           []time.Time    `json:"sends,omitempty"`
	Rejected        []Rejection    `json:"rejected_uses,omitempty"`
}

func (t *recurringToken) snapshot(now time.Time) RecurringToken {
	return RecurringToken{Seq: t.seq, Value: t.value, PSID: t.psid, Title: t.title, Payload: t.payload, Timezone: t.zone,
		IssuedAt: t.issuedAt, OptedInAt: t.optedInAt, ExpiresAt: t.expiresAt, State: t.state(now), UserTokenStatus: t.status,
		Sends: append([]time.Time(nil), t.sends...), Rejected: append([]Rejection(nil), t.rejected...)}
}

// recurringSnapshotLocked returns every recurring token as of now. Callers hold s.mu.
func (s *Server) recurringSnapshotLocked(now time.Time) []RecurringToken {
	if len(s.rn.list) == 0 {
		return nil
	}
	out := make([]RecurringToken, len(s.rn.list))
	for i, t := range s.rn.list {
		out[i] = t.snapshot(now)
	}
	return out
}

// recurringOptin holds the opt-in webhook's fields for recurring
// notifications; optinEvent embeds it.
type recurringOptin struct {
	NotificationMessagesToken string `json:"notification_messages_token"`
	TokenExpiryTimestamp      int64  `json:"token_expiry_timestamp,omitempty"`
	UserTokenStatus           string `json:"user_token_status,omitempty"`
	Timezone                  string `json:"notification_messages_timezone,omitempty"`
	Title                     string `json:"title,omitempty"`
	Status                    string `json:"notification_messages_status,omitempty"`
}

// deprecatedLocked refuses recurring notifications once deprecated, when the
// settings say Meta refuses them then.
func (s *Server) deprecatedLocked(now time.Time) *Error {
	r := &s.set().Recurring
	if r.AfterDeprecation == "allow" || s.platformDate(now).Before(r.DeprecatedFrom) {
		return nil
	}
	e := oauthErr(r.DeprecatedCode, 0, "Recurring notifications (notification_messages) are deprecated since %s; use the Marketing Messages API",
		r.DeprecatedFrom.UTC().Format(time.DateOnly))
	e.Status, e.Rule, e.Assumed = s.set().ErrorStatus, rules.RNEra, true
	return e
}

// validateRecurringRequest applies the notification_messages template's
// field rules; the template was decoded into tp.
func (s *Server) validateRecurringRequest(tp templatePayload, pm parsedMsg) (parsedMsg, *Error) {
	pm.kind, pm.title = KindRecurringRequest, DefaultRecurringTitle
	if tp.Title != nil {
		pm.title = *tp.Title
	}
	pm.text = pm.title
	if n := len([]rune(pm.title)); n == 0 || n > MaxTitleRunes {
		return pm, s.errParam(rules.RNReqFormat, false, "param title must be between 1 and 65 characters")
	}
	if tp.Payload == nil || *tp.Payload == "" {
		return pm, s.errParam(rules.RNReqFormat, true, "param payload is required")
	}
	pm.topic = *tp.Payload
	switch tp.CTAText {
	case "", "ALLOW", "GET", "GET_UPDATES", "OPT_IN", "SIGN_UP":
	default:
		return pm, s.errParam(rules.RNReqFormat, false, "param notification_messages_cta_text must be one of {ALLOW, GET, GET_UPDATES, OPT_IN, SIGN_UP}")
	}
	switch tp.Frequency {
	case "", "DAILY", "WEEKLY", "MONTHLY":
	default:
		return pm, s.errParam(rules.RNReqFormat, false, "param notification_messages_frequency must be one of {DAILY, WEEKLY, MONTHLY}")
	}
	if tz := tp.Timezone; tz != "" && !s.set().Recurring.AnyTimezone && !ianaZone(tz) {
		// Meta's examples name IANA zones; that it refuses anything else,
		// and with this code, is our reading.
		return pm, s.errParam(rules.RNReqFormat, true, "param notification_messages_timezone must be an IANA time zone name such as America/Los_Angeles")
	}
	if len(tp.ImageURL) > 0 && tp.ImageURL[0] != '"' {
		return pm, s.errParam(rules.RNReqFormat, false, "param image_url must be a URL string")
	}
	pm.zone, pm.frequency = tp.Timezone, tp.Frequency
	return pm, nil
}

// ianaZone reports whether name is a zone of the IANA time zone database.
func ianaZone(name string) bool {
	_, err := region.Location(name)
	return err == nil
}

// checkRecurringRequest applies the rules for sending the request to a
// person: the era, the window, and one request per title a week. Callers hold s.mu.
func (s *Server) checkRecurringRequest(pm *parsedMsg, u *userState, now time.Time) *Error {
	if gerr := s.deprecatedLocked(now); gerr != nil {
		return gerr
	}
	if !u.windowOpen(now) {
		return errOutsideWindow(rules.RNReqWindow, s.set().LegacyWindowSubcode)
	}
	r := &s.set().Recurring
	n := 0
	for _, q := range s.rn.requests[u.PSID] {
		if now.Sub(q.at) >= r.RepeatWindow {
			continue
		}
		n++
		if q.title == pm.title {
			e := oauthErr(613, 1893016, "A notification_messages request with this title was already sent to this person this week")
			e.Status, e.Rule = s.set().ErrorStatus, rules.RNReqRepeat
			return e
		}
	}
	if r.MaxRequests > 0 && n >= r.MaxRequests {
		e := oauthErr(9, 2018352, "Too many notification_messages requests to this person")
		e.Status, e.Rule, e.Assumed = s.set().ErrorStatus, rules.RNReqRepeat, true
		return e
	}
	return nil
}

// resolveRecurring finds the person a notification_messages_token names.
// Callers hold s.mu.
func (s *Server) resolveRecurring(v string, call *Call) (*userState, *Error) {
	t, ok := s.rn.tokens[v]
	if !ok {
		// One of this page's form that this world never issued: a bot
		// shared by many worlds holds it from another (as for OTN tokens).
		call.StaleToken = tokenOrigin(v, s.set().TokenLength, s.pageTag()) == originOurs
		return nil, s.errRecurringToken("The notification_messages_token is invalid")
	}
	call.Topic, call.RecurringSeq = t.payload, t.seq
	return s.users[t.psid], nil
}

func (s *Server) errRecurringToken(msg string) *Error {
	e := oauthErr(100, 0, "%s", msg)
	e.Status, e.Rule = s.set().ErrorStatus, rules.RNTokenOK
	return e
}

// cooldown is the time between two messages with one token at now.
func (s *Server) cooldown(now time.Time) time.Duration {
	r := &s.set().Recurring
	if !s.platformDate(now).Before(r.Cooldown48From) {
		return r.Cooldown48h
	}
	return r.Cooldown
}

// checkRecurringSend applies the token rules: era, expiry, stop, cooldown
// and the follow-up exemption. A refusal is recorded on the token. Callers hold s.mu.
func (s *Server) checkRecurringSend(req *SendRequest, pm *parsedMsg, now time.Time) *Error {
	t := s.rn.tokens[req.Recipient.NotificationMessagesToken]
	gerr := s.recurringVerdict(pm, t, now)
	if gerr != nil {
		t.rejected = append(t.rejected, Rejection{At: now, Code: gerr.Code, Subcode: gerr.Subcode, Reason: gerr.Message})
	}
	return gerr
}

func (s *Server) recurringVerdict(pm *parsedMsg, t *recurringToken, now time.Time) *Error {
	if gerr := s.deprecatedLocked(now); gerr != nil {
		return gerr
	}
	if !now.Before(t.expiresAt) {
		e := s.errRecurringToken("The notification_messages_token has expired")
		e.Assumed = t.issuedAt.After(platform.RecurringFrequencyIgnoredDate()) // the lifetime is our reading
		return e
	}
	if t.stopped {
		e := oauthErr(10, 1893015, "The person has stopped notifications for this notification_messages_token")
		e.Status, e.Rule = s.set().ErrorStatus, rules.RNStopped
		return e
	}
	if pm.kind == KindSenderAction {
		return s.errParam(rules.SendFormat, true, "A notification_messages_token can only be used to send a message")
	}
	r := &s.set().Recurring
	if now.Sub(t.optedInAt) < r.FollowUpsWithin && t.followUps < r.FollowUps {
		return nil
	}
	if cd := s.cooldown(now); !t.lastSend.IsZero() && now.Sub(t.lastSend) < cd {
		e := oauthErr(4, 2018354, "Only one message per notification_messages_token every %s", clock.FormatDuration(cd))
		e.Status, e.Rule = s.set().ErrorStatus, rules.RNCooldown
		return e
	}
	return nil
}

// recurringTookEffect records what an accepted call changed: a request that
// a person can now opt in to, or a send the token's cooldown counts.
// Callers hold s.mu.
func (s *Server) recurringTookEffect(req *SendRequest, pm *parsedMsg, u *userState, now time.Time) {
	switch {
	case pm.kind == KindRecurringRequest:
		if s.rn.requests == nil {
			s.rn.requests = map[string][]recurringRequest{}
		}
		s.rn.requests[u.PSID] = append(s.rn.requests[u.PSID], recurringRequest{title: pm.title, payload: pm.topic, timezone: pm.zone, frequency: pm.frequency, at: now})
	case req.Recipient.NotificationMessagesToken != "":
		t := s.rn.tokens[req.Recipient.NotificationMessagesToken]
		t.sends = append(t.sends, now)
		r := &s.set().Recurring
		if now.Sub(t.optedInAt) < r.FollowUpsWithin && t.followUps < r.FollowUps {
			t.followUps++
			return
		}
		t.lastSend = now
	}
}

// RecurringOptIn plays psid accepting the latest notification_messages
// request with the given payload. It issues a token (or, when psid already
// holds a live one for that title, refreshes it: user_token_status
// REFRESHED), delivers the messaging_optins webhook with
// notification_messages_token, token_expiry_timestamp, user_token_status,
// notification_messages_timezone, title and payload, and returns the token.
// Like Notify Me it does not open the window.
func (s *Server) RecurringOptIn(psid, payload string) (string, Delivery, error) {
	s.mu.Lock()
	u, err := s.actorLocked(psid, "recurring opt-in")
	if err != nil {
		s.mu.Unlock()
		return "", Delivery{}, err
	}
	var req *recurringRequest
	reqs := s.rn.requests[psid]
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].payload == payload {
			req = &reqs[i]
			break
		}
	}
	if req == nil {
		s.mu.Unlock()
		return "", Delivery{}, fmt.Errorf("recurring opt-in from %s for %q: %w", psid, payload, ErrNoRequest)
	}
	now := s.clock.Now()
	var t *recurringToken
	for _, old := range s.rn.list {
		if old.psid == psid && old.title == req.title && old.state(now) != RecurringExpired {
			t = old
		}
	}
	lifetime := s.set().Recurring.TokenLifetime
	expires := now.Add(lifetime)
	if s.platformDate(now).Before(platform.RecurringFrequencyIgnoredDate()) {
		switch req.frequency {
		case "DAILY":
			expires = now.AddDate(0, 6, 0)
		case "WEEKLY":
			expires = now.AddDate(0, 9, 0)
		case "MONTHLY":
			expires = now.AddDate(1, 0, 0)
		}
	}
	// The person's time zone, as an IANA name: the one the request named,
	// else their own.
	zone := req.timezone
	if zone == "" {
		zone = u.Zone
	}
	if t != nil {
		t.status, t.stopped, t.optedInAt, t.expiresAt, t.followUps, t.payload = TokenRefreshed, false, now, expires, 0, payload
		if zone != "" {
			t.zone = zone
		}
	} else {
		t = &recurringToken{seq: len(s.rn.list) + 1, value: s.newTokenValue(), psid: psid, title: req.title, payload: payload,
			zone: zone, issuedAt: now, optedInAt: now, expiresAt: expires, status: TokenNotRefreshed}
		if s.rn.tokens == nil {
			s.rn.tokens = map[string]*recurringToken{}
		}
		s.rn.tokens[t.value] = t
		s.rn.list = append(s.rn.list, t)
	}
	s.ledger.addEvent(Event{At: now, PSID: psid, Kind: "recurring_opt_in", Topic: payload,
		Detail: fmt.Sprintf("%s: recurring token #%d %s, expires %s", quote(payload), t.seq, t.status, t.expiresAt.UTC().Format(time.RFC3339))})
	ro := &recurringOptin{NotificationMessagesToken: t.value, TokenExpiryTimestamp: t.expiresAt.UnixMilli(),
		UserTokenStatus: t.status, Timezone: t.zone, Title: t.title}
	value := t.value
	s.mu.Unlock()

	ev := s.event(psid, now)
	ev.Optin = &optinEvent{Type: "notification_messages", Payload: payload, recurringOptin: ro}
	return value, s.deliver(psid, fieldOptins, ev), nil
}

// RecurringStop plays psid tapping "Stop notifications" for the token
// whose request had the given payload: sends with it then fail with
// 10/1893015 until RecurringResume. It delivers the messaging_optins
// webhook with notification_messages_status.
func (s *Server) RecurringStop(psid, payload string) (Delivery, error) {
	return s.recurringStatus(psid, payload, true)
}

// RecurringResume plays psid resuming the notifications RecurringStop stopped.
func (s *Server) RecurringResume(psid, payload string) (Delivery, error) {
	return s.recurringStatus(psid, payload, false)
}

func (s *Server) recurringStatus(psid, payload string, stop bool) (Delivery, error) {
	what := map[bool]string{true: "stop", false: "resume"}[stop]
	s.mu.Lock()
	if _, err := s.actorLocked(psid, "recurring "+what); err != nil {
		s.mu.Unlock()
		return Delivery{}, err
	}
	var t *recurringToken
	for _, old := range s.rn.list {
		if old.psid == psid && old.payload == payload {
			t = old
		}
	}
	if t == nil {
		s.mu.Unlock()
		return Delivery{}, fmt.Errorf("recurring %s from %s for %q: %w", what, psid, payload, ErrNoRecurringToken)
	}
	now := s.clock.Now()
	t.stopped = stop
	status := map[bool]string{true: "STOP NOTIFICATIONS", false: "RESUME NOTIFICATIONS"}[stop]
	if s.set().Recurring.StatusUnderscores {
		status = map[bool]string{true: "STOP_NOTIFICATIONS", false: "RESUME_NOTIFICATIONS"}[stop]
	}
	s.ledger.addEvent(Event{At: now, PSID: psid, Kind: "recurring_" + what, Topic: payload,
		Detail: fmt.Sprintf("%s: recurring token #%d %s", quote(payload), t.seq, status)})
	ro := &recurringOptin{NotificationMessagesToken: t.value, Status: status}
	s.mu.Unlock()

	ev := s.event(psid, now)
	ev.Optin = &optinEvent{Type: "notification_messages", Payload: payload, recurringOptin: ro}
	return s.deliver(psid, fieldOptins, ev), nil
}

// ErrNoRecurringToken is returned by RecurringStop and RecurringResume when
// the person holds no recurring token for that payload.
var ErrNoRecurringToken = fmt.Errorf("no recurring notifications token for that payload")

// RecurringTokens returns every recurring notifications token as of now.
func (s *Server) RecurringTokens() []RecurringToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recurringSnapshotLocked(s.clock.Now())
}

// handleRecurringTokens serves GET /{PAGE_ID}/notification_message_tokens:
// the page's live tokens, newest last.
func (s *Server) handleRecurringTokens(w http.ResponseWriter, _ *http.Request, _ string) *Error {
	s.mu.Lock()
	now := s.clock.Now()
	data := []map[string]any{}
	for _, t := range s.rn.list {
		if t.state(now) == RecurringExpired {
			continue
		}
		e := map[string]any{"recipient_id": t.psid, "notification_messages_token": t.value,
			"token_expiry_timestamp": strconv.FormatInt(t.expiresAt.UnixMilli(), 10), "user_token_status": t.status, "title": t.title}
		if t.zone != "" {
			e["notification_messages_timezone"] = t.zone
		}
		if t.stopped {
			e["notification_messages_status"] = "STOPPED"
		}
		data = append(data, e)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
	return nil
}
