package compliance_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/external"
	"github.com/otnsim/otnsim/internal/schemacheck"
	"github.com/otnsim/otnsim/internal/xsdcheck"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/scenarios"
)

// check runs the shipped compliance suite against a test bot.
func check(bot string) *compliance.Report { return checkCmd(bot) }

// checkCmd runs the shipped compliance suite against the test bot named
// bot, started with args; the report names the bot by both.
func checkCmd(bot string, args ...string) *compliance.Report {
	suite, err := scenarios.LoadFS(scenarios.Shipped(), "compliance")
	Expect(err).NotTo(HaveOccurred())
	command := shellQuote(filepath.Join(botDir, bot))
	for _, a := range args {
		command += " " + shellQuote(a)
	}
	// The test bots make their Send API calls before answering, so no quiet
	// period is needed: settling waits only for calls in flight.
	h, err := external.Start(external.Config{Command: command, Settle: -1})
	Expect(err).NotTo(HaveOccurred())
	defer h.Stop()
	rep, err := compliance.Check(h, strings.Join(append([]string{bot}, args...), " "), suite, 0)
	Expect(err).NotTo(HaveOccurred(), "bot output:\n%s", h.Output())
	return rep
}

// shellQuote quotes s for /bin/sh, which external.Config.Command runs.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func verdicts(rep *compliance.Report, v compliance.Verdict) []string {
	var out []string
	for _, row := range rep.Rows {
		if row.Verdict == v {
			out = append(out, row.Rule)
		}
	}
	return out
}

// junitXSD is the JUnit schema every JUnit report otnsim writes must satisfy.
func junitXSD() xsdcheck.Schema {
	src, err := os.ReadFile("../scenarios/testdata/junit.xsd")
	Expect(err).NotTo(HaveOccurred())
	xsd, err := xsdcheck.Compile(src)
	Expect(err).NotTo(HaveOccurred())
	return xsd
}

var _ = Describe("otnsim check against the test bots", func() {
	It("passes a compliant bot on every exercised rule, with one row per rule of the catalogue", func() {
		rep := check("clean")
		Expect(rep.Rows).To(HaveLen(len(rules.All())))
		Expect(verdicts(rep, compliance.Fail)).To(BeEmpty())
		Expect(verdicts(rep, compliance.NotExercised)).To(BeEmpty(), "the suite exercises every rule of the catalogue")
		Expect(rep.Failed()).To(BeFalse())
		for _, row := range rep.Rows {
			if row.Verdict == compliance.Pass {
				Expect(row.Evidence).NotTo(BeEmpty(), row.Rule)
			}
		}
	})

	DescribeTable("catches each faulty bot by the expected rules and no others",
		func(bot string, want ...string) {
			rep := check(bot)
			Expect(verdicts(rep, compliance.Fail)).To(ConsistOf(want))
			Expect(rep.Failing(rules.Info)).To(ConsistOf(want))
			for _, row := range rep.Rows {
				if row.Verdict != compliance.Fail {
					continue
				}
				var failing []compliance.Evidence
				for _, ev := range row.Evidence {
					if !ev.Passed {
						failing = append(failing, ev)
					}
				}
				Expect(failing).NotTo(BeEmpty())
				Expect(failing[0].Problems).NotTo(BeEmpty())
			}
		},
		Entry("a bot that reuses spent tokens", "reuse-tokens", rules.TokenOnce),
		Entry("a bot that sends promotions outside the window", "promo-outside-window", rules.Win24h),
		Entry("a bot that skips signature checks", "skip-signature", rules.HookSignature),
		Entry("a bot that asks for OTN outside the window", "ask-outside-window", rules.ReqWindow),
		Entry("a bot that interrupts subscribers who are not idle yet", "ignore-idle", rules.Idle),
	)

	It("shows the finding's evidence and the subscriber's timeline, and passes a warning unless --fail-on asks", func() {
		rep := check("ignore-idle")
		var row compliance.Row
		for _, r := range rep.Rows {
			if r.Rule == rules.Idle {
				row = r
			}
		}
		Expect(row.Verdict).To(Equal(compliance.Fail))
		ev := row.Evidence[0]
		Expect(ev.Passed).To(BeFalse())
		Expect(ev.Scenario).To(Equal("compliance/idle-guard.yaml"))
		Expect(ev.Finding).NotTo(BeNil())
		Expect(ev.Finding.Calls).NotTo(BeEmpty())
		Expect(ev.Finding.Events).NotTo(BeEmpty(), "the subscriber's last action is cited")
		Expect(ev.Step).To(MatchRegexp(`^at 2026-01-05T09:04:59\.999Z \(call #\d+, event #\d+`))
		Expect(ev.Problems[0]).To(ContainSubstring("expected a notification only after 5m0s of idleness; observed call #"))
		Expect(ev.Problems[0]).To(ContainSubstring("4m59.999s after their last action"))
		Expect(ev.Who).To(Equal("ana"))
		Expect(ev.Timeline).To(ContainElement(MatchRegexp(`call #\d+  send message to id UPDATE \(window open\) -> ok`)))
		Expect(ev.Timeline).To(ContainElement(ContainSubstring("finding OTN-IDLE [warning]")))

		Expect(rep.Failed()).To(BeFalse(), "a warning passes at the default --fail-on failure")
		var text bytes.Buffer
		compliance.WriteText(&text, rep)
		Expect(text.String()).To(ContainSubstring("WARN           OTN-IDLE"))
		Expect(text.String()).To(ContainSubstring("timeline of ana:"))
		Expect(text.String()).To(ContainSubstring(fmt.Sprintf("ok: %d rules passed, 1 failed, 0 not exercised", len(rules.All())-1)))

		rep.FailOn = string(rules.Warning)
		Expect(rep.Failed()).To(BeTrue())
		text.Reset()
		compliance.WriteText(&text, rep)
		Expect(text.String()).To(ContainSubstring("FAIL: %d rules passed", len(rules.All())-1))
	})

	It("names the security probe that caught a bot, with its answer", func() {
		rep := check("skip-signature")
		var failed []string
		for _, p := range rep.Probes {
			if p.Verdict == "fail" {
				failed = append(failed, p.Name)
			}
		}
		Expect(failed).To(ConsistOf("unsigned", "wrong-secret", "other-bytes", "sha1-only", "empty-digest", "short-digest"))
	})

	It("writes JSON and JUnit reports CI systems read", func() {
		rep := check("reuse-tokens")
		var js bytes.Buffer
		Expect(compliance.WriteJSON(&js, rep)).To(Succeed())
		var back map[string]any
		Expect(json.Unmarshal(js.Bytes(), &back)).To(Succeed())
		Expect(schemacheck.Report(js.Bytes())).To(Succeed())
		Expect(back).To(HaveKeyWithValue("schema", "otnsim-check"))
		Expect(back).To(HaveKeyWithValue("version", BeEquivalentTo(compliance.SchemaVersion)))
		Expect(back).NotTo(HaveKey("schema_version"))
		Expect(back).NotTo(HaveKey("error"))
		Expect(back["summary"]).To(Equal(map[string]any{"rules": float64(len(rules.All())), "passed": float64(len(rules.All()) - 1),
			"failed": 1.0, "not_exercised": 0.0, "contract": 0.0, "failing": 1.0}))
		Expect(js.String()).To(MatchRegexp(`^\{\s*"schema": "otnsim-check",\s*"version": 2,\s*"tool": [^\n]+\s*"started_at": "2\d{3}-[^\n]+\s*"elapsed_ms": [^\n]+\s*"summary": \{`))
		Expect(back["rules"]).To(HaveLen(len(rules.All())))
		Expect(back["contract"]).To(BeEmpty())
		Expect(js.String()).To(MatchRegexp(`"calls": \[\s*\d+`), "a failure's finding names its calls")
		Expect(js.String()).To(ContainSubstring(`"expected": "no call Meta refuses under this rule`))

		var ju bytes.Buffer
		Expect(compliance.WriteJUnit(&ju, rep)).To(Succeed())
		Expect(junitXSD().Validate(ju.Bytes())).To(BeEmpty())
		Expect(ju.String()).To(MatchRegexp(`at 2026-\S+ \(call #\d+`), "the failure text carries the evidence's sequence numbers")
		Expect(ju.String()).To(ContainSubstring("timeline of ana:"))
		var doc struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Skipped  int `xml:"skipped,attr"`
			Suites   []struct {
				Cases []struct {
					Name    string    `xml:"name,attr"`
					Failure *struct{} `xml:"failure"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		Expect(xml.Unmarshal(ju.Bytes(), &doc)).To(Succeed())
		Expect(doc.Tests).To(Equal(len(rules.All())))
		Expect(doc.Failures).To(Equal(1))
		Expect(doc.Skipped).To(BeZero())
		Expect(doc.Suites[0].Cases).To(HaveLen(len(rules.All())))
	})

	It("writes JUnit that validates against the XSD for every verdict, not exercised included", func() {
		rep := &compliance.Report{SchemaVersion: compliance.SchemaVersion, Bot: "hand-made", Rows: []compliance.Row{
			{Rule: rules.TokenOnce, Verdict: compliance.Pass, Evidence: []compliance.Evidence{{Name: "a", Passed: true}}},
			{Rule: rules.Idle, Verdict: compliance.Fail, Evidence: []compliance.Evidence{{Name: "b", Step: "step 2", Problems: []string{"count: expected 0, got 1 <&>"}, Who: "ana", Timeline: []string{"t  x"}}}},
			{Rule: rules.Region, Verdict: compliance.NotExercised, Note: "no scenario is tagged with it"},
		}}
		var ju bytes.Buffer
		Expect(compliance.WriteJUnit(&ju, rep)).To(Succeed())
		Expect(junitXSD().Validate(ju.Bytes())).To(BeEmpty(), ju.String())
		Expect(ju.String()).To(ContainSubstring("<skipped"))
		Expect(ju.String()).To(ContainSubstring("<failure"))
	})

	It("writes a report without a verdict, with the error as JSON's error and JUnit's <error>", func() {
		rep := &compliance.Report{SchemaVersion: compliance.SchemaVersion, Bot: "--bot-cmd ./hangs", Scenarios: 22,
			Error: &compliance.ReportError{Kind: external.Hung, Message: "bot under test: POST /otnsim/trigger got no answer <&>", Output: "listening\n"}}
		var js bytes.Buffer
		Expect(compliance.WriteJSON(&js, rep)).To(Succeed())
		Expect(schemacheck.Report(js.Bytes())).To(Succeed(), js.String())
		var back struct {
			FailOn string                 `json:"fail_on"`
			Rules  []any                  `json:"rules"`
			Error  compliance.ReportError `json:"error"`
		}
		Expect(json.Unmarshal(js.Bytes(), &back)).To(Succeed())
		Expect(back.Error).To(Equal(*rep.Error))
		Expect(back.Rules).NotTo(BeNil())
		Expect(back.Rules).To(BeEmpty())
		Expect(back.FailOn).To(Equal("failure"))

		var ju bytes.Buffer
		Expect(compliance.WriteJUnit(&ju, rep)).To(Succeed())
		Expect(junitXSD().Validate(ju.Bytes())).To(BeEmpty(), ju.String())
		Expect(ju.String()).To(ContainSubstring(`<error message="bot under test: POST /otnsim/trigger got no answer &lt;&amp;&gt;" type="hung">`))
		Expect(ju.String()).To(ContainSubstring("listening"))
		Expect(ju.String()).To(MatchRegexp(`<testsuite name="otnsim check" tests="1" failures="0" errors="1"`))
	})
})
