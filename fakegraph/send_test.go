package fakegraph_test

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/platform"
	"github.com/otnsim/otnsim/rules"
)

var _ = Describe("the Send API", func() {
	var e *env
	BeforeEach(func() { e = newEnv() })

	Describe("authentication", func() {
		It("refuses a wrong page access token with 190 in the Graph envelope", func() {
			r := e.do("POST", "https://graph.facebook.com/v19.0/me/messages?access_token=nope", text("111", "hi"))
			Expect(r.Status).To(Equal(400))
			Expect(r.code()).To(Equal(190))
			errObj := r.Body["error"].(map[string]any)
			Expect(errObj).To(HaveKey("fbtrace_id"))
			Expect(errObj["type"]).To(Equal("OAuthException"))
		})

		It("refuses a missing token", func() {
			r := e.do("POST", "https://graph.facebook.com/v19.0/me/messages", text("111", "hi"))
			Expect(r.code()).To(Equal(190))
		})

		It("accepts the token as a Bearer header and as a JSON field", func() {
			_, _ = e.graph.UserMessage("111", "hi")
			body := text("111", "hello")
			body["access_token"] = fakegraph.DefaultPage().AccessToken
			Expect(e.do("POST", "https://graph.facebook.com/v20.0/me/messages", body).Status).To(Equal(200))
		})
	})

	Describe("the 24-hour window", func() {
		It("refuses a standard message to a user who never wrote", func() {
			r := e.send(text("111", "promo"))
			Expect(r.Status).To(Equal(400))
			Expect(r.code()).To(Equal(10))
			Expect(r.subcode()).To(Equal(2018278))
		})

		It("accepts at 23h59m59.999s and refuses at 24h after the last message", func() {
			_, _ = e.graph.UserMessage("111", "hi")
			e.clock.Advance(24*time.Hour - time.Millisecond)
			Expect(e.send(text("111", "still open")).Status).To(Equal(200))
			e.clock.Advance(time.Millisecond)
			r := e.send(text("111", "closed"))
			Expect(r.subcode()).To(Equal(2018278))
			calls := e.graph.Ledger().Calls
			Expect(calls[len(calls)-1].Rule).To(Equal(rules.Win24h))
		})

		It("is reopened by a reply", func() {
			_, _ = e.graph.UserMessage("111", "hi")
			e.clock.Advance(30 * time.Hour)
			Expect(e.graph.WindowOpen("111")).To(BeFalse())
			_, _ = e.graph.UserMessage("111", "back again")
			Expect(e.send(text("111", "welcome back")).Status).To(Equal(200))
		})

		It("requires messaging_type on standard sends", func() {
			_, _ = e.graph.UserMessage("111", "hi")
			body := text("111", "x")
			delete(body, "messaging_type")
			Expect(e.send(body).code()).To(Equal(100))
		})

		It("lets HUMAN_AGENT reach a user for 7 days", func() {
			_, _ = e.graph.UserMessage("111", "hi")
			e.clock.Advance(6 * 24 * time.Hour)
			body := text("111", "agent here")
			body["messaging_type"], body["tag"] = "MESSAGE_TAG", "HUMAN_AGENT"
			Expect(e.send(body).Status).To(Equal(200))
			e.clock.Advance(24 * time.Hour)
			Expect(e.send(body).subcode()).To(Equal(2018278))
		})
	})

	Describe("validation", func() {
		It("answers the recipient id and a message id on success", func() {
			_, _ = e.graph.UserMessage("111", "hi")
			r := e.send(text("111", "hello"))
			Expect(r.Status).To(Equal(200))
			Expect(r.Body["recipient_id"]).To(Equal("111"))
			Expect(r.Body["message_id"]).To(HavePrefix("m_"))
		})

		It("refuses unknown PSIDs with 100/2018001", func() {
			r := e.send(text("999", "hi"))
			Expect(r.code()).To(Equal(100))
			Expect(r.subcode()).To(Equal(2018001))
		})

		It("limits text to 2000 characters, counted as characters", func() {
			_, _ = e.graph.UserMessage("111", "hi")
			Expect(e.send(text("111", strings.Repeat("é", 2000))).Status).To(Equal(200))
			Expect(e.send(text("111", strings.Repeat("é", 2001))).code()).To(Equal(100))
		})

		It("refuses sender_action combined with a message", func() {
			_, _ = e.graph.UserMessage("111", "hi")
			body := text("111", "x")
			body["sender_action"] = "typing_on"
			Expect(e.send(body).code()).To(Equal(100))
		})

		It("answers malformed JSON with a Graph-shaped 400", func() {
			r := e.send([]byte(`{"recipient":`))
			Expect(r.Status).To(Equal(400))
			Expect(r.code()).To(Equal(100))
		})

		It("answers unknown routes and methods with a Graph-shaped error", func() {
			r := e.do("GET", "https://graph.facebook.com/v19.0/me/messages", nil)
			Expect(r.Status).To(Equal(400))
			Expect(r.code()).To(Equal(100))
			r = e.do("POST", "https://graph.facebook.com/nope", nil)
			Expect(r.code()).To(Equal(100))
		})

		It("refuses bodies over 1 MiB", func() {
			r := e.send([]byte(`{"x":"` + strings.Repeat("a", fakegraph.MaxBodyBytes) + `"}`))
			Expect(r.Status).To(Equal(400))
			Expect(r.code()).To(Equal(100))
		})

		It("accepts the page-id URL form", func() {
			_, _ = e.graph.UserMessage("111", "hi")
			r := e.do("POST", "https://graph.facebook.com/v19.0/"+fakegraph.DefaultPage().ID+"/messages?access_token="+fakegraph.DefaultPage().AccessToken, text("111", "hi"))
			Expect(r.Status).To(Equal(200))
		})
	})

	It("pins the error envelope's shape byte for byte", func() {
		err := &fakegraph.Error{Message: "(#10) This message is sent outside of allowed window.", Type: "OAuthException", Code: 10, Subcode: 2018278}
		Expect(string(err.MarshalEnvelope("AxIIVeNpuf3y2jeXdufRcEX"))).To(Equal(
			`{"error":{"message":"(#10) This message is sent outside of allowed window.","type":"OAuthException","code":10,"error_subcode":2018278,"fbtrace_id":"AxIIVeNpuf3y2jeXdufRcEX"}}`))
	})
})

var _ = Describe("one-time notifications", func() {
	var e *env
	BeforeEach(func() { e = newEnv() })

	Describe("the request", func() {
		It("is accepted inside the window and refused outside it", func() {
			_, _ = e.graph.UserMessage("111", "hi")
			Expect(e.send(otnRequest("111", "Back in stock", "restock:x")).Status).To(Equal(200))
			e.clock.Advance(24 * time.Hour)
			r := e.send(otnRequest("111", "Back in stock", "restock:x"))
			Expect(r.code()).To(Equal(10))
			Expect(r.subcode()).To(Equal(2018278))
			calls := e.graph.Ledger().Calls
			Expect(calls[len(calls)-1].Rule).To(Equal(rules.ReqWindow))
		})

		DescribeTable("title and payload rules",
			func(title, payload string, ok bool) {
				_, _ = e.graph.UserMessage("111", "hi")
				r := e.send(otnRequest("111", title, payload))
				if ok {
					Expect(r.Status).To(Equal(200))
				} else {
					Expect(r.code()).To(Equal(100))
				}
			},
			Entry("65 characters", strings.Repeat("t", 65), "p", true),
			Entry("66 characters", strings.Repeat("t", 66), "p", false),
			Entry("65 multibyte characters", strings.Repeat("ü", 65), "p", true),
			Entry("empty title", "", "p", false),
			Entry("missing payload", "title", "", false),
		)

		It("is refused for a page without the OTN feature", func() {
			e = newEnv(func(p *fakegraph.Page) { p.OTNApproved = false })
			_, _ = e.graph.UserMessage("111", "hi")
			r := e.send(otnRequest("111", "Back", "x"))
			Expect(r.code()).To(Equal(10))
		})
	})

	Describe("Notify Me", func() {
		It("issues a token and delivers a signed messaging_optins webhook", func() {
			tok := e.optIn("111", "restock:red")
			Expect(tok).To(HaveLen(64))
			body, hdr := e.hook.last()
			var env fakegraph.WebhookEnvelope
			Expect(json.Unmarshal(body, &env)).To(Succeed())
			Expect(string(body)).To(ContainSubstring(`"optin":{"type":"one_time_notif_req","payload":"restock:red","one_time_notif_token":"` + tok + `"}`))
			s256, s1 := platform.Sign(fakegraph.DefaultPage().AppSecret, body)
			Expect(hdr.Get("X-Hub-Signature-256")).To(Equal(s256))
			Expect(hdr.Get("X-Hub-Signature")).To(Equal(s1))
		})

		It("does not open the window", func() {
			tok := e.optIn("111", "t")
			_ = tok
			e.clock.Advance(25 * time.Hour)
			_, _, err := e.graph.NotifyMe("111", "t")
			Expect(err).NotTo(HaveOccurred())
			Expect(e.graph.WindowOpen("111")).To(BeFalse())
		})

		It("fails when no request with that payload reached the user", func() {
			_, _, err := e.graph.NotifyMe("111", "never-asked")
			Expect(err).To(MatchError(fakegraph.ErrNoRequest))
		})

		It("yields a new token on every tap", func() {
			a := e.optIn("111", "t")
			b, _, err := e.graph.NotifyMe("111", "t")
			Expect(err).NotTo(HaveOccurred())
			Expect(a).NotTo(Equal(b))
			Expect(e.graph.Ledger().TokensFor("111", "t")).To(HaveLen(2))
		})
	})

	Describe("sending with a token", func() {
		It("works outside the window exactly once", func() {
			tok := e.optIn("111", "t")
			e.clock.Advance(30 * 24 * time.Hour)
			r := e.send(tokenSend(tok, "back in stock"))
			Expect(r.Status).To(Equal(200))
			Expect(r.Body["recipient_id"]).To(Equal("111"))
			r = e.send(tokenSend(tok, "again"))
			Expect(r.Status).To(Equal(400))
			Expect(r.code()).To(Equal(100))
			t := e.graph.Ledger().TokensFor("111", "t")[0]
			Expect(t.State).To(Equal(fakegraph.TokenConsumed))
			Expect(t.Rejected).To(HaveLen(1))
			calls := e.graph.Ledger().Calls
			Expect(calls[len(calls)-1].Rule).To(Equal(rules.TokenOnce))
			Expect(calls[len(calls)-1].Assumed).To(BeTrue())
		})

		It("spends the token even inside the window", func() {
			tok := e.optIn("111", "t")
			Expect(e.send(tokenSend(tok, "x")).Status).To(Equal(200))
			Expect(e.send(tokenSend(tok, "y")).code()).To(Equal(100))
		})

		It("is valid until 1ms before one year and refused at one year", func() {
			tok := e.optIn("111", "t")
			other := e.optIn("222", "t")
			e.clock.Advance(platform.TokenLifetime - time.Millisecond)
			Expect(e.send(tokenSend(tok, "x")).Status).To(Equal(200))
			e.clock.Advance(time.Millisecond)
			r := e.send(tokenSend(other, "x"))
			Expect(r.code()).To(Equal(100))
			Expect(e.graph.Ledger().TokensFor("222", "t")[0].State).To(Equal(fakegraph.TokenExpired))
		})

		It("refuses malformed and unknown tokens", func() {
			Expect(e.send(tokenSend("not-a-token", "x")).code()).To(Equal(100))
		})

		It("refuses sends to a user who blocked the page with 551/1545041", func() {
			tok := e.optIn("111", "t")
			Expect(e.graph.Block("111")).To(Succeed())
			r := e.send(tokenSend(tok, "x"))
			Expect(r.code()).To(Equal(551))
			Expect(r.subcode()).To(Equal(1545041))
			Expect(e.graph.Ledger().TokensFor("111", "t")[0].State).To(Equal(fakegraph.TokenActive))
		})

		It("is consumed exactly once when 1,000 goroutines race for it", func() {
			// The race happens within one virtual instant, so the rate limits are off.
			e = newEnv(func(s *fakegraph.Settings) { s.RateLimit.Disabled = true })
			tok := e.optIn("111", "t")
			var ok atomic.Int32
			var wg sync.WaitGroup
			for i := 0; i < 1000; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer GinkgoRecover()
					if e.send(tokenSend(tok, "race")).Status == 200 {
						ok.Add(1)
					}
				}()
			}
			wg.Wait()
			Expect(ok.Load()).To(Equal(int32(1)))
			t := e.graph.Ledger().TokensFor("111", "t")[0]
			Expect(t.Rejected).To(HaveLen(999))
		})
	})
})

var _ = Describe("webhooks", func() {
	It("delivers a user's message with the page envelope and virtual timestamps", func() {
		e := newEnv()
		e.clock.Advance(time.Hour)
		d, err := e.graph.UserMessage("111", "Grüß dich")
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Status).To(Equal(200))
		body, _ := e.hook.last()
		Expect(string(body)).To(ContainSubstring(`"text":"Gr\u00fc\u00df dich"`))
		var env fakegraph.WebhookEnvelope
		Expect(json.Unmarshal(body, &env)).To(Succeed())
		Expect(env.Object).To(Equal("page"))
		Expect(env.Entry).To(HaveLen(1))
		Expect(env.Entry[0].Time).To(Equal(epoch.Add(time.Hour).UnixMilli()))
	})
})

var _ = Describe("the ledger's timeline", func() {
	It("shows actions, calls and the window closing in order", func() {
		e := newEnv()
		tok := e.optIn("111", "t")
		e.clock.Advance(48 * time.Hour)
		e.send(tokenSend(tok, "x"))
		var lines []string
		for _, l := range e.graph.Ledger().Timeline("111") {
			lines = append(lines, l.Text)
		}
		Expect(lines).To(HaveLen(7))
		Expect(lines[0]).To(HavePrefix("message"))
		Expect(lines[2]).To(HavePrefix("send otn_request"))
		Expect(lines[3]).To(HavePrefix("notify_me"))
		Expect(lines[5]).To(Equal("window closes"))
		Expect(lines[6]).To(ContainSubstring("one_time_notif_token #1"))
	})
})
