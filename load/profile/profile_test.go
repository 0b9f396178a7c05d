package profile_test

import (
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/load/profile"
)

var _ = Describe("Profile", func() {
	It("defaults to a valid small shop", func() {
		p := profile.Default()
		Expect(p.Validate()).To(Succeed())
		Expect(p.Regions[1].Timezones).To(Equal([]float64{0}))
		Expect(p.Regions[1].Locale).To(Equal("en_GB"))
	})

	It("loads every shipped profile", func() {
		files, err := filepath.Glob("../profiles/*.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(files).NotTo(BeEmpty())
		for _, f := range files {
			_, err := profile.Load(f)
			Expect(err).NotTo(HaveOccurred(), f)
		}
	})

	It("keeps the defaults a file leaves out and reads durations in scenario units", func() {
		p, err := profile.Parse([]byte("name: x\nopt_in: 0.9\nreply_delay: {min: 1m, max: 2d}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(p.OptIn).To(Equal(0.9))
		Expect(p.ReplyDelay.Max.D()).To(Equal(48 * time.Hour))
		Expect(p.WritesPerDay).To(Equal(profile.Default().WritesPerDay))
	})

	DescribeTable("rejects bad profiles with ErrInvalid",
		func(doc, msg string) {
			_, err := profile.Parse([]byte(doc))
			Expect(err).To(MatchError(profile.ErrInvalid))
			Expect(err.Error()).To(ContainSubstring(msg))
		},
		Entry("an unknown field", "opt_inn: 0.3\n", "field opt_inn not found"),
		Entry("a probability over 1", "reply: 1.5\n", "reply 1.5"),
		Entry("a bad duration", "opt_in_delay: {min: 2 days}\n", "2 days"),
		Entry("an unknown region", "regions: [{code: XX, weight: 1}]\n", `unknown region "XX"`),
		Entry("a restock of an unknown product", "campaigns: [{trigger: restock, data: {product: hat}}]\n", `unknown product "hat"`),
		Entry("inverted delays", "reply_delay: {min: 2h, max: 1h}\n", "reply_delay"),
	)

	It("lists campaign firings in time order within the run", func() {
		p := profile.Default()
		f := p.Firings(p.Start.Add(30 * 24 * time.Hour))
		Expect(f).To(HaveLen(4 + 2 + 1))
		for i := 1; i < len(f); i++ {
			Expect(f[i].At.Before(f[i-1].At)).To(BeFalse())
		}
		Expect(f[0].At).To(Equal(p.Start.Add(2*24*time.Hour + 15*time.Hour)))
	})
})
