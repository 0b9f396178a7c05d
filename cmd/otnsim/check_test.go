package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/schemacheck"

	"github.com/otnsim/otnsim/internal/xsdcheck"
	"github.com/otnsim/otnsim/rules"
)

// buildOtnsim builds this command, so that `otnsim bot` can be checked as a
// separate process.
func buildOtnsim() string {
	out := filepath.Join(GinkgoT().TempDir(), "otnsim")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Stderr = GinkgoWriter
	Expect(cmd.Run()).To(Succeed())
	return out
}

// junitProblems validates a JUnit file against the XSD the scenarios ship.
func junitProblems(path string) []string {
	src, err := os.ReadFile("../../scenarios/testdata/junit.xsd")
	Expect(err).NotTo(HaveOccurred())
	xsd, err := xsdcheck.Compile(src)
	Expect(err).NotTo(HaveOccurred())
	doc, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	return xsd.Validate(doc)
}

// shippedCompliance is the number of scenarios in the shipped compliance suite.
func shippedCompliance() int {
	files, err := filepath.Glob("../../scenarios/compliance/*.yaml")
	Expect(err).NotTo(HaveOccurred())
	return len(files)
}

// buildBot builds one of the compliance test bots and returns its path.
func buildBot(name string) string {
	out := filepath.Join(GinkgoT().TempDir(), name)
	cmd := exec.Command("go", "build", "-o", out, "../../compliance/testdata/bots/"+name)
	cmd.Stderr = GinkgoWriter
	Expect(cmd.Run()).To(Succeed())
	return out
}

var _ = Describe("otnsim check", func() {
	It("exits 2 without a bot", func() {
		code, _, errOut := otnsim("check")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("--bot-cmd CMD or --bot-url URL"))
	})

	It("exits 2 with the bot's output when the bot cannot be run", func() {
		code, _, errOut := otnsim("check", "--bot-cmd", "echo 'cannot open database'; exit 4")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("exited with status 4"))
		Expect(errOut).To(ContainSubstring("  | cannot open database"))
	})

	It("exits 0 for a compliant bot and writes JSON and JUnit reports", func() {
		dir := GinkgoT().TempDir()
		js, ju := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
		code, out, errOut := otnsim("check", "--bot-cmd", buildBot("clean"), "--settle", "0", "--json", js, "--junit", ju)
		Expect(code).To(Equal(0), errOut)
		Expect(out).To(ContainSubstring("PASS           OTN-TOKEN-ONCE"))
		Expect(out).To(ContainSubstring("PASS           OTN-REGION"))
		Expect(out).NotTo(ContainSubstring("NOT EXERCISED"))
		Expect(out).To(MatchRegexp(fmt.Sprintf(`ok: %d rules passed, 0 failed, 0 not exercised \(%d scenarios, 11 probes`, len(rules.All()), shippedCompliance())))
		Expect(schemacheck.File(js)).To(Succeed())
		raw, err := os.ReadFile(js)
		Expect(err).NotTo(HaveOccurred())
		var rep map[string]any
		Expect(json.Unmarshal(raw, &rep)).To(Succeed())
		Expect(rep["rules"]).To(HaveLen(len(rules.All())))
		Expect(rep).To(HaveKeyWithValue("tool", "otnsim "+version))
		Expect(rep).NotTo(HaveKey("error"))
		raw, err = os.ReadFile(ju)
		Expect(err).NotTo(HaveOccurred())
		var doc struct {
			Tests int `xml:"tests,attr"`
		}
		Expect(xml.Unmarshal(raw, &doc)).To(Succeed())
		Expect(doc.Tests).To(Equal(len(rules.All())))
		Expect(junitProblems(ju)).To(BeEmpty())
	})

	It("passes the standalone reference bot (otnsim bot) on every rule", func() {
		dir := GinkgoT().TempDir()
		ju := filepath.Join(dir, "r.xml")
		code, out, errOut := otnsim("check", "--bot-cmd", buildOtnsim()+" bot", "--settle", "0", "--junit", ju)
		Expect(code).To(Equal(0), out+errOut)
		Expect(out).To(MatchRegexp(fmt.Sprintf(`ok: %d rules passed, 0 failed, 0 not exercised`, len(rules.All()))))
		Expect(junitProblems(ju)).To(BeEmpty())
	})

	It("writes JUnit that validates against the XSD when a rule fails", func() {
		ju := filepath.Join(GinkgoT().TempDir(), "r.xml")
		js := filepath.Join(GinkgoT().TempDir(), "r.json")
		code, _, _ := otnsim("check", "--bot-cmd", buildBot("ignore-idle"), "--settle", "0", "--junit", ju, "--json", js, "--fail-on", "warning")
		Expect(code).To(Equal(1))
		Expect(junitProblems(ju)).To(BeEmpty())
		Expect(schemacheck.File(js)).To(Succeed())
		raw, err := os.ReadFile(ju)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(raw)).To(ContainSubstring("<failure"))
	})

	It("passes a broken warning-level rule by default, printing it, and fails it at --fail-on warning", func() {
		code, out, _ := otnsim("check", "--bot-cmd", buildBot("ignore-idle"), "--settle", "0")
		Expect(code).To(Equal(0), out)
		Expect(out).To(ContainSubstring("WARN           OTN-IDLE"))
		Expect(out).To(MatchRegexp(`ok: \d+ rules passed, 1 failed, 0 not exercised .*failing at failure and above`))
		code, out, _ = otnsim("check", "--bot-cmd", buildBot("ignore-idle"), "--settle", "0", "--fail-on", "warning")
		Expect(code).To(Equal(1), out)
		Expect(out).To(MatchRegexp(`FAIL: \d+ rules passed, 1 failed`))
		code, out, _ = otnsim("check", "--bot-cmd", buildBot("clean"), "--settle", "0", "--idle-after", "10m")
		Expect(code).To(Equal(0), out)
		Expect(out).To(ContainSubstring("WARN           OTN-IDLE"), "a careful bot's 5 minutes are too few for an idle period of 10")
		Expect(out).To(ContainSubstring("expected a notification only after 10m0s of idleness"))
		table := filepath.Join("testdata", "table", "idle-table.yaml")
		code, out, _ = otnsim("check", "--bot-cmd", buildBot("clean"), "--settle", "0", table)
		Expect(code).To(Equal(0), out)
		Expect(out).NotTo(ContainSubstring("WARN           OTN-IDLE"), "6 and 7 minutes of quiet are idle enough by default")
		code, out, _ = otnsim("check", "--bot-cmd", buildBot("clean"), "--settle", "0", "--idle-after", "10m", table)
		Expect(code).To(Equal(0), out)
		Expect(out).To(ContainSubstring("WARN           OTN-IDLE"), "--idle-after judges the cases of a table scenario too")
		code, _, errOut := otnsim("check", "--bot-cmd", buildBot("ignore-idle"), "--fail-on", "sometimes")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("--fail-on"))
	})

	It("exits 1 when a rule fails, naming the rule and the evidence", func() {
		code, out, _ := otnsim("check", "--bot-cmd", buildBot("reuse-tokens"), "--settle", "0")
		Expect(code).To(Equal(1))
		Expect(out).To(ContainSubstring("FAIL           OTN-TOKEN-ONCE"))
		Expect(out).To(ContainSubstring("--- OTN-TOKEN-ONCE"))
		Expect(out).To(ContainSubstring("-> refused 100 [OTN-TOKEN-ONCE]"))
	})

	It("checks the Python example bot", func() {
		if _, err := exec.LookPath("python3"); err != nil {
			Skip("python3 is not installed")
		}
		code, out, errOut := otnsim("check", "--bot-cmd", "python3 ../../examples/python-bot/bot.py", "--settle", "0")
		Expect(code).To(Equal(0), out+errOut)
	})
})

var _ = Describe("otnsim check's settling, progress and bot processes", func() {
	It("passes a bot that answers first and sends afterwards with the default settings, and reports its late calls with --settle 0", func() {
		bot := buildBot("faulty") + " send-after-answer"
		code, out, errOut := otnsim("check", "--bot-cmd", bot)
		Expect(code).To(Equal(0), out+errOut)
		Expect(out).To(MatchRegexp(fmt.Sprintf(`ok: %d rules passed, 0 failed, 0 not exercised`, len(rules.All()))))
		Expect(out).NotTo(ContainSubstring("LATE CALLS"))
		_, out, errOut = otnsim("check", "--bot-cmd", bot, "--settle", "0")
		Expect(out).To(MatchRegexp(`--- LATE CALLS: the bot made \d+ calls after otnsim closed their step; raise --settle`), out+errOut)
	})

	It("prints its header first, then a line per scenario and one for the probes as they go, then the verdict", func() {
		code, out, errOut := otnsim("check", "--bot-cmd", buildBot("clean"), "--settle", "0", "--bot-procs", "2")
		Expect(code).To(Equal(0), out+errOut)
		n := shippedCompliance()
		lines := strings.Split(out, "\n")
		Expect(lines[0]).To(HavePrefix("otnsim check: --bot-cmd "))
		Expect(lines[1]).To(Equal(fmt.Sprintf("playing %d scenarios, then the security probes, on 2 bot processes", n)))
		for i := 1; i <= n; i++ {
			Expect(lines[1+i]).To(MatchRegexp(fmt.Sprintf(`^PASS  %d/%d  embedded:compliance/\S+\.yaml \(.+\)$`, i, n+1)))
		}
		Expect(lines[2+n]).To(Equal(fmt.Sprintf("PASS  %d/%d  security probes", n+1, n+1)))
		Expect(lines[3+n]).To(BeEmpty())
		Expect(lines[4+n]).To(MatchRegexp(`^PASS +\S+ `))
		Expect(strings.Count(out, "otnsim check:")).To(Equal(1))
	})

	It("refuses more than one bot process with --bot-url, or fewer than none", func() {
		code, _, errOut := otnsim("check", "--bot-url", "http://127.0.0.1:1", "--bot-procs", "2")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("--bot-procs"))
		code, _, errOut = otnsim("run", "--bot-cmd", "true", "--bot-procs", "-1", "../../scenarios/compliance")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("--bot-procs"))
	})
})

var _ = Describe("otnsim run --bot-cmd", func() {
	It("runs scenarios against a bot outside the process", func() {
		code, out, errOut := otnsim("run", "--bot-cmd", buildBot("clean"), "--settle", "0", "../../scenarios/compliance")
		Expect(code).To(Equal(0), out+errOut)
		Expect(out).To(MatchRegexp(fmt.Sprintf(`ok: %d passed, 0 failed`, shippedCompliance())))
	})

	It("plays the scenarios on several bot processes with the same results as one", func() {
		bot := buildBot("faulty") + " idle-4m59"
		timing := regexp.MustCompile(`\([^()]*virtual, [^()]*\)|in \S+$`)
		lines := func(out string) []string {
			var keep []string
			for _, l := range strings.Split(out, "\n") {
				keep = append(keep, timing.ReplaceAllString(l, ""))
			}
			return keep
		}
		code1, one, _ := otnsim("run", "--bot-cmd", bot, "--settle", "0", "../../scenarios/compliance")
		code3, three, errOut := otnsim("run", "--bot-cmd", bot, "--settle", "0", "--bot-procs", "3", "../../scenarios/compliance")
		Expect(code3).To(Equal(code1), errOut)
		Expect(one).To(ContainSubstring("FAIL  ../../scenarios/compliance/idle-guard.yaml"))
		Expect(lines(three)).To(Equal(lines(one)))
	})

	It("exits 2 when the bot cannot be started", func() {
		code, _, errOut := otnsim("run", "--bot-cmd", "exit 9", "../../scenarios/compliance")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("exited with status 9"))
	})
})
