package fakegraph_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/sim/clock"
)

// Recurring notifications, following Meta's Recurring Notifications docs
// (https://developers.facebook.com/docs/messenger-platform/send-messages/recurring-notifications).
var _ = Describe("recurring notifications (notification_messages)", func() {
	var e *env
	BeforeEach(func() { e = newEnv() })

	optIn := func(psid, title, payload string) string {
		_, err := e.graph.UserMessage(psid, "hi")
		Expect(err).NotTo(HaveOccurred())
		Expect(e.send(recurringRequest(psid, title, payload)).Status).To(Equal(200))
		tok, _, err := e.graph.RecurringOptIn(psid, payload)
		Expect(err).NotTo(HaveOccurred())
		return tok
	}
	rnSend := func(tok, msg string) response {
		return e.send(map[string]any{"recipient": map[string]string{"notification_messages_token": tok}, "message": map[string]string{"text": msg}})
	}

	It("delivers the opt-in webhook with the token, its expiry, user_token_status, timezone, title and payload", func() {
		tok := optIn("111", "Weekly deals", "deals")
		body, _ := e.hook.last()
		var env struct {
			Entry []struct {
				Messaging []struct {
					Optin map[string]any `json:"optin"`
				} `json:"messaging"`
			} `json:"entry"`
		}
		Expect(json.Unmarshal(body, &env)).To(Succeed())
		optin := env.Entry[0].Messaging[0].Optin
		Expect(optin).To(HaveKeyWithValue("type", "notification_messages"))
		Expect(optin).To(HaveKeyWithValue("notification_messages_token", tok))
		Expect(optin).To(HaveKeyWithValue("token_expiry_timestamp", float64(epoch.Add(365*24*time.Hour).UnixMilli())))
		Expect(optin).To(HaveKeyWithValue("user_token_status", "NOT_REFRESHED"))
		Expect(optin).To(HaveKeyWithValue("notification_messages_timezone", "Europe/Paris"))
		Expect(optin).To(HaveKeyWithValue("title", "Weekly deals"))
		Expect(optin).To(HaveKeyWithValue("payload", "deals"))
		Expect(optin).NotTo(HaveKey("one_time_notif_token"))
		Expect(e.graph.WindowOpen("111")).To(BeTrue(), "only the user's message opened it")
	})

	It("carries the person's own IANA time zone as notification_messages_timezone when the request names none", func() {
		Expect(e.graph.AddUser(fakegraph.User{PSID: "333", Region: "DE", Zone: "Europe/Berlin"})).To(Succeed())
		_, err := e.graph.UserMessage("333", "hi")
		Expect(err).NotTo(HaveOccurred())
		req := attach("333", map[string]any{"type": "template", "payload": map[string]any{
			"template_type": "notification_messages", "title": "Weekly deals", "payload": "deals"}})
		Expect(e.send(req).Status).To(Equal(200))
		_, _, err = e.graph.RecurringOptIn("333", "deals")
		Expect(err).NotTo(HaveOccurred())
		body, _ := e.hook.last()
		Expect(string(body)).To(ContainSubstring(`"notification_messages_timezone":"Europe/Berlin"`))
		toks := e.graph.RecurringTokens()
		Expect(toks[len(toks)-1].Timezone).To(Equal("Europe/Berlin"))
	})

	It("refreshes the token when the person opts in again to the same title", func() {
		tok := optIn("111", "Weekly deals", "deals")
		e.clock.Advance(8 * 24 * time.Hour)
		tok2 := optIn("111", "Weekly deals", "deals")
		Expect(tok2).To(Equal(tok))
		toks := e.graph.RecurringTokens()
		Expect(toks).To(HaveLen(1))
		Expect(toks[0].UserTokenStatus).To(Equal(fakegraph.TokenRefreshed))
		Expect(toks[0].ExpiresAt).To(Equal(e.clock.Now().Add(365 * 24 * time.Hour)))
	})

	It("refuses a tap on a request that never reached the person", func() {
		_, _, err := e.graph.RecurringOptIn("111", "nope")
		Expect(err).To(MatchError(fakegraph.ErrNoRequest))
	})

	It("works outside the window, once per 48 hours, 24 hours before 2025-09-01", func() {
		tok := optIn("111", "Weekly deals", "deals")
		e.clock.Advance(3 * 24 * time.Hour)
		Expect(rnSend(tok, "one").Status).To(Equal(200))
		e.clock.Advance(48*time.Hour - time.Millisecond)
		r := rnSend(tok, "two")
		Expect([]int{r.code(), r.subcode()}).To(Equal([]int{4, 2018354}))
		Expect(e.lastCall().Rule).To(Equal(rules.RNCooldown))
		e.clock.Advance(time.Millisecond)
		Expect(rnSend(tok, "two").Status).To(Equal(200))

		e = newEnv(func(s *fakegraph.Settings) { s.PlatformDate = time.Date(2025, 8, 31, 0, 0, 0, 0, time.UTC) })
		tok = optIn("111", "Weekly deals", "deals")
		e.clock.Advance(time.Hour)
		Expect(rnSend(tok, "one").Status).To(Equal(200))
		e.clock.Advance(24 * time.Hour)
		Expect(rnSend(tok, "two").Status).To(Equal(200))
	})

	It("exempts up to three follow-ups within two minutes of the opt-in", func() {
		tok := optIn("111", "Weekly deals", "deals")
		for i := 0; i < 3; i++ {
			Expect(rnSend(tok, "welcome").Status).To(Equal(200))
		}
		Expect(rnSend(tok, "one more").Status).To(Equal(200), "the first send past the exemption starts the cooldown")
		Expect(rnSend(tok, "too soon").subcode()).To(Equal(2018354))

		tok2 := optIn("222", "Weekly deals", "deals")
		e.clock.Advance(2 * time.Minute)
		Expect(rnSend(tok2, "late follow-up").Status).To(Equal(200))
		Expect(rnSend(tok2, "not exempt").subcode()).To(Equal(2018354))
	})

	It("refuses a stopped token with 10/1893015 until the person resumes, spelling the status as the docs do (or with underscores)", func() {
		tok := optIn("111", "Weekly deals", "deals")
		_, err := e.graph.RecurringStop("111", "deals")
		Expect(err).NotTo(HaveOccurred())
		body, _ := e.hook.last()
		Expect(string(body)).To(ContainSubstring(`"notification_messages_status":"STOP NOTIFICATIONS"`))
		r := rnSend(tok, "deal")
		Expect([]int{r.code(), r.subcode()}).To(Equal([]int{10, 1893015}))
		Expect(e.lastCall().Rule).To(Equal(rules.RNStopped))
		_, err = e.graph.RecurringResume("111", "deals")
		Expect(err).NotTo(HaveOccurred())
		Expect(rnSend(tok, "deal").Status).To(Equal(200))

		e = newEnv(func(s *fakegraph.Settings) { s.Recurring.StatusUnderscores = true })
		optIn("111", "Weekly deals", "deals")
		_, _ = e.graph.RecurringStop("111", "deals")
		body, _ = e.hook.last()
		Expect(string(body)).To(ContainSubstring(`"notification_messages_status":"STOP_NOTIFICATIONS"`))
	})

	It("refuses unknown and expired tokens with 100, and a request outside the window with 10/2018278", func() {
		Expect(rnSend("made-up", "x").code()).To(Equal(100))
		Expect(e.lastCall().Rule).To(Equal(rules.RNTokenOK))
		r := e.send(recurringRequest("111", "Weekly deals", "deals"))
		Expect(r.subcode()).To(Equal(2018278))
		Expect(e.lastCall().Rule).To(Equal(rules.RNReqWindow))
		tok := optIn("111", "Weekly deals", "deals")
		e.clock.Advance(365 * 24 * time.Hour)
		Expect(rnSend(tok, "x").code()).To(Equal(12), "the deprecation era comes first by default")
	})

	It("checks the template's fields: title, payload, CTA text, frequency", func() {
		_, _ = e.graph.UserMessage("111", "hi")
		bad := func(mut func(p map[string]any)) int {
			req := recurringRequest("111", "T", "p")
			mut(req["message"].(map[string]any)["attachment"].(map[string]any)["payload"].(map[string]any))
			r := e.send(req)
			Expect(e.lastCall().Rule).To(Equal(rules.RNReqFormat))
			return r.code()
		}
		Expect(bad(func(p map[string]any) { p["title"] = strings.Repeat("x", 66) })).To(Equal(100))
		Expect(bad(func(p map[string]any) { delete(p, "payload") })).To(Equal(100))
		Expect(bad(func(p map[string]any) { p["notification_messages_cta_text"] = "CLICK" })).To(Equal(100))
		Expect(bad(func(p map[string]any) { p["notification_messages_frequency"] = "HOURLY" })).To(Equal(100))
		for _, zone := range []string{"+01:00", "UTC+1", "Local", "Europe/Atlantis"} {
			Expect(bad(func(p map[string]any) { p["notification_messages_timezone"] = zone })).To(Equal(100), zone)
			Expect(e.lastCall().Assumed).To(BeTrue(), "that a zone must be IANA's is our reading")
		}
		e = newEnv(func(s *fakegraph.Settings) { s.Recurring.AnyTimezone = true })
		_, _ = e.graph.UserMessage("111", "hi")
		anyZone := recurringRequest("111", "T", "p")
		anyZone["message"].(map[string]any)["attachment"].(map[string]any)["payload"].(map[string]any)["notification_messages_timezone"] = "+01:00"
		Expect(e.send(anyZone).Status).To(Equal(200), "recurring.any_timezone accepts it")
		_, _ = e.graph.UserMessage("111", "hi")
		req := recurringRequest("111", "T", "p")
		delete(req["message"].(map[string]any)["attachment"].(map[string]any)["payload"].(map[string]any), "title")
		Expect(e.send(req).Status).To(Equal(200))
		Expect(e.lastCall().Text).To(Equal(fakegraph.DefaultRecurringTitle))
	})

	It("refuses too many requests to one person in a week with 9/2018352 (an assumed limit)", func() {
		_, _ = e.graph.UserMessage("111", "hi")
		for i := 0; i < 5; i++ {
			Expect(e.send(recurringRequest("111", "Title "+itoa(i), "p")).Status).To(Equal(200))
		}
		r := e.send(recurringRequest("111", "Title 6", "p"))
		Expect([]int{r.code(), r.subcode()}).To(Equal([]int{9, 2018352}))
		Expect(e.lastCall().Assumed).To(BeTrue())
	})

	It("gives tokens from before 2023-02-02 6, 9 or 12 months by frequency", func() {
		for freq, months := range map[string]int{"DAILY": 6, "WEEKLY": 9, "MONTHLY": 12} {
			e = newEnv(time.Date(2022, 6, 1, 9, 0, 0, 0, time.UTC))
			_, _ = e.graph.UserMessage("111", "hi")
			req := recurringRequest("111", "T", "p")
			req["message"].(map[string]any)["attachment"].(map[string]any)["payload"].(map[string]any)["notification_messages_frequency"] = freq
			Expect(e.send(req).Status).To(Equal(200))
			_, _, err := e.graph.RecurringOptIn("111", "p")
			Expect(err).NotTo(HaveOccurred())
			Expect(e.graph.RecurringTokens()[0].ExpiresAt).To(Equal(time.Date(2022, 6+time.Month(months), 1, 9, 0, 0, 0, time.UTC)), freq)
		}
	})

	It("is deprecated from 2026-02-10: refused with code 12 by default, allowed by setting", func() {
		late := time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)
		e = newEnv(late)
		_, _ = e.graph.UserMessage("111", "hi")
		Expect(e.send(recurringRequest("111", "T", "p")).code()).To(Equal(12))
		Expect(e.lastCall().Rule).To(Equal(rules.RNEra))
		Expect(e.lastCall().Assumed).To(BeTrue())
		e = newEnv(late.Add(-time.Millisecond))
		_, _ = e.graph.UserMessage("111", "hi")
		Expect(e.send(recurringRequest("111", "T", "p")).Status).To(Equal(200))
		e = newEnv(late, func(s *fakegraph.Settings) { s.Recurring.AfterDeprecation = "allow" })
		_, _ = e.graph.UserMessage("111", "hi")
		Expect(e.send(recurringRequest("111", "T", "p")).Status).To(Equal(200))
	})

	It("lists the page's live tokens at GET /{PAGE_ID}/notification_message_tokens", func() {
		tok := optIn("111", "Weekly deals", "deals")
		r := e.do(http.MethodGet, graphBase+fakegraph.DefaultPage().ID+"/notification_message_tokens"+tokenQS(), nil)
		Expect(r.Status).To(Equal(200))
		data := r.Body["data"].([]any)
		Expect(data).To(HaveLen(1))
		Expect(data[0]).To(HaveKeyWithValue("notification_messages_token", tok))
		Expect(data[0]).To(HaveKeyWithValue("recipient_id", "111"))
		Expect(data[0]).To(HaveKeyWithValue("user_token_status", "NOT_REFRESHED"))
		e.clock.Advance(366 * 24 * time.Hour)
		r = e.do(http.MethodGet, graphBase+"me/notification_message_tokens"+tokenQS(), nil)
		Expect(r.Body["data"]).To(BeEmpty())
		Expect(e.do(http.MethodGet, graphBase+"me/notification_message_tokens", nil).code()).To(Equal(190))
	})
})

var _ = Describe("the control API, round two", func() {
	var e *env
	BeforeEach(func() { e = newEnv() })
	ctl := func(method, path, body string) response {
		return e.do(method, "https://graph.facebook.com/otnsim/v1/"+path, body)
	}

	It("plays reactions, referrals and the recurring notifications life over HTTP", func() {
		Expect(ctl("POST", "users/111/react", `{"emoji":"👍"}`).Status).To(Equal(200))
		Expect(e.graph.WindowOpen("111")).To(BeTrue())
		body, _ := e.hook.last()
		Expect(string(body)).To(ContainSubstring(`"reaction":"like"`))

		r := ctl("POST", "users/222/referral", `{"ref":"spring","ad_id":"42"}`)
		Expect(r.Status).To(Equal(200))
		body, _ = e.hook.last()
		Expect(string(body)).To(ContainSubstring(`"referral":{"ref":"spring","source":"ADS","type":"OPEN_THREAD","ad_id":"42"}`))
		Expect(e.graph.WindowOpen("222")).To(BeTrue())

		Expect(e.send(recurringRequest("111", "Weekly deals", "deals")).Status).To(Equal(200))
		r = ctl("POST", "users/111/recurring-opt-in", `{"payload":"deals"}`)
		Expect(r.Status).To(Equal(200))
		Expect(r.Body["token"]).NotTo(BeEmpty())
		Expect(ctl("POST", "users/111/recurring-stop", `{"payload":"deals"}`).Status).To(Equal(200))
		Expect(e.graph.RecurringTokens()[0].State).To(Equal(fakegraph.RecurringStopped))
		Expect(ctl("POST", "users/111/recurring-resume", `{"payload":"deals"}`).Status).To(Equal(200))
		Expect(ctl("POST", "users/111/recurring-stop", `{"payload":"other"}`).Status).To(Equal(409))
		Expect(ctl("POST", "users/999/react", `{}`).Status).To(Equal(404))
	})

	It("requires appsecret_proof once the settings say so, over PATCH", func() {
		_, _ = e.graph.UserMessage("111", "hi")
		Expect(ctl("PATCH", "settings", `{"require_appsecret_proof":true}`).Status).To(Equal(200))
		r := e.send(text("111", "x"))
		Expect(r.code()).To(Equal(100))
		Expect(e.lastCall().Rule).To(Equal(rules.SendAuth))
		proof := fakegraph.AppSecretProof(fakegraph.DefaultPage().AppSecret, fakegraph.DefaultPage().AccessToken)
		r = e.do(http.MethodPost, graphBase+"me/messages"+tokenQS()+"&appsecret_proof="+proof, text("111", "x"))
		Expect(r.Status).To(Equal(200))
		Expect(ctl("PATCH", "settings", `{"require_appsecret_proof":null}`).Status).To(Equal(200))
		Expect(e.send(text("111", "x")).Status).To(Equal(200))
	})

	It("lists every assumption with its default and the value in effect", func() {
		Expect(ctl("PATCH", "settings", `{"rate_limit":{"thread_burst":5},"token_lifetime":"366d"}`).Status).To(Equal(200))
		r := ctl("GET", "assumptions", "")
		Expect(r.Status).To(Equal(200))
		list := r.Body["assumptions"].([]any)
		byName := map[string]map[string]any{}
		for _, a := range list {
			m := a.(map[string]any)
			byName[m["setting"].(string)] = m
			Expect(m["default"]).NotTo(BeNil(), m["setting"])
			Expect(m["reading"]).NotTo(BeEmpty())
		}
		Expect(byName["rate_limit.thread_burst"]).To(HaveKeyWithValue("value", 5.0))
		Expect(byName["rate_limit.thread_burst"]).To(HaveKeyWithValue("default", 20.0))
		Expect(byName["rate_limit.thread_burst"]).To(HaveKeyWithValue("changed", true))
		Expect(byName["token_lifetime"]).To(HaveKeyWithValue("default", "1y"))
		Expect(byName["token_lifetime"]).To(HaveKeyWithValue("value", "1y1d"))
		Expect(byName["token_calendar_year"]).To(HaveKeyWithValue("changed", false))
		Expect(byName).To(HaveKey("recurring.after_deprecation"))
	})

	It("performs the verification handshake on POST webhook/subscribe and records it in the ledger", func() {
		verify := fakegraph.DefaultPage().VerifyToken
		bot := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if q.Get("hub.mode") != "subscribe" || q.Get("hub.verify_token") != verify {
				http.Error(w, "forbidden", http.StatusForbidden)
				return
			}
			_, _ = w.Write([]byte(q.Get("hub.challenge")))
		})
		srv := httptest.NewServer(bot)
		defer srv.Close()
		graph := fakegraph.New(fakegraph.Config{Clock: clock.NewVirtual(epoch), Webhook: fakegraph.Webhook{URL: srv.URL + "/webhook"}})
		h, err := graph.Subscribe()
		Expect(err).NotTo(HaveOccurred())
		Expect(h.Verified).To(BeTrue())
		Expect(h.Answer).To(Equal(h.Challenge))

		wrong := fakegraph.DefaultPage()
		wrong.VerifyToken = "not-the-bots"
		graph = fakegraph.New(fakegraph.Config{Page: wrong, Clock: clock.NewVirtual(epoch), Webhook: fakegraph.Webhook{URL: srv.URL + "/webhook"}})
		rec := httptest.NewRecorder()
		graph.ServeHTTP(rec, httptest.NewRequest("POST", "/otnsim/v1/webhook/subscribe", nil))
		Expect(rec.Code).To(Equal(200))
		var out fakegraph.Handshake
		Expect(json.Unmarshal(rec.Body.Bytes(), &out)).To(Succeed())
		Expect(out.Verified).To(BeFalse())
		Expect(out.Status).To(Equal(403))
		events := graph.Ledger().Handshakes()
		Expect(events).To(HaveLen(1))
		Expect(events[0].Detail).To(ContainSubstring("refused (HTTP 403"))

		srv.Close()
		h, _ = graph.Subscribe()
		Expect(h.Error).NotTo(BeEmpty())
		Expect(graph.Ledger().Handshakes()[1].Detail).To(ContainSubstring("not reached"))
		none := fakegraph.New(fakegraph.Config{Clock: clock.NewVirtual(epoch)})
		rec = httptest.NewRecorder()
		none.ServeHTTP(rec, httptest.NewRequest("POST", "/otnsim/v1/webhook/subscribe", nil))
		Expect(rec.Code).To(Equal(409))
	})
})

var _ = Describe("assumptions made switchable", func() {
	It("reads a token's year as 365 days by default, or as the same calendar date", func() {
		leap := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC) // a year later is 366 days on
		e := newEnv(leap)
		tok := e.optIn("111", "t")
		Expect(e.graph.Ledger().Tokens[0].ExpiresAt).To(Equal(leap.Add(365 * 24 * time.Hour)))
		e.clock.Advance(365*24*time.Hour + time.Hour)
		Expect(e.send(tokenSend(tok, "late")).code()).To(Equal(100))
		Expect(e.lastCall().Rule).To(Equal(rules.TokenExpiry))

		e = newEnv(leap, func(s *fakegraph.Settings) { s.TokenCalendarYear = true })
		tok = e.optIn("111", "t")
		Expect(e.graph.Ledger().Tokens[0].ExpiresAt).To(Equal(time.Date(2028, 3, 1, 9, 0, 0, 0, time.UTC)))
		e.clock.Advance(365*24*time.Hour + time.Hour)
		Expect(e.send(tokenSend(tok, "still a year")).Status).To(Equal(200))

		e = newEnv(func(s *fakegraph.Settings) { s.TokenLifetime = 30 * 24 * time.Hour })
		e.optIn("111", "t")
		Expect(e.graph.Ledger().Tokens[0].ExpiresAt).To(Equal(epoch.Add(30 * 24 * time.Hour)))
	})

	It("labels every assumed setting, each naming a real setting", func() {
		list := fakegraph.Assumptions(fakegraph.DefaultSettings())
		Expect(len(list)).To(BeNumerically(">=", 30))
		for _, a := range list {
			Expect(a.Default).NotTo(BeEmpty(), a.Setting)
			Expect(a.Changed).To(BeFalse(), a.Setting)
		}
	})

	It("marks a per-thread throttle as resting on an assumption", func() {
		e := newEnv()
		_, _ = e.graph.UserMessage("111", "hi")
		for i := 0; i < 20; i++ {
			Expect(e.send(text("111", "x")).Status).To(Equal(200))
		}
		Expect(e.send(text("111", "x")).code()).To(Equal(613))
		Expect(e.lastCall().Rule).To(Equal(rules.SendRate))
		Expect(e.lastCall().Assumed).To(BeTrue())
		r, _ := rules.Lookup(rules.SendRate)
		Expect(r.Assumption).To(ContainSubstring("per-thread"))
	})
})

var _ = Describe("the ad window and content modes", func() {
	It("keeps the window open 7 days after the first message following a Click-to-Messenger ad, from 2026-09-28", func() {
		after := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
		e := newEnv(after)
		_, err := e.graph.Referral("111", fakegraph.Referral{AdID: "1"})
		Expect(err).NotTo(HaveOccurred())
		_, _ = e.graph.UserMessage("111", "hi")
		_, _ = e.graph.UserMessage("111", "second message: the ad window stays")
		e.clock.Advance(7*24*time.Hour - time.Millisecond)
		Expect(e.graph.WindowOpen("111")).To(BeTrue())
		e.clock.Advance(time.Millisecond)
		Expect(e.graph.WindowOpen("111")).To(BeFalse())
		var closes []time.Time
		for _, t := range e.graph.Ledger().Timeline("111") {
			if t.Text == "window closes" {
				closes = append(closes, t.At)
			}
		}
		Expect(closes).To(Equal([]time.Time{after.Add(7 * 24 * time.Hour)}), "the timeline closes the ad's window at 7 days")

		// A link referral is not an ad; before the policy an ad is not either.
		_, _ = e.graph.Referral("222", fakegraph.Referral{Ref: "qr"})
		_, _ = e.graph.UserMessage("222", "hi")
		e.clock.Advance(24 * time.Hour)
		Expect(e.graph.WindowOpen("222")).To(BeFalse())
		e = newEnv(time.Date(2026, 9, 27, 9, 0, 0, 0, time.UTC))
		_, _ = e.graph.Referral("111", fakegraph.Referral{AdID: "1"})
		_, _ = e.graph.UserMessage("111", "hi")
		e.clock.Advance(24 * time.Hour)
		Expect(e.graph.WindowOpen("111")).To(BeFalse())
	})

	It("sends only text or a button template of at most 3 buttons in the basic content mode", func() {
		e := newEnv(func(s *fakegraph.Settings) { s.Content = fakegraph.ContentBasic })
		_, _ = e.graph.UserMessage("111", "hi")
		Expect(e.send(text("111", "x")).Status).To(Equal(200))
		btn := attach("111", map[string]any{"type": "template", "payload": map[string]any{"template_type": "button", "text": "Pick",
			"buttons": []any{map[string]string{"type": "postback", "title": "A", "payload": "A"}}}})
		Expect(e.send(btn).Status).To(Equal(200))
		img := attach("111", map[string]any{"type": "image", "payload": map[string]string{"url": "https://x.test/a.png"}})
		Expect(e.send(img).code()).To(Equal(100))
		Expect(e.lastCall().Rule).To(Equal(rules.SendFormat))
		tok := e.optIn("111", "t")
		img["recipient"] = map[string]string{"one_time_notif_token": tok}
		Expect(e.send(img).code()).To(Equal(100))
		Expect(e.lastCall().Rule).To(Equal(rules.Content))
		Expect(fakegraph.DefaultSettings().Content).To(Equal(fakegraph.ContentRich))
		bad := fakegraph.DefaultSettings()
		bad.Content = "fancy"
		Expect(bad.Validate()).To(MatchError(ContainSubstring("content must be rich or basic")))
	})
})
