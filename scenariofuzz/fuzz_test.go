package scenariofuzz_test

import (
	"fmt"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/compliance/testdata/bots/minibot"
	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/scenariofuzz"
	"github.com/otnsim/otnsim/scenarios"
	"github.com/otnsim/otnsim/shrink"
)

// miniRunner plays each scenario against a fresh minibot with faults f, in
// this process: a minimal scenario must fail on a bot that remembers
// nothing of the scenarios before it.
func miniRunner(f minibot.Faults) shrink.Runner {
	page := fakegraph.DefaultPage()
	return func(sc *scenarios.Scenario) scenarios.Result {
		bot := minibot.New(f, minibot.Config{GraphURL: fakegraph.DefaultGraphURL, AccessToken: page.AccessToken,
			AppSecret: page.AppSecret, VerifyToken: page.VerifyToken, Logf: func(string, ...any) {}})
		ip, err := compliance.NewInProcess(bot, compliance.InProcessConfig{Page: page})
		Expect(err).NotTo(HaveOccurred())
		defer ip.Close()
		return scenarios.Run(sc, compliance.RunOptions(ip, 0))
	}
}

// zoo is every fault of the faulty test bot (compliance/testdata/bots)
// a scenario can show, with its intended rule. The ones left out, and why:
var unreachable = map[string]string{
	"skip-signature":    "HOOK-SIGNATURE is judged by the security probes (forged signatures), which no scenario sends",
	"sha1-only":         "HOOK-SIGNATURE: the probes' job, as above",
	"reserialised-hmac": "HOOK-SIGNATURE: the probes' job, as above",
	"prefix-signature":  "HOOK-SIGNATURE: the probes' job, as above",
	"any-verify-token":  "HOOK-VERIFY is the verification handshake, a probe",
	"no-dedupe":         "HOOK-REPLAY is a security rule the probes judge",
	"burst-broadcast":   "SEND-RATE needs a broadcast to more than 20 subscribers; the fuzzer plays at most 3",
	"latest-token-only": "OTN-MULTI is an omission (a token never spent): no finding shows it, only an expectation of what should have been delivered",
	"no-reopen":         "WIN-REOPEN is an omission (a broadcast never sent), as above",
	"ignore-notify":     "breaks no rule, only the trigger contract",
	"send-after-answer": "breaks no rule; it acts after real-time delays",
}

var zoo = []struct {
	fault string
	rule  string
	quick bool // in every test run; the others with OTNSIM_FUZZ_ZOO=1
}{
	{"reuse-tokens", rules.TokenOnce, true},
	{"promo-outside-window", rules.Win24h, false},
	{"ask-outside-window", rules.ReqWindow, false},
	{"ignore-idle", rules.Idle, false},
	{"in-window-spend", rules.InWindowKeep, false},
	{"window-at-24h", rules.Win24h, true},
	{"expiry-off-by-one", rules.TokenExpiry, true},
	{"idle-4m59", rules.Idle, true},
	{"title-66", rules.ReqFormat, false},
	{"send-after-551", rules.UserAvailable, false},
	{"text-plus-image", rules.Content, false},
	{"topic-fallback", rules.TopicMatch, false},
	{"no-daily-cap", rules.ReqThrottle, false},
	{"reask-same-topic", rules.ReqSpam, false},
	{"forget-region", rules.Region, false},
	{"retry-permission", rules.Feature, false},
	{"no-messaging-type", rules.SendFormat, false},
	{"stale-access-token", rules.SendAuth, false},
	{"bad-tag", rules.WinTag, false},
	{"wrong-token", rules.TokenScope, false},
	{"rn-ask-outside-window", rules.RNReqWindow, false},
	{"rn-any-title", rules.RNReqFormat, false},
	{"rn-reask-title", rules.RNReqRepeat, false},
	{"rn-cooldown-24h", rules.RNCooldown, false},
	{"rn-ignore-stop", rules.RNStopped, false},
	{"rn-keep-expired", rules.RNTokenOK, false},
	{"rn-after-deprecation", rules.RNEra, false},
}

// budget is each fault's fuzzing time: generous, for a loaded machine
// under the race detector; the faults are found in well under a second
// without it.
const budget = 90 * time.Second

var _ = Describe("otnsim fuzz against the faulty-bot zoo", func() {
	It("knows every fault of the zoo: fuzzed, or left out with a reason", func() {
		named := minibot.Named()
		for _, z := range zoo {
			Expect(named).To(HaveKey(z.fault))
			Expect(unreachable).NotTo(HaveKey(z.fault))
		}
		Expect(len(zoo) + len(unreachable)).To(Equal(len(named)))
	})

	all := os.Getenv("OTNSIM_FUZZ_ZOO") != ""
	for _, z := range zoo {
		if !z.quick && !all {
			continue
		}
		It(fmt.Sprintf("finds %s and writes a minimal scenario that fails for %s", z.fault, z.rule), func() {
			run := miniRunner(minibot.Named()[z.fault])
			sev, _ := rules.Lookup(z.rule)
			o := scenariofuzz.Options{Seed: 1, For: budget, FailOn: sev.Severity}
			o.Rule = z.rule // as with otnsim fuzz --rule: what a bot may break besides is not this fault's
			out, err := scenariofuzz.Fuzz(run, o)
			Expect(err).NotTo(HaveOccurred())
			Expect(out.Failure).NotTo(BeNil(), "%s not found in %d scenarios", z.fault, out.Played)
			f := out.Failure
			Expect(f.Rule).To(Equal(z.rule))
			Expect(len(f.Minimal.Steps)).To(BeNumerically("<=", 8), "a handful of steps")
			Expect(len(f.Minimal.Steps)).To(BeNumerically("<=", len(f.Original.Steps)))
			src, err := scenarios.Format(f.Minimal)
			Expect(err).NotTo(HaveOccurred())
			back, err := scenarios.Parse("minimal.yaml", src)
			Expect(err).NotTo(HaveOccurred(), string(src))
			Expect(shrink.Fails(run(back), z.rule)).To(BeTrue(), "the written file fails for %s:\n%s", z.rule, src)
			Expect(shrink.Fails(miniRunner(minibot.Faults{})(back), z.rule)).To(BeFalse(), "the careful minibot passes it:\n%s", src)
			Expect(back.Tags).To(ContainElement(z.rule))
		})
	}

	It("lets the careful minibot and the reference bot survive", func() {
		for name, run := range map[string]shrink.Runner{"minibot": miniRunner(minibot.Faults{}), "reference": shrink.Reference(0)} {
			out, err := scenariofuzz.Fuzz(run, scenariofuzz.Options{Seed: 1, Max: 300, For: budget})
			Expect(err).NotTo(HaveOccurred())
			if out.Failure != nil {
				src, _ := scenarios.Format(out.Failure.Minimal)
				Fail(fmt.Sprintf("%s fails %s:\n%s", name, out.Failure.Rule, src))
			}
			Expect(out.Played).To(Equal(300), name)
		}
	})
})

var _ = Describe("Generate", func() {
	It("makes the same scenario of the same seed, and valid files", func() {
		for i := range 300 {
			seed := scenariofuzz.ScenarioSeed(7, i)
			a, err := scenarios.Format(scenariofuzz.Generate(seed, scenariofuzz.GenOptions{}))
			Expect(err).NotTo(HaveOccurred())
			b, _ := scenarios.Format(scenariofuzz.Generate(seed, scenariofuzz.GenOptions{}))
			Expect(string(a)).To(Equal(string(b)))
			sc, err := scenarios.Parse("gen.yaml", a)
			Expect(err).NotTo(HaveOccurred(), string(a))
			Expect(len(sc.Subscribers)).To(BeNumerically("<=", 3))
			Expect(sc.Steps).NotTo(BeEmpty())
		}
		a, _ := scenarios.Format(scenariofuzz.Generate(1, scenariofuzz.GenOptions{}))
		b, _ := scenarios.Format(scenariofuzz.Generate(2, scenariofuzz.GenOptions{}))
		Expect(string(a)).NotTo(Equal(string(b)))
	})

	It("plays the same scenarios and finds the same failure under the same seed", func() {
		run := miniRunner(minibot.Named()["bad-tag"])
		o := scenariofuzz.Options{Seed: 3, For: budget}
		a, err := scenariofuzz.Fuzz(run, o)
		Expect(err).NotTo(HaveOccurred())
		Expect(a.Failure).NotTo(BeNil())
		b, err := scenariofuzz.Fuzz(run, o)
		Expect(err).NotTo(HaveOccurred())
		Expect(b.Failure.Index).To(Equal(a.Failure.Index))
		sa, _ := scenarios.Format(a.Failure.Minimal)
		sb, _ := scenarios.Format(b.Failure.Minimal)
		Expect(string(sb)).To(Equal(string(sa)))
	})
})
