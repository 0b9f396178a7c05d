package reference_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/sim"
)

// crowd builds a world of n subscribers who have each just written (their
// windows are open) to a bot with policy p.
func crowd(p reference.Policy, n int) (*sim.World, *reference.Bot, []*sim.Subscriber) {
	aliases := make([]string, n)
	for i := range aliases {
		aliases[i] = fmt.Sprintf("s%04d", i)
	}
	w, bot, s := newBotWorld(shop(p), aliases...)
	for _, sub := range s {
		Expect(w.Say(sub, "hello")).To(Succeed())
	}
	return w, bot, s
}

// sendStats counts the ledger's successful messages, the refused calls, and
// the refusals under SEND-RATE.
func sendStats(w *sim.World) (ok, refusedCalls, rate int) {
	for _, c := range w.Graph.Ledger().Calls {
		switch {
		case c.OK && c.Kind == fakegraph.KindMessage:
			ok++
		case !c.OK:
			refusedCalls++
			if c.Rule == rules.SendRate {
				rate++
			}
		}
	}
	return ok, refusedCalls, rate
}

// perPSID counts successful messages by recipient.
func perPSID(w *sim.World) map[string]int {
	out := map[string]int{}
	for _, c := range w.Graph.Ledger().Calls {
		if c.OK && c.Kind == fakegraph.KindMessage {
			out[c.PSID]++
		}
	}
	return out
}

func withRate(perSecond, media int) reference.Policy {
	p := reference.DefaultPolicy()
	p.SendRate = reference.SendRate{PerSecond: perSecond, MediaPerSecond: media}
	return p
}

var _ = Describe("send pacing", func() {
	It("keeps every preset's rate under Meta's limits (300 a second, 10 for audio and video)", func() {
		for _, name := range reference.PresetNames() {
			p, err := reference.PresetPolicy(name)
			Expect(err).NotTo(HaveOccurred())
			Expect(p.SendRate.PerSecond).To(And(BeNumerically(">", 0), BeNumerically("<", 300)), name)
			Expect(p.SendRate.MediaPerSecond).To(And(BeNumerically(">", 0), BeNumerically("<", 10)), name)
		}
	})

	It("spreads a broadcast to 1,000 subscribers over 4 s at 250 a second, none refused", func() {
		w, _, _ := crowd(reference.DefaultPolicy(), 1000)
		Expect(w.Trigger("broadcast", map[string]any{"text": "Flash sale"})).To(Succeed())
		steps := []struct {
			by   time.Duration
			sent int
		}{{0, 250}, {time.Second - ms, 250}, {ms, 500}, {time.Second - ms, 500}, {ms, 750}, {time.Second - ms, 750}, {ms, 1000}, {time.Hour, 1000}}
		for i, st := range steps {
			w.Advance(st.by)
			ok, bad, _ := sendStats(w)
			Expect(ok).To(Equal(st.sent), "step %d", i)
			Expect(bad).To(BeZero(), "step %d: %v", i, refused(w))
		}
		for psid, n := range perPSID(w) {
			Expect(n).To(Equal(1), psid)
		}
	})

	It("with pacing off is refused under SEND-RATE, yet retries until every message is out, each once", func() {
		w, _, _ := crowd(withRate(0, 0), 400)
		Expect(w.Trigger("broadcast", map[string]any{"text": "Flash sale"})).To(Succeed())
		ok, _, rate := sendStats(w)
		Expect(ok).To(Equal(300))
		Expect(rate).To(Equal(100))
		w.Advance(time.Hour)
		ok, _, _ = sendStats(w)
		Expect(ok).To(Equal(400), "a rate limit never drops a message")
		for psid, n := range perPSID(w) {
			Expect(n).To(Equal(1), psid)
		}
	})

	It("decides each recipient's window when their send goes out: nobody is messaged after it closed", func() {
		w, _, s := crowd(withRate(2, 1), 5)
		w.Advance(24*time.Hour - time.Second)
		Expect(w.Trigger("broadcast", map[string]any{"text": "Last call"})).To(Succeed())
		w.Advance(time.Minute)
		ok, bad, _ := sendStats(w)
		Expect(ok).To(Equal(2), "the second batch falls due as the windows close")
		Expect(bad).To(BeZero(), "%v", refused(w))
		Expect(calls(w, s[4], fakegraph.KindMessage, "")).To(BeZero())
	})

	It("paces notifications by token, spending each token once", func() {
		w, bot, s := optedInCrowd(withRate(10, 1), 25)
		Expect(w.Trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal"})).To(Succeed())
		for _, want := range []struct {
			by   time.Duration
			sent int
		}{{0, 10}, {time.Second - ms, 10}, {ms, 20}, {time.Second - ms, 20}, {ms, 25}} {
			w.Advance(want.by)
			ok, bad, _ := sendStats(w)
			Expect(ok).To(Equal(want.sent))
			Expect(bad).To(BeZero())
		}
		for _, sub := range s {
			Expect(tokenStates(w, sub, "deals:weekly")).To(Equal([]fakegraph.TokenState{fakegraph.TokenConsumed}))
		}
		cs, err := bot.Campaigns()
		Expect(err).NotTo(HaveOccurred())
		Expect(cs).To(HaveLen(1))
		Expect(cs[0].ViaToken).To(Equal(25))
		Expect(cs[0].State).To(Equal(reference.CampaignDone))
	})

	It("paces video under the stricter media rate", func() {
		w, _, _ := optedInCrowd(reference.DefaultPolicy(), 20)
		video := map[string]any{"media": map[string]any{"type": "video", "url": "https://shop.example/v.mp4"}}
		Expect(w.Trigger("campaign.create", campaign("clip", map[string]any{"message": video}))).To(Succeed())
		for _, want := range []struct {
			by   time.Duration
			sent int
		}{{0, 8}, {time.Second - ms, 8}, {ms, 16}, {time.Second, 20}} {
			w.Advance(want.by)
			ok, bad, _ := sendStats(w)
			Expect(ok).To(Equal(want.sent))
			Expect(bad).To(BeZero(), "%v", refused(w))
		}
	})

	It("retries a rate-limit refusal past max_attempts with the same token, and spends it once", func() {
		refusals := 0
		r := tokenRig(retryPolicy(2, time.Second), func(int, sentCall) reply {
			if refusals < 6 {
				refusals++
				return graphError(400, 613, 2534040)
			}
			return okReply
		}, "tokA")
		Expect(r.trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal"})).To(Succeed())
		r.clk.Advance(24 * time.Hour)
		Expect(r.tokenSends()).To(Equal([]string{"tokA", "tokA", "tokA", "tokA", "tokA", "tokA", "tokA"}))
		cs, err := r.bot.Campaigns()
		Expect(err).NotTo(HaveOccurred())
		Expect(cs[0].ViaToken).To(Equal(1))
		Expect(cs[0].Failed).To(BeZero())
	})

	It("waits at least a second after a rate-limit refusal, even with no back-off set", func() {
		refusals := 0
		r := tokenRig(retryPolicy(5, 0), func(int, sentCall) reply {
			if refusals < 1 {
				refusals++
				return graphError(400, 32, 0)
			}
			return okReply
		}, "tokA")
		Expect(r.trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal"})).To(Succeed())
		r.clk.Advance(time.Second - ms)
		Expect(r.tokenSends()).To(HaveLen(1))
		r.clk.Advance(ms)
		Expect(r.tokenSends()).To(HaveLen(2))
	})
})

// optedInCrowd is optedIn for n generated aliases.
func optedInCrowd(p reference.Policy, n int) (*sim.World, *reference.Bot, []*sim.Subscriber) {
	aliases := make([]string, n)
	for i := range aliases {
		aliases[i] = fmt.Sprintf("o%03d", i)
	}
	return optedIn(p, aliases...)
}
