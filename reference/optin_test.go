package reference_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/reference"
)

var (
	dealsOptIn = reference.OptIn{Name: "weekly-deals", Title: "Get our weekly deals",
		Topic: "deals:weekly", Keywords: []string{"deals"}, Payloads: []string{"ASK_DEALS"}}
	newsOptIn = reference.OptIn{Name: "news", Title: "Hear about new arrivals", Topic: "News: New Arrivals!", Payloads: []string{"ASK_NEWS"}}
)

// shop is a setup with both opt-ins under policy p.
func shop(p reference.Policy) reference.Setup {
	return reference.Setup{Policy: p, OptIns: []reference.OptIn{dealsOptIn, newsOptIn}}
}

func dur(d time.Duration) *time.Duration { return &d }

var _ = Describe("opt-in definitions", func() {
	It("asks with the definition's title and topic, and confirms after the tap while the window is open", func() {
		setup := shop(reference.DefaultPolicy())
		setup.OptIns[0].Confirmation = "Thanks! Deals are on their way."
		w, _, s := newBotWorld(setup, "ana")
		Expect(w.Say(s[0], "Any DEALS this week?")).To(Succeed())
		led := w.Graph.Ledger().CallsFor(s[0].PSID)
		Expect(led).To(HaveLen(1))
		Expect(led[0].Kind).To(Equal(fakegraph.KindOTNRequest))
		Expect(led[0].Topic).To(Equal("deals:weekly"))
		Expect(led[0].Text).To(Equal("Get our weekly deals"))
		_, err := w.NotifyMe(s[0], "deals:weekly")
		Expect(err).NotTo(HaveOccurred())
		Expect(texts(w, s[0])).To(Equal([]string{"Get our weekly deals", "Thanks! Deals are on their way."}))
	})

	It("sends no confirmation once the window has closed", func() {
		setup := shop(reference.DefaultPolicy())
		setup.OptIns[0].Confirmation = "Thanks! Deals are on their way."
		w, _, s := newBotWorld(setup, "ana")
		Expect(w.Say(s[0], "deals?")).To(Succeed())
		w.Advance(24 * time.Hour)
		_, err := w.NotifyMe(s[0], "deals:weekly")
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Graph.Ledger().CallsFor(s[0].PSID)).To(HaveLen(1))
		Expect(refused(w)).To(BeEmpty())
	})

	It("accepts a 65-character title, refuses a 66-character one in an opt-in and skips it in a request", func() {
		o := dealsOptIn
		o.Title = strings.Repeat("x", 65)
		Expect(o.Validate()).To(Succeed())
		o.Title += "x"
		Expect(o.Validate()).To(MatchError(ContainSubstring("title must be 1 to 65")))
		_, err := reference.New(reference.Config{Setup: reference.Setup{OptIns: []reference.OptIn{o}}})
		Expect(err).To(MatchError(ContainSubstring("title must be 1 to 65")))

		w, _, s := newBotWorld(shop(reference.DefaultPolicy()), "ana")
		Expect(w.Say(s[0], "hello")).To(Succeed())
		err = w.Trigger("otn.request", map[string]any{"psid": s[0].PSID, "topic": "t", "title": strings.Repeat("y", 66)})
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Graph.Ledger().CallsFor(s[0].PSID)).To(BeEmpty())
	})

	It("spends a token only on a notification whose topic matches exactly (case and punctuation)", func() {
		w, _, s := newBotWorld(shop(reference.DefaultPolicy()), "ana")
		Expect(w.Postback(s[0], "Notify me", "ASK_NEWS")).To(Succeed())
		_, err := w.NotifyMe(s[0], "News: New Arrivals!")
		Expect(err).NotTo(HaveOccurred())
		w.Advance(48 * time.Hour)
		for _, topic := range []string{"news: new arrivals!", "News: New Arrivals", "News:  New Arrivals!"} {
			Expect(w.Trigger("otn.notify", map[string]any{"topic": topic, "text": "New in!"})).To(Succeed())
		}
		Expect(calls(w, s[0], fakegraph.KindMessage, "")).To(Equal(0))
		Expect(w.Trigger("otn.notify", map[string]any{"topic": "News: New Arrivals!", "text": "New in!"})).To(Succeed())
		Expect(calls(w, s[0], fakegraph.KindMessage, fakegraph.RecipientToken)).To(Equal(1))
	})
})

var _ = Describe("asking", func() {
	It("asks from a keyword, a button and a quick reply", func() {
		w, _, s := newBotWorld(shop(reference.DefaultPolicy()), "ana", "ben")
		Expect(w.Say(s[0], "show me deals")).To(Succeed())
		Expect(w.Postback(s[1], "Tell me", "ASK_DEALS")).To(Succeed())
		for _, sub := range s {
			Expect(calls(w, sub, fakegraph.KindOTNRequest, "")).To(Equal(1), sub.Alias)
		}

		r := newRig(shop(reference.DefaultPolicy()), nil)
		Expect(r.event("p1", map[string]any{"message": map[string]any{"mid": "q1", "text": "Yes", "quick_reply": map[string]any{"payload": "ASK_NEWS"}}})).To(Equal(200))
		sent := r.graph.sent()
		Expect(sent).To(HaveLen(1))
		Expect(sent[0].isRequest()).To(BeTrue())
	})

	It("asks at the end of a flow", func() {
		setup := shop(reference.DefaultPolicy())
		setup.Flows = []reference.Flow{{Name: "welcome", Keyword: "start", Messages: []string{"Welcome!", "We sell scarves."}, Ask: "weekly-deals"}}
		w, _, s := newBotWorld(setup, "ana")
		Expect(w.Say(s[0], "start")).To(Succeed())
		Expect(texts(w, s[0])).To(Equal([]string{"Welcome!", "We sell scarves.", "Get our weekly deals"}))
	})

	It("finishes the flow, waits 12 hours, then asks (flow-builder)", func() {
		setup := shop(preset("flow-builder"))
		setup.Flows = []reference.Flow{{Name: "welcome", Keyword: "start", Messages: []string{"Welcome!"}, Ask: "weekly-deals"}}
		w, _, s := newBotWorld(setup, "ana")
		Expect(w.Say(s[0], "start")).To(Succeed())
		w.Advance(12*time.Hour - ms)
		Expect(calls(w, s[0], fakegraph.KindOTNRequest, "")).To(Equal(0))
		w.Advance(ms)
		Expect(calls(w, s[0], fakegraph.KindOTNRequest, "")).To(Equal(1))
	})

	DescribeTable("asks after the wait only if the window is still open then",
		func(startAfter time.Duration, asked int) {
			setup := shop(reference.DefaultPolicy())
			setup.Flows = []reference.Flow{{Name: "later", Ask: "weekly-deals", AskAfter: dur(12 * time.Hour)}}
			w, _, s := newBotWorld(setup, "ana")
			Expect(w.Say(s[0], "hi")).To(Succeed())
			w.Advance(startAfter)
			Expect(w.Trigger("flow.start", map[string]any{"psid": s[0].PSID, "flow": "later"})).To(Succeed())
			w.Advance(12 * time.Hour)
			Expect(calls(w, s[0], fakegraph.KindOTNRequest, "")).To(Equal(asked))
			Expect(refused(w)).To(BeEmpty())
		},
		Entry("ask lands at 23h59m59.999s: sent", 12*time.Hour-ms, 1),
		Entry("ask lands at 24h: window closed, not sent", 12*time.Hour, 0),
	)

	It("holds one consent per topic and several tokens per topic, spent once each, oldest first", func() {
		w, _, s := newBotWorld(shop(reference.DefaultPolicy()), "ana")
		Expect(w.Say(s[0], "deals")).To(Succeed())
		Expect(w.Postback(s[0], "News", "ASK_NEWS")).To(Succeed())
		first, err := w.NotifyMe(s[0], "deals:weekly")
		Expect(err).NotTo(HaveOccurred())
		w.Advance(time.Minute)
		_, err = w.NotifyMe(s[0], "deals:weekly")
		Expect(err).NotTo(HaveOccurred())
		_, err = w.NotifyMe(s[0], "News: New Arrivals!")
		Expect(err).NotTo(HaveOccurred())
		w.Advance(48 * time.Hour)

		Expect(w.Trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal 1"})).To(Succeed())
		Expect(tokenStates(w, s[0], "deals:weekly")).To(Equal([]fakegraph.TokenState{fakegraph.TokenConsumed, fakegraph.TokenActive}))
		Expect(w.Graph.Ledger().TokensFor(s[0].PSID, "deals:weekly")[0].Value).To(Equal(first))
		Expect(w.Trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal 2"})).To(Succeed())
		Expect(w.Trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal 3"})).To(Succeed())
		Expect(tokenStates(w, s[0], "deals:weekly")).To(Equal([]fakegraph.TokenState{fakegraph.TokenConsumed, fakegraph.TokenConsumed}))
		Expect(tokenStates(w, s[0], "News: New Arrivals!")).To(Equal([]fakegraph.TokenState{fakegraph.TokenActive}))
		Expect(calls(w, s[0], fakegraph.KindMessage, fakegraph.RecipientToken)).To(Equal(2))
		Expect(refused(w)).To(BeEmpty())
	})

	It("processes a replayed webhook event once", func() {
		r := newRig(shop(reference.DefaultPolicy()), nil)
		ev := map[string]any{"message": map[string]any{"mid": "dup-1", "text": "deals"}}
		Expect(r.event("p1", ev)).To(Equal(200))
		Expect(r.event("p1", ev)).To(Equal(200))
		Expect(r.graph.sent()).To(HaveLen(1))
	})
})

var _ = Describe("throttle", func() {
	It("keeps the per-topic gap to the millisecond", func() {
		p := reference.DefaultPolicy()
		p.Throttle = reference.Throttle{PerTopic: time.Hour}
		w, _, s := newBotWorld(shop(p), "ana")
		Expect(w.Say(s[0], "deals")).To(Succeed())
		w.Advance(time.Hour - ms)
		Expect(w.Say(s[0], "deals")).To(Succeed())
		Expect(calls(w, s[0], fakegraph.KindOTNRequest, "")).To(Equal(1))
		w.Advance(ms)
		Expect(w.Say(s[0], "deals")).To(Succeed())
		Expect(calls(w, s[0], fakegraph.KindOTNRequest, "")).To(Equal(2))
	})

	It("caps requests per subscriber in any 24 hours", func() {
		p := reference.DefaultPolicy()
		p.Throttle = reference.Throttle{PerDay: 2}
		w, _, s := newBotWorld(shop(p), "ana")
		Expect(w.Say(s[0], "hi")).To(Succeed())
		for _, topic := range []string{"a", "b", "c"} {
			Expect(w.Trigger("otn.request", map[string]any{"psid": s[0].PSID, "topic": topic, "title": "T"})).To(Succeed())
		}
		Expect(calls(w, s[0], fakegraph.KindOTNRequest, "")).To(Equal(2))
		w.Advance(23 * time.Hour)
		Expect(w.Say(s[0], "still here")).To(Succeed())
		w.Advance(time.Hour - ms)
		Expect(w.Trigger("otn.request", map[string]any{"psid": s[0].PSID, "topic": "c", "title": "T"})).To(Succeed())
		Expect(calls(w, s[0], fakegraph.KindOTNRequest, "")).To(Equal(2))
		w.Advance(ms)
		Expect(w.Trigger("otn.request", map[string]any{"psid": s[0].PSID, "topic": "c", "title": "T"})).To(Succeed())
		Expect(calls(w, s[0], fakegraph.KindOTNRequest, "")).To(Equal(3))
	})
})
