package reference

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/otnsim/otnsim/platform"
)

// ErrCampaignExists is returned when a campaign's name is taken: campaigns
// are immutable once created.
var ErrCampaignExists = errors.New("campaign exists and cannot be changed")

// ErrUnknownOptIn is returned for a campaign or request naming no opt-in definition.
var ErrUnknownOptIn = errors.New("unknown opt-in")

// CreateCampaign stores c, created at now. It is sent at its schedule (at
// once when that is zero or past) by the next RunDue.
func (b *Bot) CreateCampaign(c Campaign, now time.Time) error {
	if c.Name == "" {
		return fmt.Errorf("campaign: needs a name")
	}
	topic := c.Topic
	if c.OptIn != "" {
		o, ok := b.optins[c.OptIn]
		if !ok {
			return fmt.Errorf("campaign %q: %w %q", c.Name, ErrUnknownOptIn, c.OptIn)
		}
		topic = o.Topic
	}
	if topic == "" {
		return fmt.Errorf("campaign %q: needs an opt_in or a topic", c.Name)
	}
	if err := c.Message.Validate(); err != nil {
		return fmt.Errorf("campaign %q: %w", c.Name, err)
	}
	if c.Schedule.IsZero() {
		c.Schedule = now
	}
	return b.store.Update(func(tx Tx) error {
		if _, exists, err := getCampaign(tx, c.Name); err != nil || exists {
			if exists {
				return fmt.Errorf("campaign %q: %w", c.Name, ErrCampaignExists)
			}
			return err
		}
		return tx.Put(bucketCampaigns, c.Name, &CampaignStatus{Campaign: c, Topic: topic, CreatedAt: now, State: CampaignScheduled})
	})
}

// startDueCampaigns targets every scheduled campaign whose time has come:
// one pending delivery per eligible subscriber, all in one transaction.
func (b *Bot) startDueCampaigns(now time.Time) error {
	var due []*CampaignStatus
	err := b.store.View(func(tx Tx) error {
		return tx.Scan(bucketCampaigns, "", func(_ string, raw []byte) error {
			c := &CampaignStatus{}
			if err := json.Unmarshal(raw, c); err != nil {
				return fmt.Errorf("store: decode campaign: %w", err)
			}
			if c.State == CampaignScheduled && !c.Schedule.After(now) {
				due = append(due, c)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("start campaigns: %w", err)
	}
	sort.SliceStable(due, func(i, k int) bool {
		if !due[i].Schedule.Equal(due[k].Schedule) {
			return due[i].Schedule.Before(due[k].Schedule)
		}
		return due[i].CreatedAt.Before(due[k].CreatedAt)
	})
	for _, c := range due {
		if err := b.store.Update(func(tx Tx) error {
			psids, err := b.eligible(tx, c.Topic, c.Filters, now)
			if err != nil {
				return err
			}
			for _, psid := range psids {
				id, err := nextSeq(tx)
				if err != nil {
					return err
				}
				if err := putJob(tx, &jobRec{ID: id, Kind: jobNotify, PSID: psid, Campaign: c.Name, Topic: c.Topic, Message: c.Message, Due: now}); err != nil {
					return err
				}
			}
			c.Targeted, c.Pending, c.State = len(psids), len(psids), CampaignSending
			if len(psids) == 0 {
				c.State = CampaignDone
			}
			return tx.Put(bucketCampaigns, c.Name, c)
		}); err != nil {
			return fmt.Errorf("start campaign %q: %w", c.Name, err)
		}
	}
	return nil
}

// eligible lists, in order, the subscribers holding an unspent, unexpired
// token for topic who are not blocked and match the filters.
func (b *Bot) eligible(tx Tx, topic string, f Filters, now time.Time) ([]string, error) {
	holders := map[string]bool{}
	err := scanTokens(tx, "", func(t *tokenRec) error {
		if (t.Topic == topic || b.cfg.Policy.UseAnyTopicToken) && b.usable(t, now) {
			holders[t.PSID] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for psid := range holders {
		s, err := getSubscriber(tx, psid)
		if err != nil {
			return nil, err
		}
		if !s.Blocked && matches(s, f) {
			out = append(out, psid)
		}
	}
	sort.Strings(out)
	return out, nil
}

// usable reports whether the bot may still spend t at now.
func (b *Bot) usable(t *tokenRec, now time.Time) bool {
	return t.State == tokHeld && (b.cfg.Policy.UseExpiredTokens || now.Before(t.IssuedAt.Add(platform.TokenLifetime)))
}

func matches(s *subscriberRec, f Filters) bool {
	for _, t := range f.Tags {
		if !slices.Contains(s.Tags, t) {
			return false
		}
	}
	if len(f.Segments) > 0 && !slices.ContainsFunc(f.Segments, func(seg string) bool { return slices.Contains(s.Segments, seg) }) {
		return false
	}
	return len(f.Locales) == 0 || slices.Contains(f.Locales, s.Locale)
}

// CampaignStatus returns a campaign and how its delivery went.
func (b *Bot) CampaignStatus(name string) (CampaignStatus, bool, error) {
	var c *CampaignStatus
	var ok bool
	err := b.store.View(func(tx Tx) error {
		var err error
		c, ok, err = getCampaign(tx, name)
		return err
	})
	if err != nil || !ok {
		return CampaignStatus{}, ok, err
	}
	return *c, true, nil
}

// Campaigns returns every campaign, by name.
func (b *Bot) Campaigns() ([]CampaignStatus, error) {
	var out []CampaignStatus
	err := b.store.View(func(tx Tx) error {
		return tx.Scan(bucketCampaigns, "", func(_ string, raw []byte) error {
			var c CampaignStatus
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("store: decode campaign: %w", err)
			}
			out = append(out, c)
			return nil
		})
	})
	return out, err
}

// Notify delivers text once to every subscriber holding an unspent,
// unexpired token for topic (the standard otn.notify trigger), as an
// unnamed campaign started now.
func (b *Bot) Notify(topic, text string) error {
	now := b.now()
	var name string
	if err := b.store.Update(func(tx Tx) error {
		n, err := nextSeq(tx)
		name = "notify-" + itoa(n)
		return err
	}); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if err := b.CreateCampaign(Campaign{Name: name, Topic: topic, Message: Message{Text: text}}, now); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return b.runDue(now)
}

// broadcast sends text to every subscriber whose window is open, and to no one else.
func (b *Bot) broadcast(text string) error {
	now := b.now()
	err := b.store.Update(func(tx Tx) error {
		var open []*subscriberRec
		err := scanSubscribers(tx, func(s *subscriberRec) error {
			if s.windowOpen(now) && !s.Blocked {
				open = append(open, s)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, s := range open {
			id, err := nextSeq(tx)
			if err != nil {
				return err
			}
			if err := putJob(tx, &jobRec{ID: id, Kind: jobMessage, PSID: s.PSID, Message: Message{Text: text}, Due: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("broadcast: %w", err)
	}
	return b.runDue(now)
}
