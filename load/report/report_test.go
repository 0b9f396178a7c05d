package report_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/schemacheck"
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

	It("round-trips through JSON, valid against its schema, and prints a summary", func() {
		r := shard("0/1", 10, time.Millisecond)
		r.Tool, r.Started = "otnsim test", time.Date(2026, 1, 1, 9, 0, 0, 500, time.UTC)
		path := filepath.Join(GinkgoT().TempDir(), "r.json")
		Expect(r.WriteFile(path)).To(Succeed())
		Expect(schemacheck.File(path)).To(Succeed())
		back, err := report.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(*back).To(Equal(*r))
		var out bytes.Buffer
		back.WriteSummary(&out)
		Expect(out.String()).To(ContainSubstring("tokens       issued 3"))
		Expect(out.String()).To(ContainSubstring("findings     OTN-TOKEN-ONCE 2"))
		Expect(out.String()).To(ContainSubstring("send latency p50"))
	})
})

var _ = Describe("the JSON report", func() {
	It("starts with the header every otnsim report has", func() {
		r := shard("1/2", 5)
		r.Tool, r.Started = "otnsim test", time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
		r.AddViolations(1, []report.Violation{{Invariant: "INV-WINDOW", Subscriber: 7, At: "2026-01-02T00:00:00Z", Detail: "x"}})
		raw, err := r.MarshalIndent()
		Expect(err).NotTo(HaveOccurred())
		Expect(schemacheck.Report(raw)).To(Succeed())
		var doc map[string]any
		Expect(json.Unmarshal(raw, &doc)).To(Succeed())
		Expect(doc).To(HaveKeyWithValue("schema", "otnsim-load"))
		Expect(doc).To(HaveKeyWithValue("version", BeEquivalentTo(report.FormatVersion)))
		Expect(doc).To(HaveKeyWithValue("tool", "otnsim test"))
		Expect(doc).To(HaveKeyWithValue("started_at", "2026-01-01T09:00:00Z"))
		Expect(doc).To(HaveKeyWithValue("elapsed_ms", BeEquivalentTo(5000)))
		Expect(doc).To(HaveKeyWithValue("summary", map[string]any{"subscribers": 5.0, "events": 10.0, "violations": 1.0, "findings": 2.0}))
		Expect(doc).NotTo(HaveKey("wall_seconds"))
		Expect(doc).NotTo(HaveKey("error"))
		Expect(string(raw)).To(MatchRegexp(`^\{\s*"schema": "otnsim-load",\s*"version": 2,\s*"tool": [^\n]+\s*"started_at": [^\n]+\s*"elapsed_ms": [^\n]+\s*"summary": \{`))
	})

	It("carries an error when the run had no counts, valid against the schema", func() {
		r := &report.Report{Version: report.FormatVersion, Engine: "external", Seed: 1, Population: 10, Days: 1,
			Error: &report.Error{Kind: "hung", Message: "bot under test: POST /otnsim/trigger got no answer", Output: "waiting\n"}}
		raw, err := r.MarshalIndent()
		Expect(err).NotTo(HaveOccurred())
		Expect(schemacheck.Report(raw)).To(Succeed(), string(raw))
		Expect(string(raw)).To(ContainSubstring(`"error": {`))
		Expect(string(raw)).To(ContainSubstring(`"kind": "hung"`))
		var out bytes.Buffer
		r.WriteSummary(&out)
		Expect(out.String()).To(HavePrefix("ERROR: no counts"))
	})

	It("reads version 1 reports, which had no header", func() {
		path := filepath.Join(GinkgoT().TempDir(), "v1.json")
		Expect(os.WriteFile(path, []byte(`{"version": 1, "engine": "in-process", "profile": "p", "seed": 1, "population": 10,
			"subscribers": 5, "days": 30, "shards": ["0/2"], "counters": {"events": 10}, "findings_by_rule": {},
			"violation_count": 0, "wall_seconds": 2.5, "shard_seconds": 2.5, "peak_memory_bytes": 1}`), 0o644)).To(Succeed())
		r, err := report.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(r.WallSeconds).To(Equal(2.5))
		Expect(r.Counters.Events).To(Equal(int64(10)))
		Expect(r.Shards).To(Equal([]string{"0/2"}))
	})

	It("refuses other reports and unknown versions", func() {
		dir := GinkgoT().TempDir()
		for name, src := range map[string]string{
			"check.json": `{"schema": "otnsim-check", "version": 2}`,
			"v3.json":    `{"schema": "otnsim-load", "version": 3}`,
			"v0.json":    `{"engine": "x"}`,
		} {
			path := filepath.Join(dir, name)
			Expect(os.WriteFile(path, []byte(src), 0o644)).To(Succeed())
			_, err := report.ReadFile(path)
			Expect(err).To(HaveOccurred(), name)
		}
	})
})

var _ = Describe("Merge and missing shards", func() {
	It("lists the shards of the split that no report covers", func() {
		m, err := report.Merge(shard("0/2", 4))
		Expect(err).NotTo(HaveOccurred())
		Expect(m.MissingShards).To(Equal([]string{"1/2"}))
		Expect(m.Complete()).To(BeFalse())
		var out bytes.Buffer
		m.WriteSummary(&out)
		Expect(out.String()).To(ContainSubstring("covers 4 of 10 subscribers; missing shards 1/2"))
		raw, err := m.MarshalIndent()
		Expect(err).NotTo(HaveOccurred())
		Expect(schemacheck.Report(raw)).To(Succeed())
		Expect(string(raw)).To(ContainSubstring(`"missing_shards": [`))

		m, err = report.Merge(shard("3/4", 2), shard("1/4", 3))
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Shards).To(Equal([]string{"1/4", "3/4"}))
		Expect(m.MissingShards).To(Equal([]string{"0/4", "2/4"}))
	})

	It("orders shards by index, not as strings", func() {
		var parts []*report.Report
		for _, s := range []string{"10/12", "2/12", "0/12", "1/12", "3/12", "4/12", "5/12", "6/12", "7/12", "8/12", "9/12", "11/12"} {
			p := shard(s, 0)
			parts = append(parts, p)
		}
		m, err := report.Merge(parts...)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Shards[2]).To(Equal("2/12"))
		Expect(m.MissingShards).To(BeEmpty())
	})

	It("refuses shards of different splits and a report that holds an error", func() {
		_, err := report.Merge(shard("0/2", 5), shard("1/4", 3))
		Expect(err).To(MatchError(report.ErrMismatch))
		bad := shard("1/2", 0)
		bad.Error = &report.Error{Kind: "crashed", Message: "bot under test: exited"}
		_, err = report.Merge(shard("0/2", 5), bad)
		Expect(err).To(MatchError(report.ErrNoVerdict))
		Expect(err.Error()).To(ContainSubstring("crashed"))
	})

	It("keeps the earliest start", func() {
		a, b := shard("0/2", 4), shard("1/2", 6)
		a.Started = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
		b.Started = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
		m, err := report.Merge(a, b)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Started).To(Equal(b.Started))
	})
})
