package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/schemacheck"

	"github.com/otnsim/otnsim/load/report"
)

var _ = Describe("otnsim load against a bot outside the process", func() {
	It("plays the population against `otnsim bot`, judges it and reports its answer times", func() {
		js := filepath.Join(GinkgoT().TempDir(), "load.json")
		code, out, errOut := otnsim("load", "--bot-cmd", buildOtnsim()+" bot", "--subscribers", "400", "--days", "7",
			"--settle", "1ms", "--progress", "none", "--json", js)
		Expect(code).To(Equal(0), "%s\n%s", out, errOut)
		Expect(out).To(ContainSubstring("external engine"))
		Expect(out).To(ContainSubstring("bot answer "))
		Expect(schemacheck.File(js)).To(Succeed())
		src, err := os.ReadFile(js)
		Expect(err).NotTo(HaveOccurred())
		var rep report.Report
		Expect(json.Unmarshal(src, &rep)).To(Succeed())
		Expect(rep.Engine).To(Equal("external"))
		Expect(rep.Bot).To(HavePrefix("--bot-cmd "))
		Expect(rep.Counters.Messages).To(BeNumerically(">", 50))
		Expect(rep.Counters.OTNRequests).To(BeNumerically(">", 0), "out-of-stock asks reach the bot as otn.request triggers")
		Expect(rep.Counters.TokensIssued).To(BeNumerically(">", 0))
		Expect(rep.WebhookLatency).NotTo(BeNil())
		Expect(rep.WebhookLatency.Count).To(BeNumerically(">=", rep.Counters.Webhooks))
		Expect(rep.Latency).NotTo(BeNil())
	})

	It("exits 1 for a bot that reuses tokens, naming the rule and the command that replays a subscriber", func() {
		code, out, errOut := otnsim("load", "--bot-cmd", buildBot("reuse-tokens"), "--subscribers", "600", "--days", "30",
			"--settle", "1ms", "--progress", "none")
		Expect(code).To(Equal(1), "%s\n%s", out, errOut)
		Expect(out).To(HavePrefix("FAIL"))
		Expect(out).To(MatchRegexp(`OTN-TOKEN-ONCE \[failure\] \d+, first: subscriber \d+`))
		Expect(out).To(MatchRegexp(`replay: otnsim load --subscribers 600 --days 30 --seed 1 --bot-cmd \S+reuse-tokens --subscriber \d+`))
		Expect(out).NotTo(ContainSubstring("OTN-REGION ["), "a first refusal for the user's region is not the bot's mistake")
	})

	It("passes the Python example bot", func() {
		if _, err := exec.LookPath("python3"); err != nil {
			Skip("python3 is not installed")
		}
		code, out, errOut := otnsim("load", "--bot-cmd", "python3 ../../examples/python-bot/bot.py", "--subscribers", "300",
			"--days", "7", "--settle", "1ms", "--progress", "none")
		Expect(code).To(Equal(0), "%s\n%s", out, errOut)
		Expect(out).To(MatchRegexp(`opt-ins\s+[1-9]`))
	})

	DescribeTable("refuses what cannot run, with exit 2",
		func(msg string, args ...string) {
			code, _, errOut := otnsim(append([]string{"load", "--subscribers", "10", "--days", "1"}, args...)...)
			Expect(code).To(Equal(2))
			Expect(errOut).To(ContainSubstring(msg))
		},
		Entry("--http with a bot", "--http is for the reference bot", "--bot-cmd", "true", "--http"),
		Entry("several --bot-url processes", "--bot-procs", "--bot-url", "http://127.0.0.1:1", "--bot-procs", "2"),
		Entry("a bad --tick", "--tick", "--bot-cmd", "true", "--tick", "soon"),
		Entry("a bot that exits", "exit", "--bot-cmd", "exit 3"),
		Entry("a bad --fail-on", "--fail-on", "--fail-on", "sometimes"),
	)
})

var _ = Describe("otnsim load --fail-on", func() {
	It("fails the careless bot's run on its findings, naming the top rule with a replay command", func() {
		code, out, _ := otnsim("load", "--profile", "../../load/profiles/careless-bot.yaml", "--subscribers", "600", "--days", "30", "--progress", "none")
		Expect(code).To(Equal(1))
		Expect(out).To(MatchRegexp(`OTN-TOKEN-ONCE \[failure\] \d+, first: subscriber \d+`))
		Expect(out).To(ContainSubstring("replay: otnsim load --subscribers 600 --days 30 --seed 1 --profile ../../load/profiles/careless-bot.yaml --subscriber "))
	})

	It("prints warnings but passes them by default, and fails on them at --fail-on warning", func() {
		args := []string{"load", "--profile", "../../load/profiles/flash-sale.yaml", "--subscribers", "600", "--days", "7", "--progress", "none"}
		code, out, _ := otnsim(args...)
		Expect(code).To(Equal(0), out)
		Expect(out).To(ContainSubstring("findings     none"), "the reference bot waits 5 minutes")
		strict := append(args, "--idle-after", "30m")
		code, out, _ = otnsim(strict...)
		Expect(code).To(Equal(0), out)
		Expect(out).To(MatchRegexp(`findings     OTN-IDLE \d+`))
		code, out, _ = otnsim(append(strict, "--fail-on", "warning")...)
		Expect(code).To(Equal(1), out)
		Expect(out).To(MatchRegexp(`OTN-IDLE \[warning\] \d+, first: subscriber \d+ at .*: expected a notification only after 30m0s of idleness`))
		code, _, errOut := otnsim(append(args, "--idle-after", "soon")...)
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("idle-after"))
	})
})
