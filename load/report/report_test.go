package report_test

import (
	"bytes"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/load/report"
)

func shard(i string, subs int, latencies ...time.Duration) *report.Report {
	r := &report.Report{Version: report.FormatVersion, Engine: "http", Profile: "p", Seed: 1, Population: 10, Days: 30,
		Subscribers: subs, Shards: []string{i}, Findings: map[string]int64{"OTN-TOKEN-ONCE": 2},
		Counters: report.Counters{Events: 10, TokensIssued: 3}, WallSeconds: float64(subs), ShardSeconds: float64(subs)}
	h := report.NewHistogram()
	for _, d := range latencies {
		report.RecordDuration(h, d)
	}
	var err error
	r.Latency, err = report.LatencyFrom(h)
	Expect(err).NotTo(HaveOccurred())
	return r
}

var _ = Describe("Merge", func() {
	It("adds counters and findings, merges histograms, takes the longest wall time", func() {
		a := shard("0/2", 4, time.Millisecond, 2*time.Millisecond)
		b := shard("1/2", 6, 10*time.Millisecond)
		m, err := report.Merge(a, b)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Complete()).To(BeTrue())
		Expect(m.Counters.Events).To(Equal(int64(20)))
		Expect(m.Findings["OTN-TOKEN-ONCE"]).To(Equal(int64(4)))
		Expect(m.WallSeconds).To(Equal(6.0))
		Expect(m.ShardSeconds).To(Equal(10.0))
		Expect(m.Latency.Count).To(Equal(int64(3)))
		Expect(m.Latency.Max).To(BeNumerically("~", 10, 0.02))
	})

	It("refuses reports of different runs and a shard given twice", func() {
		a, b := shard("0/2", 4), shard("1/2", 6)
		b.Seed = 2
		_, err := report.Merge(a, b)
		Expect(err).To(MatchError(report.ErrMismatch))
		_, err = report.Merge(a, shard("0/2", 4))
		Expect(err).To(MatchError(report.ErrMismatch))
	})

	It("keeps violations in subscriber order whatever the shard order", func() {
		a, b := shard("0/2", 4), shard("1/2", 6)
		a.AddViolations(1, []report.Violation{{Invariant: "INV-WINDOW", Subscriber: 7}})
		b.AddViolations(1, []report.Violation{{Invariant: "INV-WINDOW", Subscriber: 2}})
		m, err := report.Merge(a, b)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Passed()).To(BeFalse())
		Expect(m.Violations[0].Subscriber).To(Equal(2))
	})

	It("round-trips through JSON and prints a summary", func() {
		r := shard("0/1", 10, time.Millisecond)
		path := filepath.Join(GinkgoT().TempDir(), "r.json")
		Expect(r.WriteFile(path)).To(Succeed())
		back, err := report.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(back.Counters).To(Equal(r.Counters))
		var out bytes.Buffer
		back.WriteSummary(&out)
		Expect(out.String()).To(ContainSubstring("tokens       issued 3"))
		Expect(out.String()).To(ContainSubstring("findings     OTN-TOKEN-ONCE 2"))
		Expect(out.String()).To(ContainSubstring("send latency p50"))
	})
})
