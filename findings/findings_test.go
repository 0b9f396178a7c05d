package findings_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/rules"
)

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func msg(psid string, at time.Time) fakegraph.Event {
	return fakegraph.Event{At: at, PSID: psid, Kind: "message"}
}

var _ = Describe("Detect", func() {
	opts := findings.DefaultOptions()

	It("turns refusals into findings of their rule", func() {
		led := fakegraph.Ledger{Calls: []fakegraph.Call{
			{Seq: 1, At: t0, PSID: "p", Kind: fakegraph.KindOTNRequest, Code: 10, Rule: rules.ReqWindow},
			{Seq: 2, At: t0, PSID: "p", Kind: fakegraph.KindMessage, Code: 100},
		}}
		fs := findings.Detect(led, opts)
		Expect(fs).To(HaveLen(1))
		Expect(fs[0].Rule).To(Equal(rules.ReqWindow))
		Expect(fs[0].Severity).To(Equal(rules.Failure))
		Expect(fs[0].CallSeq).To(Equal(1))
	})

	It("finds a token spent while the window was open, and not one spent outside it", func() {
		led := fakegraph.Ledger{Calls: []fakegraph.Call{
			{Seq: 1, At: t0, PSID: "p", OK: true, Kind: fakegraph.KindMessage, RecipientKind: fakegraph.RecipientToken, WindowOpen: true, TokenSeq: 1},
			{Seq: 2, At: t0, PSID: "q", OK: true, Kind: fakegraph.KindMessage, RecipientKind: fakegraph.RecipientToken, WindowOpen: false, TokenSeq: 2},
		}}
		fs := findings.Detect(led, findings.Options{})
		Expect(fs).To(HaveLen(1))
		Expect(fs[0].Rule).To(Equal(rules.InWindowKeep))
		Expect(fs[0].PSID).To(Equal("p"))
	})

	DescribeTable("OTN-IDLE at the edge of the idle period",
		func(after time.Duration, want int) {
			led := fakegraph.Ledger{
				Events: []fakegraph.Event{msg("p", t0)},
				Calls: []fakegraph.Call{{Seq: 1, At: t0.Add(after), PSID: "p", OK: true, Kind: fakegraph.KindMessage,
					RecipientKind: fakegraph.RecipientToken, TokenSeq: 1}},
			}
			Expect(findings.Count(findings.Detect(led, opts), rules.Idle, "p")).To(Equal(want))
		},
		Entry("1ms early", 5*time.Minute-time.Millisecond, 1),
		Entry("on time", 5*time.Minute, 0),
	)

	It("does not count answers (RESPONSE) as notifications", func() {
		led := fakegraph.Ledger{
			Events: []fakegraph.Event{msg("p", t0)},
			Calls:  []fakegraph.Call{{Seq: 1, At: t0, PSID: "p", OK: true, Kind: fakegraph.KindMessage, RecipientKind: fakegraph.RecipientPSID, MessagingType: "RESPONSE"}},
		}
		Expect(findings.Detect(led, opts)).To(BeEmpty())
	})

	It("finds each OTN request beyond the limit within the throttle window", func() {
		var calls []fakegraph.Call
		for i := range 4 {
			calls = append(calls, fakegraph.Call{Seq: i + 1, At: t0.Add(time.Duration(i) * time.Minute), PSID: "p", OK: true, Kind: fakegraph.KindOTNRequest})
		}
		calls = append(calls, fakegraph.Call{Seq: 5, At: t0, PSID: "q", OK: true, Kind: fakegraph.KindOTNRequest})
		fs := findings.Detect(fakegraph.Ledger{Calls: calls}, opts)
		Expect(findings.Count(fs, rules.ReqThrottle, "p")).To(Equal(1))
		Expect(findings.Count(fs, rules.ReqThrottle, "q")).To(Equal(0))
		Expect(findings.Count(fs, rules.ReqThrottle, "")).To(Equal(1))
		Expect(fs[0].At).To(Equal(t0.Add(3 * time.Minute)))
	})

	It("switches checks off at zero", func() {
		led := fakegraph.Ledger{
			Events: []fakegraph.Event{msg("p", t0)},
			Calls: []fakegraph.Call{
				{Seq: 1, At: t0, PSID: "p", OK: true, Kind: fakegraph.KindMessage, MessagingType: "UPDATE", RecipientKind: fakegraph.RecipientPSID},
				{Seq: 2, At: t0, PSID: "p", OK: true, Kind: fakegraph.KindOTNRequest},
				{Seq: 3, At: t0, PSID: "p", OK: true, Kind: fakegraph.KindOTNRequest},
				{Seq: 4, At: t0, PSID: "p", OK: true, Kind: fakegraph.KindOTNRequest},
			},
		}
		Expect(findings.Detect(led, findings.Options{})).To(BeEmpty())
	})
})

var _ = Describe("activity for the idle check", func() {
	It("counts quick replies and reactions as the subscriber being active", func() {
		t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
		for _, kind := range []string{"quick_reply", "reaction"} {
			led := fakegraph.Ledger{
				Events: []fakegraph.Event{{At: t0, PSID: "p", Kind: kind}},
				Calls:  []fakegraph.Call{{Seq: 1, At: t0.Add(4*time.Minute + 59*time.Second + 999*time.Millisecond), PSID: "p", OK: true, Kind: fakegraph.KindMessage, RecipientKind: fakegraph.RecipientToken, TokenSeq: 1}},
			}
			Expect(findings.Count(findings.Detect(led, findings.DefaultOptions()), rules.Idle, "p")).To(Equal(1), kind)
			led.Calls[0].At = t0.Add(5 * time.Minute)
			Expect(findings.Count(findings.Detect(led, findings.DefaultOptions()), rules.Idle, "p")).To(Equal(0), kind)
		}
	})
})

// seq numbers a hand-made ledger's events and calls in the order given, as
// fakegraph records them.
func seq(records ...any) fakegraph.Ledger {
	var led fakegraph.Ledger
	for i, r := range records {
		switch x := r.(type) {
		case fakegraph.Event:
			x.Order, x.Seq = i+1, len(led.Events)+1
			led.Events = append(led.Events, x)
		case fakegraph.Call:
			x.Order, x.Seq = i+1, len(led.Calls)+1
			led.Calls = append(led.Calls, x)
		}
	}
	return led
}

var _ = Describe("Detect, in ledger order", func() {
	opts := findings.DefaultOptions()
	tokenSend := func(psid string, at time.Time, tok int, topic string) fakegraph.Call {
		return fakegraph.Call{At: at, PSID: psid, OK: true, Kind: fakegraph.KindMessage, RecipientKind: fakegraph.RecipientToken, TokenSeq: tok, Topic: topic}
	}
	notify := func(at time.Time, topic string) fakegraph.Event {
		return fakegraph.Event{At: at, Kind: "trigger", Trigger: "otn.notify", Topic: topic}
	}
	optIn := func(psid string, at time.Time, tok int, topic string) fakegraph.Event {
		return fakegraph.Event{At: at, PSID: psid, Kind: "notify_me", TokenSeq: tok, Topic: topic}
	}
	tokens := func(led fakegraph.Ledger, ts ...fakegraph.Token) fakegraph.Ledger {
		led.Tokens = ts
		return led
	}

	It("does not count a message recorded after the notification, at the same instant, as activity before it", func() {
		later := t0.Add(time.Hour)
		led := seq(msg("p", t0), tokenSend("p", later, 1, "t"), msg("p", later))
		Expect(findings.Count(findings.Detect(led, opts), rules.Idle, "p")).To(BeZero())
		led = seq(msg("p", t0), msg("p", later), tokenSend("p", later, 1, "t"))
		fs := findings.Detect(led, opts)
		Expect(findings.Count(fs, rules.Idle, "p")).To(Equal(1))
		Expect(fs[0].Calls).To(Equal([]int{1}))
		Expect(fs[0].Events).To(ContainElement(2), "the message that made the subscriber active")
		Expect(fs[0].Detail).To(HavePrefix("expected a notification only after 5m0s of idleness; observed call #1"))
	})

	It("judges OTN-IDLE on the notifications a trigger asked for, never on a broadcast", func() {
		tok := fakegraph.Token{Seq: 1, PSID: "p", Topic: "t", ExpiresAt: t0.AddDate(1, 0, 0)}
		update := fakegraph.Call{At: t0.Add(time.Minute), PSID: "p", OK: true, Kind: fakegraph.KindMessage, RecipientKind: fakegraph.RecipientPSID, MessagingType: "UPDATE", WindowOpen: true}
		broadcast := fakegraph.Event{At: t0.Add(time.Minute), Kind: "trigger", Trigger: "broadcast"}
		led := tokens(seq(msg("p", t0), optIn("p", t0, 1, "t"), broadcast, update), tok)
		Expect(findings.Detect(led, opts)).To(BeEmpty(), "a broadcast to a token holder is not a notification")
		led = tokens(seq(msg("p", t0), optIn("p", t0, 1, "t"), notify(t0.Add(time.Minute), "t"), update), tok)
		Expect(findings.Count(findings.Detect(led, opts), rules.Idle, "p")).To(Equal(1))
	})

	It("finds a token spent on another topic than the one the bot was asked to notify", func() {
		ts := []fakegraph.Token{{Seq: 1, PSID: "p", Topic: "a", ExpiresAt: t0.AddDate(1, 0, 0)}, {Seq: 2, PSID: "q", Topic: "b", ExpiresAt: t0.AddDate(1, 0, 0)}}
		day := t0.Add(48 * time.Hour)
		led := tokens(seq(optIn("p", t0, 1, "a"), optIn("q", t0, 2, "b"), notify(day, "a"), tokenSend("p", day, 1, "a"), tokenSend("q", day, 2, "b")), ts...)
		fs := findings.Detect(led, opts)
		Expect(findings.Count(fs, rules.TopicMatch, "p")).To(BeZero())
		Expect(findings.Count(fs, rules.TopicMatch, "q")).To(Equal(1))
		Expect(fs[0].Detail).To(ContainSubstring(`expected a token of the notified topic "a"; observed token #2 of topic "b"`))
		led = tokens(seq(optIn("q", t0, 2, "b"), tokenSend("q", day, 2, "b")), ts...)
		Expect(findings.Detect(led, opts)).To(BeEmpty(), "with no notify trigger there is nothing to compare with")
	})

	It("lets a bot learn from a refusal it could not foresee, and finds the repeat", func() {
		refused := func(psid, rule string) fakegraph.Call {
			return fakegraph.Call{At: t0, PSID: psid, Kind: fakegraph.KindMessage, RecipientKind: fakegraph.RecipientPSID, Code: 551, Rule: rule}
		}
		led := seq(refused("p", rules.UserAvailable), refused("p", rules.UserAvailable))
		fs := findings.Detect(led, opts)
		Expect(fs).To(HaveLen(1))
		Expect(fs[0].CallSeq).To(Equal(2))
		Expect(fs[0].Observed).To(ContainSubstring("after call #1 was refused"))
		led = seq(refused("p", rules.UserAvailable), msg("p", t0), refused("p", rules.UserAvailable))
		Expect(findings.Detect(led, opts)).To(BeEmpty(), "writing again makes the subscriber reachable, as far as the bot can know")
		led = seq(refused("p", rules.Region), refused("q", rules.Region), refused("p", rules.Region))
		Expect(findings.Count(findings.Detect(led, opts), rules.Region, "")).To(Equal(1), "one per thread is learned")
		led.PageAffected = true
		Expect(findings.Count(findings.Detect(led, opts), rules.Region, "")).To(Equal(3), "a page knows its own country")
		led = seq(refused("p", rules.Feature), refused("q", rules.Feature))
		Expect(findings.Count(findings.Detect(led, opts), rules.Feature, "")).To(Equal(1), "the feature is the page's: learned once")
	})

	It("charges a token used for two messages in one reaction to OTN-CONTENT, and a later reuse to OTN-TOKEN-ONCE", func() {
		day := t0.Add(48 * time.Hour)
		reuse := func(at time.Time) fakegraph.Call {
			return fakegraph.Call{At: at, PSID: "p", Kind: fakegraph.KindMessage, RecipientKind: fakegraph.RecipientToken, TokenSeq: 1, Code: 100, Rule: rules.TokenOnce}
		}
		led := seq(notify(day, "t"), tokenSend("p", day, 1, "t"), reuse(day))
		fs := findings.Detect(led, opts)
		Expect(fs).To(HaveLen(1))
		Expect(fs[0].Rule).To(Equal(rules.Content))
		led = seq(notify(day, "t"), tokenSend("p", day, 1, "t"), notify(day.Add(time.Hour), "t"), reuse(day.Add(time.Hour)))
		fs = findings.Detect(led, opts)
		Expect(fs).To(HaveLen(1))
		Expect(fs[0].Rule).To(Equal(rules.TokenOnce))
		lost := tokenSend("p", day, 1, "t")
		lost.Fault, lost.Answered = "lost", "no answer (connection dropped)"
		led = seq(notify(day, "t"), lost, reuse(day), reuse(day))
		fs = findings.Detect(led, opts)
		Expect(fs).To(HaveLen(1), "a retry after a lost answer learns the outcome once; the second retry is a mistake")
		Expect(fs[0].CallSeq).To(Equal(3))
	})

	It("places each finding right after the call that broke the rule in the timeline", func() {
		later := t0.Add(time.Minute)
		led := seq(msg("p", t0), tokenSend("p", later, 1, "t"), msg("p", later))
		led.Now = later
		lines := findings.Timeline(led, "p", findings.Detect(led, opts))
		Expect(lines).To(HaveLen(4))
		Expect(lines[1]).To(ContainSubstring("call #1  send message to one_time_notif_token #1"))
		Expect(lines[2]).To(ContainSubstring("finding OTN-IDLE"))
		Expect(lines[3]).To(ContainSubstring("event #2  message"))
	})
})
