package scenarios_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/internal/xsdcheck"
	"github.com/otnsim/otnsim/scenarios"
)

// compileSchema compiles one of the shipped JSON Schemas.
func compileSchema(id string, src []byte) *jsonschema.Schema {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
	Expect(err).NotTo(HaveOccurred())
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	Expect(c.AddResource(id, doc)).To(Succeed())
	sch, err := c.Compile(id)
	Expect(err).NotTo(HaveOccurred())
	return sch
}

// yamlAsJSON reads a YAML document as the JSON value a schema validates.
func yamlAsJSON(src []byte) any {
	var v any
	Expect(yaml.Unmarshal(src, &v)).To(Succeed())
	raw, err := json.Marshal(v)
	Expect(err).NotTo(HaveOccurred())
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	Expect(err).NotTo(HaveOccurred())
	return inst
}

var _ = Describe("the scenario JSON Schema", func() {
	var sch *jsonschema.Schema
	BeforeEach(func() { sch = compileSchema("scenario.json", scenarios.Schema()) })

	It("accepts every shipped scenario", func() {
		n := 0
		Expect(fs.WalkDir(scenarios.Shipped(), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			src, err := fs.ReadFile(scenarios.Shipped(), p)
			Expect(err).NotTo(HaveOccurred())
			Expect(sch.Validate(yamlAsJSON(src))).To(Succeed(), p)
			n++
			return nil
		})).To(Succeed())
		Expect(n).To(BeNumerically(">=", 60))
	})

	DescribeTable("rejects what the parser rejects",
		func(src string) {
			Expect(sch.Validate(yamlAsJSON([]byte(src)))).NotTo(Succeed())
			_, err := scenarios.Parse("s.yaml", []byte(src))
			Expect(err).To(HaveOccurred())
		},
		Entry("an unknown step", "name: x\nsteps: [{sya: {who: a, text: hi}}]\n"),
		Entry("a step with two names", "name: x\nsubscribers: [{alias: a}]\nsteps: [{say: {who: a, text: hi}, advance: 1h}]\n"),
		Entry("a bad duration", "name: x\nsteps: [{advance: 2 days}]\n"),
		Entry("a duration without a unit", "name: x\nsteps: [{advance: 5}]\n"),
		Entry("an unknown bot knob", "name: x\nbot: {policy: {be_nice: true}}\nsteps: []\n"),
		Entry("an unknown fidelity setting", "name: x\nworld: {settings: {strict_titles: true}}\nsteps: []\n"),
		Entry("a fault without a kind", "name: x\nsteps: [{fault: {times: 2}}]\n"),
		Entry("an unknown rule", "name: x\nsteps: [{expect: {findings: {rule: OTN-NOPE}}}]\n"),
		Entry("no name", "steps: []\n"),
	)

	DescribeTable("accepts the durations the parser accepts",
		func(d string) {
			src := "name: x\nsteps: [{advance: " + d + "}]\n"
			Expect(sch.Validate(yamlAsJSON([]byte(src)))).To(Succeed())
			_, err := scenarios.Parse("s.yaml", []byte(src))
			Expect(err).NotTo(HaveOccurred())
		},
		Entry("mixed units", "1y1ms"),
		Entry("a fraction", "23h59m59.999s"),
		Entry("a fraction without a whole part", ".5h"),
		Entry("a bare zero", "0"),
	)

	It("describes the bot, settings and rule sections as the reference bot's and fakegraph's Go types and the rule catalogue do", func() {
		var doc map[string]any
		Expect(json.Unmarshal(scenarios.Schema(), &doc)).To(Succeed())
		defs := doc["$defs"].(map[string]any)
		want := map[string]any{"bot": scenarios.BotSchema(), "settings": scenarios.SettingsSchema(), "rule": scenarios.RuleSchema()}
		if os.Getenv("UPDATE_SCHEMA") != "" {
			for k, v := range want {
				defs[k] = v
			}
			out, err := json.MarshalIndent(doc, "", "  ")
			Expect(err).NotTo(HaveOccurred())
			Expect(os.WriteFile("schema.json", append(out, '\n'), 0o644)).To(Succeed())
			return
		}
		for k, v := range want {
			wantJSON, _ := json.Marshal(v)
			var wantAny any
			Expect(json.Unmarshal(wantJSON, &wantAny)).To(Succeed())
			Expect(defs[k]).To(Equal(wantAny), "schema.json's $defs."+k+" is stale: run UPDATE_SCHEMA=1 go test ./scenarios/")
		}
	})
})

var _ = Describe("the JSON report", func() {
	It("validates against its versioned schema, passing and failing scenarios alike", func() {
		all, err := scenarios.Load(".", "testdata/failing.yml")
		Expect(err).NotTo(HaveOccurred())
		results := scenarios.RunAll(all, scenarios.RunOptions{}, nil)
		rep := scenarios.Report{Tool: "otnsim test", Started: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Elapsed: time.Second, Results: results}
		var buf bytes.Buffer
		Expect(rep.WriteJSON(&buf)).To(Succeed())
		sch := compileSchema("report.json", scenarios.ReportSchema())
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
		Expect(err).NotTo(HaveOccurred())
		Expect(sch.Validate(inst)).To(Succeed())

		var parsed struct {
			Version int
			Summary struct{ Total, Passed, Failed int }
		}
		Expect(json.Unmarshal(buf.Bytes(), &parsed)).To(Succeed())
		Expect(parsed.Version).To(Equal(scenarios.ReportSchemaVersion))
		Expect(parsed.Summary.Failed).To(Equal(1))
		Expect(parsed.Summary.Total).To(Equal(len(all)))
		Expect(buf.String()).To(ContainSubstring(`"rule": "OTN-TOKEN-ONCE"`))
		Expect(buf.String()).To(ContainSubstring(`"timeline": [`))
		Expect(buf.String()).NotTo(ContainSubstring(`"error"`))
	})

	It("validates with an error and no scenarios when the run had no verdict, and JUnit carries it as <error>", func() {
		rep := scenarios.Report{Tool: "otnsim test", Started: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Elapsed: time.Millisecond,
			Error: &scenarios.ReportError{Kind: "input", Message: "x.yaml:6:5: unknown step \"notfy_me\"\nx.yaml:9:26: unknown field \"isued\""}}
		var buf bytes.Buffer
		Expect(rep.WriteJSON(&buf)).To(Succeed())
		sch := compileSchema("report.json", scenarios.ReportSchema())
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
		Expect(err).NotTo(HaveOccurred())
		Expect(sch.Validate(inst)).To(Succeed(), buf.String())
		var parsed struct {
			Summary   struct{ Total int }
			Error     scenarios.ReportError
			Scenarios []any
		}
		Expect(json.Unmarshal(buf.Bytes(), &parsed)).To(Succeed())
		Expect(parsed.Error).To(Equal(*rep.Error))
		Expect(parsed.Scenarios).NotTo(BeNil())
		Expect(parsed.Scenarios).To(BeEmpty())

		buf.Reset()
		Expect(rep.WriteJUnit(&buf)).To(Succeed())
		src, err := os.ReadFile("testdata/junit.xsd")
		Expect(err).NotTo(HaveOccurred())
		xsd, err := xsdcheck.Compile(src)
		Expect(err).NotTo(HaveOccurred())
		Expect(xsd.Validate(buf.Bytes())).To(BeEmpty(), buf.String())
		Expect(buf.String()).To(ContainSubstring(`<testsuites name="otnsim" tests="1" failures="0" errors="1"`))
		Expect(buf.String()).To(ContainSubstring(`<error message="x.yaml:6:5: unknown step &#34;notfy_me&#34;" type="input">`))
		Expect(buf.String()).To(ContainSubstring(`x.yaml:9:26`))
	})
})

var _ = Describe("the JUnit report", func() {
	var xsd xsdcheck.Schema
	BeforeEach(func() {
		src, err := os.ReadFile("testdata/junit.xsd")
		Expect(err).NotTo(HaveOccurred())
		xsd, err = xsdcheck.Compile(src)
		Expect(err).NotTo(HaveOccurred())
	})

	It("validates against the JUnit XSD, with one testcase per scenario and the timeline in failures", func() {
		all, err := scenarios.Load(".", "testdata/failing.yml")
		Expect(err).NotTo(HaveOccurred())
		results := scenarios.RunAll(all, scenarios.RunOptions{}, nil)
		rep := scenarios.Report{Tool: "otnsim test", Started: time.Now(), Elapsed: time.Second, Results: results}
		var buf bytes.Buffer
		Expect(rep.WriteJUnit(&buf)).To(Succeed())
		Expect(xsd.Validate(buf.Bytes())).To(BeEmpty())
		Expect(strings.Count(buf.String(), "<testcase ")).To(Equal(len(all)))
		Expect(strings.Count(buf.String(), "<failure ")).To(Equal(1))
		Expect(buf.String()).To(ContainSubstring("timeline of ana:"))
		Expect(buf.String()).To(ContainSubstring(`<testsuite name="otnsim.window"`))
	})

	It("has a validator that catches what the schema forbids", func() {
		Expect(xsd.Validate([]byte(`<testsuites><testsuite name="x" tests="1" failures="0"><testcase name="a" classname="b" time="soon"/><bogus/></testsuite></testsuites>`))).To(ConsistOf(
			`/testsuites/testsuite: missing required attribute "errors"`,
			`/testsuites/testsuite: children <testcase><bogus> do not match the content model`,
			`/testsuites/testsuite/testcase/@time: "soon" is not an xs:decimal`,
			`/testsuites/testsuite/bogus: element not declared`,
		))
		Expect(xsd.Validate([]byte(`<testsuites><testsuite name="x" tests="1" failures="0" errors="0"><testcase name="a" classname="b"><system-out/><failure/></testcase></testsuite></testsuites>`))).To(ConsistOf(
			`/testsuites/testsuite/testcase: children <system-out><failure> do not match the content model`))
	})
})

var _ = Describe("findings in results", func() {
	It("lists practice findings a scenario produced", func() {
		sc, err := scenarios.ParseFile("idle/impatient-bot-caught.yaml")
		Expect(err).NotTo(HaveOccurred())
		res := scenarios.Run(sc, scenarios.RunOptions{})
		Expect(res.Passed).To(BeTrue())
		Expect(findings.Count(res.Findings, "OTN-IDLE", "")).To(Equal(1))
	})
})
