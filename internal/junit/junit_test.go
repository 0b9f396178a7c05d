package junit_test

import (
	"bytes"
	"encoding/xml"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/junit"
	"github.com/otnsim/otnsim/internal/xsdcheck"
)

func TestJUnit(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "junit Suite")
}

var _ = Describe("Write", func() {
	doc := junit.Suites{Name: "otnsim", Tests: 4, Failures: 1, Errors: 1, Skipped: 1, Time: junit.Seconds(1500 * time.Millisecond),
		Suites: []junit.Suite{{
			Name: "otnsim.window", Tests: 4, Failures: 1, Errors: 1, Skipped: 1, Time: "1.500000",
			Properties: []junit.Property{{Name: "seed", Value: "7"}},
			Cases: []junit.Case{
				{Name: "passes", Classname: "otnsim.window", Time: "0.5", SystemOut: "findings:\nnone"},
				{Name: "fails", Classname: "otnsim.window", File: "window/x.yaml", Line: 12, Time: "0.5",
					Failure: &junit.Failure{Message: "step 3", Type: "ScenarioFailure", Text: "count: expected 1, got 0 <&>"}},
				{Name: "errs", Classname: "otnsim.window", Time: "0",
					Error: &junit.Error{Message: "bot under test: hung", Type: "hung", Text: "bot output:\n  | waiting <&>"}},
				{Name: "skipped", Classname: "otnsim.window", Time: "0", Skipped: &junit.Skipped{Message: "not exercised"}},
			},
		}}}

	It("writes a document the shipped JUnit XSD accepts, an <error> included", func() {
		src, err := os.ReadFile("../../scenarios/testdata/junit.xsd")
		Expect(err).NotTo(HaveOccurred())
		xsd, err := xsdcheck.Compile(src)
		Expect(err).NotTo(HaveOccurred())
		var buf bytes.Buffer
		Expect(junit.Write(&buf, doc)).To(Succeed())
		Expect(buf.String()).To(HavePrefix(xml.Header))
		Expect(xsd.Validate(buf.Bytes())).To(BeEmpty())
		Expect(buf.String()).To(ContainSubstring(`<error message="bot under test: hung" type="hung">`))
	})

	It("round-trips through encoding/xml, escaping text", func() {
		var buf bytes.Buffer
		Expect(junit.Write(&buf, doc)).To(Succeed())
		Expect(buf.String()).To(ContainSubstring("got 0 &lt;&amp;&gt;"))
		var back junit.Suites
		Expect(xml.Unmarshal(buf.Bytes(), &back)).To(Succeed())
		back.XMLName = xml.Name{}
		want := doc
		want.XMLName = xml.Name{}
		Expect(back).To(Equal(want))
	})

	It("renders durations as seconds", func() {
		Expect(junit.Seconds(1500 * time.Millisecond)).To(Equal("1.500000"))
	})
})
