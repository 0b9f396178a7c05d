package jsonascii_test

import (
	"encoding/json"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/jsonascii"
)

func TestJSONASCII(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "jsonascii Suite")
}

var _ = Describe("Escape", func() {
	It("escapes non-ASCII as lowercase \\u escapes, surrogate pairs above U+FFFF", func() {
		Expect(string(jsonascii.Escape([]byte(`{"text":"Grüße 😀"}`)))).To(Equal(`{"text":"Gr\u00fc\u00dfe \ud83d\ude00"}`))
	})

	It("keeps ASCII as it is and the document's meaning", func() {
		in := []byte(`{"a":"plain \"quoted\" \\ text","b":"日本語"}`)
		out := jsonascii.Escape(in)
		Expect(out).To(MatchRegexp(`^[\x00-\x7f]*$`))
		var x, y map[string]string
		Expect(json.Unmarshal(in, &x)).To(Succeed())
		Expect(json.Unmarshal(out, &y)).To(Succeed())
		Expect(y).To(Equal(x))
	})
})
