package pagetoken_test

import (
	"encoding/base64"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/pagetoken"
)

func TestPageToken(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "pagetoken Suite")
}

var _ = Describe("tokens of a page", func() {
	It("start with the page's own tag, different for another page", func() {
		Expect(pagetoken.Tag("1")).To(Equal(pagetoken.Tag("1")))
		Expect(pagetoken.Tag("1")).NotTo(Equal(pagetoken.Tag("2")))
		b, err := base64.RawURLEncoding.DecodeString(pagetoken.Foreign("999999", 48))
		Expect(err).NotTo(HaveOccurred())
		Expect(b).To(HaveLen(48))
		tag := pagetoken.Tag("999999")
		Expect(b[:4]).To(Equal(tag[:]))
	})
})
