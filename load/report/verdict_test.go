package report_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/load/report"
	"github.com/otnsim/otnsim/rules"
)

var _ = Describe("the verdict of a load run", func() {
	var r *report.Report
	BeforeEach(func() {
		r = &report.Report{Findings: map[string]int64{}}
	})

	It("passes with no findings and no violations at every level", func() {
		for _, level := range []rules.Severity{rules.Failure, rules.Warning, rules.Info} {
			Expect(r.Verdict(level)).To(BeTrue())
		}
	})

	It("fails on a finding at or above the level only", func() {
		var warning, info string
		for _, rule := range rules.All() {
			switch {
			case rule.Severity == rules.Warning && warning == "":
				warning = rule.ID
			case rule.Severity == rules.Info && info == "":
				info = rule.ID
			}
		}
		Expect(warning).NotTo(BeEmpty(), "the catalogue has a warning rule")
		r.Findings[warning] = 2
		Expect(r.Verdict(rules.Failure)).To(BeTrue())
		Expect(r.Verdict(rules.Warning)).To(BeFalse())
		Expect(r.Verdict(rules.Info)).To(BeFalse())
		Expect(r.Failing(rules.Warning)).To(Equal([]string{warning}))
		r.Findings[rules.TokenOnce] = 1
		Expect(r.Verdict(rules.Failure)).To(BeFalse())
		Expect(r.Failing(rules.Info)[0]).To(Equal(warning), "most findings first")
		if info != "" {
			r.Findings = map[string]int64{info: 1}
			Expect(r.Verdict(rules.Warning)).To(BeTrue())
			Expect(r.Verdict(rules.Info)).To(BeFalse())
		}
	})

	It("treats a refusal with no catalogue rule as a failure", func() {
		r.Findings["(no rule)"] = 1
		Expect(r.Verdict(rules.Failure)).To(BeFalse())
	})

	It("keeps the lowest subscriber's sample, so any split of the run keeps the same one", func() {
		r.AddSample(rules.TokenOnce, report.FindingSample{Subscriber: 9, At: "b"})
		r.AddSample(rules.TokenOnce, report.FindingSample{Subscriber: 4, At: "z"})
		r.AddSample(rules.TokenOnce, report.FindingSample{Subscriber: 7, At: "a"})
		Expect(r.Samples[rules.TokenOnce].Subscriber).To(Equal(4))
		other := &report.Report{Findings: map[string]int64{}, Population: 10, Subscribers: 5}
		other.AddSample(rules.TokenOnce, report.FindingSample{Subscriber: 2})
		r.Population, r.Subscribers, r.Shards = 10, 5, []string{"1/2"}
		other.Shards = []string{"0/2"}
		m, err := report.Merge(r, other)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Samples[rules.TokenOnce].Subscriber).To(Equal(2))
	})

	It("reads --fail-on levels and refuses others", func() {
		for _, s := range []string{"failure", "warning", "info"} {
			_, err := report.ParseSeverity(s)
			Expect(err).NotTo(HaveOccurred())
		}
		_, err := report.ParseSeverity("loud")
		Expect(err).To(HaveOccurred())
	})
})
