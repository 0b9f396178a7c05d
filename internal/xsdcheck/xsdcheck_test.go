package xsdcheck_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/xsdcheck"
)

func TestXSDCheck(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "xsdcheck Suite")
}

// A small schema in the supported subset (top-level elements joined by
// refs): a root with a required count and at least one item, each with an
// optional decimal weight.
const schema = `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="list">
    <xs:complexType>
      <xs:sequence>
        <xs:element ref="item" minOccurs="1" maxOccurs="unbounded"/>
      </xs:sequence>
      <xs:attribute name="count" type="xs:nonNegativeInteger" use="required"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="item">
    <xs:complexType>
      <xs:attribute name="weight" type="xs:decimal"/>
    </xs:complexType>
  </xs:element>
</xs:schema>`

var _ = Describe("a compiled schema", func() {
	var s xsdcheck.Schema
	BeforeEach(func() {
		var err error
		s, err = xsdcheck.Compile([]byte(schema))
		Expect(err).NotTo(HaveOccurred())
	})

	It("accepts a document that follows it", func() {
		Expect(s.Validate([]byte(`<list count="2"><item weight="1.5"/><item/></list>`))).To(BeEmpty())
	})

	It("reports every problem with its path", func() {
		problems := s.Validate([]byte(`<list><item weight="heavy"/><extra/></list>`))
		Expect(problems).To(ContainElement(ContainSubstring(`/list: missing required attribute "count"`)))
		Expect(problems).To(ContainElement(ContainSubstring(`/list/item/@weight: "heavy" is not an xs:decimal`)))
		Expect(problems).To(ContainElement(ContainSubstring(`/list/extra: element not declared`)))
	})

	It("refuses a document that is not XML or has an undeclared root", func() {
		Expect(s.Validate([]byte(`<list count="1">`))).NotTo(BeEmpty())
		Expect(s.Validate([]byte(`<other/>`))).NotTo(BeEmpty())
	})

	It("requires the content model: at least one item", func() {
		Expect(s.Validate([]byte(`<list count="0"/>`))).To(ConsistOf(ContainSubstring("do not match the content model")))
	})

	It("refuses to compile malformed XML", func() {
		_, err := xsdcheck.Compile([]byte(`<xs:schema`))
		Expect(err).To(HaveOccurred())
	})
})
