package fakegraph

import (
	"time"
)

// Entry points into a conversation besides a message: an ad click-through
// or another referral (m.me link, QR code), which like a message, postback,
// quick reply or reaction opens the 24-hour window (Meta's messaging policy,
// https://developers.facebook.com/docs/messenger-platform/policy/policy-overview).
// Under the policy of 2026-09-28 the first message a person sends after a
// Click-to-Messenger ad opens the window for up to 7 days
// (Settings.AdWindow, from Settings.AdWindowFrom).

// fieldReferrals is the webhook field of referrals.
const fieldReferrals = "messaging_referrals"

// Referral says where a person came from into the thread.
type Referral struct {
	// Source is Meta's referral source: ADS (a Click-to-Messenger ad),
	// SHORTLINK (an m.me link), MESSENGER_CODE, CUSTOMER_CHAT_PLUGIN, ...
	// Empty means ADS when AdID is set, SHORTLINK otherwise.
	Source string `json:"source"`
	// Ref is the ref parameter of the link or ad, if any.
	Ref string `json:"ref,omitempty"`
	// AdID is the ad's id, for a Click-to-Messenger ad.
	AdID string `json:"ad_id,omitempty"`
}

type referralEvent struct {
	Ref    string `json:"ref,omitempty"`
	Source string `json:"source"`
	Type   string `json:"type"`
	AdID   string `json:"ad_id,omitempty"`
}

// FromAd reports whether the referral is a Click-to-Messenger ad.
func (r Referral) FromAd() bool { return r.Source == "ADS" }

func (r Referral) withDefaults() Referral {
	if r.Source == "" {
		r.Source = "SHORTLINK"
		if r.AdID != "" {
			r.Source = "ADS"
		}
	}
	if r.Source == "ADS" && r.AdID == "" {
		r.AdID = "6045246247433"
	}
	return r
}

// Referral plays psid entering the thread through a referral: like any user
// action it opens the 24-hour window, and it delivers a messaging_referrals
// webhook. After a Click-to-Messenger ad, from the policy's date, the
// person's first message opens the window for Settings.AdWindow.
func (s *Server) Referral(psid string, ref Referral) (Delivery, error) {
	ref = ref.withDefaults()
	now, _, err := s.userAction(psid, "referral", ref.Source+" "+ref.Ref)
	if err != nil {
		return Delivery{}, err
	}
	if ref.FromAd() {
		s.mu.Lock()
		if u := s.users[psid]; u != nil {
			u.adPending = true
		}
		s.mu.Unlock()
	}
	ev := s.event(psid, now)
	ev.Referral = &referralEvent{Ref: ref.Ref, Source: ref.Source, Type: "OPEN_THREAD", AdID: ref.AdID}
	return s.deliver(psid, fieldReferrals, ev), nil
}

// adMessageLocked extends u's window for the first message after a
// Click-to-Messenger ad, once the policy applies, and says until when.
// Callers hold s.mu.
func (s *Server) adMessageLocked(u *userState, now time.Time) (time.Time, bool) {
	if !u.adPending {
		return time.Time{}, false
	}
	u.adPending = false
	set := s.set()
	if s.platformDate(now).Before(set.AdWindowFrom) {
		return time.Time{}, false
	}
	u.adUntil = now.Add(set.AdWindow)
	return u.adUntil, true
}
