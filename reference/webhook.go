package reference

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/otnsim/otnsim/internal/httpbody"
	"github.com/otnsim/otnsim/platform"
)

// webhookBody is what the bot reads of a delivery.
type webhookBody struct {
	Object string `json:"object"`
	Entry  []struct {
		Time      int64 `json:"time"`
		Messaging []struct {
			Sender    struct{ ID string } `json:"sender"`
			Timestamp int64               `json:"timestamp"`
			Message   *struct {
				MID        string `json:"mid"`
				Text       string `json:"text"`
				IsEcho     bool   `json:"is_echo"`
				QuickReply *struct {
					Payload string `json:"payload"`
				} `json:"quick_reply"`
			} `json:"message"`
			Postback *struct {
				MID     string `json:"mid"`
				Payload string `json:"payload"`
			} `json:"postback"`
			Optin *struct {
				Type    string `json:"type"`
				Payload string `json:"payload"`
				Token   string `json:"one_time_notif_token"`
				// recurring notifications (recurring.go)
				RNToken string `json:"notification_messages_token"`
				Expiry  int64  `json:"token_expiry_timestamp"`
				Status  string `json:"notification_messages_status"`
			} `json:"optin"`
			Reaction *struct {
				MID    string `json:"mid"`
				Action string `json:"action"`
			} `json:"reaction"`
			Referral *struct {
				Source string `json:"source"`
				AdID   string `json:"ad_id"`
			} `json:"referral"`
		} `json:"messaging"`
	} `json:"entry"`
}

func (b *Bot) events(w http.ResponseWriter, r *http.Request) {
	body, err := httpbody.Read(r.Body, r.ContentLength, 1<<20+1)
	if err != nil || len(body) > 1<<20 {
		http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	if !b.cfg.Policy.SkipSignatureCheck && !b.sig.Verify(body, r.Header.Get(platform.SignatureHeader)) {
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	var env webhookBody
	if err := json.Unmarshal(body, &env); err != nil || env.Object != "page" {
		http.Error(w, "not a page webhook", http.StatusBadRequest)
		return
	}
	for _, e := range env.Entry {
		b.observe(time.UnixMilli(e.Time).UTC())
		for _, m := range e.Messaging {
			at := time.UnixMilli(m.Timestamp).UTC()
			b.observe(at)
			psid := m.Sender.ID
			if psid == "" {
				continue
			}
			var err error
			switch {
			case m.Message != nil && !m.Message.IsEcho:
				qr := ""
				if m.Message.QuickReply != nil {
					qr = m.Message.QuickReply.Payload
				}
				err = b.onMessage(psid, dedupeKey("m", m.Message.MID, psid, m.Timestamp), m.Message.Text, qr, at)
			case m.Postback != nil:
				err = b.onPostback(psid, dedupeKey("p", m.Postback.MID, psid, m.Timestamp), m.Postback.Payload, at)
			case m.Reaction != nil:
				// A reaction opens the window and counts as activity, like a message.
				_, err = b.inbound(psid, dedupeKey("r"+m.Reaction.Action, m.Reaction.MID, psid, m.Timestamp), at)
			case m.Referral != nil:
				err = b.onReferral(psid, dedupeKey("f", "", psid, m.Timestamp), m.Referral.Source == "ADS", at)
			case m.Optin != nil && m.Optin.Type == "notification_messages":
				err = b.onRecurringOptin(psid, m.Optin.Payload, m.Optin.RNToken, m.Optin.Status, m.Optin.Expiry)
			case m.Optin != nil && m.Optin.Type == "one_time_notif_req" && m.Optin.Token != "":
				err = b.onOptin(psid, m.Optin.Payload, m.Optin.Token, at)
			}
			if err != nil {
				b.logf("webhook from %s: %v", psid, err)
				http.Error(w, "could not record the event", http.StatusInternalServerError)
				return
			}
		}
	}
	_, _ = io.WriteString(w, "EVENT_RECEIVED")
}

// dedupeKey names an event for replay detection: its message id, or the
// sender and timestamp when it has none.
func dedupeKey(kind, mid, psid string, ts int64) string {
	if mid != "" {
		return kind + ":" + mid
	}
	return kind + ":" + psid + ":" + itoa(ts)
}

// inbound records a message or postback from psid at 'at' (window and
// activity) and reports whether it is new (not a replay).
func (b *Bot) inbound(psid, key string, at time.Time) (bool, error) {
	fresh := false
	err := b.store.Update(func(tx Tx) error {
		ok, err := markSeen(tx, key)
		if err != nil || !ok {
			return err
		}
		fresh = true
		s, err := getSubscriber(tx, psid)
		if err != nil {
			return err
		}
		if at.After(s.LastWindow) {
			s.LastWindow = at
		}
		if at.After(s.LastActive) {
			s.LastActive = at
		}
		s.Blocked = false // they wrote to the page, so they are reachable again
		return putSubscriber(tx, s)
	})
	return fresh, err
}

// onReferral takes a person coming in through a referral (an m.me link or
// a Click-to-Messenger ad): like a message it opens the window; after an
// ad, their next message opens it for up to 7 days (Meta's policy of
// 2026-09-28).
func (b *Bot) onReferral(psid, key string, ad bool, at time.Time) error {
	fresh, err := b.inbound(psid, key, at)
	if err != nil || !fresh || !ad {
		return err
	}
	return b.store.Update(func(tx Tx) error {
		s, err := getSubscriber(tx, psid)
		if err != nil {
			return err
		}
		s.AdPending = true
		return putSubscriber(tx, s)
	})
}

// adMessage extends the window of the first message after a
// Click-to-Messenger ad, from the policy's date.
func (b *Bot) adMessage(psid string, at time.Time) error {
	return b.store.Update(func(tx Tx) error {
		s, err := getSubscriber(tx, psid)
		if err != nil || !s.AdPending {
			return err
		}
		s.AdPending = false
		if !at.Before(platform.AdWindowDate()) {
			s.WindowUntil = at.Add(platform.AdWindow)
		}
		return putSubscriber(tx, s)
	})
}

func (b *Bot) onMessage(psid, key, text, quickReply string, at time.Time) error {
	fresh, err := b.inbound(psid, key, at)
	if err != nil || !fresh {
		return err
	}
	if err := b.adMessage(psid, at); err != nil {
		return err
	}
	if quickReply != "" {
		if o, ok := b.optInForPayload(quickReply); ok {
			_, err := b.ask(psid, o.Topic, o.Title)
			return err
		}
	}
	if f, ok := b.flowForText(text); ok {
		return b.runFlow(psid, f)
	}
	if o, ok := b.optInForText(text); ok {
		_, err := b.ask(psid, o.Topic, o.Title)
		return err
	}
	p := b.mentionedProduct(text)
	if p == nil {
		return nil
	}
	if p.InStock {
		_ = b.sendMessage(psid, "RESPONSE", Message{Text: p.Name + " is in stock. Tap the shop link to order."})
		return nil
	}
	_, err = b.ask(psid, "restock:"+p.Slug, requestTitle(p.Name))
	return err
}

func (b *Bot) onPostback(psid, key, payload string, at time.Time) error {
	fresh, err := b.inbound(psid, key, at)
	if err != nil || !fresh {
		return err
	}
	if o, ok := b.optInForPayload(payload); ok {
		_, err := b.ask(psid, o.Topic, o.Title)
		return err
	}
	return nil
}

// onOptin stores a new token (each tap yields one) and sends the opt-in's
// confirmation while the window is open.
func (b *Bot) onOptin(psid, topic, token string, at time.Time) error {
	fresh := false
	var open bool
	err := b.store.Update(func(tx Tx) error {
		ok, err := markSeen(tx, "t:"+token)
		if err != nil || !ok {
			return err
		}
		fresh = true
		seq, err := nextSeq(tx)
		if err != nil {
			return err
		}
		t := &tokenRec{Seq: seq, PSID: psid, Topic: topic, Value: token, IssuedAt: at, State: tokHeld}
		if err := tx.Put(bucketTokens, t.key(), t); err != nil {
			return err
		}
		s, err := getSubscriber(tx, psid)
		if err != nil {
			return err
		}
		if at.After(s.LastActive) {
			s.LastActive = at
		}
		open = s.windowOpen(b.now())
		if err := addStat(tx, b.day(at), topic, statOptIns, 1); err != nil {
			return err
		}
		return putSubscriber(tx, s)
	})
	if err != nil || !fresh {
		return err
	}
	if o, ok := b.topics[topic]; ok && o.Confirmation != "" && open {
		_ = b.sendMessage(psid, "RESPONSE", Message{Text: o.Confirmation})
	}
	return nil
}

func requestTitle(name string) string {
	t := "Notify me when " + name + " is back"
	if r := []rune(t); len(r) > MaxTitleRunes {
		t = string(r[:MaxTitleRunes])
	}
	return t
}

// mentionedProduct finds a product named in text.
func (b *Bot) mentionedProduct(text string) *Product {
	lower := strings.ToLower(text)
	b.mu.Lock()
	defer b.mu.Unlock()
	slugs := make([]string, 0, len(b.products))
	for s := range b.products {
		slugs = append(slugs, s)
	}
	sort.Strings(slugs)
	for _, s := range slugs {
		p := b.products[s]
		if strings.Contains(lower, strings.ToLower(p.Name)) || strings.Contains(lower, strings.ReplaceAll(p.Slug, "-", " ")) {
			cp := *p
			return &cp
		}
	}
	return nil
}

// optInForText finds the first opt-in (in definition order) with a keyword in text.
func (b *Bot) optInForText(text string) (OptIn, bool) {
	lower := strings.ToLower(text)
	for _, o := range b.cfg.OptIns {
		for _, k := range o.Keywords {
			if k != "" && strings.Contains(lower, strings.ToLower(k)) {
				return o, true
			}
		}
	}
	return OptIn{}, false
}

// optInForPayload finds the opt-in a quick reply or button payload asks for.
func (b *Bot) optInForPayload(payload string) (OptIn, bool) {
	for _, o := range b.cfg.OptIns {
		for _, p := range o.Payloads {
			if p == payload {
				return o, true
			}
		}
	}
	return OptIn{}, false
}

func (b *Bot) flowForText(text string) (Flow, bool) {
	lower := strings.ToLower(text)
	for _, f := range b.cfg.Flows {
		if f.Keyword != "" && strings.Contains(lower, strings.ToLower(f.Keyword)) {
			return f, true
		}
	}
	return Flow{}, false
}
