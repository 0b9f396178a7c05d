package scenarios_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/scenarios"
)

// play parses src and runs it against the reference bot.
func play(src string, opts scenarios.RunOptions) scenarios.Result {
	sc, err := scenarios.Parse("v.yaml", []byte(src))
	Expect(err).NotTo(HaveOccurred())
	return scenarios.Run(sc, opts)
}

const optedIn = `
subscribers: [{alias: ana, region: US}]
steps:
  - say: {who: ana, text: "Is the Red Lipstick back?"}
  - notify_me: {who: ana, topic: "restock:red-lipstick"}
  - advance: 2d
`

var _ = Describe("a scenario's verdict", func() {
	It("charges a failed expectation to the rule it names, and one that names none to the contract", func() {
		res := play("name: n"+optedIn+`  - expect:
      delivered: {who: ana, what: message, count: 1, rule: OTN-MULTI}
      tokens: {who: ana, consumed: 1}
`, scenarios.RunOptions{})
		Expect(res.Passed).To(BeFalse())
		Expect(res.Failure.Rules).To(ConsistOf(rules.Multi, ""))
		v := res.Verdict()
		Expect(v.Charged(rules.Info)).To(Equal([]string{rules.Multi}))
		Expect(v.Contract()).To(HaveLen(1))
		Expect(v.Contract()[0].Problem).To(ContainSubstring("tokens ana"))
		Expect(v.Contract()[0].Step).To(HavePrefix("step 4 (expect) at v.yaml:"))
	})

	It("names the last trigger before a contract failure", func() {
		res := play("name: n"+optedIn+`  - trigger: {name: broadcast, data: {text: "hi"}}
  - expect:
      delivered: {who: ana, what: message, count: 1}
`, scenarios.RunOptions{})
		Expect(res.Verdict().Contract()).To(HaveLen(1))
		Expect(res.Verdict().Contract()[0].Trigger).To(HavePrefix("broadcast at v.yaml:"))
	})

	It("shows a problem an earlier finding explains as that finding's consequence", func() {
		res := play("name: n"+optedIn+`  - send: {to: ana, text: "outside the window"}
  - expect:
      delivered: {who: ana, what: message, count: 1}
`, scenarios.RunOptions{})
		v := res.Verdict()
		Expect(v.Charged(rules.Info)).To(Equal([]string{rules.Win24h}))
		Expect(v.Failed).To(BeEmpty())
		Expect(v.Findings[0].Consequences).To(ContainElement(ContainSubstring("delivered ana message")))
	})

	It("fails, with --fail-on, a passing scenario whose findings no expectation names", func() {
		src := "name: n" + optedIn + `  - send: {to: ana, text: "outside the window"}
`
		Expect(play(src, scenarios.RunOptions{}).Passed).To(BeTrue(), "without FailOn only expectations count")
		res := play(src, scenarios.RunOptions{FailOn: rules.Failure})
		Expect(res.Passed).To(BeFalse())
		Expect(res.Failure.StepName).To(Equal("findings"))
		Expect(res.Failure.Problems[0]).To(HavePrefix("unexpected finding WIN-24H [failure]"))
		named := "name: n" + optedIn + `  - send: {to: ana, text: "outside the window"}
  - expect:
      errors: {who: ana, rule: WIN-24H, count: 1}
`
		Expect(play(named, scenarios.RunOptions{FailOn: rules.Info}).Passed).To(BeTrue(), "an expectation that names the rule expects it")
	})

	It("counts a fault's error after the call took effect, as the bot saw it", func() {
		res := play("name: n"+optedIn+`  - fault: {who: ana, kind: graph_error, code: 2, status: 500, stage: after}
  - trigger: {name: otn.notify, data: {topic: "restock:red-lipstick", text: "Back!"}}
  - expect:
      tokens: {who: ana, consumed: 1}
      errors: {who: ana, code: 2, count: 1}
`, scenarios.RunOptions{})
		Expect(res.Passed).To(BeTrue(), "%v", res.Failure)
	})
})
