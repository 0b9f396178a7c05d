package reference_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/sim/clock"
)

// tokenRig is a rig where p1 opted in to deals with the given tokens, then
// two days passed; respond scripts the answers to token sends only.
func tokenRig(p reference.Policy, respond func(n int, c sentCall) reply, tokens ...string) *rig {
	r := newRig(shop(p), func(n int, c sentCall) reply {
		if c.Recipient.Token == "" {
			return okReply
		}
		return respond(n, c)
	})
	r.say("p1", "deals")
	for _, t := range tokens {
		r.optin("p1", "deals:weekly", t)
	}
	r.clk.Advance(48 * time.Hour)
	return r
}

func retryPolicy(attempts int, backoff time.Duration) reference.Policy {
	p := reference.DefaultPolicy()
	p.Retry = reference.Retry{MaxAttempts: attempts, Backoff: backoff, MaxBackoff: time.Hour}
	return p
}

var _ = Describe("failures", func() {
	DescribeTable("retries a transient Graph error with back-off, with the same token",
		func(failure reply) {
			tries := 0
			r := tokenRig(retryPolicy(5, 30*time.Second), func(int, sentCall) reply {
				tries++
				if tries == 1 {
					return failure
				}
				return okReply
			}, "tokA")
			Expect(r.trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal"})).To(Succeed())
			Expect(r.tokenSends()).To(Equal([]string{"tokA"}))
			r.clk.Advance(30*time.Second - ms)
			Expect(r.tokenSends()).To(HaveLen(1))
			r.clk.Advance(ms)
			Expect(r.tokenSends()).To(Equal([]string{"tokA", "tokA"}))
			r.clk.Advance(24 * time.Hour)
			Expect(r.tokenSends()).To(HaveLen(2))
		},
		Entry("code 2", graphError(400, 2, 0)),
		Entry("code 4 (application rate limit)", graphError(400, 4, 0)),
		Entry("code 613 (rate limit)", graphError(400, 613, 2534040)),
		Entry("code 1200", graphError(400, 1200, 0)),
		Entry("HTTP 500 with an error envelope", graphError(500, 1, 0)),
	)

	It("doubles the back-off and gives up after max_attempts, keeping the token", func() {
		r := tokenRig(retryPolicy(3, 10*time.Second), func(int, sentCall) reply { return graphError(400, 2, 0) }, "tokA")
		Expect(r.trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal"})).To(Succeed())
		r.clk.Advance(time.Hour)
		times := []time.Duration{}
		for _, t := range r.graph.times()[1:] {
			times = append(times, t.Sub(r.graph.times()[1]))
		}
		Expect(times).To(Equal([]time.Duration{0, 10 * time.Second, 30 * time.Second}))
		cs, err := r.bot.Campaigns()
		Expect(err).NotTo(HaveOccurred())
		Expect(cs[0].Failed).To(Equal(1))
		rep, err := r.bot.Today()
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Eligible).To(Equal(1), "the token is still held")
	})

	DescribeTable("never retries a permanent error",
		func(failure reply) {
			r := tokenRig(retryPolicy(5, time.Second), func(int, sentCall) reply { return failure }, "tokA")
			Expect(r.trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal"})).To(Succeed())
			r.clk.Advance(time.Hour)
			Expect(r.tokenSends()).To(HaveLen(1))
		},
		Entry("10/2018108 (cannot receive)", graphError(400, 10, 2018108)),
		Entry("613/2018338 (abusive behaviour)", graphError(400, 613, 2018338)),
		Entry("200/2018028 (app not live)", graphError(400, 200, 2018028)),
		Entry("190 (token)", graphError(400, 190, 463)),
	)

	It("treats a token as spent when the response was lost after Meta acted, and never sends twice", func() {
		r := tokenRig(retryPolicy(5, time.Second), func(n int, c sentCall) reply {
			if c.Recipient.Token == "tokA" {
				return reply{lost: true}
			}
			return okReply
		}, "tokA", "tokB")
		Expect(r.trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal 1"})).To(Succeed())
		r.clk.Advance(time.Hour)
		Expect(r.tokenSends()).To(Equal([]string{"tokA"}))
		Expect(r.trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal 2"})).To(Succeed())
		Expect(r.tokenSends()).To(Equal([]string{"tokA", "tokB"}))
		cs, _ := r.bot.Campaigns()
		Expect(cs[0].Uncertain).To(Equal(1))
		Expect(cs[0].Delivered).To(Equal(1))
	})

	It("tries the next token when Meta refuses one as used or expired (code 100)", func() {
		r := tokenRig(reference.DefaultPolicy(), func(n int, c sentCall) reply {
			if c.Recipient.Token == "tokA" {
				return graphError(400, 100, 0)
			}
			return okReply
		}, "tokA", "tokB")
		Expect(r.trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal"})).To(Succeed())
		Expect(r.tokenSends()).To(Equal([]string{"tokA", "tokB"}))
	})

	It("stops targeting a subscriber who blocked the page (551) until they write again", func() {
		blocked := true
		r := tokenRig(reference.DefaultPolicy(), func(int, sentCall) reply {
			if blocked {
				return graphError(400, 551, 1545041)
			}
			return okReply
		}, "tokA")
		Expect(r.trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal 1"})).To(Succeed())
		Expect(r.trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal 2"})).To(Succeed())
		Expect(r.tokenSends()).To(HaveLen(1))
		blocked = false
		r.say("p1", "hi again")
		r.clk.Advance(48 * time.Hour)
		Expect(r.trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal 3"})).To(Succeed())
		Expect(r.tokenSends()).To(Equal([]string{"tokA", "tokA"}))
	})
})

var _ = Describe("regions", func() {
	asks := func(r *rig) int {
		n := 0
		for _, c := range r.graph.sent() {
			if c.isRequest() {
				n++
			}
		}
		return n
	}

	DescribeTable("never asks where the page or an admin is affected",
		func(regions reference.Regions, profile string, want int) {
			p := reference.DefaultPolicy()
			p.Regions = regions
			r := newRig(shop(p), nil)
			r.graph.profile = profile
			r.say("p1", "deals")
			Expect(asks(r)).To(Equal(want))
		},
		Entry("nothing affected", reference.Regions{AdminCountries: []string{"US"}}, "", 1),
		Entry("page flag set in the policy", reference.Regions{PageAffected: true}, "", 0),
		Entry("an admin in France", reference.Regions{AdminCountries: []string{"US", "FR"}}, "", 0),
		Entry("an admin in Japan", reference.Regions{AdminCountries: []string{"JP"}}, "", 0),
		Entry("page flag read from the Graph API", reference.Regions{CheckPageFlag: true}, `{"data":[{"subject_to_new_eu_privacy_rules":true}]}`, 0),
		Entry("page flag read as false", reference.Regions{CheckPageFlag: true}, `{"data":[{"subject_to_new_eu_privacy_rules":false}]}`, 1),
		Entry("a custom affected list", reference.Regions{AdminCountries: []string{"US"}, Affected: []string{"US"}}, "", 0),
	)

	It("never asks a subscriber known to be in an affected country", func() {
		r := newRig(shop(reference.DefaultPolicy()), nil)
		Expect(r.trigger("subscriber.set", map[string]any{"psid": "p1", "country": "DE"})).To(Succeed())
		Expect(r.trigger("subscriber.set", map[string]any{"psid": "p2", "country": "US"})).To(Succeed())
		r.say("p1", "deals")
		r.say("p2", "deals")
		Expect(asks(r)).To(Equal(1))
	})

	It("stops asking and spending tokens in a thread where Meta refused OTN (code 10)", func() {
		r := newRig(shop(reference.DefaultPolicy()), func(n int, c sentCall) reply {
			if c.isRequest() && c.Recipient.ID == "p1" {
				return graphError(400, 10, 0)
			}
			return okReply
		})
		r.say("p1", "deals")
		r.clk.Advance(time.Hour)
		r.say("p1", "news please")
		Expect(r.trigger("otn.request", map[string]any{"psid": "p1", "opt_in": "news"})).To(Succeed())
		Expect(asks(r)).To(Equal(1))
	})
})

var _ = Describe("harness time (otnsim bot)", func() {
	It("takes time from webhooks and triggers, and runs the idle guard on ticks", func() {
		start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
		clk := reference.NewHarnessClock(time.Time{})
		g := &scripted{clock: clk}
		bot, err := reference.New(reference.Config{GraphURL: "https://graph.invalid", AppSecret: secret, VerifyToken: "vt",
			Client: &http.Client{Transport: g}, Clock: clk, Setup: shop(reference.DefaultPolicy())})
		Expect(err).NotTo(HaveOccurred())
		post := func(at time.Time, name string) {
			body := fmt.Sprintf(`{"trigger":%q,"data":{"topic":"deals:weekly","text":"Deal"},"now":%q}`, name, at.Format(time.RFC3339Nano))
			rec := httptest.NewRecorder()
			bot.ServeHTTP(rec, httptest.NewRequest("POST", "/otnsim/trigger", strings.NewReader(body)))
			Expect(rec.Code).To(Equal(200), rec.Body.String())
		}
		r := &rig{clk: clock.NewVirtual(start), graph: g, bot: bot}
		r.say("p1", "deals")
		Expect(clk.Now()).To(Equal(start))
		r.optin("p1", "deals:weekly", "tokA")
		r.clk.Advance(48 * time.Hour)
		r.say("p1", "hello")
		post(r.clk.Now().Add(time.Minute), "otn.notify")
		post(r.clk.Now().Add(5*time.Minute-ms), "tick")
		Expect(g.sent()).To(HaveLen(1), "only the request")
		post(r.clk.Now().Add(5*time.Minute), "tick")
		Expect(g.sent()).To(HaveLen(2))
		Expect(g.sent()[1].Recipient.ID).To(Equal("p1"), "a normal message inside the window")
	})

	It("lets a trigger's now move the clock back (a new scenario), while late webhooks never do", func() {
		later := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
		clk := reference.NewHarnessClock(later)
		clk.Observe(later.Add(-time.Hour))
		Expect(clk.Now()).To(Equal(later), "an event's old timestamp (a retry) leaves the clock alone")
		bot, err := reference.New(reference.Config{GraphURL: "https://graph.invalid", Clock: clk, Setup: shop(reference.DefaultPolicy())})
		Expect(err).NotTo(HaveOccurred())
		start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
		rec := httptest.NewRecorder()
		bot.ServeHTTP(rec, httptest.NewRequest("POST", "/otnsim/trigger",
			strings.NewReader(fmt.Sprintf(`{"trigger":"tick","data":{},"now":%q}`, start.Format(time.RFC3339Nano)))))
		Expect(rec.Code).To(Equal(200), rec.Body.String())
		Expect(clk.Now()).To(Equal(start))
	})
})
