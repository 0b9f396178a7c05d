package region_test

import (
	"sort"
	"testing"
	"time"

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
		Expect(is).To(Equal(region.Info{Locale: "is_IS", UTCOffset: 0, Zones: []string{"Atlantic/Reykjavik"}}))
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

	It("gives every country IANA time zones, the main one first, whose standard time is the country's offset", func() {
		jan, jul := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC)
		for _, c := range region.Codes() {
			i, _ := region.Lookup(c)
			Expect(i.Zones).NotTo(BeEmpty(), c)
			Expect(region.MainZone(c)).To(Equal(i.Zones[0]), c)
			for _, z := range i.Zones {
				Expect(region.CheckZone(c, z)).To(Succeed(), c)
			}
			_, okA := region.Offset(i.Zones[0], jan)
			_, okB := region.Offset(i.Zones[0], jul)
			Expect(okA && okB).To(BeTrue(), c)
			std, _ := region.StandardOffset(i.Zones[0])
			Expect(std).To(Equal(i.UTCOffset), "%s %s: standard time", c, i.Zones[0])
		}
		Expect(region.Zones("US")).To(ContainElements("America/New_York", "America/Los_Angeles", "Pacific/Honolulu"))
		Expect(region.MainZone("DE")).To(Equal("Europe/Berlin"))
		Expect(region.MainZone("ZZ")).To(BeEmpty())
	})

	It("follows daylight saving time: Berlin is an hour ahead of UTC in January and two in July", func() {
		jan, _ := region.Offset("Europe/Berlin", time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))
		jul, _ := region.Offset("Europe/Berlin", time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC))
		Expect([]float64{jan, jul}).To(Equal([]float64{1, 2}))
		kol, _ := region.Offset("Asia/Kolkata", time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC))
		Expect(kol).To(Equal(5.5))
		_, ok := region.Offset("Mars/Olympus_Mons", time.Now())
		Expect(ok).To(BeFalse())
	})

	It("refuses a zone that is not IANA's, or not one of a known country's, naming the country's zones", func() {
		Expect(region.CheckZone("DE", "Europe/Paris")).To(MatchError(region.ErrZone))
		Expect(region.CheckZone("DE", "Europe/Paris").Error()).To(ContainSubstring("Europe/Paris is not a time zone of DE (its zones: [Europe/Berlin])"))
		Expect(region.CheckZone("US", "UTC+5")).To(MatchError(ContainSubstring(`"UTC+5" is not an IANA time zone name`)))
		Expect(region.CheckZone("US", "")).To(MatchError(region.ErrZone))
		Expect(region.CheckZone("XX", "Europe/Paris")).To(Succeed(), "a country the table lacks takes any IANA zone")
	})
})
