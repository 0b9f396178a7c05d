package fakegraph

import (
	"sort"
	"time"

	"github.com/otnsim/otnsim/platform"
)

// TokenState is where a token is in its life.
type TokenState string

// Token states.
const (
	TokenActive   TokenState = "active"
	TokenConsumed TokenState = "consumed"
	TokenExpired  TokenState = "expired"
)

// tokenRecord is the server's record of one issued token.
type tokenRecord struct {
	seq        int
	value      string
	pageID     string
	psid       string
	topic      string
	title      string
	issuedAt   time.Time
	expiresAt  time.Time
	consumed   bool
	consumedAt time.Time
	rejected   []Rejection
}

func (t *tokenRecord) state(now time.Time) TokenState {
	switch {
	case t.consumed:
		return TokenConsumed
	case !now.Before(t.expiresAt):
		return TokenExpired
	default:
		return TokenActive
	}
}

// Rejection is a refused attempt to use a token.
type Rejection struct {
	At      time.Time `json:"at"`
	Code    int       `json:"code"`
	Subcode int       `json:"error_subcode,omitempty"`
	Reason  string    `json:"reason"`
}

// Token is a snapshot of one token's life, as the ledger reports it.
type Token struct {
	Seq        int         `json:"seq"` // 1 for the first token issued, and so on
	Value      string      `json:"token"`
	PageID     string      `json:"page_id"`
	PSID       string      `json:"psid"`
	Topic      string      `json:"topic"` // the request's payload
	Title      string      `json:"title"`
	IssuedAt   time.Time   `json:"issued_at"`
	ExpiresAt  time.Time   `json:"expires_at"`
	State      TokenState  `json:"state"`
	ConsumedAt *time.Time  `json:"consumed_at,omitempty"`
	Rejected   []Rejection `json:"rejected_uses,omitempty"`
}

// RecipientKind says how a Send API call named its recipient.
type RecipientKind string

// Recipient kinds.
const (
	RecipientPSID    RecipientKind = "id"
	RecipientToken   RecipientKind = "one_time_notif_token"
	RecipientUserRef RecipientKind = "user_ref"
	RecipientNone    RecipientKind = ""
	// RecipientNotificationMessagesToken is the successor's (recurring
	// notifications) token; fakegraph refuses it as invalid.
	RecipientNotificationMessagesToken RecipientKind = "notification_messages_token"
)

// CallKind says what a Send API call carried.
type CallKind string

// Call kinds.
const (
	KindMessage      CallKind = "message"     // text, attachment or template for the user
	KindOTNRequest   CallKind = "otn_request" // the one_time_notif_req template
	KindSenderAction CallKind = "sender_action"
	KindUnknown      CallKind = "unknown" // the body could not be read
)

// Call is one Send API call with its verdict.
type Call struct {
	Seq           int           `json:"seq"`
	At            time.Time     `json:"at"`
	PSID          string        `json:"psid,omitempty"` // resolved recipient, when known
	RecipientKind RecipientKind `json:"recipient_kind"`
	Kind          CallKind      `json:"kind"`
	MessagingType string        `json:"messaging_type,omitempty"`
	Tag           string        `json:"tag,omitempty"`
	Text          string        `json:"text,omitempty"`
	Topic         string        `json:"topic,omitempty"`     // OTN request payload, or the spent token's topic
	TokenSeq      int           `json:"token_seq,omitempty"` // the token used, if any
	// RecurringSeq is the recurring notifications token used, if any.
	RecurringSeq int    `json:"recurring_token_seq,omitempty"`
	WindowOpen   bool   `json:"window_open"` // the user's window at the time of the call
	OK           bool   `json:"ok"`
	MessageID    string `json:"message_id,omitempty"`
	Code         int    `json:"code,omitempty"`
	Subcode      int    `json:"error_subcode,omitempty"`
	Rule         string `json:"rule,omitempty"`    // the rule a refusal enforces
	Assumed      bool   `json:"assumed,omitempty"` // the verdict rests on an [assumed] fact
	// Fault names the armed fault that hit the call, if any. An OK call with
	// a fault took effect, but the bot never heard so: its answer was lost
	// or replaced by the fault's error (Code and Subcode then say which).
	Fault string `json:"fault,omitempty"`
	// StaleToken marks a refused token that has this page's form but that
	// this server never issued: one from before a reset, or from another
	// world a shared bot took part in.
	StaleToken bool `json:"stale_token,omitempty"`
	// Answered is what the bot received when a fault struck, in words:
	// "no answer (connection dropped)" or "error 2 (HTTP 500)".
	Answered string `json:"answered,omitempty"`
	// Order is the call's place among every call and event recorded (1 for
	// the first): findings order by it, never by time alone.
	Order int `json:"order"`
}

// Failed reports whether the bot saw the call fail: Meta refused it, or a
// fault dropped or replaced the answer of a call that took effect.
func (c Call) Failed() bool { return !c.OK || c.Fault != "" }

// Event is a user-side happening in a thread: a message, a tap, a webhook delivery.
type Event struct {
	Seq    int       `json:"seq"` // 1 for the first event recorded, and so on
	At     time.Time `json:"at"`
	PSID   string    `json:"psid"`
	Kind   string    `json:"kind"` // message, postback, quick_reply, reaction, notify_me, block, unblock, webhook, trigger
	Detail string    `json:"detail"`
	// TokenSeq is the token a notify_me event issued, if any.
	TokenSeq int `json:"token_seq,omitempty"`
	// Trigger and Topic describe a trigger event: the trigger's name and
	// the topic its data names (data.topic), if any.
	Trigger string `json:"trigger,omitempty"`
	Topic   string `json:"topic,omitempty"`
	// Order is the event's place among every call and event recorded.
	Order int `json:"order"`
	// WindowUntil is when the window the event opened closes, when that is
	// not 24 hours later: the first message after a Click-to-Messenger ad.
	WindowUntil time.Time `json:"window_until,omitzero"`
}

// OpensWindow reports whether the event is a user action that opens (or
// extends) the 24-hour standard messaging window. A Notify Me tap does not.
func (e Event) OpensWindow() bool {
	switch e.Kind {
	case "message", "postback", "quick_reply", "reaction", "referral":
		return true
	}
	return false
}

// Ledger is a snapshot of everything fakegraph recorded.
type Ledger struct {
	Now time.Time `json:"now"`
	// PageAffected says whether the page itself (its country or an admin's)
	// is under the region rules, so that the bot could know before any call.
	PageAffected bool    `json:"page_affected,omitempty"`
	Tokens       []Token `json:"tokens"`
	// Recurring are the recurring notifications tokens (OTN's successor).
	Recurring []RecurringToken `json:"recurring_tokens,omitempty"`
	Calls     []Call           `json:"calls"`
	Events    []Event          `json:"events"`
}

// ledger is what the server records, in recording order. Calls and events
// are append-only logs: once recorded they never change or move, so that
// recording costs the same at the millionth call as at the first (no slice
// growth copying the whole log while s.mu is held) and a snapshot copies
// them without holding s.mu. Tokens are records that change (consumed,
// rejected uses), so they are read under s.mu.
type ledger struct {
	tokens []*tokenRecord
	calls  chunkLog[Call]
	events chunkLog[Event]
	order  int // counts every event and call recorded
}

func (l *ledger) addEvent(e Event) {
	l.order++
	e.Order = l.order
	e.Seq = l.events.len() + 1
	l.events.add(e)
}

func (l *ledger) addCall(c Call) Call {
	l.order++
	c.Order = l.order
	c.Seq = l.calls.len() + 1
	l.calls.add(c)
	return c
}

// logChunk is how many entries one chunk of a chunkLog holds: few enough
// that a chunk of calls (264 bytes each) is a small object, so that making
// one while s.mu is held stays cheap (no large allocation, a small GC
// assist at most).
const logChunk = 64

// chunkLog is an append-only log stored in fixed-size chunks. Adding never
// moves an entry, and entries are never changed once added, so a view taken
// under the lock that guards adding (see view) stays valid, and can be read
// without that lock, while entries go on being added.
type chunkLog[T any] struct {
	chunks []*[logChunk]T // every chunk but the last is full
	n      int
}

// len returns the number of entries.
func (l *chunkLog[T]) len() int { return l.n }

// add appends v.
func (l *chunkLog[T]) add(v T) {
	i := l.n % logChunk
	if i == 0 {
		l.chunks = append(l.chunks, new([logChunk]T))
	}
	l.chunks[len(l.chunks)-1][i] = v
	l.n++
}

// view returns the log as it is now. The caller holds the lock that guards
// add; the view may be read after releasing it.
func (l *chunkLog[T]) view() chunkLog[T] { return *l }

// all returns the entries of the view, oldest first; nil when there are none.
func (l chunkLog[T]) all() []T {
	if l.n == 0 {
		return nil
	}
	dst := make([]T, 0, l.n)
	for i := 0; i < l.n; i += logChunk {
		dst = append(dst, l.chunks[i/logChunk][:min(logChunk, l.n-i)]...)
	}
	return dst
}

// recordCallLocked records a Send API call in the ledger and counts it in
// the metrics. Callers hold s.mu.
func (s *Server) recordCallLocked(c Call) {
	s.ledger.addCall(c)
	s.metrics.call(&c)
}

// Ledger returns a snapshot of the ledger, with token states as of now.
func (s *Server) Ledger() Ledger {
	affected := s.PageAffected()
	s.mu.Lock()
	now := s.clock.Now()
	out := Ledger{
		Now:          now,
		PageAffected: affected,
		Tokens:       make([]Token, len(s.ledger.tokens)),
	}
	for i, t := range s.ledger.tokens {
		out.Tokens[i] = t.snapshot(now)
	}
	out.Recurring = s.recurringSnapshotLocked(now)
	calls, events := s.ledger.calls.view(), s.ledger.events.view()
	s.mu.Unlock()
	// Recorded calls and events never change: copy them without holding
	// s.mu, so that reading a long ledger does not stall the Send API.
	out.Calls, out.Events = calls.all(), events.all()
	return out
}

func (t *tokenRecord) snapshot(now time.Time) Token {
	tok := Token{
		Seq:       t.seq,
		Value:     t.value,
		PageID:    t.pageID,
		PSID:      t.psid,
		Topic:     t.topic,
		Title:     t.title,
		IssuedAt:  t.issuedAt,
		ExpiresAt: t.expiresAt,
		State:     t.state(now),
		Rejected:  append([]Rejection(nil), t.rejected...),
	}
	if t.consumed {
		at := t.consumedAt
		tok.ConsumedAt = &at
	}
	return tok
}

// Recorded returns how many events and calls the ledger holds: the ledger
// order of the last one recorded. Whatever is recorded next has a greater
// order, so a caller can tell what happened after a point it noted.
func (s *Server) Recorded() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ledger.order
}

// TokensFor returns the tokens issued to psid (all topics when topic is
// empty), oldest first.
func (l Ledger) TokensFor(psid, topic string) []Token {
	var out []Token
	for _, t := range l.Tokens {
		if (psid == "" || t.PSID == psid) && (topic == "" || t.Topic == topic) {
			out = append(out, t)
		}
	}
	return out
}

// CallsFor returns the Send API calls addressed to psid (all when empty).
func (l Ledger) CallsFor(psid string) []Call {
	var out []Call
	for _, c := range l.Calls {
		if psid == "" || c.PSID == psid {
			out = append(out, c)
		}
	}
	return out
}

// Timeline returns psid's events, Send API calls, window closings, token
// consumptions and expiries up to now, in the order they happened.
func (l Ledger) Timeline(psid string) []TimelineEntry {
	var out []TimelineEntry
	var actions []time.Time // when each window-opening action's window closes
	for _, e := range l.Events {
		if e.PSID != psid && (e.PSID != "" || (e.Kind != "trigger" && e.Kind != "step")) {
			continue // a trigger or step for everyone shows in every timeline
		}
		if e.Kind == "trigger" {
			out = append(out, TimelineEntry{At: e.At, Order: e.Order, Ref: "event #" + itoa(e.Seq), Text: "trigger " + e.Detail})
			continue
		}
		out = append(out, TimelineEntry{At: e.At, Order: e.Order, Ref: "event #" + itoa(e.Seq), Text: e.Kind + " " + e.Detail})
		if e.OpensWindow() {
			closes := e.At.Add(platform.Window)
			if e.WindowUntil.After(closes) {
				closes = e.WindowUntil
			}
			actions = append(actions, e.At, closes)
		}
	}
	var until time.Time
	for i := 0; i < len(actions); i += 2 {
		if actions[i+1].After(until) {
			until = actions[i+1]
		}
		if i+2 < len(actions) && actions[i+2].Before(until) {
			continue
		}
		out = append(out, TimelineEntry{At: until, Order: -1, Text: "window closes"})
	}
	for _, c := range l.CallsFor(psid) {
		out = append(out, TimelineEntry{At: c.At, Order: c.Order, Ref: "call #" + itoa(c.Seq), Text: c.Describe()})
	}
	for _, t := range l.TokensFor(psid, "") {
		if t.State == TokenExpired {
			out = append(out, TimelineEntry{At: t.ExpiresAt, Order: -1, Text: "token #" + itoa(t.Seq) + " expires unused"})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].Order < out[j].Order
	})
	shown := out[:0]
	for _, e := range out {
		if !e.At.After(l.Now) {
			shown = append(shown, e)
		}
	}
	return shown
}

// TimelineEntry is one line of a subscriber's timeline.
type TimelineEntry struct {
	At   time.Time
	Ref  string // "call #4" or "event #2"; empty for what the clock brings
	Text string
	// Order is the ledger order of the event or call shown; -1 for what
	// the clock brings (a window closing, a token expiring).
	Order int
}

// Describe renders the call as one line of a timeline: what was sent, the
// window (when the recipient is known), and what the bot experienced.
func (c Call) Describe() string {
	kind := c.Kind
	if kind == "" {
		kind = KindUnknown
	}
	s := "send " + string(kind)
	if c.RecipientKind != "" {
		s += " to " + string(c.RecipientKind)
	}
	if c.TokenSeq != 0 {
		s += " #" + itoa(c.TokenSeq)
	} else if c.RecurringSeq != 0 {
		s += " #" + itoa(c.RecurringSeq)
	}
	if c.MessagingType != "" {
		s += " " + c.MessagingType
	}
	if c.Tag != "" {
		s += "/" + c.Tag
	}
	if c.Topic != "" {
		s += " topic " + quote(c.Topic)
	}
	switch {
	case c.PSID == "":
	case c.WindowOpen:
		s += " (window open)"
	default:
		s += " (window closed)"
	}
	switch {
	case c.OK && c.Fault != "":
		return s + " -> took effect, but the bot got " + c.Answered + " [fault " + c.Fault + "]"
	case c.OK:
		return s + " -> ok"
	case c.Fault != "":
		return s + " -> " + c.Answered + " [fault " + c.Fault + "], no effect"
	}
	v := " -> refused " + itoa(c.Code)
	if c.Subcode != 0 {
		v += "/" + itoa(c.Subcode)
	}
	if c.Rule != "" {
		v += " [" + c.Rule + "]"
	}
	return s + v
}

// RecordStep notes in the ledger that something outside the bot acted, such
// as a scenario's harness posting a Send API call itself: what follows is a
// new reaction, not the bot's answer to the last event.
func (s *Server) RecordStep(detail string) {
	s.mu.Lock()
	s.ledger.addEvent(Event{At: s.clock.Now(), Kind: "step", Detail: detail})
	s.mu.Unlock()
}

// RecordTrigger notes in the ledger that the bot was asked to act: the
// trigger's name, the subscriber it concerns (empty for everyone) and the
// topic its data names, if any. Findings read these notes to tell the
// notifications a bot was asked to send from its other messages.
func (s *Server) RecordTrigger(name, psid, topic string) {
	detail := name
	if topic != "" {
		detail += " topic " + quote(topic)
	}
	s.mu.Lock()
	s.ledger.addEvent(Event{At: s.clock.Now(), PSID: psid, Kind: "trigger", Detail: detail, Trigger: name, Topic: topic})
	s.mu.Unlock()
}
