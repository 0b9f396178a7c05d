package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/schemacheck"

	"github.com/otnsim/otnsim/load"
	"github.com/otnsim/otnsim/load/report"
)

var _ = Describe("otnsim load", func() {
	It("runs a population, prints the summary and writes JSON", func() {
		out := filepath.Join(GinkgoT().TempDir(), "r.json")
		code, stdout, _ := otnsim("load", "--subscribers", "500", "--days", "10", "--seed", "3", "--json", out, "--progress", "none")
		Expect(code).To(Equal(0))
		Expect(stdout).To(ContainSubstring("ok: 500 subscribers, 10 virtual days, seed 3"))
		Expect(stdout).To(MatchRegexp(`tokens       issued \d+, spent \d+, expired \d+, refused \d+`))
		Expect(stdout).To(ContainSubstring("virtual days/s"))
		Expect(stdout).To(ContainSubstring("peak memory"))
		Expect(schemacheck.File(out)).To(Succeed())
		r, err := report.ReadFile(out)
		Expect(err).NotTo(HaveOccurred())
		Expect(r.Subscribers).To(Equal(500))
		Expect(r.Tool).To(Equal("otnsim " + version))
		Expect(r.Started.IsZero()).To(BeFalse())
	})

	It("merges four shard reports into the unsharded run's counters", func() {
		dir := GinkgoT().TempDir()
		whole := filepath.Join(dir, "whole.json")
		Expect(otnsimCode("load", "--subscribers", "2000", "--seed", "9", "--json", whole, "--progress", "none")).To(Equal(0))
		args := []string{"report", "merge", "--json", filepath.Join(dir, "merged.json")}
		for i := range 4 {
			f := filepath.Join(dir, "shard-"+string(rune('0'+i))+".json")
			Expect(otnsimCode("load", "--subscribers", "2000", "--seed", "9", "--shard", string(rune('0'+i))+"/4", "--json", f, "--progress", "none")).To(Equal(0))
			Expect(schemacheck.File(f)).To(Succeed())
			args = append(args, f)
		}
		code, stdout, stderr := otnsim(args...)
		Expect(code).To(Equal(0), stderr)
		Expect(stdout).To(ContainSubstring("shards 0/4, 1/4, 2/4, 3/4"))
		Expect(schemacheck.File(whole)).To(Succeed())
		Expect(schemacheck.File(filepath.Join(dir, "merged.json"))).To(Succeed())
		a, err := report.ReadFile(whole)
		Expect(err).NotTo(HaveOccurred())
		m, err := report.ReadFile(filepath.Join(dir, "merged.json"))
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Counters).To(Equal(a.Counters))
		Expect(m.Findings).To(Equal(a.Findings))
	})

	It("replays one subscriber with their timeline", func() {
		code, stdout, _ := otnsim("load", "--subscribers", "100", "--subscriber", "1", "--progress", "none")
		Expect(code).To(Equal(0))
		Expect(stdout).To(ContainSubstring("window closes"))
		Expect(stdout).To(ContainSubstring("ok: 1 subscribers"))
	})

	It("exits 1 when a merged report holds a violation", func() {
		f := filepath.Join(GinkgoT().TempDir(), "bad.json")
		r := &report.Report{Version: report.FormatVersion, Population: 1, Subscribers: 1, Days: 1, Findings: map[string]int64{}}
		r.AddViolations(1, []report.Violation{{Invariant: load.InvTokenOnce, Subscriber: 0, PSID: "7", At: "x", Detail: "spent twice", Replay: "otnsim load --subscriber 0"}})
		Expect(r.WriteFile(f)).To(Succeed())
		code, stdout, _ := otnsim("report", "merge", f)
		Expect(code).To(Equal(1))
		Expect(stdout).To(ContainSubstring("INV-TOKEN-ONCE: subscriber #0"))
		Expect(stdout).To(ContainSubstring("replay: otnsim load --subscriber 0"))
	})

	DescribeTable("usage and input errors exit 2",
		func(want string, args ...string) {
			code, _, stderr := otnsim(args...)
			Expect(code).To(Equal(2))
			Expect(stderr).To(ContainSubstring(want))
		},
		Entry("a bad shard", "want i/N", "load", "--shard", "4/4"),
		Entry("a missing profile", "read profile", "load", "--profile", "no/such.yaml"),
		Entry("no subscribers", "subscribers 0", "load", "--subscribers", "0"),
		Entry("an unknown flag", "unknown flag --bogus", "load", "--bogus"),
		Entry("a bad progress mode", "--progress", "load", "--progress", "loud"),
		Entry("report without subcommand", "want a subcommand: merge, show or html", "report"),
		Entry("merge of a missing file", "read report", "report", "merge", "nope.json"),
	)

	It("documents load and report with examples", func() {
		code, stdout, _ := otnsim("load", "--help")
		Expect(code).To(Equal(0))
		Expect(stdout).To(ContainSubstring("Examples:"))
		code, stdout, _ = otnsim("report", "--help")
		Expect(code).To(Equal(0))
		Expect(stdout).To(ContainSubstring("otnsim report merge shard-*.json"))
	})
})

var _ = Describe("progress", func() {
	It("prints plain lines at most every few seconds, and the last one always", func() {
		var buf bytes.Buffer
		p := newProgressPrinter(&buf, progressLines)
		now := p.began
		p.now = func() time.Time { return now }
		p.update(load.Progress{Done: 10, Total: 100})
		Expect(buf.String()).To(BeEmpty())
		now = now.Add(6 * time.Second)
		p.update(load.Progress{Done: 50, Total: 100, Events: 7})
		p.update(load.Progress{Done: 100, Total: 100})
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		Expect(lines).To(HaveLen(2))
		Expect(lines[0]).To(HavePrefix("progress  50.0%  50/100 subscribers, 7 events"))
	})

	It("redraws a bar on a terminal", func() {
		var buf bytes.Buffer
		p := newProgressPrinter(&buf, progressBar)
		p.update(load.Progress{Done: 100, Total: 100})
		p.finish()
		Expect(buf.String()).To(HavePrefix("\r[##############################] 100.0%"))
		Expect(buf.String()).To(HaveSuffix("\n"))
	})
})

func otnsimCode(args ...string) int {
	code, _, _ := otnsim(args...)
	return code
}
