package main

import (
	"encoding/json"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the embedded suites", func() {
	It("runs them all with no PATH, and one family by name, naming files embedded:", func() {
		code, out, errOut := otnsim("run")
		Expect(code).To(Equal(0), errOut)
		Expect(out).To(ContainSubstring("PASS  embedded:optin/restock-story.yaml"))
		Expect(out).To(MatchRegexp(`ok: \d+ passed, 0 failed`))
		code, out, _ = otnsim("run", "embedded:compliance")
		Expect(code).To(Equal(0))
		Expect(out).To(ContainSubstring("ok: 25 passed, 0 failed, 25 scenarios"))
		code, _, errOut = otnsim("run", "embedded:nope")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring(`no embedded suite "nope"`))
	})

	It("lists and exports them, and the export runs like the embedded copy", func() {
		code, out, _ := otnsim("scenarios", "list")
		Expect(code).To(Equal(0))
		Expect(out).To(MatchRegexp(`embedded:compliance\s+25\s+OTN-CONTENT`))
		dir := GinkgoT().TempDir()
		code, out, _ = otnsim("scenarios", "export", dir)
		Expect(code).To(Equal(0))
		Expect(out).To(MatchRegexp(`wrote \d+ scenario files under `))
		Expect(filepath.Join(dir, "compliance", "idle-guard.yaml")).To(BeARegularFile())
		code, out, _ = otnsim("run", filepath.Join(dir, "compliance"))
		Expect(code).To(Equal(0))
		Expect(out).To(ContainSubstring("ok: 25 passed, 0 failed, 25 scenarios"))
		code, _, _ = otnsim("scenarios", "burn")
		Expect(code).To(Equal(2))
	})

	It("prints the scenario and report schemas", func() {
		for _, which := range []string{"", "scenario", "report", "check", "load"} {
			args := []string{"schema"}
			if which != "" {
				args = append(args, which)
			}
			code, out, _ := otnsim(args...)
			Expect(code).To(Equal(0), which)
			var doc map[string]any
			Expect(json.Unmarshal([]byte(out), &doc)).To(Succeed(), which)
			Expect(doc).To(HaveKey("$schema"), which)
		}
		raw, err := os.ReadFile("../../scenarios/schema.json")
		Expect(err).NotTo(HaveOccurred())
		_, out, _ := otnsim("schema")
		Expect(out).To(Equal(string(raw)))
		code, _, _ := otnsim("schema", "nope")
		Expect(code).To(Equal(2))
	})
})

var _ = Describe("otnsim rules ID", func() {
	It("explains a rule: source, severity, scenarios, and how to fix a failure", func() {
		code, out, _ := otnsim("rules", "OTN-IDLE")
		Expect(code).To(Equal(0))
		Expect(out).To(HavePrefix("OTN-IDLE (practice, warning)\n"))
		Expect(out).To(ContainSubstring("embedded:compliance/idle-guard.yaml"))
		Expect(out).To(ContainSubstring("to fix a failure: Hold a notification"))
		Expect(out).To(ContainSubstring("otnsim check --rule OTN-IDLE"))
		_, out, _ = otnsim("rules", "OTN-TOKEN-ONCE")
		Expect(out).To(ContainSubstring("assumed: the error Meta answers for a token used a second time"))
		_, out, _ = otnsim("rules", "HOOK-REPLAY")
		Expect(out).To(ContainSubstring("otnsim check's security probes"))
		code, _, errOut := otnsim("rules", "idle")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("did you mean OTN-IDLE?"))
	})
})

var _ = Describe("otnsim check --rule and --run", func() {
	It("judges one rule alone, or the scenarios a pattern selects", func() {
		bot := buildOtnsim() + " bot"
		code, out, _ := otnsim("check", "--bot-cmd", bot, "--settle", "0", "--rule", "OTN-IDLE")
		Expect(code).To(Equal(0), out)
		Expect(out).To(ContainSubstring("by embedded:compliance/idle-guard.yaml"))
		Expect(out).To(ContainSubstring("ok: 1 rules passed, 0 failed, 0 not exercised (1 scenarios, 0 probes"))
		code, out, _ = otnsim("check", "--bot-cmd", bot, "--settle", "0", "--rule", "HOOK-SIGNATURE")
		Expect(code).To(Equal(0), out)
		Expect(out).To(MatchRegexp(`ok: 1 rules passed, 0 failed, 0 not exercised \(0 scenarios, \d+ probes`))
		code, out, _ = otnsim("check", "--bot-cmd", bot, "--settle", "0", "--run", "token-")
		Expect(code).To(Equal(0), out)
		Expect(out).To(ContainSubstring("(3 scenarios,"))
		code, _, errOut := otnsim("check", "--bot-cmd", bot, "--rule", "NOPE")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring(`--rule: "NOPE" is no rule`))
	})
})
