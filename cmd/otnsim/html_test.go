package main

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/schemacheck"
)

// page reads an HTML report.
func page(path string) string {
	raw, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	s := string(raw)
	Expect(s).To(HavePrefix("<!DOCTYPE html>"))
	Expect(s).NotTo(MatchRegexp(`(src|href)="https?://`), "nothing to fetch")
	return s
}

var _ = Describe("HTML reports", func() {
	var dir string
	BeforeEach(func() { dir = GinkgoT().TempDir() })

	It("otnsim run --html draws a failed scenario's verdict and its subscriber's lifeline, beside --json", func() {
		html, js := filepath.Join(dir, "r.html"), filepath.Join(dir, "r.json")
		code, out, errOut := otnsim("run", "--html", html, "--json", js, "testdata/wrong-expectation.yaml")
		Expect(code).To(Equal(1), out+errOut)
		p := page(html)
		Expect(p).To(ContainSubstring(`<span class="verdict FAIL">FAIL</span>`))
		Expect(strings.Count(p, `<svg class="lifeline"`)).To(Equal(1), "ana")
		Expect(p).To(ContainSubstring(`href="testdata/wrong-expectation.yaml#L11"`))
		Expect(schemacheck.File(js)).To(Succeed(), "the JSON, lifelines included, fits its schema")

		// The same page from the saved JSON.
		again := filepath.Join(dir, "again.html")
		code, _, errOut = otnsim("report", "html", js, "--out", again)
		Expect(code).To(Equal(0), errOut)
		Expect(page(again)).To(Equal(p))
		code, stdout, _ := otnsim("report", "html", js)
		Expect(code).To(Equal(0))
		Expect(stdout).To(Equal(p), "to stdout without --out")
	})

	It("otnsim run --html writes a page on exit 2 too, with the error", func() {
		html := filepath.Join(dir, "r.html")
		code, _, _ := otnsim("run", "--html", html, "testdata/malformed.yaml")
		Expect(code).To(Equal(2))
		p := page(html)
		Expect(p).To(ContainSubstring(`<span class="verdict ERROR">ERROR</span>`))
		Expect(p).To(ContainSubstring("malformed.yaml"))
	})

	It("otnsim check and otnsim load write their page on exit 2 too", func() {
		c, l := filepath.Join(dir, "c.html"), filepath.Join(dir, "l.html")
		code, _, _ := otnsim("check", "--html", c)
		Expect(code).To(Equal(2))
		Expect(page(c)).To(ContainSubstring("give the bot with --bot-cmd"))
		code, _, _ = otnsim("load", "--subscribers", "0", "--html", l)
		Expect(code).To(Equal(2))
		Expect(page(l)).To(ContainSubstring(`<span class="verdict ERROR">ERROR</span>`))
	})

	It("otnsim check --html shows the failed rule with its evidence and the lifelines", func() {
		html, js := filepath.Join(dir, "c.html"), filepath.Join(dir, "c.json")
		code, out, errOut := otnsim("check", "--bot-cmd", buildBot("reuse-tokens"), "--settle", "0", "--rule", "OTN-TOKEN-ONCE",
			"--html", html, "--json", js)
		Expect(code).To(Equal(1), out+errOut)
		p := page(html)
		Expect(p).To(MatchRegexp(`<tr id="rule-OTN-TOKEN-ONCE" class="fail">`))
		Expect(p).To(ContainSubstring(`class="evidence"`))
		Expect(strings.Count(p, `<svg class="lifeline"`)).To(BeNumerically(">", 0))
		Expect(schemacheck.File(js)).To(Succeed())
	})

	It("otnsim load --html draws throughput, tokens by fate, findings with their replay and lifelines; report html merges shards", func() {
		html := filepath.Join(dir, "l.html")
		args := []string{"load", "--profile", "../../load/profiles/careless-bot.yaml", "--subscribers", "600", "--days", "30", "--progress", "none"}
		code, out, errOut := otnsim(append(args, "--html", html)...)
		Expect(code).To(Equal(1), out+errOut)
		p := page(html)
		Expect(p).To(ContainSubstring("Throughput over virtual time"))
		Expect(p).To(ContainSubstring("Tokens by fate"))
		Expect(p).To(MatchRegexp(`<tr id="rule-OTN-TOKEN-ONCE" class="fail">`))
		Expect(p).To(ContainSubstring("--subscriber "))
		Expect(strings.Count(p, `<svg class="lifeline"`)).To(BeNumerically(">", 0))

		var shards []string
		for _, s := range []string{"0/2", "1/2"} {
			js := filepath.Join(dir, "shard-"+s[:1]+".json")
			code, _, errOut := otnsim(append(args, "--shard", s, "--json", js)...)
			Expect(code).To(Equal(1), errOut)
			shards = append(shards, js)
		}
		merged := filepath.Join(dir, "m.html")
		code, _, errOut = otnsim(append([]string{"report", "html", "--out", merged}, shards...)...)
		Expect(code).To(Equal(0), errOut)
		m := page(merged)
		Expect(m).To(ContainSubstring("shards [0/2 1/2]"))
		Expect(m).To(ContainSubstring("subscribers: <b>600</b>"))
	})

	It("otnsim report html refuses what is no report, with exit 2", func() {
		bad := filepath.Join(dir, "bad.json")
		Expect(os.WriteFile(bad, []byte(`{"schema":"other"}`), 0o644)).To(Succeed())
		code, _, errOut := otnsim("report", "html", bad)
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("not an otnsim run, check or load report"))
		code, _, errOut = otnsim("report", "html")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("give a report file"))
		code, _, _ = otnsim("report", "html", filepath.Join(dir, "missing.json"))
		Expect(code).To(Equal(2))
	})
})
