package reference

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Daily counters, per topic ("" for page-wide ones).
const (
	statMessages   = "messages"   // every successful Send API call (page-wide)
	statRequests   = "requests"   // OTN requests sent
	statOptIns     = "optins"     // tokens received
	statNotified   = "notified"   // notifications delivered, any way
	statViaToken   = "via_token"  // ... with a token
	statInWindow   = "in_window"  // ... as a normal message, token kept
	statUncertain  = "uncertain"  // ... whose response was lost (token treated as spent)
	statRevenue    = "revenue"    // purchases attributed to a notification of the topic
	statUnassigned = "unassigned" // purchases no notification earned (page-wide)
)

// TopicStats are one opt-in topic's counters over a date range.
type TopicStats struct {
	OptIn     string  `json:"opt_in,omitempty"` // the definition's name, when there is one
	Requests  int     `json:"requests"`
	OptIns    int     `json:"opt_ins"`
	Notified  int     `json:"notified"`
	ViaToken  int     `json:"via_token"`
	InWindow  int     `json:"in_window"`
	Uncertain int     `json:"uncertain"`
	Revenue   float64 `json:"revenue"`
	// Eligible is live: subscribers holding a usable token right now.
	Eligible int `json:"eligible"`
}

// Report is the bot's analytics over a date range.
type Report struct {
	From         string                 `json:"from"` // first day, inclusive (YYYY-MM-DD)
	To           string                 `json:"to"`   // last day, inclusive
	MessagesSent int                    `json:"messages_sent"`
	Eligible     int                    `json:"eligible"` // subscribers with any usable token, now
	Unattributed float64                `json:"unattributed_revenue"`
	Topics       map[string]*TopicStats `json:"topics"`
}

// day is the analytics day of t.
func (b *Bot) day(t time.Time) string { return t.In(b.loc).Format(time.DateOnly) }

// Analytics sums the counters of the days from..to (inclusive, in the
// analytics timezone) and adds the live eligible counts.
func (b *Bot) Analytics(from, to time.Time) (Report, error) {
	r := Report{From: b.day(from), To: b.day(to), Topics: map[string]*TopicStats{}}
	topic := func(name string) *TopicStats {
		ts, ok := r.Topics[name]
		if !ok {
			ts = &TopicStats{}
			if o, ok := b.topics[name]; ok {
				ts.OptIn = o.Name
			}
			r.Topics[name] = ts
		}
		return ts
	}
	now := b.now()
	err := b.store.View(func(tx Tx) error {
		if err := tx.Scan(bucketStats, "", func(key string, raw []byte) error {
			parts := strings.SplitN(key, "\x00", 3)
			if len(parts) != 3 || parts[0] < r.From || parts[0] > r.To {
				return nil
			}
			var v float64
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("store: decode counter: %w", err)
			}
			b.addTo(&r, topic, parts[1], parts[2], v)
			return nil
		}); err != nil {
			return err
		}
		eligible := map[string]map[string]bool{}
		err := tx.Scan(bucketTokens, "", func(_ string, raw []byte) error {
			var t tokenRec
			if err := json.Unmarshal(raw, &t); err != nil {
				return fmt.Errorf("store: decode token: %w", err)
			}
			if b.usable(&t, now) {
				if eligible[t.Topic] == nil {
					eligible[t.Topic] = map[string]bool{}
				}
				eligible[t.Topic][t.PSID] = true
			}
			return nil
		})
		all := map[string]bool{}
		for name, psids := range eligible {
			n := 0
			for psid := range psids {
				s, err := getSubscriber(tx, psid)
				if err != nil {
					return err
				}
				if !s.Blocked {
					n++
					all[psid] = true
				}
			}
			topic(name).Eligible = n
		}
		r.Eligible = len(all)
		return err
	})
	return r, err
}

func (b *Bot) addTo(r *Report, topic func(string) *TopicStats, name, metric string, v float64) {
	switch metric {
	case statMessages:
		r.MessagesSent += int(v)
		return
	case statUnassigned:
		r.Unattributed += v
		return
	}
	ts := topic(name)
	switch metric {
	case statRequests:
		ts.Requests += int(v)
	case statOptIns:
		ts.OptIns += int(v)
	case statNotified:
		ts.Notified += int(v)
	case statViaToken:
		ts.ViaToken += int(v)
	case statInWindow:
		ts.InWindow += int(v)
	case statUncertain:
		ts.Uncertain += int(v)
	case statRevenue:
		ts.Revenue += v
	}
}

// Today is the analytics of the current day so far.
func (b *Bot) Today() (Report, error) {
	now := b.now()
	return b.Analytics(now, now)
}

// purchase credits amount to the subscriber's last notification when it
// came within the attribution window.
func (b *Bot) purchase(psid string, amount float64, now time.Time) error {
	win := b.cfg.Policy.Analytics.AttributionWindow
	if win <= 0 {
		win = 7 * 24 * time.Hour
	}
	return b.store.Update(func(tx Tx) error {
		s, err := getSubscriber(tx, psid)
		if err != nil {
			return err
		}
		n := s.LastNotified
		if n == nil || now.Before(n.At) || !now.Before(n.At.Add(win)) {
			return addStat(tx, b.day(now), "", statUnassigned, amount)
		}
		if err := addStat(tx, b.day(now), n.Topic, statRevenue, amount); err != nil {
			return err
		}
		c, ok, err := getCampaign(tx, n.Campaign)
		if err != nil || !ok {
			return err
		}
		c.Revenue += amount
		return tx.Put(bucketCampaigns, c.Name, c)
	})
}

// api serves the read-only JSON API:
//
//	GET /reference/v1/analytics?from=YYYY-MM-DD&to=YYYY-MM-DD  (both default to today)
//	GET /reference/v1/campaigns
//	GET /reference/v1/campaigns/{name}
func (b *Bot) api(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/reference/v1/")
	var v any
	var err error
	switch {
	case rest == "analytics":
		now := b.now()
		from, to := now, now
		for name, dst := range map[string]*time.Time{"from": &from, "to": &to} {
			if s := r.URL.Query().Get(name); s != "" {
				t, perr := time.ParseInLocation(time.DateOnly, s, b.loc)
				if perr != nil {
					http.Error(w, name+": want YYYY-MM-DD", http.StatusBadRequest)
					return
				}
				*dst = t
			}
		}
		v, err = b.Analytics(from, to)
	case rest == "campaigns":
		var cs []CampaignStatus
		cs, err = b.Campaigns()
		sort.Slice(cs, func(i, k int) bool { return cs[i].Name < cs[k].Name })
		v = cs
	case strings.HasPrefix(rest, "campaigns/"):
		c, ok, cerr := b.CampaignStatus(strings.TrimPrefix(rest, "campaigns/"))
		if cerr == nil && !ok {
			http.NotFound(w, r)
			return
		}
		v, err = c, cerr
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	out, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(out, '\n'))
}
