package sim_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/sim"
)

var _ = Describe("RegionMix", func() {
	It("gives exact counts by largest remainder, interleaved", func() {
		got, err := sim.RegionMix(10, map[string]float64{"US": 0.7, "DE": 0.2, "JP": 0.1})
		Expect(err).NotTo(HaveOccurred())
		n := map[string]int{}
		for _, r := range got {
			n[r]++
		}
		Expect(n).To(Equal(map[string]int{"US": 7, "DE": 2, "JP": 1}))
		Expect(got[:3]).To(ContainElement("US"))
		Expect(got[0]).NotTo(Equal(got[1]))
	})

	It("rounds so the counts add up", func() {
		got, err := sim.RegionMix(200, map[string]float64{"US": 1, "BR": 1, "IN": 1})
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(HaveLen(200))
	})

	It("is deterministic and uses the default population when no mix is given", func() {
		a, _ := sim.RegionMix(25, nil)
		b, _ := sim.RegionMix(25, nil)
		Expect(a).To(Equal(b))
		Expect(a).To(HaveLen(25))
	})

	It("refuses unknown regions and shares at or below zero", func() {
		_, err := sim.RegionMix(3, map[string]float64{"XX": 1})
		Expect(err).To(MatchError(ContainSubstring("unknown region")))
		_, err = sim.RegionMix(3, map[string]float64{"US": 0})
		Expect(err).To(MatchError(ContainSubstring("above 0")))
	})
})
