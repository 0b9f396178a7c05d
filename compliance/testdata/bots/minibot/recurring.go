package minibot

import (
	"sort"
	"strings"
	"time"
)

// Recurring notifications (notification_messages), OTN's successor: the
// standard triggers recurring.request and recurring.notify.

const (
	rnRepeat   = 7 * 24 * time.Hour // one request per title per person a week
	rnCooldown = 48 * time.Hour     // one message per token every 48 hours
	rnTitleMax = 65                 // like OTN's
	rnMax      = 5                  // requests to one person a week
)

// rnDeprecated is when Meta deprecated recurring notifications.
var rnDeprecated = time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)

type rnToken struct {
	value, topic string
	expires      time.Time
	stopped      bool
	last         time.Time // the latest message sent with it
}

type rnPerson struct {
	asked  map[string]time.Time // title -> accepted request
	tokens map[string]*rnToken  // topic -> token
}

// rnPersonLocked returns what the bot knows of psid's recurring notifications.
func (b *bot) rnPersonLocked(psid string) *rnPerson {
	if b.rn == nil {
		b.rn = map[string]*rnPerson{}
	}
	p := b.rn[psid]
	if p == nil {
		p = &rnPerson{asked: map[string]time.Time{}, tokens: map[string]*rnToken{}}
		b.rn[psid] = p
	}
	return p
}

// rnOptinLocked takes a notification_messages opt-in, stop or resume webhook.
func (b *bot) rnOptinLocked(psid, topic, value, status string, expiryMS int64) {
	p := b.rnPersonLocked(psid)
	if b.faults.RNIgnoreStop && status != "" {
		return
	}
	switch {
	case strings.HasPrefix(strings.ReplaceAll(status, "_", " "), "STOP"):
		if t := p.tokens[topic]; t != nil {
			t.stopped = true
		}
	case strings.HasPrefix(strings.ReplaceAll(status, "_", " "), "RESUME"):
		if t := p.tokens[topic]; t != nil {
			t.stopped = false
		}
	case value != "":
		t := p.tokens[topic]
		if t == nil || t.value != value {
			t = &rnToken{value: value, topic: topic}
			p.tokens[topic] = t
		}
		t.expires, t.stopped = time.UnixMilli(expiryMS).UTC(), false
		if b.faults.RNKeepExpired {
			t.expires = time.Time{}
		}
	}
}

// rnUsableLocked reports whether recurring notifications may still
// be used: before their deprecation, or always for RNAfterDeprecation.
func (b *bot) rnUsableLocked() bool {
	return b.now.Before(rnDeprecated) || b.faults.RNAfterDeprecation
}

// rnRequestLocked sends the notification_messages request when the window
// is open, the title fits, and the title was not asked this week.
func (b *bot) rnRequestLocked(psid, topic, title string) {
	person := b.personLocked(psid)
	p := b.rnPersonLocked(psid)
	if !b.rnUsableLocked() || (!b.windowOpenLocked(person, false) && !b.faults.RNAskOutsideWindow) || person.away {
		return
	}
	if title == "" {
		title = "Updates and promotions"
	}
	if len([]rune(title)) > rnTitleMax && !b.faults.RNAnyTitle {
		return
	}
	n := 0
	for t, at := range p.asked {
		if b.now.Before(at) || b.now.Sub(at) >= rnRepeat {
			delete(p.asked, t)
			continue
		}
		n++
	}
	if _, asked := p.asked[title]; (asked && !b.faults.RNReaskTitle) || n >= rnMax {
		return
	}
	no := b.send(map[string]any{"recipient": map[string]string{"id": psid}, "messaging_type": "RESPONSE",
		"message": map[string]any{"attachment": map[string]any{"type": "template", "payload": map[string]string{
			"template_type": "notification_messages", "title": title, "payload": topic}}}})
	if no.code == 0 || no.code == -1 {
		// Sent, or the answer was lost on the way (Meta may have
		// delivered it): either way the title is asked for the week.
		p.asked[title] = b.now
	}
	b.sent(psid, no)
}

// rnNotifyLocked sends text to every holder of a live token of topic whose
// cooldown has passed.
func (b *bot) rnNotifyLocked(topic, text string) {
	if !b.rnUsableLocked() {
		return
	}
	cooldown := rnCooldown
	if b.faults.RNCooldown24h {
		cooldown = 24 * time.Hour
	}
	psids := make([]string, 0, len(b.rn))
	for psid := range b.rn {
		psids = append(psids, psid)
	}
	sort.Strings(psids)
	for _, psid := range psids {
		t := b.rn[psid].tokens[topic]
		if t == nil || t.stopped || (!t.expires.IsZero() && !b.now.Before(t.expires)) || (!t.last.IsZero() && !b.now.Before(t.last) && b.now.Sub(t.last) < cooldown) {
			continue
		}
		if p := b.people[psid]; p != nil && p.away {
			continue // Meta said they cannot be reached until they write
		} else if p != nil && !b.idleLocked(p) {
			continue // do not interrupt: as for one-time notifications
		}
		no := b.send(map[string]any{"recipient": map[string]string{"notification_messages_token": t.value},
			"message": map[string]string{"text": text}})
		if no.code == 0 || no.code == -1 {
			t.last = b.now
		}
		b.sent(psid, no)
	}
}
