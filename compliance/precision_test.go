package compliance_test

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/compliance/testdata/bots/minibot"
	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/scenarios"
)

// zoo is every fault the faulty test bot knows (testdata/bots/faulty), with
// the mistake it makes and the rules that mistake breaks: the only rules
// otnsim check may fail it on.
var zoo = []struct {
	fault, mistake string
	intended       []string
}{
	// The faults that also have a command of their own.
	{"reuse-tokens", "keeps a token after spending it", []string{rules.TokenOnce}},
	{"promo-outside-window", "broadcasts to everyone, window or not", []string{rules.Win24h}},
	{"skip-signature", "accepts webhooks without checking the signature", []string{rules.HookSignature}},
	{"ask-outside-window", "sends OTN requests with the window closed", []string{rules.ReqWindow}},
	{"ignore-idle", "notifies subscribers who are still active", []string{rules.Idle}},

	{"in-window-spend", "spends the token even inside the window", []string{rules.InWindowKeep}},
	{"window-at-24h", "takes the window for open at exactly 24 hours and sends a normal message then", []string{rules.Win24h}},
	{"expiry-off-by-one", "takes a token for valid at exactly one year", []string{rules.TokenExpiry}},
	{"idle-4m59", "waits 4m59.999s of idleness instead of 5 minutes", []string{rules.Idle}},
	{"title-66", "allows request titles of 66 characters", []string{rules.ReqFormat}},
	{"send-after-551", "keeps messaging a subscriber after Meta answered 551", []string{rules.UserAvailable}},
	{"text-plus-image", "sends a notification as text plus an image, both with the token", []string{rules.Content}},
	{"topic-fallback", "spends a token of a topic equal but for case when none of the exact topic is held", []string{rules.TopicMatch}},
	{"no-dedupe", "processes a redelivered event again", []string{rules.HookReplay}},
	{"sha1-only", "checks only the legacy SHA-1 signature", []string{rules.HookSignature}},
	{"reserialised-hmac", "verifies the signature over the body serialised again, not the raw bytes", []string{rules.HookSignature}},
	{"prefix-signature", "compares the signature with strings.HasPrefix", []string{rules.HookSignature}},
	{"any-verify-token", "answers the handshake whatever the verify token", []string{rules.HookVerify}},
	{"no-daily-cap", "has no daily cap of 3 OTN requests, though it never asks a topic twice a day", []string{rules.ReqThrottle}},
	{"reask-same-topic", "re-asks a topic already asked whenever triggered, cap ignored", []string{rules.ReqSpam}},
	{"forget-region", "asks again in a thread where Meta refused OTN for the region", []string{rules.Region}},
	{"retry-permission", "retries a request refused for a permission other than the region's, right away", []string{rules.Feature}},
	{"latest-token-only", "keeps the tokens of the latest opt-in topic only", []string{rules.Multi}},
	{"no-reopen", "takes the window for closed after a token notification, whatever the subscriber writes", []string{rules.WinReopen}},
	{"no-messaging-type", "omits messaging_type on normal messages", []string{rules.SendFormat}},
	{"stale-access-token", "sends every call with a stale page access token", []string{rules.SendAuth}},
	{"burst-broadcast", "sends typing_on to the whole audience before each broadcast message", []string{rules.SendRate}},
	{"bad-tag", "sends a broadcast to closed windows with an invalid message tag", []string{rules.WinTag}},
	{"wrong-token", "sends a truncated token", []string{rules.TokenScope}},

	// Recurring notifications, OTN's successor.
	{"rn-ask-outside-window", "sends the notification_messages request with the window closed", []string{rules.RNReqWindow}},
	{"rn-any-title", "sends a notification_messages request whatever its title's length", []string{rules.RNReqFormat}},
	{"rn-reask-title", "asks a person for the same title again within the week", []string{rules.RNReqRepeat}},
	{"rn-cooldown-24h", "keeps the 24-hour cooldown per token after 2025-09-01", []string{rules.RNCooldown}},
	{"rn-ignore-stop", "notifies a person who stopped the notifications", []string{rules.RNStopped}},
	{"rn-keep-expired", "uses a token after its token_expiry_timestamp", []string{rules.RNTokenOK}},
	{"rn-after-deprecation", "keeps using recurring notifications after 2026-02-10", []string{rules.RNEra}},
}

// zooEntries is one table entry per fault of the zoo, and one for the
// careful minibot, which breaks no rule.
func zooEntries() []TableEntry {
	entries := []TableEntry{Entry("clean: the careful minibot fails nothing", "clean", []string(nil))}
	for _, z := range zoo {
		entries = append(entries, Entry(z.fault+": "+z.mistake, z.fault, z.intended))
	}
	return entries
}

// failing describes the rules rep fails, each with its first failing evidence.
func failing(rep *compliance.Report) string {
	var b strings.Builder
	for _, row := range rep.Rows {
		if row.Verdict != compliance.Fail {
			continue
		}
		for _, ev := range row.Evidence {
			if !ev.Passed {
				fmt.Fprintf(&b, "\n  %s by %s", row.Rule, ev.Name)
				if len(ev.Problems) > 0 {
					fmt.Fprintf(&b, ": %s", ev.Problems[0])
				}
				break
			}
		}
	}
	return b.String()
}

var _ = Describe("otnsim check judges the faulty-bot zoo precisely", func() {
	DescribeTable("each faulty bot fails exactly its intended rules",
		func(fault string, intended []string) {
			var rep *compliance.Report
			if fault == "clean" {
				rep = check("clean")
			} else {
				rep = checkCmd("faulty", fault)
			}
			Expect(verdicts(rep, compliance.Fail)).To(ConsistOf(intended), "%s fails:%s", fault, failing(rep))
			var contract []string
			for _, ev := range rep.Contract {
				contract = append(contract, ev.Scenario+": "+strings.Join(ev.Problems, "; "))
			}
			Expect(contract).To(BeEmpty(), "%s breaks no contract beside its rules", fault)
			for _, row := range rep.Rows {
				for _, ev := range row.Evidence {
					if !ev.Passed && ev.Scenario != "" {
						Expect(ev.Problems).NotTo(BeEmpty())
						if ev.Finding != nil {
							Expect(ev.Finding.Calls).NotTo(BeEmpty(), "a finding names the calls that prove it")
						}
					}
				}
			}
		},
		zooEntries(),
	)

	It("runs the faulty bot with one known fault only, and the table judges every fault it knows", func() {
		for _, args := range [][]string{nil, {"no-such-fault"}, {"reuse-tokens", "ignore-idle"}} {
			cmd := exec.Command(filepath.Join(botDir, "faulty"), args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			Expect(errors.As(err, &exit)).To(BeTrue(), "faulty %v: %v", args, err)
			Expect(exit.ExitCode()).To(Equal(2), "faulty %v", args)
			Expect(stderr.String()).To(ContainSubstring("usage: faulty FAULT"))
		}
		out, _ := exec.Command(filepath.Join(botDir, "faulty")).CombinedOutput()
		_, list, ok := strings.Cut(string(out), "faults: ")
		Expect(ok).To(BeTrue(), string(out))
		var judged []string
		for _, z := range zoo {
			judged = append(judged, z.fault)
		}
		judged = append(judged, "ignore-notify")     // judged below: it breaks no rule
		judged = append(judged, "send-after-answer") // judged in compliance_test.go: it breaks nothing
		Expect(strings.Split(strings.TrimSpace(list), ", ")).To(ConsistOf(judged))
	})

	It("reports a bot that breaks the trigger contract, and no rule, as contract failures naming the trigger and the step", func() {
		rep := checkCmd("faulty", "ignore-notify")
		Expect(verdicts(rep, compliance.Fail)).To(BeEmpty(), failing(rep))
		Expect(rep.Contract).NotTo(BeEmpty())
		Expect(rep.Failed()).To(BeTrue(), "a contract failure fails the check")
		for _, ev := range rep.Contract {
			Expect(ev.Trigger).To(HavePrefix("otn.notify at compliance/"), ev.Scenario)
			Expect(ev.Step).To(MatchRegexp(`^step \d+ \(expect\) at compliance/`))
			Expect(ev.Problems).NotTo(BeEmpty())
		}
		var text bytes.Buffer
		compliance.WriteText(&text, rep)
		Expect(text.String()).To(ContainSubstring("--- CONTRACT: the bot did not do what a trigger asks"))
		Expect(text.String()).To(ContainSubstring("after trigger otn.notify at compliance/"))
		Expect(text.String()).To(MatchRegexp(`FAIL: \d+ rules passed, 0 failed, \d+ contract failure\(s\)`))
	})
})

// runCharged plays the shipped suite as `otnsim run` does, against the
// minibot with faults f in this process, and returns the rules the
// scenarios' verdicts charge (at any severity) and their contract failures.
func runCharged(f minibot.Faults) (charged, contract []string) {
	suite, err := scenarios.LoadFS(scenarios.Shipped(), "compliance")
	Expect(err).NotTo(HaveOccurred())
	page := fakegraph.DefaultPage()
	ip, err := compliance.NewInProcess(mini(f, page), compliance.InProcessConfig{Page: page})
	Expect(err).NotTo(HaveOccurred())
	defer ip.Close()
	seen := map[string]bool{}
	for _, sc := range suite {
		res := scenarios.Run(sc, compliance.RunOptions(ip, 0))
		Expect(ip.Err()).NotTo(HaveOccurred())
		v := res.Verdict()
		for _, id := range v.Charged(rules.Info) {
			if !seen[id] {
				seen[id] = true
				charged = append(charged, id)
			}
		}
		for _, c := range v.Contract() {
			contract = append(contract, res.File+": "+c.Problem)
		}
	}
	return charged, contract
}

var _ = Describe("otnsim run judges the faulty-bot zoo precisely, in process", func() {
	It("charges each faulty bot with exactly its intended rules that scenarios judge", func() {
		named := minibot.Named()
		for _, z := range zoo {
			var want []string
			for _, id := range z.intended {
				// Security rules are the probes', which run does not send;
				// but a bot that refuses a correctly signed event of the
				// suite (one with non-ASCII text) shows HOOK-SIGNATURE broken.
				if r, _ := rules.Lookup(id); r.Kind != rules.Security || z.fault == "reserialised-hmac" {
					want = append(want, id)
				}
			}
			got, contract := runCharged(named[z.fault])
			Expect(got).To(ConsistOf(want), z.fault)
			Expect(contract).To(BeEmpty(), z.fault)
		}
		got, contract := runCharged(minibot.Faults{})
		Expect(got).To(BeEmpty())
		Expect(contract).To(BeEmpty())
	})
})
