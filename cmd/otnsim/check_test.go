package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/rules"
)

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
		Expect(out).To(ContainSubstring("NOT EXERCISED  OTN-REGION"))
		Expect(out).To(MatchRegexp(`ok: 16 rules passed, 0 failed, 8 not exercised \(14 scenarios, 7 probes`))
		raw, err := os.ReadFile(js)
		Expect(err).NotTo(HaveOccurred())
		var rep map[string]any
		Expect(json.Unmarshal(raw, &rep)).To(Succeed())
		Expect(rep["rules"]).To(HaveLen(len(rules.All())))
		raw, err = os.ReadFile(ju)
		Expect(err).NotTo(HaveOccurred())
		var doc struct {
			Tests int `xml:"tests,attr"`
		}
		Expect(xml.Unmarshal(raw, &doc)).To(Succeed())
		Expect(doc.Tests).To(Equal(len(rules.All())))
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

var _ = Describe("otnsim run --bot-cmd", func() {
	It("runs scenarios against a bot outside the process", func() {
		code, out, errOut := otnsim("run", "--bot-cmd", buildBot("clean"), "--settle", "0", "../../scenarios/compliance")
		Expect(code).To(Equal(0), out+errOut)
		Expect(out).To(MatchRegexp(`ok: 14 passed, 0 failed`))
	})

	It("exits 2 when the bot cannot be started", func() {
		code, _, errOut := otnsim("run", "--bot-cmd", "exit 9", "../../scenarios/compliance")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("exited with status 9"))
	})
})
