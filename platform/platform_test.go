package platform_test

import (
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/platform"
)

// The HMAC test vector: key "key", the quick brown fox.
const (
	vecSecret = "key"
	vecBody   = "The quick brown fox jumps over the lazy dog"
	vec256    = "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	vec1      = "sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"
)

var _ = Describe("the windows and the token lifetime", func() {
	It("are 24 hours, 7 days and 365 days", func() {
		Expect(platform.Window).To(Equal(24 * time.Hour))
		Expect(platform.TagWindow).To(Equal(7 * platform.Window))
		Expect(platform.TokenLifetime).To(Equal(365 * platform.Window))
	})

	It("dates the era switches in UTC", func() {
		Expect(platform.EuropeRulesDate()).To(Equal(time.Date(2020, 12, 16, 0, 0, 0, 0, time.UTC)))
		Expect(platform.JapanRulesDate()).To(Equal(time.Date(2021, 3, 30, 0, 0, 0, 0, time.UTC)))
		Expect(platform.MessagingTypeRequiredDate()).To(Equal(time.Date(2018, 5, 7, 0, 0, 0, 0, time.UTC)))
		Expect(platform.RetiredTagsDate()).To(Equal(time.Date(2026, 4, 27, 0, 0, 0, 0, time.UTC)))
	})
})

var _ = Describe("the region lists", func() {
	eu27 := []string{"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
		"IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}

	It("are the EEA (the EU 27, Iceland, Liechtenstein, Norway) and Japan", func() {
		Expect(eu27).To(HaveLen(27))
		Expect(platform.Europe()).To(ConsistOf(append(eu27, "IS", "LI", "NO")))
		Expect(platform.Japan()).To(Equal([]string{"JP"}))
		for _, c := range []string{"IS", "LI", "NO", "DE", "fr"} {
			Expect(platform.IsEurope(c)).To(BeTrue(), c)
		}
		for _, c := range []string{"GB", "CH", "JP", "US", ""} {
			Expect(platform.IsEurope(c)).To(BeFalse(), c)
		}
		Expect(platform.IsJapan("jp")).To(BeTrue())
		Expect(platform.IsJapan("DE")).To(BeFalse())
	})

	It("hands out independent copies", func() {
		a := platform.Europe()
		a[0] = "ZZ"
		a = append(a[:1], "XX")
		Expect(platform.Europe()).NotTo(ContainElements("ZZ", "XX"))
		Expect(platform.Europe()).To(HaveLen(30))
		Expect(platform.IsEurope("ZZ")).To(BeFalse())
		j := platform.Japan()
		j[0] = "KR"
		Expect(platform.Japan()).To(Equal([]string{"JP"}))
	})

	It("take effect in Europe first, then in Japan", func() {
		Expect(platform.EuropeRulesDate().Before(platform.JapanRulesDate())).To(BeTrue())
	})
})

var _ = Describe("webhook signing", func() {
	It("signs the known HMAC vector", func() {
		s256, s1 := platform.Sign(vecSecret, []byte(vecBody))
		Expect(s256).To(Equal(vec256))
		Expect(s1).To(Equal(vec1))
		s256, s1 = platform.NewSigner(vecSecret).Sign([]byte(vecBody), true)
		Expect(s256).To(Equal(vec256))
		Expect(s1).To(Equal(vec1))
		_, s1 = platform.NewSigner(vecSecret).Sign([]byte(vecBody), false)
		Expect(s1).To(BeEmpty())
	})

	It("verifies what it signs, and nothing else", func() {
		body := []byte(`{"object":"page","entry":[]}`)
		good, _ := platform.Sign("s3cret", body)
		sg := platform.NewSigner("s3cret")
		Expect(sg.Secret()).To(Equal("s3cret"))
		for _, verify := range []func([]byte, string) bool{
			func(b []byte, h string) bool { return platform.Verify("s3cret", b, h) },
			sg.Verify,
		} {
			Expect(verify(body, good)).To(BeTrue())
			Expect(verify([]byte(vecBody), vec256)).To(BeFalse(), "another secret's signature")
			Expect(verify(append(body, ' '), good)).To(BeFalse(), "other bytes")
			Expect(verify(body, "")).To(BeFalse(), "empty")
			Expect(verify(body, "sha256=")).To(BeFalse(), "truncated to the prefix")
			Expect(verify(body, good[:len(good)-1])).To(BeFalse(), "one digit short")
			Expect(verify(body, good+"0")).To(BeFalse(), "one digit long")
			Expect(verify(body, strings.ToUpper(good))).To(BeFalse(), "upper case")
			Expect(verify(body, "sha1="+strings.TrimPrefix(good, "sha256="))).To(BeFalse(), "sha1 prefix")
			Expect(verify(body, "SHA256="+strings.TrimPrefix(good, "sha256="))).To(BeFalse(), "upper-case prefix")
			Expect(verify(body, strings.TrimPrefix(good, "sha256="))).To(BeFalse(), "no prefix")
			Expect(verify(body, " "+good)).To(BeFalse(), "leading space")
		}
		_, legacy := platform.Sign("s3cret", body)
		Expect(platform.Verify("s3cret", body, legacy)).To(BeFalse(), "the legacy header is not accepted")
	})

	It("verifies nothing under an empty secret", func() {
		body := []byte("x")
		sig, _ := platform.Sign("", body)
		Expect(platform.Verify("", body, sig)).To(BeFalse())
		Expect(platform.NewSigner("").Verify(body, sig)).To(BeFalse())
	})

	It("is safe for concurrent use", func() {
		sg := platform.NewSigner(vecSecret)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				defer GinkgoRecover()
				for range 200 {
					s256, s1 := sg.Sign([]byte(vecBody), true)
					Expect(s256).To(Equal(vec256))
					Expect(s1).To(Equal(vec1))
					Expect(sg.Verify([]byte(vecBody), vec256)).To(BeTrue())
				}
			})
		}
		wg.Wait()
	})
})
