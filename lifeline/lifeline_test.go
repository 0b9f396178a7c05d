package lifeline_test

import (
	"encoding/json"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/lifeline"
	"github.com/otnsim/otnsim/rules"
)

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// story is a ledger of two subscribers: p writes twice (the second message
// extends the window), opts in twice, gets one token spent, one reused and
// refused; q writes once.
func story() fakegraph.Ledger {
	spent := at(30 * time.Hour)
	return fakegraph.Ledger{
		Now: at(72 * time.Hour),
		Events: []fakegraph.Event{
			{Seq: 1, At: at(0), PSID: "p", Kind: "message", Detail: `"hi"`, Order: 1},
			{Seq: 2, At: at(0), PSID: "p", Kind: "webhook", Detail: "delivered", Order: 2},
			{Seq: 3, At: at(time.Minute), PSID: "p", Kind: "notify_me", Detail: "token #1", TokenSeq: 1, Order: 3},
			{Seq: 4, At: at(2 * time.Hour), PSID: "q", Kind: "message", Order: 4},
			{Seq: 5, At: at(10 * time.Hour), PSID: "p", Kind: "message", Order: 5},
			{Seq: 6, At: at(11 * time.Hour), PSID: "p", Kind: "notify_me", TokenSeq: 2, Order: 6},
			{Seq: 7, At: at(30 * time.Hour), PSID: "", Kind: "trigger", Trigger: "restock", Detail: "restock", Order: 7},
			{Seq: 8, At: at(31 * time.Hour), PSID: "", Kind: "trigger", Trigger: "tick", Detail: "tick", Order: 10},
		},
		Calls: []fakegraph.Call{
			{Seq: 1, At: spent, PSID: "p", Kind: fakegraph.KindMessage, RecipientKind: fakegraph.RecipientToken, TokenSeq: 1, OK: true, Order: 8},
			{Seq: 2, At: spent, Kind: fakegraph.KindMessage, RecipientKind: fakegraph.RecipientToken, TokenSeq: 1, Code: 100, Rule: rules.TokenOnce, Order: 9},
		},
		Tokens: []fakegraph.Token{
			{Seq: 1, PSID: "p", Topic: "restock:scarf", IssuedAt: at(time.Minute), ExpiresAt: at(365 * 24 * time.Hour), State: fakegraph.TokenConsumed, ConsumedAt: &spent,
				Rejected: []fakegraph.Rejection{{At: spent, Code: 100}}},
			{Seq: 2, PSID: "p", Topic: "restock:scarf", IssuedAt: at(11 * time.Hour), ExpiresAt: at(365 * 24 * time.Hour), State: fakegraph.TokenActive},
		},
	}
}

var reuse = findings.Finding{Rule: rules.TokenOnce, Severity: rules.Failure, PSID: "p", At: at(30 * time.Hour), CallSeq: 2, Order: 9, Detail: "token #1 used twice"}

var _ = Describe("Build", func() {
	It("draws a subscriber's windows, tokens, calls, actions and findings, and no one else's", func() {
		l := lifeline.Build(story(), "p", "ana", []findings.Finding{reuse}, 0)
		Expect(l.Subscriber).To(Equal("ana"))
		Expect(l.Windows).To(Equal([]lifeline.Window{{Open: at(0), Close: at(34 * time.Hour)}}), "the second message extends the first window")
		Expect(l.Tokens).To(Equal([]lifeline.Token{
			{Seq: 1, Topic: "restock:scarf", Issued: at(time.Minute), End: at(30 * time.Hour), Fate: lifeline.FateSpent, Refused: 1},
			{Seq: 2, Topic: "restock:scarf", Issued: at(11 * time.Hour), End: at(72 * time.Hour), Fate: lifeline.FateActive},
		}))
		Expect(l.Sends).To(HaveLen(2), "the refused reuse named no PSID, but spent p's token")
		Expect(l.Sends[0].Verdict).To(Equal(lifeline.VerdictOK))
		Expect(l.Sends[1].Verdict).To(Equal(lifeline.VerdictRefused))
		Expect(l.Sends[1].Code).To(Equal(100))
		Expect(l.Sends[1].Rule).To(Equal(rules.TokenOnce))
		kinds := []string{}
		for _, a := range l.Actions {
			kinds = append(kinds, a.Kind)
		}
		Expect(kinds).To(Equal([]string{"message", "notify_me", "message", "notify_me", "trigger"}), "no webhook deliveries, no ticks, no one else's message")
		Expect(l.Findings).To(Equal([]lifeline.Finding{{Rule: rules.TokenOnce, Severity: "failure", At: at(30 * time.Hour), Detail: "token #1 used twice", CallSeq: 2}}))
		Expect(l.From).To(Equal(at(0)))
		Expect(l.To).To(Equal(at(72*time.Hour)), "the ledger's end")
		Expect(l.Omitted).To(BeZero())
	})

	It("keeps the marks nearest the first finding when there are too many, and counts the rest", func() {
		led := fakegraph.Ledger{Now: at(1000 * time.Hour)}
		for i := range 100 {
			led.Events = append(led.Events, fakegraph.Event{Seq: i + 1, At: at(time.Duration(i) * time.Hour), PSID: "p", Kind: "message", Order: i + 1})
		}
		f := findings.Finding{Rule: rules.Win24h, PSID: "p", At: at(80 * time.Hour), Order: 81}
		l := lifeline.Build(led, "p", "p", []findings.Finding{f}, 20)
		Expect(l.Actions).To(HaveLen(19))
		Expect(l.Findings).To(HaveLen(1))
		Expect(l.Omitted).To(Equal(101 - 20))
		Expect(l.From).To(BeTemporally("<", f.At))
		Expect(l.To).To(BeTemporally(">", f.At))
		Expect(l.To).To(BeTemporally("<", led.Now), "the end was cut off")
	})

	It("is the same, drawn for many at once with BuildAll", func() {
		led := story()
		all := lifeline.BuildAll(led, []lifeline.Who{{PSID: "p", Name: "ana"}, {PSID: "q", Name: "ben"}}, []findings.Finding{reuse}, 0)
		Expect(all).To(Equal([]lifeline.Lifeline{
			lifeline.Build(led, "p", "ana", []findings.Finding{reuse}, 0),
			lifeline.Build(led, "q", "ben", []findings.Finding{reuse}, 0),
		}))
		Expect(all[1].Actions).To(HaveLen(2), "q's message and the page-wide trigger")
	})

	It("marks a call a fault struck, whether or not it took effect", func() {
		led := fakegraph.Ledger{Now: at(time.Hour), Calls: []fakegraph.Call{
			{Seq: 1, At: at(0), PSID: "p", OK: true, Fault: "lost", Order: 1},
			{Seq: 2, At: at(0), PSID: "p", Fault: "drop", Order: 2},
		}}
		l := lifeline.Build(led, "p", "p", nil, 0)
		Expect(l.Sends[0].Verdict).To(Equal(lifeline.VerdictFault))
		Expect(l.Sends[1].Verdict).To(Equal(lifeline.VerdictFault))
	})
})

var _ = Describe("the lifeline's JSON Schema", func() {
	It("is the one every report schema defines", func() {
		var own any
		raw, err := os.ReadFile("lifeline.schema.json")
		Expect(err).NotTo(HaveOccurred())
		Expect(json.Unmarshal(raw, &own)).To(Succeed())
		for _, path := range []string{"../scenarios/report.schema.json", "../compliance/report.schema.json", "../load/report/report.schema.json"} {
			var doc struct {
				Defs map[string]any `json:"$defs"`
			}
			raw, err := os.ReadFile(path)
			Expect(err).NotTo(HaveOccurred())
			Expect(json.Unmarshal(raw, &doc)).To(Succeed())
			Expect(doc.Defs["lifeline"]).To(Equal(own), path+": copy lifeline/lifeline.schema.json into $defs.lifeline")
		}
	})
})
