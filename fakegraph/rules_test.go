package fakegraph_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/internal/pagetoken"
	"github.com/otnsim/otnsim/platform"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/sim/region"
)

// Accept and refuse paths for every platform rule fakegraph enforces.
var _ = Describe("platform rules", func() {
	var e *env
	BeforeEach(func() { e = newEnv() })

	It("OTN-TOKEN-SCOPE: a token of another page, or a made-up one, is refused; our own works", func() {
		tok := e.optIn("111", "t")
		r := e.send(tokenSend(pagetoken.Foreign("999999", fakegraph.DefaultSettings().TokenLength), "x"))
		Expect(r.code()).To(Equal(100))
		Expect(e.lastCall().Rule).To(Equal(rules.TokenScope))
		Expect(e.lastCall().Assumed).To(BeTrue())
		forged := []byte(tok)
		forged[len(forged)-1] ^= 1
		Expect(e.send(tokenSend(string(forged), "x")).code()).To(Equal(100))
		Expect(e.lastCall().Rule).To(Equal(rules.TokenScope))
		Expect(e.send(tokenSend("short", "x")).code()).To(Equal(100))
		Expect(e.lastCall().Rule).To(Equal(rules.TokenScope))
		Expect(e.send(tokenSend(tok, "x")).Status).To(Equal(200))
	})

	It("OTN-MULTI: several outstanding requests and tokens are each usable once", func() {
		_, _ = e.graph.UserMessage("111", "hi")
		Expect(e.send(otnRequest("111", "Lipstick", "restock:lipstick")).Status).To(Equal(200))
		Expect(e.send(otnRequest("111", "Scarf", "restock:scarf")).Status).To(Equal(200))
		a, _, err := e.graph.NotifyMe("111", "restock:lipstick")
		Expect(err).NotTo(HaveOccurred())
		b, _, err := e.graph.NotifyMe("111", "restock:scarf")
		Expect(err).NotTo(HaveOccurred())
		c, _, err := e.graph.NotifyMe("111", "restock:scarf")
		Expect(err).NotTo(HaveOccurred())
		e.clock.Advance(40 * 24 * time.Hour)
		for _, t := range []string{a, b, c} {
			Expect(e.send(tokenSend(t, "x")).Status).To(Equal(200))
		}
		for _, t := range []string{a, b, c} {
			Expect(e.send(tokenSend(t, "x")).code()).To(Equal(100))
		}
	})

	It("OTN-FEATURE: a page without the feature has its request refused (assumed code, a setting)", func() {
		e = newEnv(func(p *fakegraph.Page) { p.OTNApproved = false }, func(s *fakegraph.Settings) { s.PermissionErrorCode = 200 })
		_, _ = e.graph.UserMessage("111", "hi")
		r := e.send(otnRequest("111", "Back", "t"))
		Expect(r.code()).To(Equal(200))
		Expect(e.lastCall().Rule).To(Equal(rules.Feature))
		Expect(e.lastCall().Assumed).To(BeTrue())
	})

	Describe("OTN-CONTENT", func() {
		It("lets a token carry one template by default (an assumption), refuses a sender action, and carries a new request", func() {
			tok := e.optIn("111", "t")
			body := map[string]any{"recipient": map[string]string{"one_time_notif_token": tok},
				"message": map[string]any{"attachment": map[string]any{"type": "template", "payload": map[string]any{
					"template_type": "button", "text": "Back!", "buttons": []any{map[string]string{"type": "web_url", "title": "Buy", "url": "https://x.test"}}}}}}
			Expect(e.send(body).Status).To(Equal(200))
			Expect(e.lastCall().Assumed).To(BeTrue())
			tok2, _, _ := e.graph.NotifyMe("111", "t")
			Expect(e.send(map[string]any{"recipient": map[string]string{"one_time_notif_token": tok2}, "sender_action": "typing_on"}).code()).To(Equal(100))
			Expect(e.lastCall().Rule).To(Equal(rules.Content))
			Expect(e.graph.Ledger().TokensFor("111", "t")[1].State).To(Equal(fakegraph.TokenActive))
			req := otnRequest("", "T", "p")
			req["recipient"] = map[string]string{"one_time_notif_token": tok2}
			Expect(e.send(req).Status).To(Equal(200))
			Expect(e.graph.Ledger().TokensFor("111", "t")[1].State).To(Equal(fakegraph.TokenConsumed))
		})

		It("allows text only when the setting says so", func() {
			e = newEnv(func(s *fakegraph.Settings) { s.TokenRichContent = false })
			tok := e.optIn("111", "t")
			img := map[string]any{"recipient": map[string]string{"one_time_notif_token": tok},
				"message": map[string]any{"attachment": map[string]any{"type": "image", "payload": map[string]string{"url": "https://x.test/a.png"}}}}
			Expect(e.send(img).code()).To(Equal(100))
			Expect(e.send(tokenSend(tok, "text")).Status).To(Equal(200))
		})
	})

	Describe("messaging_type and tags", func() {
		It("requires messaging_type from 2018-05-07, not before", func() {
			_, _ = e.graph.UserMessage("111", "hi")
			b := text("111", "x")
			delete(b, "messaging_type")
			Expect(e.send(b).code()).To(Equal(100))
			e = newEnv(func(s *fakegraph.Settings) { s.PlatformDate = time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC) })
			_, _ = e.graph.UserMessage("111", "hi")
			Expect(e.send(b).Status).To(Equal(200))
		})

		It("accepts a token send without messaging_type by default (assumed), refuses it by setting", func() {
			tok := e.optIn("111", "t")
			Expect(e.send(tokenSend(tok, "x")).Status).To(Equal(200))
			Expect(e.lastCall().Assumed).To(BeTrue())
			e = newEnv(func(s *fakegraph.Settings) { s.MessagingTypeOnTokenSend = true })
			tok = e.optIn("111", "t")
			Expect(e.send(tokenSend(tok, "x")).code()).To(Equal(100))
		})

		DescribeTable("retired tags: allowed outside the window before 2026-04-27, code 100 from then",
			func(tag string) {
				tagged := text("111", "x")
				tagged["messaging_type"], tagged["tag"] = "MESSAGE_TAG", tag
				e = newEnv(func(s *fakegraph.Settings) { s.PlatformDate = time.Date(2026, 4, 26, 0, 0, 0, 0, time.UTC) })
				Expect(e.send(tagged).Status).To(Equal(200))
				e = newEnv(func(s *fakegraph.Settings) { s.PlatformDate = time.Date(2026, 4, 27, 0, 0, 0, 0, time.UTC) })
				Expect(e.send(tagged).code()).To(Equal(100))
				Expect(e.lastCall().Rule).To(Equal(rules.Win24h))
			},
			Entry("CONFIRMED_EVENT_UPDATE", "CONFIRMED_EVENT_UPDATE"),
			Entry("ACCOUNT_UPDATE", "ACCOUNT_UPDATE"),
			Entry("POST_PURCHASE_UPDATE", "POST_PURCHASE_UPDATE"),
		)

		It("follows the clock's date for tag retirement when no platform date is set", func() {
			tagged := text("111", "x")
			tagged["messaging_type"], tagged["tag"] = "MESSAGE_TAG", "ACCOUNT_UPDATE"
			Expect(e.send(tagged).Status).To(Equal(200))
			e.clock.AdvanceTo(platform.RetiredTagsDate())
			Expect(e.send(tagged).code()).To(Equal(100))
		})

		It("CUSTOMER_FEEDBACK reaches a user for 7 days; unknown and missing tags are refused", func() {
			_, _ = e.graph.UserMessage("111", "hi")
			e.clock.Advance(7*24*time.Hour - time.Millisecond)
			b := attach("111", map[string]any{"type": "template", "payload": map[string]any{"template_type": "customer_feedback", "title": "Rate us"}})
			b["messaging_type"], b["tag"] = "MESSAGE_TAG", "CUSTOMER_FEEDBACK"
			Expect(e.send(b).Status).To(Equal(200))
			e.clock.Advance(time.Millisecond)
			Expect(e.send(b).subcode()).To(Equal(2018278))
			b["tag"] = "SHIPPING_UPDATE"
			Expect(e.send(b).code()).To(Equal(100))
			Expect(e.lastCall().Rule).To(Equal(rules.WinTag))
			delete(b, "tag")
			Expect(e.send(b).code()).To(Equal(100))
		})

		It("refuses a sender action outside the window", func() {
			sa := map[string]any{"recipient": map[string]string{"id": "111"}, "sender_action": "typing_on"}
			Expect(e.send(sa).subcode()).To(Equal(2018278))
		})

		It("requires messaging_type on an OTN request by default (assumed)", func() {
			_, _ = e.graph.UserMessage("111", "hi")
			req := otnRequest("111", "T", "p")
			delete(req, "messaging_type")
			Expect(e.send(req).code()).To(Equal(100))
			e = newEnv(func(s *fakegraph.Settings) { s.MessagingTypeOnRequest = false })
			_, _ = e.graph.UserMessage("111", "hi")
			Expect(e.send(req).Status).To(Equal(200))
		})

		It("refuses request payload keys other than title and payload (assumed)", func() {
			_, _ = e.graph.UserMessage("111", "hi")
			req := otnRequest("111", "T", "p")
			req["message"].(map[string]any)["attachment"].(map[string]any)["payload"].(map[string]string)["image_url"] = "x"
			Expect(e.send(req).code()).To(Equal(100))
			Expect(e.lastCall().Rule).To(Equal(rules.ReqFormat))
		})

		It("limits the request payload to 1000 characters (assumed)", func() {
			_, _ = e.graph.UserMessage("111", "hi")
			Expect(e.send(otnRequest("111", "T", strings.Repeat("p", 1000))).Status).To(Equal(200))
			Expect(e.send(otnRequest("111", "T", strings.Repeat("p", 1001))).code()).To(Equal(100))
		})
	})

	Describe("OTN-REGION", func() {
		eu := func(country string, admins ...string) func(*fakegraph.Page) {
			return func(p *fakegraph.Page) { p.Country, p.AdminCountries = country, admins }
		}
		DescribeTable("refuses requests where the page, an admin or the user is affected, from the dates",
			func(page func(*fakegraph.Page), userRegion string, date time.Time, refused bool) {
				e = newEnv(page, func(s *fakegraph.Settings) { s.PlatformDate = date })
				Expect(e.graph.AddUser(fakegraph.User{PSID: "333", Region: userRegion})).To(Succeed())
				_, _ = e.graph.UserMessage("333", "hi")
				r := e.send(otnRequest("333", "Back", "t"))
				if !refused {
					Expect(r.Status).To(Equal(200))
					return
				}
				Expect(r.code()).To(Equal(10))
				Expect(e.lastCall().Rule).To(Equal(rules.Region))
				Expect(e.lastCall().Assumed).To(BeTrue())
			},
			Entry("US page, US user", eu("US"), "US", epoch, false),
			Entry("German page", eu("DE"), "US", epoch, true),
			Entry("German page before 2020-12-16", eu("DE"), "US", time.Date(2020, 12, 15, 0, 0, 0, 0, time.UTC), false),
			Entry("German page on 2020-12-16", eu("DE"), "US", time.Date(2020, 12, 16, 0, 0, 0, 0, time.UTC), true),
			Entry("US page with a French admin", eu("US", "FR"), "US", epoch, true),
			Entry("Norwegian user (EEA)", eu("US"), "NO", epoch, true),
			Entry("British user (not in the EEA list)", eu("US"), "GB", epoch, false),
			Entry("Japanese user before 2021-03-30", eu("US"), "JP", time.Date(2021, 3, 29, 0, 0, 0, 0, time.UTC), false),
			Entry("Japanese user from 2021-03-30", eu("US"), "JP", time.Date(2021, 3, 30, 0, 0, 0, 0, time.UTC), true),
			Entry("Japanese page", eu("JP"), "US", epoch, true),
		)

		DescribeTable("applies to users in Iceland, Liechtenstein and Norway created over the control API",
			func(code, locale string, tz float64) {
				e = newEnv(func(s *fakegraph.Settings) { s.PlatformDate = platform.EuropeRulesDate() })
				r := e.do(http.MethodPost, "https://graph.facebook.com/otnsim/v1/users", map[string]string{"psid": "333", "region": strings.ToLower(code)})
				Expect(r.Status).To(Equal(200), string(r.Raw))
				Expect(r.Body).To(HaveKeyWithValue("region", code))
				Expect(r.Body).To(HaveKeyWithValue("locale", locale))
				Expect(r.Body).To(HaveKeyWithValue("timezone", tz))
				_, _ = e.graph.UserMessage("333", "hi")
				Expect(e.send(otnRequest("333", "Back", "t")).code()).To(Equal(10))
				Expect(e.lastCall().Rule).To(Equal(rules.Region))

				e = newEnv(func(s *fakegraph.Settings) { s.PlatformDate = platform.EuropeRulesDate().Add(-time.Millisecond) })
				Expect(e.do(http.MethodPost, "https://graph.facebook.com/otnsim/v1/users", map[string]string{"psid": "333", "region": code}).Status).To(Equal(200))
				_, _ = e.graph.UserMessage("333", "hi")
				Expect(e.send(otnRequest("333", "Back", "t")).Status).To(Equal(200), "a millisecond before the Europe date")
			},
			Entry("Iceland", "IS", "is_IS", 0.0),
			Entry("Liechtenstein", "LI", "de_LI", 1.0),
			Entry("Norway", "NO", "nb_NO", 1.0),
		)

		It("fills a control-API user's locale and timezone from otnsim's one country table", func() {
			e = newEnv()
			for i, code := range region.Codes() {
				psid := strconv.Itoa(1000 + i)
				Expect(e.do(http.MethodPost, "https://graph.facebook.com/otnsim/v1/users", map[string]string{"psid": psid, "region": code}).Status).To(Equal(200))
				u, ok := e.graph.LookupUser(psid)
				Expect(ok).To(BeTrue())
				info, _ := region.Lookup(code)
				Expect(u.Locale).To(Equal(info.Locale), code)
				Expect(u.Timezone).To(Equal(info.UTCOffset), code)
				Expect(u.Zone).To(Equal(info.Zones[0]), code)
			}
			r := e.do(http.MethodPost, "https://graph.facebook.com/otnsim/v1/users", map[string]string{"psid": "998", "region": "US", "zone": "America/Chicago"})
			Expect(r.Status).To(Equal(200), string(r.Raw))
			Expect(r.Body).To(HaveKeyWithValue("zone", "America/Chicago"))
			r = e.do(http.MethodPost, "https://graph.facebook.com/otnsim/v1/users", map[string]string{"psid": "997", "region": "DE", "zone": "America/Chicago"})
			Expect(r.Status).To(Equal(400))
			Expect(string(r.Raw)).To(ContainSubstring("America/Chicago is not a time zone of DE"))
			Expect(e.do(http.MethodPost, "https://graph.facebook.com/otnsim/v1/users", map[string]string{"psid": "999", "region": "ZZ"}).Status).To(Equal(200))
			u, _ := e.graph.LookupUser("999")
			Expect(u.Locale).To(Equal("en_US"), "a country the table lacks")
		})

		It("suppresses the opt-in when the rules took effect between the request and the tap", func() {
			e = newEnv(eu("DE"), time.Date(2020, 12, 15, 0, 0, 0, 0, time.UTC))
			Expect(e.graph.AddUser(fakegraph.User{PSID: "333", Region: "US"})).To(Succeed())
			_, _ = e.graph.UserMessage("333", "hi")
			Expect(e.send(otnRequest("333", "Back", "t")).Status).To(Equal(200))
			before := len(e.hook.bodies)
			e.clock.Advance(48 * time.Hour)
			_, _, err := e.graph.NotifyMe("333", "t")
			Expect(err).To(MatchError(fakegraph.ErrSuppressed))
			Expect(e.hook.bodies).To(HaveLen(before))
			Expect(e.graph.Ledger().TokensFor("333", "")).To(BeEmpty())
		})

		It("accepts the request but suppresses the opt-in webhook when the setting says so", func() {
			e = newEnv(func(s *fakegraph.Settings) { s.Region.RefuseRequests = false })
			Expect(e.graph.AddUser(fakegraph.User{PSID: "333", Region: "IT"})).To(Succeed())
			_, _ = e.graph.UserMessage("333", "ciao")
			Expect(e.send(otnRequest("333", "Back", "t")).Status).To(Equal(200))
			_, _, err := e.graph.NotifyMe("333", "t")
			Expect(err).To(MatchError(fakegraph.ErrSuppressed))
		})

		It("refuses a token from before the rules once they apply", func() {
			e = newEnv(func(p *fakegraph.Page) { p.AdminCountries = []string{"JP"} }, time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC))
			tok := e.optIn("111", "t")
			e.clock.AdvanceTo(time.Date(2021, 4, 1, 0, 0, 0, 0, time.UTC))
			Expect(e.send(tokenSend(tok, "x")).code()).To(Equal(10))
			Expect(e.graph.Ledger().TokensFor("111", "t")[0].State).To(Equal(fakegraph.TokenActive))
		})

		It("answers subject_to_new_eu_privacy_rules from the page's country and admins", func() {
			r := e.raw("GET", graphBase+"me/messenger_profile"+tokenQS()+"&fields=subject_to_new_eu_privacy_rules", "", nil)
			Expect(string(r.Raw)).To(Equal(`{"data":[{"subject_to_new_eu_privacy_rules":false}]}` + "\n"))
			e = newEnv(eu("US", "AT"))
			r = e.raw("GET", graphBase+"me/messenger_profile"+tokenQS()+"&fields=subject_to_new_eu_privacy_rules", "", nil)
			Expect(string(r.Raw)).To(Equal(`{"data":[{"subject_to_new_eu_privacy_rules":true}]}` + "\n"))
			Expect(e.raw("GET", graphBase+"me/messenger_profile"+tokenQS(), "", nil).code()).To(Equal(100))
		})

		It("can be switched off", func() {
			e = newEnv(eu("DE"), func(s *fakegraph.Settings) { s.Region.Disabled = true })
			Expect(e.optIn("111", "t")).NotTo(BeEmpty())
		})
	})
})

var _ = Describe("webhook delivery", func() {
	It("delivers postbacks and quick replies with the page envelope", func() {
		e := newEnv()
		_, err := e.graph.Postback("111", "Get Started", "GET_STARTED")
		Expect(err).NotTo(HaveOccurred())
		body, _ := e.hook.last()
		Expect(string(body)).To(ContainSubstring(`"postback":{"mid":"m_`))
		Expect(string(body)).To(ContainSubstring(`"title":"Get Started","payload":"GET_STARTED"}`))
		_, err = e.graph.QuickReply("111", "Red", "COLOR_RED")
		Expect(err).NotTo(HaveOccurred())
		body, _ = e.hook.last()
		Expect(string(body)).To(ContainSubstring(`"text":"Red","quick_reply":{"payload":"COLOR_RED"}`))
		Expect(e.graph.WindowOpen("111")).To(BeTrue())
	})

	It("retries a failed delivery on the clock with doubling back-off", func() {
		e := newEnv()
		e.hook.status = 500
		d, _ := e.graph.UserMessage("111", "hi")
		Expect(d.Status).To(Equal(500))
		Expect(e.hook.bodies).To(HaveLen(1))
		e.clock.Advance(5 * time.Second)
		Expect(e.hook.bodies).To(HaveLen(2))
		e.clock.Advance(10*time.Second - time.Millisecond)
		Expect(e.hook.bodies).To(HaveLen(2))
		e.hook.mu.Lock()
		e.hook.status = 200
		e.hook.mu.Unlock()
		e.clock.Advance(time.Millisecond)
		Expect(e.hook.bodies).To(HaveLen(3))
		e.clock.Advance(time.Hour)
		Expect(e.hook.bodies).To(HaveLen(3))
		Expect(e.hook.bodies[0]).To(Equal(e.hook.bodies[2]))
	})

	It("gives up after the configured retries", func() {
		e := newEnv(func(s *fakegraph.Settings) { s.Webhook.Retries = 1 })
		e.hook.status = 503
		_, _ = e.graph.UserMessage("111", "hi")
		e.clock.Advance(time.Hour)
		Expect(e.hook.bodies).To(HaveLen(2))
	})

	It("times out a bot that does not answer within the timeout", func() {
		release := make(chan struct{})
		defer close(release)
		slow := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			select {
			case <-r.Context().Done():
				return nil, r.Context().Err()
			case <-release:
				return nil, errors.New("released")
			}
		})}
		c := e0Clock()
		g := fakegraph.New(fakegraph.Config{Clock: c, Webhook: fakegraph.Webhook{URL: "http://bot.test/webhook", Client: slow},
			Settings: withSettings(func(s *fakegraph.Settings) { s.Webhook.Timeout = 20 * time.Millisecond; s.Webhook.Retries = 0 })})
		Expect(g.AddUser(fakegraph.User{PSID: "1"})).To(Succeed())
		d, err := g.UserMessage("1", "hi")
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Err).To(MatchError(ContainSubstring("deadline exceeded")))
	})

	It("duplicates every event when the duplicate rate is 1", func() {
		e := newEnv(func(s *fakegraph.Settings) { s.Webhook.DuplicateRate = 1 })
		_, _ = e.graph.UserMessage("111", "hi")
		Expect(e.hook.bodies).To(HaveLen(2))
		Expect(e.hook.bodies[0]).To(Equal(e.hook.bodies[1]))
	})

	It("delivers out of order when events are held back", func() {
		e := newEnv(func(s *fakegraph.Settings) { s.Webhook.ReorderRate = 1 })
		d, _ := e.graph.UserMessage("111", "first")
		Expect(d.Deferred).To(BeTrue())
		Expect(e.hook.bodies).To(BeEmpty())
		e.clock.Advance(time.Second)
		_, _ = e.graph.UserMessage("111", "second")
		e.clock.Advance(2 * time.Second)
		Expect(e.hook.bodies).To(HaveLen(2))
		var env fakegraph.WebhookEnvelope
		Expect(json.Unmarshal(e.hook.bodies[0], &env)).To(Succeed())
		Expect(string(e.hook.bodies[0])).To(ContainSubstring(`"text":"first"`))
	})

	It("signs without the legacy SHA-1 header when the setting says so", func() {
		e := newEnv(func(s *fakegraph.Settings) { s.Webhook.SHA1Signature = false })
		_, _ = e.graph.UserMessage("111", "hi")
		_, hdr := e.hook.last()
		Expect(hdr.Get("X-Hub-Signature")).To(BeEmpty())
		Expect(hdr.Get("X-Hub-Signature-256")).To(HavePrefix("sha256="))
	})
})

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
