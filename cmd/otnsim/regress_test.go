package main

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const carelessProfile = "../../load/profiles/careless-bot.yaml"

// stepCount counts a scenario file's steps as Format writes them.
func stepCount(path string) int {
	src, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	_, steps, ok := strings.Cut(string(src), "\nsteps:\n")
	Expect(ok).To(BeTrue(), string(src))
	n := 0
	for _, l := range strings.Split(steps, "\n") {
		if strings.HasPrefix(l, "  - ") {
			n++
		}
	}
	return n
}

var _ = Describe("otnsim load --extract, extract and shrink", func() {
	It("writes each finding's subscriber as a failing scenario, shrunk with --shrink", func() {
		dir := filepath.Join(GinkgoT().TempDir(), "out")
		code, stdout, stderr := otnsim("load", "--profile", carelessProfile, "--subscribers", "500", "--extract", dir, "--shrink", "--progress", "none")
		Expect(code).To(Equal(1), stderr)
		Expect(stdout).To(ContainSubstring("extract: 1 scenario(s) in " + dir))
		Expect(stdout).To(MatchRegexp(`otn-token-once-subscriber-\d+\.yaml  OTN-TOKEN-ONCE, subscriber \d+, \d+ steps, shrunk to \d+ \(\d+ tried, \d+ kept\)`))
		files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(files).To(HaveLen(1))
		Expect(otnsimCode("validate", dir)).To(Equal(0))
		code, stdout, _ = otnsim("run", files[0])
		Expect(code).To(Equal(1))
		Expect(stdout).To(ContainSubstring("charged to: OTN-TOKEN-ONCE"))
		Expect(stepCount(files[0])).To(BeNumerically("<=", 8))
	})

	It("replays each subscriber against a fresh process of your bot, and shrinks against it", func() {
		bot := buildBot("faulty")
		dir := filepath.Join(GinkgoT().TempDir(), "out")
		code, stdout, stderr := otnsim("load", "--subscribers", "1000", "--bot-cmd", bot+" reuse-tokens", "--settle", "0",
			"--extract", dir, "--shrink", "--progress", "none")
		Expect(code).To(Equal(1), stderr)
		Expect(stdout).To(MatchRegexp(`otn-token-once-subscriber-5\.yaml  OTN-TOKEN-ONCE, subscriber 5, \d+ steps, shrunk to \d+`))
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		Expect(files).To(HaveLen(1))
		Expect(stepCount(files[0])).To(BeNumerically("<=", 10))
		code, _, _ = otnsim("run", files[0], "--bot-cmd", bot+" reuse-tokens", "--settle", "0")
		Expect(code).To(Equal(1), "it fails against the bot it came from")
		code, _, stderr = otnsim("run", files[0], "--bot-cmd", bot+" ignore-notify", "--settle", "0")
		Expect(code).To(Equal(0), "and passes against one that never reuses a token: %s", stderr)
	})

	It("extracts one subscriber of a report, and shrinks the file", func() {
		dir := GinkgoT().TempDir()
		js := filepath.Join(dir, "run.json")
		Expect(otnsimCode("load", "--profile", carelessProfile, "--subscribers", "500", "--json", js, "--progress", "none")).To(Equal(1))
		full := filepath.Join(dir, "full.yaml")
		code, stdout, stderr := otnsim("extract", js, "--subscriber", "5", "--out", full)
		Expect(code).To(Equal(0), stderr)
		Expect(stdout).To(ContainSubstring("wrote " + full))
		Expect(stderr).To(MatchRegexp(`subscriber 5 breaks OTN-TOKEN-ONCE: \d+ steps`))
		small := filepath.Join(dir, "small.yaml")
		code, _, stderr = otnsim("shrink", full, "--out", small)
		Expect(code).To(Equal(0), stderr)
		Expect(stderr).To(MatchRegexp(`shrunk for OTN-TOKEN-ONCE: \d+ steps to \d+, 1 subscribers to 1; \d+ candidates tried, \d+ kept`))
		Expect(stepCount(small)).To(BeNumerically("<", stepCount(full)))
		Expect(otnsimCode("run", small)).To(Equal(1))

		code, _, stderr = otnsim("extract", js, "--subscriber", "5", "--rule", "WIN-24H")
		Expect(code).To(Equal(1))
		Expect(stderr).To(ContainSubstring("breaks no rule"))
		code, _, _ = otnsim("extract", js)
		Expect(code).To(Equal(2))
		code, _, stderr = otnsim("extract", js, "--subscriber", "500")
		Expect(code).To(Equal(2))
		Expect(stderr).To(ContainSubstring("the run had 500 subscribers"))
	})

	It("will not shrink a scenario that passes", func() {
		code, _, stderr := otnsim("shrink", "../../scenarios/optin/restock-story.yaml")
		Expect(code).To(Equal(1))
		Expect(stderr).To(ContainSubstring("does not fail for the rule"))
		code, _, _ = otnsim("shrink")
		Expect(code).To(Equal(2))
		code, _, _ = otnsim("shrink", "../../scenarios/recurring/cooldown-caught.yaml")
		Expect(code).To(Equal(2), "a table of cases")
	})
})

var _ = Describe("otnsim fuzz", func() {
	It("plays random scenarios against the reference bot and finds nothing", func() {
		code, stdout, stderr := otnsim("fuzz", "--max", "200", "--seed", "5")
		Expect(code).To(Equal(0), stderr)
		Expect(stdout).To(MatchRegexp(`^ok: 200 random scenarios \(seed 5\) in .* \(\d+ scenarios/s\): none failed`))
	})

	It("finds a faulty bot's fault through --bot-cmd, writes the minimal scenario, and shrink replays it against the bot", func() {
		bot := buildBot("faulty")
		dir := GinkgoT().TempDir()
		cmd := bot + " stale-access-token"
		code, stdout, stderr := otnsim("fuzz", "--bot-cmd", cmd, "--settle", "0", "--for", "60s", "--out", dir)
		Expect(code).To(Equal(1), stderr)
		Expect(stdout).To(MatchRegexp(`FAIL: random scenario #\d+ of seed 1 \(scenario seed 0x[0-9a-f]+\) fails for SEND-AUTH`))
		files, _ := filepath.Glob(filepath.Join(dir, "fuzz-send-auth-seed-1-*.yaml"))
		Expect(files).To(HaveLen(1))
		Expect(stepCount(files[0])).To(BeNumerically("<=", 8))
		code, _, stderr = otnsim("shrink", files[0], "--bot-cmd", cmd, "--settle", "0", "--out", filepath.Join(dir, "again.yaml"))
		Expect(code).To(Equal(0), stderr)
		Expect(stderr).To(ContainSubstring("shrunk for SEND-AUTH"))
	})

	It("refuses bad flags with exit 2", func() {
		for _, args := range [][]string{{"fuzz", "--subscribers", "9"}, {"fuzz", "--rule", "NO-SUCH"}, {"fuzz", "extra"}, {"fuzz", "--fail-on", "loud"}} {
			code, _, _ := otnsim(args...)
			Expect(code).To(Equal(2), "%v", args)
		}
	})
})
