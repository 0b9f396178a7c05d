// Package platform holds the facts of Meta's Messenger Platform that otnsim's
// packages share: the 24-hour standard messaging window, the message-tag
// window, how long a one-time notification token lives, the countries where
// the Europe and Japan privacy rules switched OTN off and the dates they did,
// and how webhook bodies are signed.
//
// Each fact is defined here once, as a constant or as a function returning a
// fresh value; the package keeps no mutable state a caller can change. It
// imports only the standard library.
package platform

import "time"

// Window is the standard messaging window: a page may message a user freely
// for 24 hours after the user's last message, postback or other action.
const Window = 24 * time.Hour

// TagWindow is how long after the user's last action a message tagged
// HUMAN_AGENT (or CUSTOMER_FEEDBACK) still reaches them: seven days.
const TagWindow = 7 * 24 * time.Hour

// TokenLifetime is how long a one-time notification token stays usable after
// the opt-in that issued it: 365 days.
const TokenLifetime = 365 * 24 * time.Hour

// MessagingTypeRequiredDate returns when the Send API began to require
// messaging_type on every message: 2018-05-07 00:00 UTC.
func MessagingTypeRequiredDate() time.Time { return time.Date(2018, 5, 7, 0, 0, 0, 0, time.UTC) }

// RetiredTagsDate returns when the CONFIRMED_EVENT_UPDATE, ACCOUNT_UPDATE and
// POST_PURCHASE_UPDATE message tags stopped being accepted: 2026-04-27 00:00 UTC.
func RetiredTagsDate() time.Time { return time.Date(2026, 4, 27, 0, 0, 0, 0, time.UTC) }

// AdWindow is how long the standard window lasts after the first message
// a person sends following a Click-to-Messenger (or Click-to-Direct) ad,
// under Meta's policy of 2026-09-28: up to 7 days.
const AdWindow = 7 * 24 * time.Hour

// AdWindowDate returns when that policy took effect: 2026-09-28 00:00 UTC.
func AdWindowDate() time.Time { return time.Date(2026, 9, 28, 0, 0, 0, 0, time.UTC) }

// RecurringCooldown48Date returns when the cooldown between two recurring
// notifications with one token went from 24 to 48 hours: 2025-09-01 00:00 UTC.
func RecurringCooldown48Date() time.Time { return time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC) }

// RecurringDeprecatedDate returns when Meta deprecated recurring
// notifications in favour of the Marketing Messages API: 2026-02-10 00:00 UTC.
func RecurringDeprecatedDate() time.Time { return time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC) }

// RecurringFrequencyIgnoredDate returns when Meta stopped reading a
// recurring request's frequency for its tokens' lifetime: 2023-02-02 00:00 UTC.
func RecurringFrequencyIgnoredDate() time.Time { return time.Date(2023, 2, 2, 0, 0, 0, 0, time.UTC) }
