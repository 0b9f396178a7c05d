package fakegraph

import (
	"errors"
	"fmt"
	"time"
)

// ErrUnknownUser is returned by user actions on a PSID the page has never seen.
var ErrUnknownUser = errors.New("unknown user")

// ErrNoRequest is returned by NotifyMe when no OTN request with that payload
// reached the user.
var ErrNoRequest = errors.New("no OTN request with that payload reached the user")

// ErrBlocked is returned by user actions in a thread the user has blocked.
var ErrBlocked = errors.New("the user has blocked the page")

// Delivery reports how a webhook delivery went.
type Delivery struct {
	Status int   // HTTP status the bot answered, 0 if it could not be reached
	Err    error // transport error, if any
}

// UserMessage plays psid writing text to the page: it opens the 24-hour
// window and delivers a message webhook to the bot.
func (s *Server) UserMessage(psid, text string) (Delivery, error) {
	now, mid, err := s.userAction(psid, "message", text)
	if err != nil {
		return Delivery{}, err
	}
	ev := messagingEvent{
		Sender:    party{ID: psid},
		Recipient: party{ID: s.cfg.Page.ID},
		Timestamp: now.UnixMilli(),
		Message:   &messageEvent{MID: mid, Text: text},
	}
	return s.deliver(psid, ev), nil
}

// Postback plays psid tapping a button with the given payload: it opens the
// window and delivers a messaging_postbacks webhook.
func (s *Server) Postback(psid, title, payload string) (Delivery, error) {
	now, mid, err := s.userAction(psid, "postback", payload)
	if err != nil {
		return Delivery{}, err
	}
	ev := messagingEvent{
		Sender:    party{ID: psid},
		Recipient: party{ID: s.cfg.Page.ID},
		Timestamp: now.UnixMilli(),
		Postback:  &postbackEvent{MID: mid, Title: title, Payload: payload},
	}
	return s.deliver(psid, ev), nil
}

// userAction records an action that opens the window and returns its time and a message id.
func (s *Server) userAction(psid, kind, detail string) (time.Time, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[psid]
	if !ok {
		return time.Time{}, "", fmt.Errorf("%s from %s: %w", kind, psid, ErrUnknownUser)
	}
	if u.blocked {
		return time.Time{}, "", fmt.Errorf("%s from %s: %w", kind, psid, ErrBlocked)
	}
	now := s.clock.Now()
	reopened := !u.windowOpen(now)
	u.lastAction = now
	d := quote(detail)
	if reopened {
		d += " (window opens until " + now.Add(Window).UTC().Format(time.RFC3339Nano) + ")"
	}
	s.ledger.addEvent(Event{At: now, PSID: psid, Kind: kind, Detail: d})
	return now, "m_" + s.randomString(24), nil
}

// NotifyMe plays psid tapping "Notify Me" on the latest OTN request with the
// given payload. It issues a new token, delivers the messaging_optins
// webhook, and returns the token. It does not open the window.
func (s *Server) NotifyMe(psid, payload string) (string, Delivery, error) {
	s.mu.Lock()
	u, ok := s.users[psid]
	if !ok {
		s.mu.Unlock()
		return "", Delivery{}, fmt.Errorf("notify me from %s: %w", psid, ErrUnknownUser)
	}
	if u.blocked {
		s.mu.Unlock()
		return "", Delivery{}, fmt.Errorf("notify me from %s: %w", psid, ErrBlocked)
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
	t := &tokenRecord{
		seq:       len(s.ledger.tokens) + 1,
		value:     s.randomString(48),
		pageID:    s.cfg.Page.ID,
		psid:      psid,
		topic:     payload,
		title:     req.title,
		issuedAt:  now,
		expiresAt: now.Add(TokenLifetime),
	}
	s.tokens[t.value] = t
	s.ledger.tokens = append(s.ledger.tokens, t)
	s.ledger.addEvent(Event{At: now, PSID: psid, Kind: "notify_me", Detail: fmt.Sprintf("%s: token #%d issued, expires %s", quote(payload), t.seq, t.expiresAt.UTC().Format(time.RFC3339))})
	s.mu.Unlock()

	ev := messagingEvent{
		Sender:    party{ID: psid},
		Recipient: party{ID: s.cfg.Page.ID},
		Timestamp: now.UnixMilli(),
		Optin:     &optinEvent{Type: "one_time_notif_req", Payload: payload, Token: t.value},
	}
	return t.value, s.deliver(psid, ev), nil
}

// Block plays psid blocking the page: later sends to them fail with 551.
func (s *Server) Block(psid string) error { return s.setBlocked(psid, true) }

// Unblock plays psid unblocking the page.
func (s *Server) Unblock(psid string) error { return s.setBlocked(psid, false) }

func (s *Server) setBlocked(psid string, blocked bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[psid]
	if !ok {
		return fmt.Errorf("block %s: %w", psid, ErrUnknownUser)
	}
	u.blocked = blocked
	kind := "block"
	if !blocked {
		kind = "unblock"
	}
	s.ledger.addEvent(Event{At: s.clock.Now(), PSID: psid, Kind: kind})
	return nil
}
