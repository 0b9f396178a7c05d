package samples_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/samples"
)

const doc = "# Title\n\n<!-- sample keep=1,/^b/+1,-1: printf 'one\\ntwo\\nbee\\ncat\\nfive\\nsix\\nlast\\n' -->\n```\nold\n```\n\ntext\n\n<!-- sample exit=3: echo failing; exit 3 -->\n```\n```\n"

var _ = Describe("samples", func() {
	r := samples.Runner{Dir: "."}

	It("finds each marked block with its options", func() {
		ss, err := samples.Parse(doc)
		Expect(err).NotTo(HaveOccurred())
		Expect(ss).To(HaveLen(2))
		Expect(ss[0].Line).To(Equal(3))
		Expect(ss[0].Keep).To(Equal("1,/^b/+1,-1"))
		Expect(ss[0].Body).To(Equal("old"))
		Expect(ss[1].Exit).To(Equal(3))
		Expect(ss[1].Body).To(BeEmpty())
	})

	It("regenerates every block from its command, eliding the gaps", func() {
		out, err := samples.Update(doc, r)
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(ContainSubstring("```\none\n...\nbee\ncat\n...\nlast\n```\n\ntext"))
		Expect(out).To(ContainSubstring("-->\n```\nfailing\n```\n"))
		stale, err := samples.Check(out, r)
		Expect(err).NotTo(HaveOccurred())
		Expect(stale).To(BeEmpty())
	})

	It("reports a stale block, and a command that ends with another status", func() {
		stale, err := samples.Check(doc, r)
		Expect(err).NotTo(HaveOccurred())
		Expect(stale).To(HaveLen(2))
		Expect(stale[0].Got).To(HavePrefix("one\n..."))
		_, err = samples.Check(strings.Replace(doc, "exit=3", "exit=0", 1), r)
		Expect(err).To(MatchError(ContainSubstring("exit status 3, want 0")))
	})

	DescribeTable("refuses a bad marker, naming its line",
		func(marker, want string) {
			_, err := samples.Parse("x\n" + marker + "\n```\n```\n")
			Expect(err).To(MatchError(ContainSubstring("line 2: ")))
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("no command", "<!-- sample -->", "a sample marker is"),
		Entry("an unknown option", "<!-- sample shell=bash: true -->", `unknown sample option "shell"`),
		Entry("a bad exit", "<!-- sample exit=x: true -->", "exit=x is not a number"),
		Entry("line zero", "<!-- sample keep=0: true -->", "lines are numbered from 1"),
		Entry("a bad pattern", "<!-- sample keep=/(/: true -->", "missing closing )"),
	)

	It("wants a fenced block right after the marker", func() {
		_, err := samples.Parse("<!-- sample: true -->\ntext\n")
		Expect(err).To(MatchError(ContainSubstring("must be followed by a fenced block")))
		_, err = samples.Parse("<!-- sample: true -->\n```\nnever closed\n")
		Expect(err).To(MatchError(ContainSubstring("not closed")))
	})

	It("ignores wall-clock durations, sizes and rates, not counts or virtual instants", func() {
		a := "ok: 160 passed in 902.18ms\n  speed 6.9 virtual days/s, 56142 events/s\n  wall time 4.33s, peak memory 96.7 MiB"
		b := "ok: 160 passed in 1.2s\n  speed 7.2 virtual days/s, 58378 events/s\n  wall time 4.16s, peak memory 105.8 MiB"
		Expect(samples.Normalize(a)).To(Equal(samples.Normalize(b)))
		Expect(samples.Normalize("ok: 160 passed")).NotTo(Equal(samples.Normalize("ok: 161 passed")))
		Expect(samples.Normalize("at 2026-01-07T09:00:00.000Z")).NotTo(Equal(samples.Normalize("at 2026-01-07T09:00:01.000Z")))
	})
})

// The README's samples are real runs: this is what keeps them from going
// stale (make docs rewrites them).
var _ = Describe("README.md", func() {
	It("shows, in every sample, what its command prints today", func() {
		root, err := filepath.Abs(filepath.Join("..", ".."))
		Expect(err).NotTo(HaveOccurred())
		bin := GinkgoT().TempDir()
		Expect(samples.BuildTools(root, bin, "docs")).To(Succeed())
		raw, err := os.ReadFile(filepath.Join(root, "README.md"))
		Expect(err).NotTo(HaveOccurred())
		ss, err := samples.Parse(string(raw))
		Expect(err).NotTo(HaveOccurred())
		Expect(len(ss)).To(BeNumerically(">=", 6), "README.md marks its sample outputs")
		stale, err := samples.Check(string(raw), samples.Runner{Dir: root, Path: []string{bin}})
		Expect(err).NotTo(HaveOccurred())
		for _, s := range stale {
			AddReportEntry("stale", s.Command+"\n"+s.Got)
		}
		Expect(stale).To(BeEmpty(), "README.md has stale samples: run make docs")
	})
})
