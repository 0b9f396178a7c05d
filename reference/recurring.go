package reference

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/otnsim/otnsim/platform"
)

// Recurring notifications (notification_messages), OTN's successor, through
// the standard triggers recurring.request {psid, topic, title} and
// recurring.notify {topic, text}: the bot asks inside the window, at most
// once per title a week and never after the deprecation of 2026-02-10; it
// keeps each notification_messages_token from the opt-in webhook, marks it
// stopped or resumed as the person says, drops it at its
// token_expiry_timestamp, and sends with it at most once per 48 hours (24
// before 2025-09-01).

const (
	bucketRNTokens = "rn_tokens" // psid \x00 topic -> rnTokenRec
	bucketRNAsked  = "rn_asked"  // psid \x00 title -> time of the accepted request
	rnRepeat       = 7 * 24 * time.Hour
	rnMaxRequests  = 5
)

type rnTokenRec struct {
	PSID    string    `json:"psid"`
	Topic   string    `json:"topic"`
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
	Stopped bool      `json:"stopped,omitempty"`
	Last    time.Time `json:"last"` // the latest message sent with it
}

// rnCooldown is the wait between two messages with one token at now.
func rnCooldown(now time.Time) time.Duration {
	if now.Before(platform.RecurringCooldown48Date()) {
		return 24 * time.Hour
	}
	return 48 * time.Hour
}

// onRecurringOptin takes a notification_messages opt-in, stop or resume.
func (b *Bot) onRecurringOptin(psid, topic, token, status string, expiryMS int64) error {
	status = strings.ReplaceAll(status, "_", " ")
	return b.store.Update(func(tx Tx) error {
		key := psid + "\x00" + topic
		rec := &rnTokenRec{}
		ok, err := tx.Get(bucketRNTokens, key, rec)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(status, "STOP"), strings.HasPrefix(status, "RESUME"):
			if !ok {
				return nil
			}
			rec.Stopped = strings.HasPrefix(status, "STOP")
		case token != "":
			if !ok || rec.Token != token {
				rec = &rnTokenRec{PSID: psid, Topic: topic, Token: token}
			}
			rec.Expires, rec.Stopped = time.UnixMilli(expiryMS).UTC(), false
		default:
			return nil
		}
		return tx.Put(bucketRNTokens, key, rec)
	})
}

// recurringRequest sends the notification_messages request when it may.
func (b *Bot) recurringRequest(psid, topic, title string) error {
	now := b.now()
	if title == "" {
		title = "Updates and promotions"
	}
	if !now.Before(platform.RecurringDeprecatedDate()) || utf8.RuneCountInString(title) > MaxTitleRunes {
		return nil
	}
	may := false
	err := b.store.View(func(tx Tx) error {
		s, err := getSubscriber(tx, psid)
		if err != nil || !s.windowOpen(now) || s.Blocked {
			return err
		}
		n := 0
		err = tx.Scan(bucketRNAsked, psid+"\x00", func(key string, raw []byte) error {
			var at time.Time
			if err := json.Unmarshal(raw, &at); err != nil {
				return err
			}
			if !now.Before(at) && now.Sub(at) < rnRepeat {
				n++
				if key == psid+"\x00"+title {
					n = rnMaxRequests
				}
			}
			return nil
		})
		may = err == nil && n < rnMaxRequests
		return err
	})
	if err != nil || !may {
		return err
	}
	req := sendAny{Recipient: recipient{ID: psid}, MessagingType: "RESPONSE", Message: map[string]any{
		"attachment": map[string]any{"type": "template", "payload": map[string]string{
			"template_type": "notification_messages", "title": title, "payload": topic}}}}
	if err := b.send(req); err != nil {
		b.logf("recurring request to %s for %q: %v", psid, topic, err)
		if classify(err) != outUnknown {
			return nil
		}
		// The answer was lost: Meta may have delivered it, and asking the
		// same title again within the week would be refused. Count it.
	}
	return b.store.Update(func(tx Tx) error { return tx.Put(bucketRNAsked, psid+"\x00"+title, now) })
}

// recurringNotify sends text to every holder of a live token of topic whose
// cooldown has passed.
func (b *Bot) recurringNotify(topic, text string) error {
	now := b.now()
	if !now.Before(platform.RecurringDeprecatedDate()) {
		return nil
	}
	var due []*rnTokenRec
	err := b.store.View(func(tx Tx) error {
		return tx.Scan(bucketRNTokens, "", func(_ string, raw []byte) error {
			rec := &rnTokenRec{}
			if err := json.Unmarshal(raw, rec); err != nil {
				return err
			}
			wait := rnCooldown(now)
			if b.cfg.Policy.IgnoreRecurringCooldown {
				wait = 0
			}
			if rec.Topic == topic && !rec.Stopped && now.Before(rec.Expires) &&
				(rec.Last.IsZero() || now.Before(rec.Last) || now.Sub(rec.Last) >= wait) {
				if s, err := getSubscriber(tx, rec.PSID); err == nil && s.Blocked {
					return nil // Meta said they cannot be reached until they write
				}
				due = append(due, rec)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, rec := range due {
		err := b.send(map[string]any{"recipient": map[string]string{"notification_messages_token": rec.Token},
			"message": map[string]string{"text": text}})
		var gerr *GraphError
		if err != nil && errors.As(err, &gerr) {
			b.logf("recurring notification to %s: %v", rec.PSID, err)
			if classify(err) == outBlocked {
				if uerr := b.store.Update(func(tx Tx) error {
					s, err := getSubscriber(tx, rec.PSID)
					if err != nil {
						return err
					}
					s.Blocked = true
					return putSubscriber(tx, s)
				}); uerr != nil {
					return fmt.Errorf("recurring notification to %s: %w", rec.PSID, uerr)
				}
			}
			continue
		}
		rec.Last = now
		if uerr := b.store.Update(func(tx Tx) error { return tx.Put(bucketRNTokens, rec.PSID+"\x00"+rec.Topic, rec) }); uerr != nil {
			return fmt.Errorf("recurring notification to %s: %w", rec.PSID, uerr)
		}
	}
	return nil
}
