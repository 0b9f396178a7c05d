package load

import (
	"fmt"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/load/profile"
	"github.com/otnsim/otnsim/platform"
)

// entryKind is a way a subscriber comes into the conversation, in the order
// of profile.EntryNames.
type entryKind uint8

const (
	entryMessage entryKind = iota
	entryQuickReply
	entryPostback
	entryReaction
	entryReferral
	entryAd
)

// asks reports whether the entry carries a question the bot may answer
// with an OTN request: a typed message, a quick reply, the message after an ad.
func (k entryKind) asks() bool { return k == entryMessage || k == entryQuickReply || k == entryAd }

// entryMix draws entries by the profile's weights. A mix of messages only
// draws nothing, so such runs keep the random streams they always had.
type entryMix struct {
	cum []float64 // cumulative weights, normalised; nil for messages only
}

func newEntryMix(e profile.Entries) entryMix {
	ws := e.Weights()
	total, others := 0.0, 0.0
	for k, v := range ws {
		total += v
		if k != int(entryMessage) {
			others += v
		}
	}
	if others <= 0 || total <= 0 {
		return entryMix{}
	}
	m := entryMix{cum: make([]float64, len(ws))}
	acc := 0.0
	for k, v := range ws {
		acc += v
		m.cum[k] = acc / total
	}
	return m
}

func (m entryMix) draw(r *splitmix64) entryKind {
	if m.cum == nil {
		return entryMessage
	}
	x := r.float()
	for k, c := range m.cum {
		if x < c {
			return entryKind(k)
		}
	}
	return entryKind(len(m.cum) - 1)
}

// The payloads, emoji and references the engine's entries carry.
const (
	quickReplyPayload = "ASK"
	postbackPayload   = "GET_STARTED"
	referralRef       = "load-link"
	adID              = "6045246247433"
)

// enter plays subscriber i coming in by entry (text is what a message or
// quick reply says), counts it, and keeps the window the invariants check:
// 24 hours after any entry, up to fakegraph's ad window after the first
// message that follows a Click-to-Messenger ad once the policy applies.
func (w *world) enter(i int32, entry entryKind, text string, now int64) (fakegraph.Delivery, error) {
	s := &w.subs[i]
	psid := w.psids[i]
	c := &w.counters
	w.counted(now, false)
	s.lastAction = now
	s.windowUntil = max(s.windowUntil, now+int64(platform.Window))
	switch entry {
	case entryQuickReply:
		c.Messages++
		c.QuickReplies++
		w.adMessage(s, now)
		w.note(LifeEvent{Kind: LifeQuickReply, Text: text, Payload: quickReplyPayload})
		return w.graph.QuickReply(psid, text, quickReplyPayload)
	case entryPostback:
		c.Postbacks++
		w.note(LifeEvent{Kind: LifePostback, Title: "Get Started", Payload: postbackPayload})
		return w.graph.Postback(psid, "Get Started", postbackPayload)
	case entryReaction:
		c.Reactions++
		w.note(LifeEvent{Kind: LifeReaction})
		return w.graph.React(psid, "")
	case entryReferral:
		c.Referrals++
		w.note(LifeEvent{Kind: LifeReferral, Source: "SHORTLINK", Ref: referralRef})
		return w.graph.Referral(psid, fakegraph.Referral{Source: "SHORTLINK", Ref: referralRef})
	case entryAd:
		c.AdClicks++
		w.note(LifeEvent{Kind: LifeReferral, Source: "ADS", AdID: adID})
		d, err := w.graph.Referral(psid, fakegraph.Referral{Source: "ADS", AdID: adID})
		if err != nil {
			return d, fmt.Errorf("ad click-through: %w", err)
		}
		s.adPending = true
		w.delivered(d, nil)
		w.drain()
		w.counted(now, false)
		c.Messages++
		w.adMessage(s, now)
		w.note(LifeEvent{Kind: LifeSay, Text: text})
		return w.graph.UserMessage(psid, text)
	}
	c.Messages++
	w.adMessage(s, now)
	return w.graph.UserMessage(psid, text)
}

// adMessage extends s's window for their first message after an ad, as
// Meta's policy of 2026-09-28 does.
func (w *world) adMessage(s *subscriber, now int64) {
	if !s.adPending {
		return
	}
	s.adPending = false
	date := now
	if w.platformDate != 0 {
		date = w.platformDate
	}
	if date >= w.adFrom {
		s.windowUntil = max(s.windowUntil, now+w.adWindow)
	}
}
