package reference

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/otnsim/otnsim/platform"
	"github.com/otnsim/otnsim/sim/clock"
)

// ErrBadTrigger is wrapped by every trigger the bot cannot act on (unknown
// name, missing or malformed data); the HTTP answer is then 400.
var ErrBadTrigger = errors.New("bad trigger")

// triggerBody is the harness's trigger call.
type triggerBody struct {
	Trigger string          `json:"trigger"`
	Data    json.RawMessage `json:"data"`
	Now     string          `json:"now"`
	PageID  string          `json:"page_id"`
	PSIDs   []string        `json:"psids"`
}

func (b *Bot) trigger(w http.ResponseWriter, r *http.Request) {
	var t triggerBody
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&t); err != nil {
		http.Error(w, "bad trigger: "+err.Error(), http.StatusBadRequest)
		return
	}
	if t.Now != "" {
		now, err := time.Parse(time.RFC3339Nano, t.Now)
		if err == nil {
			err = clock.CheckTime(now)
		}
		if err != nil {
			http.Error(w, "bad trigger: now: "+err.Error(), http.StatusBadRequest)
			return
		}
		b.setNow(now.UTC())
	}
	if err := b.Trigger(t.Trigger, t.Data); err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, ErrBadTrigger) || errors.Is(err, ErrInvalidRequest) || errors.Is(err, ErrInvalidMessage) ||
			errors.Is(err, ErrCampaignExists) || errors.Is(err, ErrUnknownOptIn) {
			status = http.StatusBadRequest
		}
		http.Error(w, err.Error(), status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
}

// triggerData is the union of every trigger's data fields.
type triggerData struct {
	PSID     string    `json:"psid"`
	Topic    string    `json:"topic"`
	Title    string    `json:"title"`
	Text     string    `json:"text"`
	Product  string    `json:"product"`
	OptIn    string    `json:"opt_in"`
	Flow     string    `json:"flow"`
	Amount   *float64  `json:"amount"`
	Tags     []string  `json:"tags"`
	Segments []string  `json:"segments"`
	Locale   string    `json:"locale"`
	Country  string    `json:"country"`
	Campaign *Campaign `json:"campaign"`
}

// Trigger runs a named trigger with its JSON data.
//
// Standard triggers (the external bot contract): otn.request {psid, topic,
// title}, otn.notify {topic, text}, broadcast {text}, tick {}. The
// reference bot also knows: restock {product}; otn.request {psid, opt_in};
// campaign.create {campaign: {name, opt_in | topic, message, schedule?,
// filters?}}; flow.start {psid, flow}; subscriber.set {psid, tags?,
// segments?, locale?, country?}; purchase {psid, amount}.
func (b *Bot) Trigger(name string, data json.RawMessage) error {
	var d triggerData
	if len(data) > 0 && string(data) != "null" {
		if err := json.Unmarshal(data, &d); err != nil {
			return fmt.Errorf("%w: %s: data: %w", ErrBadTrigger, name, err)
		}
	}
	need := func(ok bool, what string) error {
		if !ok {
			return fmt.Errorf("%w: %s: data needs %s", ErrBadTrigger, name, what)
		}
		return nil
	}
	switch name {
	case "otn.request":
		if d.OptIn != "" {
			o, ok := b.optins[d.OptIn]
			if !ok {
				return fmt.Errorf("%w: %s: %w %q", ErrBadTrigger, name, ErrUnknownOptIn, d.OptIn)
			}
			d.Topic, d.Title = o.Topic, o.Title
		}
		if err := need(d.PSID != "" && d.Topic != "", "psid and topic (or opt_in)"); err != nil {
			return err
		}
		if d.Title == "" {
			d.Title = "Get notified"
		}
		if n := utf8.RuneCountInString(d.Title); n > MaxTitleRunes {
			// Meta would refuse it (OTN-REQ-FORMAT): skip the request, not the trigger.
			b.logf("otn.request to %s for %q skipped: a title of %d characters (at most %d)", d.PSID, d.Topic, n, MaxTitleRunes)
			return nil
		}
		_, err := b.ask(d.PSID, d.Topic, d.Title)
		return err
	case "otn.notify":
		if err := need(d.Topic != "" && d.Text != "", "topic and text"); err != nil {
			return err
		}
		return b.Notify(d.Topic, d.Text)
	case "recurring.request":
		if err := need(d.PSID != "" && d.Topic != "", "psid and topic"); err != nil {
			return err
		}
		return b.recurringRequest(d.PSID, d.Topic, d.Title)
	case "recurring.notify":
		if err := need(d.Topic != "" && d.Text != "", "topic and text"); err != nil {
			return err
		}
		return b.recurringNotify(d.Topic, d.Text)
	case "broadcast":
		if err := need(d.Text != "", "text"); err != nil {
			return err
		}
		return b.broadcast(d.Text)
	case "tick":
		if err := b.expireTokens(b.now()); err != nil {
			return err
		}
		return b.RunDue()
	case "restock":
		b.mu.Lock()
		p, ok := b.products[d.Product]
		if ok {
			p.InStock = true
		}
		b.mu.Unlock()
		if !ok {
			return fmt.Errorf("%w: restock: unknown product %q", ErrBadTrigger, d.Product)
		}
		return b.Notify("restock:"+p.Slug, p.Name+" is back in stock!")
	case "campaign.create":
		if err := need(d.Campaign != nil, "campaign"); err != nil {
			return err
		}
		now := b.now()
		if err := b.CreateCampaign(*d.Campaign, now); err != nil {
			return err
		}
		return b.runDue(now)
	case "flow.start":
		f, ok := b.flow(d.Flow)
		if err := need(d.PSID != "" && ok, "psid and a known flow"); err != nil {
			return err
		}
		return b.runFlow(d.PSID, f)
	case "subscriber.set":
		if err := need(d.PSID != "", "psid"); err != nil {
			return err
		}
		return b.setSubscriber(d)
	case "purchase":
		if err := need(d.PSID != "" && d.Amount != nil && *d.Amount >= 0, "psid and a non-negative amount"); err != nil {
			return err
		}
		return b.purchase(d.PSID, *d.Amount, b.now())
	}
	return fmt.Errorf("%w: unknown trigger %q", ErrBadTrigger, name)
}

func (b *Bot) flow(name string) (Flow, bool) {
	for _, f := range b.cfg.Flows {
		if f.Name == name {
			return f, true
		}
	}
	return Flow{}, false
}

func (b *Bot) setSubscriber(d triggerData) error {
	return b.store.Update(func(tx Tx) error {
		s, err := getSubscriber(tx, d.PSID)
		if err != nil {
			return err
		}
		if d.Tags != nil {
			s.Tags = d.Tags
		}
		if d.Segments != nil {
			s.Segments = d.Segments
		}
		if d.Locale != "" {
			s.Locale = d.Locale
		}
		if d.Country != "" {
			s.Country = d.Country
		}
		return putSubscriber(tx, s)
	})
}

// expireTokens drops every held token a year old (housekeeping on tick).
func (b *Bot) expireTokens(now time.Time) error {
	if b.cfg.Policy.UseExpiredTokens {
		return nil
	}
	return b.store.Update(func(tx Tx) error {
		return tx.Scan(bucketTokens, "", func(key string, raw []byte) error {
			var t tokenRec
			if err := json.Unmarshal(raw, &t); err != nil {
				return fmt.Errorf("store: decode token: %w", err)
			}
			if t.State == tokHeld && !now.Before(t.IssuedAt.Add(platform.TokenLifetime)) {
				t.State = tokExpired
				return tx.Put(bucketTokens, key, &t)
			}
			return nil
		})
	})
}
