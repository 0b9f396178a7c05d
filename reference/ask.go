package reference

import (
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/otnsim/otnsim/platform"
)

// ErrInvalidRequest is wrapped when an OTN request could never be valid
// (an empty topic, a title of the wrong length).
var ErrInvalidRequest = errors.New("invalid OTN request")

// ask sends an OTN request for topic to psid when the policy allows: the
// window is open, OTN is available for the page and the subscriber, and the
// throttle is not exceeded. It reports whether a request went out.
func (b *Bot) ask(psid, topic, title string) (bool, error) {
	if n := utf8.RuneCountInString(title); topic == "" || n == 0 || n > MaxTitleRunes {
		return false, fmt.Errorf("%w: topic %q, title of %d characters (want 1 to %d)", ErrInvalidRequest, topic, n, MaxTitleRunes)
	}
	now := b.now()
	if b.pageOTNOff() {
		return false, nil
	}
	var sub *subscriberRec
	if err := b.store.View(func(tx Tx) error {
		var err error
		sub, err = getSubscriber(tx, psid)
		return err
	}); err != nil {
		return false, err
	}
	if b.subscriberOTNOff(sub) || sub.Blocked {
		return false, nil
	}
	if !sub.windowOpen(now) && !b.cfg.Policy.AskOutsideWindow {
		return false, nil
	}
	if b.throttled(sub, topic, now) {
		return false, nil
	}
	err := b.send(newOTNRequest(psid, title, topic))
	out := classify(err)
	if out != outOK {
		b.logf("OTN request to %s for %q: %v", psid, topic, err)
	}
	uerr := b.store.Update(func(tx Tx) error {
		s, err := getSubscriber(tx, psid)
		if err != nil {
			return err
		}
		switch out {
		case outOK:
			if s.AskedTopic == nil {
				s.AskedTopic = map[string]time.Time{}
			}
			s.AskedTopic[topic] = now
			s.Asked = append(recentAsks(s.Asked, now), now)
			if err := addStat(tx, b.day(now), topic, statRequests, 1); err != nil {
				return err
			}
		case outRegion:
			s.RegionAffected = true
		case outBlocked:
			s.Blocked = true
		default:
			return nil
		}
		return putSubscriber(tx, s)
	})
	return out == outOK, uerr
}

// throttled applies the per-topic gap and the per-day cap.
func (b *Bot) throttled(s *subscriberRec, topic string, now time.Time) bool {
	th := b.cfg.Policy.Throttle
	if last, ok := s.AskedTopic[topic]; ok && th.PerTopic > 0 && now.Before(last.Add(th.PerTopic)) {
		return true
	}
	return th.PerDay > 0 && len(recentAsks(s.Asked, now)) >= th.PerDay
}

// recentAsks keeps the requests of the last 24 hours (platform.Window, the
// span findings' OTN-REQ-THROTTLE counts over too).
func recentAsks(asked []time.Time, now time.Time) []time.Time {
	out := asked[:0:0]
	for _, t := range asked {
		if now.Before(t.Add(platform.Window)) {
			out = append(out, t)
		}
	}
	return out
}

// pageOTNOff reports whether OTN is unavailable to the whole page: its own
// flag, an admin in an affected country.
func (b *Bot) pageOTNOff() bool {
	r := b.cfg.Policy.Regions
	if r.PageAffected {
		return true
	}
	for _, c := range r.AdminCountries {
		if b.affected(c) {
			return true
		}
	}
	if !r.CheckPageFlag {
		return false
	}
	b.mu.Lock()
	checked, flag := b.pageChecked, b.pageFlag
	b.mu.Unlock()
	if !checked {
		var resp struct {
			Data []struct {
				Affected bool `json:"subject_to_new_eu_privacy_rules"`
			} `json:"data"`
		}
		if err := b.graph.get("/me/messenger_profile?fields=subject_to_new_eu_privacy_rules", &resp); err == nil {
			for _, d := range resp.Data {
				flag = flag || d.Affected
			}
		}
		b.mu.Lock()
		b.pageChecked, b.pageFlag = true, flag
		b.mu.Unlock()
	}
	return flag
}

// subscriberOTNOff reports whether OTN is unavailable for this subscriber:
// a known affected country, or Meta refused OTN in their thread before.
func (b *Bot) subscriberOTNOff(s *subscriberRec) bool {
	return s.RegionAffected || (s.Country != "" && b.affected(s.Country))
}

func (b *Bot) affected(country string) bool {
	list := b.cfg.Policy.Regions.Affected
	if list == nil {
		list = AffectedCountries()
	}
	return slices.Contains(list, country)
}

// runFlow sends a flow's messages, then asks for its opt-in: at once, or
// after the configured wait if the window is still open then.
func (b *Bot) runFlow(psid string, f Flow) error {
	for _, text := range f.Messages {
		if err := b.sendMessage(psid, "RESPONSE", Message{Text: text}); err != nil {
			b.logf("flow %q to %s: %v", f.Name, psid, err)
			return nil
		}
	}
	o, ok := b.optins[f.Ask]
	if !ok {
		return nil
	}
	wait := b.cfg.Policy.FlowAskAfter
	if f.AskAfter != nil {
		wait = *f.AskAfter
	}
	if wait <= 0 {
		_, err := b.ask(psid, o.Topic, o.Title)
		return err
	}
	now := b.now()
	err := b.store.Update(func(tx Tx) error {
		id, err := nextSeq(tx)
		if err != nil {
			return err
		}
		return putJob(tx, &jobRec{ID: id, Kind: jobAsk, PSID: psid, Topic: o.Topic, Title: o.Title, Due: now.Add(wait)})
	})
	if err == nil {
		b.wake(now)
	}
	return err
}

// sendMessage sends m to psid as a standard message.
func (b *Bot) sendMessage(psid, messagingType string, m Message) error {
	return b.send(sendAny{Recipient: recipient{ID: psid}, MessagingType: messagingType, Message: m.wire()})
}

// send posts one Send API call, counts it for pacing, and counts it in
// the statistics when it succeeds.
func (b *Bot) send(body any) error {
	b.pace.sent(b.now(), audioVideo(body))
	_, err := b.graph.send(body)
	if err == nil {
		now := b.now()
		if uerr := b.store.Update(func(tx Tx) error { return addStat(tx, b.day(now), "", statMessages, 1) }); uerr != nil {
			b.logf("count message: %v", uerr)
		}
	}
	return err
}
