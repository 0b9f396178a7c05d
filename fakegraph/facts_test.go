package fakegraph_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/rules"
)

// One spec per row of the facts sheet's error table, accept and refuse.
var _ = Describe("the facts sheet's error table", func() {
	var e *env
	BeforeEach(func() { e = newEnv() })

	It("10/2018278: outside the window (and inside it the same call is accepted)", func() {
		Expect(e.send(text("111", "x")).subcode()).To(Equal(2018278))
		_, _ = e.graph.UserMessage("111", "hi")
		Expect(e.send(text("111", "x")).Status).To(Equal(200))
	})

	It("10/2018065: the legacy outside-window subcode, as a setting", func() {
		e = newEnv(func(s *fakegraph.Settings) { s.LegacyWindowSubcode = true })
		r := e.send(text("111", "x"))
		Expect(r.code()).To(Equal(10))
		Expect(r.subcode()).To(Equal(2018065))
		Expect(e.lastCall().Assumed).To(BeTrue())
	})

	It("10/2018108: a user who can't receive messages right now", func() {
		_, _ = e.graph.UserMessage("111", "hi")
		Expect(e.graph.SetUserState("111", fakegraph.UserUnreachable)).To(Succeed())
		r := e.send(text("111", "x"))
		Expect([]int{r.code(), r.subcode()}).To(Equal([]int{10, 2018108}))
		Expect(e.graph.SetUserState("111", fakegraph.UserActive)).To(Succeed())
		Expect(e.send(text("111", "x")).Status).To(Equal(200))
	})

	It("551/1545041 blocked and 200/1545041 deactivated, with rule USER-AVAILABLE", func() {
		_, _ = e.graph.UserMessage("111", "hi")
		_, _ = e.graph.UserMessage("222", "hi")
		Expect(e.graph.Block("111")).To(Succeed())
		r := e.send(text("111", "x"))
		Expect([]int{r.code(), r.subcode()}).To(Equal([]int{551, 1545041}))
		Expect(e.lastCall().Rule).To(Equal(rules.UserAvailable))
		Expect(e.graph.SetUserState("222", fakegraph.UserDeactivated)).To(Succeed())
		r = e.send(text("222", "x"))
		Expect([]int{r.code(), r.subcode()}).To(Equal([]int{200, 1545041}))
		_, err := e.graph.UserMessage("222", "back?")
		Expect(err).To(MatchError(fakegraph.ErrUnavailable))
		Expect(e.graph.Unblock("111")).To(Succeed())
		Expect(e.send(text("111", "x")).Status).To(Equal(200))
	})

	It("100/2018001: no matching user, for an unknown PSID and an unknown user_ref", func() {
		r := e.send(text("999", "x"))
		Expect([]int{r.code(), r.subcode()}).To(Equal([]int{100, 2018001}))
		body := text("", "x")
		body["recipient"] = map[string]string{"user_ref": "nope"}
		Expect(e.send(body).subcode()).To(Equal(2018001))
	})

	It("100: invalid parameter, and invalid successor tokens", func() {
		_, _ = e.graph.UserMessage("111", "hi")
		body := text("111", "x")
		body["messaging_type"] = "PROMO"
		Expect(e.send(body).code()).To(Equal(100))
		succ := map[string]any{"recipient": map[string]string{"notification_messages_token": "abc"}, "message": map[string]string{"text": "x"}}
		Expect(e.send(succ).code()).To(Equal(100))
	})

	It("32: page request limit after 300 calls in one second, transient; the next second is fine", func() {
		_, _ = e.graph.UserMessage("111", "hi")
		for i := 0; i < 300; i++ {
			Expect(e.graph.AddUser(fakegraph.User{PSID: "u" + itoa(i)})).To(Succeed())
		}
		for i := 0; i < 300; i++ {
			Expect(e.send(text("u"+itoa(i), "x")).code()).To(Equal(10)) // counted, refused for the window
		}
		r := e.send(text("111", "x"))
		Expect(r.code()).To(Equal(32))
		Expect(r.transient()).To(BeTrue())
		Expect(e.lastCall().Rule).To(Equal(rules.SendRate))
		e.clock.Advance(time.Second)
		Expect(e.send(text("111", "x")).Status).To(Equal(200))
	})

	It("613/2534040: more than 10 audio or video sends a second", func() {
		for i := 0; i < 11; i++ {
			psid := "a" + itoa(i)
			Expect(e.graph.AddUser(fakegraph.User{PSID: psid})).To(Succeed())
			_, _ = e.graph.UserMessage(psid, "hi")
		}
		audio := map[string]any{"type": "audio", "payload": map[string]string{"url": "https://x.test/a.mp3"}}
		for i := 0; i < 10; i++ {
			Expect(e.send(attach("a"+itoa(i), audio)).Status).To(Equal(200))
		}
		r := e.send(attach("a10", audio))
		Expect([]int{r.code(), r.subcode()}).To(Equal([]int{613, 2534040}))
		Expect(r.transient()).To(BeTrue())
		Expect(e.send(text("a10", "text is fine")).Status).To(Equal(200))
	})

	It("613/2534040: a burst in one thread", func() {
		_, _ = e.graph.UserMessage("111", "hi")
		for i := 0; i < 20; i++ {
			Expect(e.send(text("111", "x")).Status).To(Equal(200))
		}
		Expect(e.send(text("111", "x")).code()).To(Equal(613))
		Expect(e.send(text("222", "other thread")).code()).To(Equal(10))
	})

	It("4: the 24-hour quota of 200 x messageable users, transient", func() {
		e = newEnv(func(s *fakegraph.Settings) { s.RateLimit.ThreadBurst = 0 })
		_, _ = e.graph.UserMessage("111", "hi")
		for i := 0; i < 400; i++ { // two users: 400 calls a day
			if i%250 == 249 {
				e.clock.Advance(time.Second)
			}
			Expect(e.send(text("111", "x")).Status).To(Equal(200))
		}
		r := e.send(text("111", "x"))
		Expect(r.code()).To(Equal(4))
		Expect(r.transient()).To(BeTrue())
		e.clock.Advance(24 * time.Hour)
		_, _ = e.graph.UserMessage("111", "hi again")
		Expect(e.send(text("111", "x")).Status).To(Equal(200))
	})

	It("613/2018338: Meta's spam guard on repeated requests for one topic", func() {
		_, _ = e.graph.UserMessage("111", "hi")
		for i := 0; i < 3; i++ {
			Expect(e.send(otnRequest("111", "Back", "t")).Status).To(Equal(200))
		}
		r := e.send(otnRequest("111", "Back", "t"))
		Expect([]int{r.code(), r.subcode()}).To(Equal([]int{613, 2018338}))
		Expect(e.lastCall().Rule).To(Equal(rules.ReqSpam))
		Expect(e.send(otnRequest("111", "Other", "u")).Status).To(Equal(200))
	})

	It("200/2018028: app not live for users without a role", func() {
		e = newEnv(func(p *fakegraph.Page) { p.AppInDevelopment = true })
		Expect(e.graph.AddUser(fakegraph.User{PSID: "dev", AppRole: true})).To(Succeed())
		_, _ = e.graph.UserMessage("111", "hi")
		_, _ = e.graph.UserMessage("dev", "hi")
		r := e.send(text("111", "x"))
		Expect([]int{r.code(), r.subcode()}).To(Equal([]int{200, 2018028}))
		Expect(e.send(text("dev", "x")).Status).To(Equal(200))
	})

	DescribeTable("190: access token errors",
		func(status string, sub int) {
			e = newEnv(func(p *fakegraph.Page) { p.AccessTokenStatus = status })
			r := e.send(text("111", "x"))
			Expect(r.code()).To(Equal(190))
			Expect(r.subcode()).To(Equal(sub))
			Expect(r.Body["error"]).To(HaveKeyWithValue("type", "OAuthException"))
		},
		Entry("expired", "expired", 463),
		Entry("invalidated", "invalidated", 460),
		Entry("app not authorized", "app_not_authorized", 458),
	)

	DescribeTable("2 and 1200: transient failures, through armed faults",
		func(code int) {
			_, _ = e.graph.UserMessage("111", "hi")
			Expect(e.graph.ArmFault(fakegraph.Fault{Kind: fakegraph.FaultGraphError, Code: code})).To(Succeed())
			r := e.send(text("111", "x"))
			Expect(r.code()).To(Equal(code))
			Expect(r.transient()).To(BeTrue())
			Expect(e.send(text("111", "x")).Status).To(Equal(200))
		},
		Entry("2 unexpected error", 2),
		Entry("1200 temporary send failure", 1200),
	)
})

var _ = Describe("endpoints and auth", func() {
	var e *env
	BeforeEach(func() {
		e = newEnv()
		_, _ = e.graph.UserMessage("111", "hi")
	})
	tok := fakegraph.DefaultPage().AccessToken
	body := `{"recipient":{"id":"111"},"messaging_type":"RESPONSE","message":{"text":"hi"}}`

	DescribeTable("accepts the page token in every form and both URL forms",
		func(url, ct, b string, hdr ...string) {
			Expect(e.raw("POST", url, ct, []byte(b), hdr...).Status).To(Equal(200))
		},
		Entry("query string, /me", graphBase+"me/messages?access_token="+tok, "application/json", body),
		Entry("query string, /{page-id}, another version", "https://graph.facebook.com/v2.6/"+fakegraph.DefaultPage().ID+"/messages?access_token="+tok, "application/json", body),
		Entry("Bearer header", graphBase+"me/messages", "application/json", body, "Authorization", "Bearer "+tok),
		Entry("OAuth header", graphBase+"me/messages", "application/json", body, "Authorization", "OAuth "+tok),
		Entry("JSON field", graphBase+"me/messages", "application/json", `{"access_token":"`+tok+`","recipient":{"id":"111"},"messaging_type":"RESPONSE","message":{"text":"hi"}}`),
		Entry("form field", graphBase+"me/messages", "application/x-www-form-urlencoded", `access_token=`+tok+`&messaging_type=RESPONSE&recipient={"id":"111"}&message={"text":"hi"}`),
		Entry("multipart field", graphBase+"me/messages", "multipart/form-data; boundary=XX",
			"--XX\r\nContent-Disposition: form-data; name=\"access_token\"\r\n\r\n"+tok+"\r\n--XX\r\nContent-Disposition: form-data; name=\"recipient\"\r\n\r\n{\"id\":\"111\"}\r\n--XX\r\nContent-Disposition: form-data; name=\"messaging_type\"\r\n\r\nRESPONSE\r\n--XX\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\n{\"text\":\"hi\"}\r\n--XX--\r\n"),
		Entry("parameters in the query string", graphBase+"me/messages?access_token="+tok+`&messaging_type=RESPONSE&recipient=%7B%22id%22%3A%22111%22%7D&message=%7B%22text%22%3A%22hi%22%7D`, "", ""),
	)

	It("checks appsecret_proof when given, and when the page requires it", func() {
		good := fakegraph.AppSecretProof(fakegraph.DefaultPage().AppSecret, tok)
		Expect(e.raw("POST", graphBase+"me/messages?access_token="+tok+"&appsecret_proof="+good, "application/json", []byte(body)).Status).To(Equal(200))
		r := e.raw("POST", graphBase+"me/messages?access_token="+tok+"&appsecret_proof=00", "application/json", []byte(body))
		Expect(r.code()).To(Equal(100))
		Expect(e.lastCall().Rule).To(Equal(rules.SendAuth))
		e = newEnv(func(p *fakegraph.Page) { p.RequireAppSecretProof = true })
		Expect(e.send(text("111", "x")).code()).To(Equal(100))
	})

	It("refuses a wrong or missing token with 190 in every form", func() {
		Expect(e.raw("POST", graphBase+"me/messages", "application/json", []byte(body), "Authorization", "Bearer wrong").code()).To(Equal(190))
		Expect(e.raw("POST", graphBase+"me/messages", "application/json", []byte(body)).code()).To(Equal(190))
	})

	It("answers subscribed_apps with {\"success\":true} and delivers only subscribed fields", func() {
		r := e.raw("POST", graphBase+"me/subscribed_apps"+tokenQS()+"&subscribed_fields=messages,messaging_postbacks", "", nil)
		Expect(string(r.Raw)).To(Equal(`{"success":true}` + "\n"))
		Expect(e.send(otnRequest("111", "Back", "t")).Status).To(Equal(200))
		_, d, err := e.graph.NotifyMe("111", "t")
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Skipped).To(BeTrue())
		g := e.raw("GET", graphBase+"me/subscribed_apps"+tokenQS(), "", nil)
		Expect(string(g.Raw)).To(ContainSubstring(`"subscribed_fields":["messages","messaging_postbacks"]`))
		Expect(e.raw("POST", graphBase+"me/subscribed_apps"+tokenQS()+"&subscribed_fields=bogus", "", nil).code()).To(Equal(100))
	})

	It("reports the timezone of a user with an IANA zone as its offset now, daylight saving time included", func() {
		for _, tc := range []struct {
			at   time.Time
			want float64
		}{{time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), 1}, {time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC), 2}} {
			e = newEnv(tc.at)
			Expect(e.graph.AddUser(fakegraph.User{PSID: "333", Region: "DE", Zone: "Europe/Berlin", Timezone: 1})).To(Succeed())
			r := e.raw("GET", graphBase+"333"+tokenQS()+"&fields=timezone", "", nil)
			Expect(r.Body).To(HaveKeyWithValue("timezone", tc.want), tc.at.String())
		}
	})

	It("answers GET /{PSID}?fields=... from the user's profile", func() {
		Expect(e.graph.AddUser(fakegraph.User{PSID: "333", FirstName: "Kenji", LastName: "Sato", Locale: "ja_JP", Timezone: 9})).To(Succeed())
		r := e.raw("GET", graphBase+"333"+tokenQS()+"&fields=first_name,last_name,profile_pic,locale,timezone", "", nil)
		Expect(r.Status).To(Equal(200))
		Expect(r.Body).To(HaveKeyWithValue("first_name", "Kenji"))
		Expect(r.Body).To(HaveKeyWithValue("last_name", "Sato"))
		Expect(r.Body).To(HaveKeyWithValue("locale", "ja_JP"))
		Expect(r.Body).To(HaveKeyWithValue("timezone", 9.0))
		Expect(r.Body).To(HaveKeyWithValue("id", "333"))
		Expect(r.Body["profile_pic"]).To(HavePrefix("https://"))
		Expect(e.raw("GET", graphBase+"999"+tokenQS(), "", nil).code()).To(Equal(100))
		Expect(e.raw("GET", graphBase+"333"+tokenQS()+"&fields=shoe_size", "", nil).code()).To(Equal(100))
		Expect(e.raw("GET", graphBase+"333?access_token=bad", "", nil).code()).To(Equal(190))
	})
})

var _ = Describe("golden shapes", func() {
	It("pins the success body byte for byte", func() {
		e := newEnv()
		_, _ = e.graph.UserMessage("111", "hi")
		r := e.send(text("111", "x"))
		Expect(string(r.Raw)).To(MatchRegexp(`^\{"recipient_id":"111","message_id":"m_[A-Za-z0-9_-]{32}"\}$`))
		r = e.send(map[string]any{"recipient": map[string]string{"id": "111"}, "sender_action": "typing_on"})
		Expect(string(r.Raw)).To(Equal(`{"recipient_id":"111"}`))
	})

	It("pins the error envelope with is_transient byte for byte", func() {
		err := &fakegraph.Error{Message: "(#4) Application request limit reached", Type: "OAuthException", Code: 4, IsTransient: true}
		Expect(string(err.MarshalEnvelope("AxIIVeNpuf3y2jeXdufRcEX"))).To(Equal(
			`{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","code":4,"is_transient":true,"fbtrace_id":"AxIIVeNpuf3y2jeXdufRcEX"}}`))
	})

	It("pins the opt-in webhook byte for byte", func() {
		e := newEnv()
		tok := e.optIn("111", "restock:red")
		body, _ := e.hook.last()
		ms := epoch.UnixMilli()
		Expect(string(body)).To(Equal(`{"object":"page","entry":[{"id":"1000000000001","time":` + itoa(int(ms)) +
			`,"messaging":[{"sender":{"id":"111"},"recipient":{"id":"1000000000001"},"timestamp":` + itoa(int(ms)) +
			`,"optin":{"type":"one_time_notif_req","payload":"restock:red","one_time_notif_token":"` + tok + `"}}]}]}`))
	})

	It("answers recipient_id on a token send unless the setting says otherwise", func() {
		e := newEnv(func(s *fakegraph.Settings) { s.RecipientIDOnTokenSend = false })
		tok := e.optIn("111", "t")
		r := e.send(tokenSend(tok, "x"))
		Expect(string(r.Raw)).To(MatchRegexp(`^\{"message_id":"m_[^"]+"\}$`))
	})
})

var _ = Describe("message validation", func() {
	var e *env
	BeforeEach(func() {
		e = newEnv()
		_, _ = e.graph.UserMessage("111", "hi")
	})
	btn := func(n int) []any {
		out := []any{}
		for i := 0; i < n; i++ {
			out = append(out, map[string]string{"type": "postback", "title": "B" + itoa(i), "payload": "p"})
		}
		return out
	}
	tpl := func(p map[string]any) map[string]any {
		return attach("111", map[string]any{"type": "template", "payload": p})
	}

	DescribeTable("accepts and refuses (SEND-FORMAT, code 100)",
		func(body func() map[string]any, ok bool) {
			r := e.send(body())
			if ok {
				Expect(r.Status).To(Equal(200), string(r.Raw))
				return
			}
			Expect(r.code()).To(Equal(100), string(r.Raw))
			Expect(e.lastCall().Rule).To(Equal(rules.SendFormat))
		},
		Entry("button template with 3 buttons", func() map[string]any {
			return tpl(map[string]any{"template_type": "button", "text": "Pick", "buttons": btn(3)})
		}, true),
		Entry("button template with 4 buttons", func() map[string]any {
			return tpl(map[string]any{"template_type": "button", "text": "Pick", "buttons": btn(4)})
		}, false),
		Entry("button template without text", func() map[string]any {
			return tpl(map[string]any{"template_type": "button", "buttons": btn(1)})
		}, false),
		Entry("generic template", func() map[string]any {
			return tpl(map[string]any{"template_type": "generic", "elements": []any{map[string]any{"title": "Hat", "buttons": btn(2)}}})
		}, true),
		Entry("generic template with 11 elements", func() map[string]any {
			els := []any{}
			for i := 0; i < 11; i++ {
				els = append(els, map[string]any{"title": "x"})
			}
			return tpl(map[string]any{"template_type": "generic", "elements": els})
		}, false),
		Entry("unknown template type", func() map[string]any { return tpl(map[string]any{"template_type": "fancy"}) }, false),
		Entry("image by url", func() map[string]any {
			return attach("111", map[string]any{"type": "image", "payload": map[string]string{"url": "https://x.test/a.png"}})
		}, true),
		Entry("image without url or id", func() map[string]any {
			return attach("111", map[string]any{"type": "image", "payload": map[string]string{}})
		}, false),
		Entry("unknown attachment type", func() map[string]any {
			return attach("111", map[string]any{"type": "hologram", "payload": map[string]string{"url": "x"}})
		}, false),
		Entry("quick replies", func() map[string]any {
			b := text("111", "Pick")
			b["message"] = map[string]any{"text": "Pick", "quick_replies": []any{map[string]string{"content_type": "text", "title": "Red", "payload": "RED"}}}
			return b
		}, true),
		Entry("14 quick replies", func() map[string]any {
			qr := []any{}
			for i := 0; i < 14; i++ {
				qr = append(qr, map[string]string{"content_type": "text", "title": "R", "payload": "P"})
			}
			b := text("111", "Pick")
			b["message"] = map[string]any{"text": "Pick", "quick_replies": qr}
			return b
		}, false),
		Entry("metadata of 999 characters", func() map[string]any {
			b := text("111", "x")
			b["message"] = map[string]any{"text": "x", "metadata": strings.Repeat("m", 999)}
			return b
		}, true),
		Entry("metadata of 1000 characters", func() map[string]any {
			b := text("111", "x")
			b["message"] = map[string]any{"text": "x", "metadata": strings.Repeat("m", 1000)}
			return b
		}, false),
		Entry("text and attachment together", func() map[string]any {
			b := text("111", "x")
			b["message"] = map[string]any{"text": "x", "attachment": map[string]any{"type": "image", "payload": map[string]string{"url": "u"}}}
			return b
		}, false),
		Entry("sender_action alone", func() map[string]any {
			return map[string]any{"recipient": map[string]string{"id": "111"}, "sender_action": "mark_seen"}
		}, true),
		Entry("unknown sender_action", func() map[string]any {
			return map[string]any{"recipient": map[string]string{"id": "111"}, "sender_action": "dance"}
		}, false),
		Entry("notification_type SILENT_PUSH", func() map[string]any {
			b := text("111", "x")
			b["notification_type"] = "SILENT_PUSH"
			return b
		}, true),
		Entry("notification_type LOUD", func() map[string]any {
			b := text("111", "x")
			b["notification_type"] = "LOUD"
			return b
		}, false),
		Entry("two recipients", func() map[string]any {
			b := text("111", "x")
			b["recipient"] = map[string]string{"id": "111", "user_ref": "r"}
			return b
		}, false),
	)
})
