package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/schemacheck"
	"github.com/otnsim/otnsim/load/report"
)

// reportError reads a JSON report, checks it against its schema, and
// returns its error object (nil when it has none).
func reportError(path string) map[string]any {
	Expect(schemacheck.File(path)).To(Succeed())
	raw, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var doc map[string]any
	Expect(json.Unmarshal(raw, &doc)).To(Succeed())
	e, _ := doc["error"].(map[string]any)
	return e
}

// errorJUnit checks a JUnit file against the XSD and that it carries an
// <error> of the given type.
func errorJUnit(path, kind string) string {
	Expect(junitProblems(path)).To(BeEmpty())
	raw, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	Expect(string(raw)).To(MatchRegexp(`<testsuites [^>]*errors="1"`))
	Expect(string(raw)).To(ContainSubstring(`<error message="`))
	Expect(string(raw)).To(ContainSubstring(`type="` + kind + `"`))
	return string(raw)
}

var _ = Describe("reports on exit 2", func() {
	var dir, js, ju string
	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		js, ju = filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	})

	It("writes both reports when the bot never answers a trigger (otnsim check)", func() {
		code, out, errOut := otnsim("check", "--bot-cmd", buildBot("hang-trigger"), "--settle", "0", "--step-timeout", "500ms",
			"--json", js, "--junit", ju)
		Expect(code).To(Equal(2), out+errOut)
		Expect(errOut).To(ContainSubstring("got no answer within the step timeout"))
		e := reportError(js)
		Expect(e).To(HaveKeyWithValue("kind", "hung"))
		Expect(e).To(HaveKeyWithValue("message", ContainSubstring("POST /otnsim/trigger got no answer")))
		Expect(e).To(HaveKeyWithValue("output", ContainSubstring("hang-trigger: got trigger")))
		x := errorJUnit(ju, "hung")
		Expect(x).To(ContainSubstring("hang-trigger: got trigger"))
		Expect(x).To(ContainSubstring(`classname="otnsim.check"`))
	})

	It("writes both reports when the bot crashes, and when there is no bot (otnsim check)", func() {
		code, _, _ := otnsim("check", "--bot-cmd", "echo 'cannot open database'; exit 4", "--json", js, "--junit", ju)
		Expect(code).To(Equal(2))
		Expect(reportError(js)).To(HaveKeyWithValue("output", ContainSubstring("cannot open database")))
		errorJUnit(ju, reportError(js)["kind"].(string))

		code, _, _ = otnsim("check", "--json", js, "--junit", ju)
		Expect(code).To(Equal(2))
		Expect(reportError(js)).To(HaveKeyWithValue("kind", "usage"))
		Expect(reportError(js)).To(HaveKeyWithValue("message", ContainSubstring("--bot-cmd CMD or --bot-url URL")))
		errorJUnit(ju, "usage")

		code, _, _ = otnsim("check", "--bot-cmd", "true", "--json", js, "--junit", ju, "testdata/malformed.yaml")
		Expect(code).To(Equal(2))
		Expect(reportError(js)).To(HaveKeyWithValue("kind", "input"))
		errorJUnit(ju, "input")
	})

	It("writes both reports for a bad scenario file and for a hung bot (otnsim run)", func() {
		code, _, errOut := otnsim("run", "--json", js, "--junit", ju, "testdata/malformed.yaml")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("malformed.yaml:6:5"))
		e := reportError(js)
		Expect(e).To(HaveKeyWithValue("kind", "input"))
		Expect(e).To(HaveKeyWithValue("message", ContainSubstring(`testdata/malformed.yaml:6:5: unknown step "notfy_me"`)))
		errorJUnit(ju, "input")

		code, _, _ = otnsim("run", "--bot-cmd", buildBot("hang-trigger"), "--settle", "0", "--step-timeout", "300ms",
			"--json", js, "--junit", ju, "../../scenarios/compliance")
		Expect(code).To(Equal(2))
		Expect(reportError(js)).To(HaveKeyWithValue("kind", "hung"))
		Expect(errorJUnit(ju, "hung")).To(ContainSubstring("hang-trigger: got trigger"))

		code, _, _ = otnsim("run", "--tags", "no-such-tag", "--json", js, "--junit", ju, "../../scenarios/idle")
		Expect(code).To(Equal(2))
		Expect(reportError(js)).To(HaveKeyWithValue("message", ContainSubstring("no scenario matches")))
		errorJUnit(ju, "usage")
	})

	It("writes the JSON report for a hung bot and a bad profile (otnsim load)", func() {
		code, _, _ := otnsim("load", "--bot-cmd", buildBot("hang-trigger"), "--step-timeout", "300ms", "--subscribers", "10", "--days", "1",
			"--progress", "none", "--json", js, "--shard", "1/2")
		Expect(code).To(Equal(2))
		e := reportError(js)
		Expect(e).To(HaveKeyWithValue("kind", "hung"))
		Expect(e).To(HaveKeyWithValue("output", ContainSubstring("hang-trigger: got trigger")))
		r, err := report.ReadFile(js)
		Expect(err).NotTo(HaveOccurred())
		Expect(r.Shards).To(Equal([]string{"1/2"}))
		Expect(r.Engine).To(Equal("external"))

		code, _, _ = otnsim("load", "--profile", "no/such.yaml", "--json", js)
		Expect(code).To(Equal(2))
		Expect(reportError(js)).To(HaveKeyWithValue("kind", "input"))
	})
})

var _ = Describe("otnsim report merge and missing shards", func() {
	var dir string
	shardFile := func(i string) string {
		f := filepath.Join(dir, "shard-"+strings.ReplaceAll(i, "/", "-of-")+".json")
		code, _, errOut := otnsim("load", "--subscribers", "200", "--days", "2", "--seed", "5", "--shard", i, "--json", f, "--progress", "none")
		Expect(code).To(Equal(0), errOut)
		Expect(reportError(f)).To(BeNil())
		return f
	}
	BeforeEach(func() { dir = GinkgoT().TempDir() })

	It("fails (exit 1) on shard 0 of 2 alone, unless --allow-partial, and lists the missing shard", func() {
		s0 := shardFile("0/2")
		merged := filepath.Join(dir, "merged.json")
		code, out, errOut := otnsim("report", "merge", "--json", merged, s0)
		Expect(code).To(Equal(1), out+errOut)
		Expect(errOut).To(ContainSubstring("1 of 2 shards missing (1/2)"))
		Expect(errOut).To(ContainSubstring("--allow-partial"))
		Expect(out).To(ContainSubstring("missing shards 1/2"))
		Expect(reportError(merged)).To(BeNil())
		m, err := report.ReadFile(merged)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.MissingShards).To(Equal([]string{"1/2"}))

		code, out, errOut = otnsim("report", "merge", "--allow-partial", "--json", merged, s0)
		Expect(code).To(Equal(0), out+errOut)
		Expect(schemacheck.File(merged)).To(Succeed())

		s1 := shardFile("1/2")
		code, out, errOut = otnsim("report", "merge", "--json", merged, s1, s0)
		Expect(code).To(Equal(0), out+errOut)
		Expect(out).To(ContainSubstring("shards 0/2, 1/2"))
		m, err = report.ReadFile(merged)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.MissingShards).To(BeEmpty())
		Expect(m.Tool).To(Equal("otnsim " + version))
		Expect(schemacheck.File(merged)).To(Succeed())
		code, _, _ = otnsim("report", "show", merged)
		Expect(code).To(Equal(0))
	})

	It("refuses (exit 2) a shard that holds an error, and shards of different splits", func() {
		s0 := shardFile("0/2")
		bad := filepath.Join(dir, "bad.json")
		code, _, _ := otnsim("load", "--bot-cmd", "exit 3", "--subscribers", "200", "--days", "2", "--seed", "5", "--shard", "1/2",
			"--json", bad, "--progress", "none")
		Expect(code).To(Equal(2))
		merged := filepath.Join(dir, "merged.json")
		code, _, errOut := otnsim("report", "merge", "--json", merged, s0, bad)
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("holds an error"))
		Expect(reportError(merged)).To(HaveKeyWithValue("message", ContainSubstring("holds an error")))
		Expect(reportError(merged)).To(HaveKeyWithValue("kind", "input"))

		code, _, errOut = otnsim("report", "merge", s0, shardFile("1/4"))
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("another split"))
	})
})

var _ = Describe("the JSON report schemas", func() {
	It("share one header and one error object", func() {
		docs := map[string]map[string]any{}
		for id, src := range schemacheck.Schemas() {
			var d map[string]any
			Expect(json.Unmarshal(src, &d)).To(Succeed(), id)
			docs[id] = d
		}
		Expect(docs).To(HaveLen(3))
		run := docs["otnsim-report"]
		for id, d := range docs {
			props := d["properties"].(map[string]any)
			Expect(props["schema"]).To(Equal(map[string]any{"const": id}))
			Expect(d["required"]).To(ContainElements("schema", "version", "tool", "started_at", "elapsed_ms", "summary"), id)
			Expect(d["required"]).NotTo(ContainElement("error"), id)
			Expect(props).To(HaveKeyWithValue("error", map[string]any{"$ref": "#/$defs/error"}), id)
			Expect(d["$defs"].(map[string]any)["error"]).To(Equal(run["$defs"].(map[string]any)["error"]), id)
			for _, k := range []string{"tool", "started_at", "elapsed_ms"} {
				Expect(undescribed(props[k])).To(Equal(undescribed(run["properties"].(map[string]any)[k])), id+" "+k)
			}
		}
	})
})

// undescribed is a schema without its description.
func undescribed(v any) map[string]any {
	out := map[string]any{}
	for k, x := range v.(map[string]any) {
		if k != "description" {
			out[k] = x
		}
	}
	return out
}
