package reference_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/platform"
	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/sim"
)

// optedIn builds a world where every alias asked about deals and tapped
// Notify Me, then two days passed (windows closed).
func optedIn(p reference.Policy, aliases ...string) (*sim.World, *reference.Bot, []*sim.Subscriber) {
	w, bot, s := newBotWorld(shop(p), aliases...)
	for _, sub := range s {
		Expect(w.Say(sub, "deals?")).To(Succeed())
		_, err := w.NotifyMe(sub, "deals:weekly")
		Expect(err).NotTo(HaveOccurred())
	}
	w.Advance(48 * time.Hour)
	return w, bot, s
}

func campaign(name string, extra map[string]any) map[string]any {
	c := map[string]any{"name": name, "opt_in": "weekly-deals", "message": map[string]any{"text": "This week: 20% off"}}
	for k, v := range extra {
		c[k] = v
	}
	return map[string]any{"campaign": c}
}

var _ = Describe("campaigns", func() {
	DescribeTable("accept one message of an allowed kind",
		func(m reference.Message, valid bool) {
			if valid {
				Expect(m.Validate()).To(Succeed())
			} else {
				Expect(m.Validate()).To(MatchError(reference.ErrInvalidMessage))
			}
		},
		Entry("text", reference.Message{Text: "hi"}, true),
		Entry("text with 3 buttons", reference.Message{Text: "hi", Buttons: []reference.Button{{Title: "a", URL: "https://x"}, {Title: "b", Payload: "B"}, {Title: "c", Payload: "C"}}}, true),
		Entry("4 buttons", reference.Message{Text: "hi", Buttons: []reference.Button{{Title: "a", Payload: "A"}, {Title: "b", Payload: "B"}, {Title: "c", Payload: "C"}, {Title: "d", Payload: "D"}}}, false),
		Entry("a button with url and payload", reference.Message{Text: "hi", Buttons: []reference.Button{{Title: "a", URL: "https://x", Payload: "A"}}}, false),
		Entry("media", reference.Message{Media: &reference.Media{Type: "image", URL: "https://x/a.png"}}, true),
		Entry("unknown media type", reference.Message{Media: &reference.Media{Type: "gif", URL: "https://x/a.gif"}}, false),
		Entry("card", reference.Message{Cards: []reference.Card{{Title: "Scarf", ImageURL: "https://x/s.png"}}}, true),
		Entry("carousel of 10", reference.Message{Cards: make10Cards(10)}, true),
		Entry("carousel of 11", reference.Message{Cards: make10Cards(11)}, false),
		Entry("text and media", reference.Message{Text: "hi", Media: &reference.Media{Type: "image", URL: "https://x"}}, false),
		Entry("nothing", reference.Message{}, false),
	)

	It("delivers a carousel with the token", func() {
		w, bot, s := optedIn(reference.DefaultPolicy(), "ana")
		c := campaign("carousel", map[string]any{"message": map[string]any{"cards": []any{
			map[string]any{"title": "Scarf", "buttons": []any{map[string]any{"title": "Buy", "url": "https://shop/scarf"}}},
			map[string]any{"title": "Tote"},
		}}})
		Expect(w.Trigger("campaign.create", c)).To(Succeed())
		Expect(calls(w, s[0], fakegraph.KindMessage, fakegraph.RecipientToken)).To(Equal(1))
		st, found, err := bot.CampaignStatus("carousel")
		Expect(err).NotTo(HaveOccurred())
		Expect(found).To(BeTrue())
		Expect(st.State).To(Equal(reference.CampaignDone))
		Expect(st.ViaToken).To(Equal(1))
	})

	It("is sent at its schedule, not a millisecond before", func() {
		w, bot, s := optedIn(reference.DefaultPolicy(), "ana")
		at := w.Clock.Now().Add(24 * time.Hour)
		Expect(w.Trigger("campaign.create", campaign("friday", map[string]any{"schedule": at.Format(time.RFC3339Nano)}))).To(Succeed())
		st, _, _ := bot.CampaignStatus("friday")
		Expect(st.State).To(Equal(reference.CampaignScheduled))
		w.Advance(24*time.Hour - ms)
		Expect(calls(w, s[0], fakegraph.KindMessage, "")).To(Equal(0))
		w.Advance(ms)
		Expect(calls(w, s[0], fakegraph.KindMessage, fakegraph.RecipientToken)).To(Equal(1))
	})

	It("targets by tags (all), segments (any) and locale", func() {
		w, bot, s := optedIn(reference.DefaultPolicy(), "ana", "ben", "cas", "dee")
		set := func(sub *sim.Subscriber, data map[string]any) {
			data["psid"] = sub.PSID
			Expect(w.Trigger("subscriber.set", data)).To(Succeed())
		}
		set(s[0], map[string]any{"tags": []string{"vip", "scarves"}, "segments": []string{"north"}, "locale": "fr_FR"})
		set(s[1], map[string]any{"tags": []string{"vip"}, "segments": []string{"north"}, "locale": "fr_FR"})
		set(s[2], map[string]any{"tags": []string{"vip", "scarves"}, "segments": []string{"south"}, "locale": "en_US"})
		set(s[3], map[string]any{"tags": []string{"vip", "scarves"}, "segments": []string{"south"}, "locale": "fr_FR"})
		filters := map[string]any{"tags": []string{"vip", "scarves"}, "segments": []string{"north", "south"}, "locales": []string{"fr_FR"}}
		Expect(w.Trigger("campaign.create", campaign("vip", map[string]any{"filters": filters}))).To(Succeed())
		got := []int{}
		for _, sub := range s {
			got = append(got, calls(w, sub, fakegraph.KindMessage, ""))
		}
		Expect(got).To(Equal([]int{1, 0, 0, 1}))
		st, _, _ := bot.CampaignStatus("vip")
		Expect(st.Targeted).To(Equal(2))
	})

	It("is immutable once created", func() {
		w, bot, _ := optedIn(reference.DefaultPolicy(), "ana")
		Expect(w.Trigger("campaign.create", campaign("once", nil))).To(Succeed())
		err := w.Trigger("campaign.create", campaign("once", map[string]any{"message": map[string]any{"text": "changed"}}))
		Expect(err).To(MatchError(ContainSubstring("cannot be changed")))
		st, _, _ := bot.CampaignStatus("once")
		Expect(st.Message.Text).To(Equal("This week: 20% off"))
	})

	It("stops targeting a subscriber whose token is spent until they opt in again", func() {
		w, bot, s := optedIn(reference.DefaultPolicy(), "ana")
		Expect(w.Trigger("campaign.create", campaign("one", nil))).To(Succeed())
		Expect(w.Trigger("campaign.create", campaign("two", nil))).To(Succeed())
		st, _, _ := bot.CampaignStatus("two")
		Expect(st.Targeted).To(Equal(0))
		Expect(w.Say(s[0], "more deals please")).To(Succeed())
		_, err := w.NotifyMe(s[0], "deals:weekly")
		Expect(err).NotTo(HaveOccurred())
		w.Advance(48 * time.Hour)
		Expect(w.Trigger("campaign.create", campaign("three", nil))).To(Succeed())
		Expect(calls(w, s[0], fakegraph.KindMessage, fakegraph.RecipientToken)).To(Equal(2))
		Expect(refused(w)).To(BeEmpty())
	})

	It("refuses a campaign for an unknown opt-in", func() {
		w, _, _ := optedIn(reference.DefaultPolicy(), "ana")
		Expect(w.Trigger("campaign.create", map[string]any{"campaign": map[string]any{"name": "x", "opt_in": "nope", "message": map[string]any{"text": "t"}}})).
			To(MatchError(ContainSubstring("unknown opt-in")))
	})
})

func make10Cards(n int) []reference.Card {
	out := make([]reference.Card, n)
	for i := range out {
		out[i] = reference.Card{Title: "card"}
	}
	return out
}

var _ = Describe("inside the window", func() {
	DescribeTable("sends normally and keeps the token until the window closes",
		func(after time.Duration, via fakegraph.RecipientKind, state fakegraph.TokenState) {
			w, _, s := newBotWorld(shop(reference.DefaultPolicy()), "ana")
			Expect(w.Say(s[0], "deals")).To(Succeed())
			_, err := w.NotifyMe(s[0], "deals:weekly")
			Expect(err).NotTo(HaveOccurred())
			w.Advance(after)
			Expect(w.Trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal"})).To(Succeed())
			Expect(calls(w, s[0], fakegraph.KindMessage, via)).To(Equal(1))
			Expect(tokenStates(w, s[0], "deals:weekly")).To(Equal([]fakegraph.TokenState{state}))
		},
		Entry("at 23h59m59.999s: normal message, token kept", 24*time.Hour-ms, fakegraph.RecipientPSID, fakegraph.TokenActive),
		Entry("at 24h: the token is spent", 24*time.Hour, fakegraph.RecipientToken, fakegraph.TokenConsumed),
	)

	It("spends the token inside the window when told to (broadcaster)", func() {
		w, _, s := newBotWorld(shop(preset("broadcaster")), "ana")
		Expect(w.Say(s[0], "deals")).To(Succeed())
		_, err := w.NotifyMe(s[0], "deals:weekly")
		Expect(err).NotTo(HaveOccurred())
		w.Advance(time.Hour)
		Expect(w.Trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal"})).To(Succeed())
		Expect(calls(w, s[0], fakegraph.KindMessage, fakegraph.RecipientToken)).To(Equal(1))
		Expect(calls(w, s[0], fakegraph.KindMessage, fakegraph.RecipientPSID)).To(Equal(0))
	})
})

var _ = Describe("idle guard", func() {
	DescribeTable("delivers only once the subscriber has been idle long enough; until then the campaign is sending",
		func(idle time.Duration) {
			p := reference.DefaultPolicy()
			p.IdleAfter = idle
			w, bot, s := optedIn(p, "ana")
			Expect(w.Say(s[0], "hello again")).To(Succeed())
			Expect(w.Trigger("campaign.create", campaign("now", nil))).To(Succeed())
			st, _, _ := bot.CampaignStatus("now")
			Expect(st.State).To(Equal(reference.CampaignSending))
			Expect(st.Pending).To(Equal(1))
			w.Advance(idle - ms)
			Expect(calls(w, s[0], fakegraph.KindMessage, "")).To(Equal(0))
			w.Advance(ms)
			Expect(calls(w, s[0], fakegraph.KindMessage, fakegraph.RecipientPSID)).To(Equal(1))
			st, _, _ = bot.CampaignStatus("now")
			Expect(st.State).To(Equal(reference.CampaignDone))
		},
		Entry("5 minutes: 4m59.999s versus 5m", 5*time.Minute),
		Entry("configured 2 minutes", 2*time.Minute),
	)

	It("waits again when the subscriber writes in the meantime", func() {
		w, _, s := optedIn(reference.DefaultPolicy(), "ana")
		Expect(w.Say(s[0], "hi")).To(Succeed())
		Expect(w.Trigger("campaign.create", campaign("now", nil))).To(Succeed())
		w.Advance(4 * time.Minute)
		Expect(w.Say(s[0], "still typing")).To(Succeed())
		w.Advance(5*time.Minute - ms)
		Expect(calls(w, s[0], fakegraph.KindMessage, "")).To(Equal(0))
		w.Advance(ms)
		Expect(calls(w, s[0], fakegraph.KindMessage, "")).To(Equal(1))
	})
})

var _ = Describe("expiry", func() {
	DescribeTable("uses a token until its year is up, never after",
		func(after time.Duration, sent int, eligible int) {
			w, bot, s := newBotWorld(shop(reference.DefaultPolicy()), "ana")
			Expect(w.Say(s[0], "deals")).To(Succeed())
			_, err := w.NotifyMe(s[0], "deals:weekly")
			Expect(err).NotTo(HaveOccurred())
			w.Advance(after)
			rep, err := bot.Today()
			Expect(err).NotTo(HaveOccurred())
			Expect(rep.Eligible).To(Equal(eligible))
			Expect(w.Trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal"})).To(Succeed())
			Expect(calls(w, s[0], fakegraph.KindMessage, fakegraph.RecipientToken)).To(Equal(sent))
			Expect(refused(w)).To(BeEmpty())
		},
		Entry("one year minus 1 ms: used", platform.TokenLifetime-ms, 1, 1),
		Entry("one year: dropped", platform.TokenLifetime, 0, 0),
	)
})

var _ = Describe("after the notification", func() {
	It("a reply reopens the window and the bot carries on normally", func() {
		w, _, s := optedIn(reference.DefaultPolicy(), "ana")
		Expect(w.Trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal"})).To(Succeed())
		Expect(w.Say(s[0], "Great! Do you have the canvas tote?")).To(Succeed())
		Expect(calls(w, s[0], fakegraph.KindMessage, fakegraph.RecipientPSID)).To(Equal(1))
		Expect(w.Trigger("broadcast", map[string]any{"text": "Store opens at 9"})).To(Succeed())
		Expect(w.Say(s[0], "any deals next week?")).To(Succeed())
		Expect(calls(w, s[0], fakegraph.KindMessage, fakegraph.RecipientPSID)).To(Equal(2))
		Expect(calls(w, s[0], fakegraph.KindOTNRequest, "")).To(Equal(2))
		Expect(refused(w)).To(BeEmpty())
	})
})
