package sim

import "github.com/otnsim/otnsim/fakegraph"

// Referral plays s entering the thread through a referral: an m.me link,
// or a Click-to-Messenger ad when ref.AdID or ref.Source "ADS" says so. It
// opens the window; after an ad, from the policy of 2026-09-28, s's first
// message opens it for up to 7 days.
func (w *World) Referral(s *Subscriber, ref fakegraph.Referral) error {
	d, err := w.Graph.Referral(s.PSID, ref)
	return w.delivered(err, d)
}

// RecurringOptIn plays s accepting the latest recurring notifications
// request (notification_messages) with the given payload; it returns the
// notification_messages_token the bot was sent.
func (w *World) RecurringOptIn(s *Subscriber, payload string) (string, error) {
	tok, d, err := w.Graph.RecurringOptIn(s.PSID, payload)
	return tok, w.delivered(err, d)
}

// RecurringStop plays s stopping the recurring notifications of payload.
func (w *World) RecurringStop(s *Subscriber, payload string) error {
	d, err := w.Graph.RecurringStop(s.PSID, payload)
	return w.delivered(err, d)
}

// RecurringResume plays s resuming the recurring notifications of payload.
func (w *World) RecurringResume(s *Subscriber, payload string) error {
	d, err := w.Graph.RecurringResume(s.PSID, payload)
	return w.delivered(err, d)
}
