package shrink_test

import (
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/scenarios"
	"github.com/otnsim/otnsim/shrink"
)

// thirtyDays is a scenario otnsim load --extract wrote: subscriber 5 of the
// careless-bot profile, 30 days of their life, failing for OTN-TOKEN-ONCE.
const thirtyDays = "testdata/token-once-30-days.yaml"

func parse(src string) *scenarios.Scenario {
	sc, err := scenarios.Parse("s.yaml", []byte(src))
	Expect(err).NotTo(HaveOccurred())
	return sc
}

func advances(sc *scenarios.Scenario) (out []time.Duration) {
	for _, st := range sc.Steps {
		if st.Kind == scenarios.StepAdvance {
			out = append(out, st.Duration)
		}
	}
	return out
}

var _ = Describe("Shrink", func() {
	It("shrinks a 30-day extracted life to a handful of steps that still fail for its rule, the same way every time", func() {
		sc, err := scenarios.ParseFile(thirtyDays)
		Expect(err).NotTo(HaveOccurred())
		small, st, err := shrink.Shrink(sc, shrink.Reference(0), shrink.Options{})
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Rule).To(Equal(rules.TokenOnce))
		Expect(st.StepsBefore).To(Equal(len(sc.Steps)))
		Expect(st.StepsAfter).To(Equal(len(small.Steps)))
		Expect(len(small.Steps)).To(BeNumerically("<=", 6))
		Expect(st.Tried).To(BeNumerically(">", st.Kept))
		Expect(st.Kept).To(BeNumerically(">", 0))
		Expect(shrink.Fails(shrink.Reference(0)(small), rules.TokenOnce)).To(BeTrue())
		Expect(advances(small)).To(Equal([]time.Duration{24 * time.Hour}), "the window's 24 hours, exactly")
		Expect(len(sc.Steps)).To(BeNumerically(">", len(small.Steps)), "the input is left as it was")

		again, st2, err := shrink.Shrink(sc, shrink.Reference(0), shrink.Options{})
		Expect(err).NotTo(HaveOccurred())
		a, _ := scenarios.Format(small)
		b, _ := scenarios.Format(again)
		Expect(string(b)).To(Equal(string(a)))
		Expect(st2.Tried).To(Equal(st.Tried))
	})

	It("keeps a token's 365 days exact, merging the advances around steps it drops", func() {
		sc := parse(`
name: expired token used
bot: {policy: {use_expired_tokens: true}}
subscribers: [{alias: ana}, {alias: bob}]
steps:
  - say: {who: ana, text: "Is the Red Lipstick back in stock?"}
  - say: {who: bob, text: "hello there, how are you"}
  - notify_me: {who: ana, topic: "restock:red-lipstick"}
  - advance: 100d
  - say: {who: bob, text: "anything new?"}
  - advance: 200d
  - trigger: {name: broadcast, data: {text: "Spring sale today"}}
  - advance: 70d
  - trigger: {name: otn.notify, data: {topic: "restock:red-lipstick", text: "It is back, in every shade, at last"}}
  - expect:
      findings: {rule: OTN-TOKEN-EXPIRY, count: 0}
      delivered: {who: bob, count: 0}
`)
		small, st, err := shrink.Shrink(sc, shrink.Reference(0), shrink.Options{})
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Rule).To(Equal(rules.TokenExpiry))
		Expect(small.Subscribers).To(HaveLen(1), "bob is not needed")
		Expect(st.SubsAfter).To(Equal(1))
		Expect(advances(small)).To(Equal([]time.Duration{365 * 24 * time.Hour}))
		Expect(small.Steps[len(small.Steps)-1].Expect).To(HaveLen(1), "the expectation of another rule is left out")
		for _, s := range small.Steps {
			if s.Kind == scenarios.StepTrigger {
				Expect(s.Data).To(HaveKeyWithValue("topic", "restock:red-lipstick"))
				Expect(s.Data).To(HaveKeyWithValue("text", "hi"))
			}
		}
	})

	It("refuses a scenario that does not fail for the rule", func() {
		sc := parse(`
name: fine
subscribers: [{alias: ana}]
steps:
  - say: {who: ana, text: hi}
  - expect: {findings: {rule: OTN-TOKEN-ONCE, count: 0}}
`)
		_, _, err := shrink.Shrink(sc, shrink.Reference(0), shrink.Options{})
		Expect(errors.Is(err, shrink.ErrNotFailing)).To(BeTrue(), "%v", err)
		sc2, _ := scenarios.ParseFile(thirtyDays)
		_, _, err = shrink.Shrink(sc2, shrink.Reference(0), shrink.Options{Rule: rules.Win24h})
		Expect(errors.Is(err, shrink.ErrNotFailing)).To(BeTrue(), "it fails, but for another rule")
	})

	It("stops at MaxTries with the smallest scenario found so far", func() {
		sc, err := scenarios.ParseFile(thirtyDays)
		Expect(err).NotTo(HaveOccurred())
		small, st, err := shrink.Shrink(sc, shrink.Reference(0), shrink.Options{MaxTries: 5})
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Tried).To(Equal(5))
		Expect(shrink.Fails(shrink.Reference(0)(small), rules.TokenOnce)).To(BeTrue())
	})
})
