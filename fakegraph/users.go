package fakegraph

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/otnsim/otnsim/platform"
)

// ErrUnknownUser is returned by user actions on a PSID the page has never seen.
var ErrUnknownUser = errors.New("unknown user")

// ErrNoRequest is returned by NotifyMe when no OTN request with that payload
// reached the user.
var ErrNoRequest = errors.New("no OTN request with that payload reached the user")

// ErrSuppressed is returned by NotifyMe when the region rules suppress the
// opt-in in the user's thread: no token is issued and no webhook delivered.
var ErrSuppressed = errors.New("the OTN opt-in is suppressed in this thread by the region rules")

// ErrBlocked is returned by user actions in a thread the user has blocked.
var ErrBlocked = errors.New("the user has blocked the page")

// ErrUnavailable is returned by user actions from a deactivated or unreachable user.
var ErrUnavailable = errors.New("the user is not available")

// Delivery reports how a webhook delivery went.
type Delivery struct {
	Status int   // HTTP status the bot answered, 0 if it could not be reached
	Err    error // transport error, if any
	// Attempts is how many times the event was posted before this report
	// (later retries run on the clock and are recorded in the ledger).
	Attempts int
	// Deferred says the event was held back (out-of-order delivery setting)
	// and goes out later on the clock.
	Deferred bool
	// Skipped says the page is not subscribed to the event's field.
	Skipped bool
}

// UserMessage plays psid writing text to the page: it opens the 24-hour
// window and delivers a message webhook to the bot.
func (s *Server) UserMessage(psid, text string) (Delivery, error) {
	now, mid, err := s.userAction(psid, "message", text)
	if err != nil {
		return Delivery{}, err
	}
	ev := s.event(psid, now)
	ev.Message = &messageEvent{MID: mid, Text: text}
	return s.deliver(psid, fieldMessages, ev), nil
}

// QuickReply plays psid tapping a quick reply (text is its title): it opens
// the window and delivers a message webhook carrying quick_reply.payload.
func (s *Server) QuickReply(psid, text, payload string) (Delivery, error) {
	now, mid, err := s.userAction(psid, "quick_reply", payload)
	if err != nil {
		return Delivery{}, err
	}
	ev := s.event(psid, now)
	ev.Message = &messageEvent{MID: mid, Text: text, QuickReply: &quickReplyEvent{Payload: payload}}
	return s.deliver(psid, fieldMessages, ev), nil
}

// Postback plays psid tapping a button with the given payload: it opens the
// window and delivers a messaging_postbacks webhook.
func (s *Server) Postback(psid, title, payload string) (Delivery, error) {
	now, mid, err := s.userAction(psid, "postback", payload)
	if err != nil {
		return Delivery{}, err
	}
	ev := s.event(psid, now)
	ev.Postback = &postbackEvent{MID: mid, Title: title, Payload: payload}
	return s.deliver(psid, fieldPostbacks, ev), nil
}

func (s *Server) event(psid string, now time.Time) messagingEvent {
	return messagingEvent{Sender: party{ID: psid}, Recipient: party{ID: s.cfg.Page.ID}, Timestamp: now.UnixMilli()}
}

// actorLocked finds the user behind an action and checks they can act.
func (s *Server) actorLocked(psid, kind string) (*userState, error) {
	u, ok := s.users[psid]
	if !ok {
		return nil, fmt.Errorf("%s from %s: %w", kind, psid, ErrUnknownUser)
	}
	switch u.state {
	case UserBlocked:
		return nil, fmt.Errorf("%s from %s: %w", kind, psid, ErrBlocked)
	case UserDeactivated:
		return nil, fmt.Errorf("%s from %s: %w", kind, psid, ErrUnavailable)
	}
	return u, nil
}

// userAction records an action that opens the window and returns its time and a message id.
func (s *Server) userAction(psid, kind, detail string) (time.Time, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.actorLocked(psid, kind)
	if err != nil {
		return time.Time{}, "", err
	}
	now := s.clock.Now()
	reopened := !u.windowOpen(now)
	u.lastAction = now
	d := quote(detail)
	var until time.Time
	ad := false
	if kind == "message" || kind == "quick_reply" {
		until, ad = s.adMessageLocked(u, now)
	}
	if ad {
		d += " (first message after a Click-to-Messenger ad: window open until " + until.UTC().Format(time.RFC3339Nano) + ")"
	} else if reopened {
		d += " (window opens until " + now.Add(platform.Window).UTC().Format(time.RFC3339Nano) + ")"
	}
	ev := Event{At: now, PSID: psid, Kind: kind, Detail: d}
	if ad {
		ev.WindowUntil = until
	}
	s.ledger.addEvent(ev)
	return now, s.eventMID(psid), nil
}

// NotifyMe plays psid tapping "Notify Me" on the latest OTN request with the
// given payload. It issues a new token, delivers the messaging_optins
// webhook, and returns the token. It does not open the window. Where the
// region rules apply to the thread it issues nothing and fails with
// ErrSuppressed.
func (s *Server) NotifyMe(psid, payload string) (string, Delivery, error) {
	s.mu.Lock()
	u, err := s.actorLocked(psid, "notify me")
	if err != nil {
		s.mu.Unlock()
		return "", Delivery{}, err
	}
	var req *otnRequest
	reqs := s.requests[psid]
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].payload == payload {
			req = &reqs[i]
			break
		}
	}
	if req == nil {
		s.mu.Unlock()
		return "", Delivery{}, fmt.Errorf("notify me from %s for %q: %w", psid, payload, ErrNoRequest)
	}
	now := s.clock.Now()
	if req.suppressed || s.threadAffected(u, now) {
		s.ledger.addEvent(Event{At: now, PSID: psid, Kind: "notify_me", Detail: quote(payload) + ": suppressed by the region rules, no token, no webhook"})
		s.mu.Unlock()
		return "", Delivery{}, fmt.Errorf("notify me from %s for %q: %w", psid, payload, ErrSuppressed)
	}
	t := &tokenRecord{
		seq:       len(s.ledger.tokens) + 1,
		value:     s.newTokenValue(),
		pageID:    s.cfg.Page.ID,
		psid:      psid,
		topic:     payload,
		title:     req.title,
		issuedAt:  now,
		expiresAt: s.tokenExpiry(now),
	}
	s.tokens[t.value] = t
	s.ledger.tokens = append(s.ledger.tokens, t)
	s.metrics.tokensIssued.Add(1)
	s.ledger.addEvent(Event{At: now, PSID: psid, Kind: "notify_me", TokenSeq: t.seq, Topic: payload,
		Detail: fmt.Sprintf("%s: token #%d issued, expires %s", quote(payload), t.seq, t.expiresAt.UTC().Format(time.RFC3339))})
	s.mu.Unlock()

	ev := s.event(psid, now)
	ev.Optin = &optinEvent{Type: "one_time_notif_req", Payload: payload, Token: t.value}
	return t.value, s.deliver(psid, fieldOptins, ev), nil
}

// Block plays psid blocking the page: later sends to them fail with 551.
func (s *Server) Block(psid string) error { return s.SetUserState(psid, UserBlocked) }

// Unblock plays psid unblocking the page.
func (s *Server) Unblock(psid string) error { return s.SetUserState(psid, UserActive) }

// SetUserState changes whether psid can receive messages: blocked (551),
// deactivated (200/1545041), unreachable (10/2018108) or active again.
func (s *Server) SetUserState(psid string, st UserState) error {
	switch st {
	case UserActive, UserBlocked, UserDeactivated, UserUnreachable:
	default:
		return fmt.Errorf("set state of %s: unknown state %q", psid, st)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[psid]
	if !ok {
		return fmt.Errorf("set state of %s: %w", psid, ErrUnknownUser)
	}
	if u.state == UserActive {
		s.activeUsers--
	}
	if st == UserActive {
		s.activeUsers++
	}
	prev := u.state
	u.state = st
	kind := map[UserState]string{UserBlocked: "block", UserDeactivated: "deactivate", UserUnreachable: "unreachable", UserActive: "unblock"}[st]
	if st == UserActive && prev != UserBlocked {
		kind = "reactivate"
	}
	s.ledger.addEvent(Event{At: s.clock.Now(), PSID: psid, Kind: kind})
	return nil
}

// LookupUser returns the user registered under psid.
func (s *Server) LookupUser(psid string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[psid]
	if !ok {
		return User{}, false
	}
	return u.User, true
}

// eventMID returns a new message id for an event from psid. The seeded
// random part is mixed with the PSID, so that worlds that share a seed but
// not their subscribers (scenarios played one after another against one bot
// process) never send the same mid: a bot that deduplicates by mid would
// take the second world's events for replays. Callers hold s.mu.
func (s *Server) eventMID(psid string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(psid))
	var salt [8]byte
	binary.BigEndian.PutUint64(salt[:], h.Sum64())
	return "m_" + base64.RawURLEncoding.EncodeToString(salt[:6]) + s.randomString(18)
}
