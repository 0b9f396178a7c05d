package rules_test

import (
	"regexp"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/rules"
)

var _ = Describe("the catalogue", func() {
	It("holds every rule of the catalogue with a kind, severity and text", func() {
		Expect(rules.IDs()).To(ConsistOf(
			"OTN-REQ-WINDOW", "OTN-REQ-FORMAT", "OTN-TOKEN-ONCE", "OTN-TOKEN-EXPIRY", "OTN-TOKEN-SCOPE",
			"OTN-REGION", "OTN-FEATURE", "OTN-CONTENT", "WIN-24H", "WIN-REOPEN", "OTN-IN-WINDOW-KEEP",
			"OTN-IDLE", "OTN-TOPIC-MATCH", "OTN-REQ-THROTTLE", "OTN-MULTI", "HOOK-SIGNATURE",
			"HOOK-VERIFY", "HOOK-REPLAY", "SEND-AUTH", "SEND-FORMAT", "SEND-RATE", "USER-AVAILABLE",
			"OTN-REQ-SPAM", "WIN-TAG", "RN-REQ-WINDOW", "RN-REQ-FORMAT", "RN-REQ-REPEAT", "RN-TOKEN-COOLDOWN",
			"RN-TOKEN-STOPPED", "RN-TOKEN-VALID", "RN-ERA"))
		id := regexp.MustCompile(`^[A-Z0-9]+(-[A-Z0-9]+)+$`)
		for _, r := range rules.All() {
			Expect(r.ID).To(MatchRegexp(id.String()))
			Expect(r.Kind).To(BeElementOf(rules.Platform, rules.Practice, rules.Security))
			Expect(r.Severity).To(BeElementOf(rules.Failure, rules.Warning, rules.Info))
			Expect(r.Text).NotTo(BeEmpty())
		}
	})

	It("looks rules up by id", func() {
		r, ok := rules.Lookup(rules.TokenOnce)
		Expect(ok).To(BeTrue())
		Expect(r.Kind).To(Equal(rules.Platform))
		_, ok = rules.Lookup("NOPE")
		Expect(ok).To(BeFalse())
	})
})

var _ = Describe("the catalogue's advice", func() {
	It("says how to fix every rule", func() {
		for _, r := range rules.All() {
			Expect(r.Fix).NotTo(BeEmpty(), r.ID)
		}
	})
})
