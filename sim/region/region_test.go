package region_test

import (
	"sort"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/platform"
	"github.com/otnsim/otnsim/sim/region"
)

func TestRegion(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "region Suite")
}

var _ = Describe("the country table", func() {
	It("knows the EEA, Japan and the big Messenger markets", func() {
		for _, c := range []string{"US", "DE", "FR", "JP", "BR", "IN", "NO"} {
			_, ok := region.Lookup(c)
			Expect(ok).To(BeTrue(), c)
		}
		_, ok := region.Lookup("ZZ")
		Expect(ok).To(BeFalse())
	})

	It("covers every country under the region rules, the UK and Switzerland", func() {
		want := append(append(platform.Europe(), platform.Japan()...), "GB", "CH")
		Expect(want).To(ContainElements("IS", "LI", "NO"))
		Expect(region.Codes()).To(ContainElements(want))
	})

	It("covers the common markets of every continent, Iceland among the EEA", func() {
		Expect(region.Codes()).To(ContainElements("IS", "AR", "KR", "EG", "NZ", "UA", "SA", "KE", "MX", "CA"))
		Expect(len(region.Codes())).To(BeNumerically(">=", 100))
		is, _ := region.Lookup("IS")
		Expect(is).To(Equal(region.Info{Locale: "is_IS", UTCOffset: 0}))
	})

	It("gives a locale of the country and a real UTC offset for every code, sorted", func() {
		codes := region.Codes()
		Expect(sort.StringsAreSorted(codes)).To(BeTrue())
		for _, c := range codes {
			i, _ := region.Lookup(c)
			Expect(i.Locale).To(MatchRegexp(`^[a-z]{2}_` + c + `$`))
			Expect(i.UTCOffset).To(BeNumerically(">=", -12))
			Expect(i.UTCOffset).To(BeNumerically("<=", 14))
		}
	})
})
