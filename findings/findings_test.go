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
