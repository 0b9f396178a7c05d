package reference

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/otnsim/otnsim/platform"
)

// Store buckets.
const (
	bucketSubscribers = "sub"
	bucketTokens      = "tok"
	bucketJobs        = "job"
	bucketCampaigns   = "camp"
	bucketStats       = "stat"
	bucketSeen        = "seen"
	bucketMeta        = "meta"
)

// subscriberRec is what the bot knows of one subscriber.
type subscriberRec struct {
	PSID string `json:"psid"`
	// LastWindow is the last action that opens the window (message, postback).
	LastWindow time.Time `json:"last_window"`
	// LastActive is the last sign of life, opt-in taps included (idle guard).
	LastActive     time.Time            `json:"last_active"`
	Blocked        bool                 `json:"blocked,omitempty"`
	RegionAffected bool                 `json:"region_affected,omitempty"`
	Country        string               `json:"country,omitempty"`
	Locale         string               `json:"locale,omitempty"`
	Tags           []string             `json:"tags,omitempty"`
	Segments       []string             `json:"segments,omitempty"`
	AskedTopic     map[string]time.Time `json:"asked_topic,omitempty"` // last request per topic
	Asked          []time.Time          `json:"asked,omitempty"`       // requests in the last 24 hours
	LastNotified   *notified            `json:"last_notified,omitempty"`
	// AdPending says they came through a Click-to-Messenger ad and have
	// not written since; WindowUntil is when the window their first
	// message after it opened closes (up to 7 days, from 2026-09-28).
	AdPending   bool      `json:"ad_pending,omitempty"`
	WindowUntil time.Time `json:"window_until,omitzero"`
}

// notified records the last notification a subscriber got, for revenue attribution.
type notified struct {
	At       time.Time `json:"at"`
	Campaign string    `json:"campaign"`
	Topic    string    `json:"topic"`
}

func (s *subscriberRec) windowOpen(now time.Time) bool {
	return (!s.LastWindow.IsZero() && now.Before(s.LastWindow.Add(platform.Window))) || now.Before(s.WindowUntil)
}

// Token states in the bot's store.
const (
	tokHeld     = "held"     // usable
	tokSpending = "spending" // a send with it is in flight
	tokSpent    = "spent"    // delivered (or its response was lost: treated as spent)
	tokExpired  = "expired"  // dropped at one year, never used
	tokRefused  = "refused"  // Meta refused it (used, expired or invalid)
)

// tokenRec is one OTN token the bot holds.
type tokenRec struct {
	Seq      int64     `json:"seq"`
	PSID     string    `json:"psid"`
	Topic    string    `json:"topic"`
	Value    string    `json:"value"`
	IssuedAt time.Time `json:"issued_at"`
	State    string    `json:"state"`
	Job      int64     `json:"job,omitempty"` // the delivery spending it
	UsedAt   time.Time `json:"used_at,omitempty"`
}

func (t *tokenRec) key() string { return tokenKey(t.PSID, t.Topic, t.Seq) }

func tokenKey(psid, topic string, seq int64) string {
	return psid + "\x00" + topic + "\x00" + seqKey(seq)
}

func seqKey(n int64) string { return fmt.Sprintf("%020d", n) }

// Job kinds.
const (
	jobNotify  = "notify"  // a campaign delivery: token or in-window message
	jobMessage = "message" // a normal message, only while the window is open
	jobAsk     = "ask"     // an opt-in request, only while the window is open
)

// jobRec is a pending delivery; it is deleted when finished.
type jobRec struct {
	ID       int64     `json:"id"`
	Kind     string    `json:"kind"`
	PSID     string    `json:"psid"`
	Campaign string    `json:"campaign,omitempty"`
	Topic    string    `json:"topic,omitempty"`
	Title    string    `json:"title,omitempty"`
	Message  Message   `json:"message"`
	Due      time.Time `json:"due"`
	Attempts int       `json:"attempts,omitempty"`
	Limited  int       `json:"limited,omitempty"` // attempts refused by a rate limit
}

// Campaign states.
const (
	CampaignScheduled = "scheduled"
	CampaignSending   = "sending"
	CampaignDone      = "done"
)

// CampaignStatus is a campaign with how its delivery went.
type CampaignStatus struct {
	Campaign
	Topic     string    `json:"topic"`
	CreatedAt time.Time `json:"created_at"`
	// State is scheduled, sending (deliveries pending, for example waiting
	// for idle subscribers) or done.
	State     string  `json:"state"`
	Targeted  int     `json:"targeted"`
	Pending   int     `json:"pending"`
	Delivered int     `json:"delivered"`
	ViaToken  int     `json:"via_token"`
	InWindow  int     `json:"in_window"`
	Uncertain int     `json:"uncertain"` // response lost; counted as delivered, token treated as spent
	Skipped   int     `json:"skipped"`
	Failed    int     `json:"failed"`
	Revenue   float64 `json:"revenue"`
}

// nextSeq returns a fresh sequence number, persisted in the store.
func nextSeq(tx Tx) (int64, error) {
	var n int64
	if _, err := tx.Get(bucketMeta, "seq", &n); err != nil {
		return 0, err
	}
	n++
	return n, tx.Put(bucketMeta, "seq", n)
}

func getSubscriber(tx Tx, psid string) (*subscriberRec, error) {
	s := &subscriberRec{}
	ok, err := tx.Get(bucketSubscribers, psid, s)
	if err != nil {
		return nil, err
	}
	if !ok {
		s = &subscriberRec{PSID: psid}
	}
	return s, nil
}

func putSubscriber(tx Tx, s *subscriberRec) error { return tx.Put(bucketSubscribers, s.PSID, s) }

// tokensOf returns psid's tokens for topic (every topic when topic is ""),
// oldest first.
func tokensOf(tx Tx, psid, topic string) ([]*tokenRec, error) {
	prefix := psid + "\x00"
	if topic != "" {
		prefix += topic + "\x00"
	}
	var out []*tokenRec
	err := scanTokens(tx, prefix, func(t *tokenRec) error {
		out = append(out, t)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].IssuedAt.Equal(out[j].IssuedAt) {
			return out[i].IssuedAt.Before(out[j].IssuedAt)
		}
		return out[i].Seq < out[j].Seq
	})
	return out, err
}

// scanTokens calls fn with every token record whose key starts with prefix.
func scanTokens(tx Tx, prefix string, fn func(*tokenRec) error) error {
	return scanRecords(tx, bucketTokens, prefix, "token", fn)
}

// scanSubscribers calls fn with every subscriber record.
func scanSubscribers(tx Tx, fn func(*subscriberRec) error) error {
	return scanRecords(tx, bucketSubscribers, "", "subscriber", fn)
}

// scanRecords calls fn with each record of bucket whose key starts with
// prefix, decoded into a fresh T. The memory store hands over the Go value it
// keeps when it can, and only falls back to JSON otherwise.
func scanRecords[T any](tx Tx, bucket, prefix, what string, fn func(*T) error) error {
	if mt, ok := tx.(*memTx); ok {
		for _, k := range mt.keys(bucket, prefix) {
			v := new(T)
			if e := mt.entry(bucket, k); !e.load(v) {
				if err := json.Unmarshal(e.bytes(), v); err != nil {
					return fmt.Errorf("store: decode %s: %w", what, err)
				}
			}
			if err := fn(v); err != nil {
				return err
			}
		}
		return nil
	}
	return tx.Scan(bucket, prefix, func(_ string, raw []byte) error {
		v := new(T)
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("store: decode %s: %w", what, err)
		}
		return fn(v)
	})
}

// allJobs returns every pending job in id order.
func allJobs(tx Tx) ([]*jobRec, error) {
	var out []*jobRec
	err := tx.Scan(bucketJobs, "", func(_ string, raw []byte) error {
		j := &jobRec{}
		if err := json.Unmarshal(raw, j); err != nil {
			return fmt.Errorf("store: decode job: %w", err)
		}
		out = append(out, j)
		return nil
	})
	return out, err
}

func putJob(tx Tx, j *jobRec) error { return tx.Put(bucketJobs, seqKey(j.ID), j) }

func getCampaign(tx Tx, name string) (*CampaignStatus, bool, error) {
	c := &CampaignStatus{}
	ok, err := tx.Get(bucketCampaigns, name, c)
	return c, ok, err
}

// addStat adds n to a daily counter.
func addStat(tx Tx, day, topic, metric string, n float64) error {
	key := day + "\x00" + topic + "\x00" + metric
	var v float64
	if _, err := tx.Get(bucketStats, key, &v); err != nil {
		return err
	}
	return tx.Put(bucketStats, key, v+n)
}

// markSeen records an event key and reports whether it was new.
func markSeen(tx Tx, key string) (bool, error) {
	var seen bool
	ok, err := tx.Get(bucketSeen, key, &seen)
	if err != nil || ok {
		return false, err
	}
	return true, tx.Put(bucketSeen, key, true)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
