package scenarios_test

import (
	"reflect"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/scenarios"
)

// comparable clears what a file's text cannot carry back: positions, the
// file's name, a case's label and whether a subscriber was generated.
func comparable(sc *scenarios.Scenario) scenarios.Scenario {
	c := *sc
	c.File, c.Case, c.Cases = "", "", nil
	c.Subscribers = append([]scenarios.SubscriberSpec(nil), sc.Subscribers...)
	for i := range c.Subscribers {
		c.Subscribers[i].Pos, c.Subscribers[i].Generated = scenarios.Pos{}, false
	}
	c.Steps = append([]scenarios.Step(nil), sc.Steps...)
	for i := range c.Steps {
		st := &c.Steps[i]
		st.Pos = scenarios.Pos{}
		st.Expect = append([]scenarios.Expectation(nil), st.Expect...)
		for j := range st.Expect {
			st.Expect[j].Pos = scenarios.Pos{}
		}
	}
	return c
}

var _ = Describe("Format", func() {
	It("writes every shipped scenario (every case of a table) back to a file that parses to the same scenario", func() {
		scs, err := scenarios.Load(".")
		Expect(err).NotTo(HaveOccurred())
		Expect(len(scs)).To(BeNumerically(">", 100))
		files := map[string]bool{}
		for _, sc := range scs {
			files[sc.File] = true
			src, err := scenarios.Format(sc)
			Expect(err).NotTo(HaveOccurred(), sc.File)
			back, err := scenarios.Parse(sc.File, src)
			Expect(err).NotTo(HaveOccurred(), "%s [%s]:\n%s", sc.File, sc.Case, src)
			want, got := comparable(sc), comparable(back)
			Expect(reflect.DeepEqual(got, want)).To(BeTrue(), "%s [%s] changed in the round trip:\n%s\nwant %#v\ngot  %#v", sc.File, sc.Case, src, want, got)
		}
		Expect(files).To(HaveKey("compliance/recurring-life.yaml"))
		var recurring int
		for f := range files {
			if strings.HasPrefix(f, "recurring/") {
				recurring++
			}
		}
		Expect(recurring).To(BeNumerically(">", 3), "the recurring-notification suite is among them")
	})

	It("reads like a person wrote it: flow-style steps, durations in the largest unit, defaults left out", func() {
		sc, err := scenarios.Parse("s.yaml", []byte(`
name: n
bot: {policy: {reuse_spent_tokens: true}}
subscribers: [{alias: ana}]
steps:
  - say: {who: ana, text: "Is the Red Lipstick back?"}
  - advance: 24h
  - advance: 8760h
  - fault: {code: 551, who: ana}
  - trigger: {name: otn.notify, data: {topic: "restock:red-lipstick", text: Back}}
  - expect: {findings: {who: ana, rule: OTN-TOKEN-ONCE, count: 0}}
`))
		Expect(err).NotTo(HaveOccurred())
		src, err := scenarios.Format(sc)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(src)).To(Equal(`name: n
bot: {policy: {reuse_spent_tokens: true}}
subscribers:
  - {alias: ana}
steps:
  - say: {who: ana, text: 'Is the Red Lipstick back?'}
  - advance: 1d
  - advance: 1y
  - fault: {code: 551, who: ana}
  - trigger: {name: otn.notify, data: {text: Back, topic: 'restock:red-lipstick'}}
  - expect:
      findings: {who: ana, rule: OTN-TOKEN-ONCE, count: 0}
`))
	})
})
