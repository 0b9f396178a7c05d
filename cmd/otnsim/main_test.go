package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/schemacheck"
)

func otnsim(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

var _ = Describe("otnsim", func() {
	It("runs the shipped scenarios and exits 0", func() {
		code, out, _ := otnsim("run", "../../scenarios")
		Expect(code).To(Equal(0))
		Expect(out).To(ContainSubstring("PASS  ../../scenarios/optin/restock-story.yaml"))
		Expect(out).To(MatchRegexp(`ok: \d+ passed, 0 failed`))
	})

	It("exits 1 on a wrong expectation, naming the scenario, the step and expected versus actual", func() {
		code, out, _ := otnsim("run", "testdata/wrong-expectation.yaml")
		Expect(code).To(Equal(1))
		Expect(out).To(ContainSubstring("FAIL  testdata/wrong-expectation.yaml"))
		Expect(out).To(ContainSubstring("Wrong expectation"))
		Expect(out).To(ContainSubstring("step 5 (expect) at testdata/wrong-expectation.yaml:11:5"))
		Expect(out).To(ContainSubstring("count: expected 2, got 1"))
		Expect(out).To(ContainSubstring("timeline of ana:"))
		Expect(out).To(ContainSubstring("FAIL: 0 passed, 1 failed"))
	})

	It("exits 2 with file:line:col on a malformed scenario", func() {
		code, _, errOut := otnsim("run", "testdata/malformed.yaml")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring(`testdata/malformed.yaml:6:5: unknown step "notfy_me" (did you mean "notify_me"?)`))
		Expect(errOut).To(ContainSubstring(`testdata/malformed.yaml:9:26: unknown field "isued"`))
	})

	It("validates without running", func() {
		code, out, _ := otnsim("validate", "../../scenarios")
		Expect(code).To(Equal(0))
		Expect(out).To(MatchRegexp(`ok: \d+ scenario files valid`))
		code, _, _ = otnsim("validate", "testdata/malformed.yaml")
		Expect(code).To(Equal(2))
	})

	DescribeTable("usage errors exit 2",
		func(want string, args ...string) {
			code, _, errOut := otnsim(args...)
			Expect(code).To(Equal(2))
			Expect(errOut).To(ContainSubstring(want))
		},
		Entry("no command", "Usage"),
		Entry("unknown command", `unknown command "frobnicate"`, "frobnicate"),
		Entry("unknown flag", "unknown flag --bogus", "run", "--bogus", "x"),
	)

	It("selects with --run and --tags and writes --json and --junit reports", func() {
		dir := GinkgoT().TempDir()
		jsonPath, junitPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "j.xml")
		code, out, _ := otnsim("run", "--run", "^../../scenarios/(idle|throttle)/", "--tags", "caught",
			"--json", jsonPath, "--junit", junitPath, "../../scenarios")
		Expect(code).To(Equal(0))
		Expect(out).To(ContainSubstring("idle/impatient-bot-caught.yaml"))
		Expect(out).NotTo(ContainSubstring("idle/waits-five-minutes.yaml"))
		Expect(out).NotTo(ContainSubstring("\x1b["), "no colour off a terminal")
		Expect(schemacheck.File(jsonPath)).To(Succeed())
		Expect(junitProblems(junitPath)).To(BeEmpty())
		raw, err := os.ReadFile(jsonPath)
		Expect(err).NotTo(HaveOccurred())
		var rep struct {
			Schema  string
			Version int
			Summary struct{ Passed, Failed int }
		}
		Expect(json.Unmarshal(raw, &rep)).To(Succeed())
		Expect(rep.Schema).To(Equal("otnsim-report"))
		Expect(rep.Version).To(Equal(1))
		Expect(rep.Summary.Failed).To(Equal(0))
		Expect(rep.Summary.Passed).To(BeNumerically(">=", 3))
		xml, err := os.ReadFile(junitPath)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(xml)).To(ContainSubstring("<testsuites"))
	})

	It("writes a failure's timeline into the JUnit report and exits 1", func() {
		dir := GinkgoT().TempDir()
		junitPath, jsonPath := filepath.Join(dir, "j.xml"), filepath.Join(dir, "r.json")
		code, _, _ := otnsim("run", "--junit", junitPath, "--json", jsonPath, "testdata/wrong-expectation.yaml")
		Expect(code).To(Equal(1))
		Expect(junitProblems(junitPath)).To(BeEmpty())
		Expect(schemacheck.File(jsonPath)).To(Succeed())
		xml, err := os.ReadFile(junitPath)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(xml)).To(ContainSubstring("<failure message=\"step 5 (expect) at testdata/wrong-expectation.yaml:11:5"))
		Expect(string(xml)).To(ContainSubstring("timeline of ana:"))
	})

	It("prints findings with -v and colours only when asked", func() {
		code, out, _ := otnsim("run", "-v", "--color", "always", "../../scenarios/idle/impatient-bot-caught.yaml")
		Expect(code).To(Equal(0))
		Expect(out).To(ContainSubstring("finding "))
		Expect(out).To(ContainSubstring("OTN-IDLE [warning]"))
		Expect(out).To(ContainSubstring("\x1b[32mPASS"))
	})

	DescribeTable("bad selections exit 2",
		func(args ...string) {
			code, _, _ := otnsim(args...)
			Expect(code).To(Equal(2))
		},
		Entry("a bad regular expression", "run", "--run", "(", "../../scenarios"),
		Entry("nothing selected", "run", "--tags", "no-such-tag", "../../scenarios"),
		Entry("a bad colour", "run", "--color", "pink", "../../scenarios"),
	)

	It("exits 2 on a path that does not exist", func() {
		code, _, errOut := otnsim("run", "no/such/dir")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("no such file"))
	})

	It("prints help with examples and exits 0", func() {
		code, out, _ := otnsim("help")
		Expect(code).To(Equal(0))
		Expect(out).To(ContainSubstring("Examples:"))
		code, out, _ = otnsim("run", "--help")
		Expect(code).To(Equal(0))
		Expect(out).To(ContainSubstring("Examples:"))
	})
})
