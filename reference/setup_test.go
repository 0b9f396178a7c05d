package reference_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/reference"
)

var _ = Describe("presets", func() {
	It("names four, sorted", func() {
		Expect(reference.PresetNames()).To(Equal([]string{"broadcaster", "careful", "flow-builder", "instant"}))
	})

	It("resolves each name, and the empty one to the careful default", func() {
		careful, err := reference.PresetPolicy("careful")
		Expect(err).NotTo(HaveOccurred())
		Expect(careful).To(Equal(reference.DefaultPolicy()))
		empty, err := reference.PresetPolicy("")
		Expect(err).NotTo(HaveOccurred())
		Expect(empty).To(Equal(reference.DefaultPolicy()))
		instant, err := reference.PresetPolicy("instant")
		Expect(err).NotTo(HaveOccurred())
		Expect(instant.IdleAfter).To(BeZero())
		Expect(instant.Throttle).To(BeZero())
	})

	It("refuses an unknown name, listing the presets", func() {
		_, err := reference.PresetPolicy("sloppy")
		Expect(err).To(MatchError(`unknown preset "sloppy" (the presets are broadcaster, careful, flow-builder, instant)`))
	})
})

var _ = Describe("ParseSetup", func() {
	It("is the careful default for an empty file", func() {
		s, err := reference.ParseSetup("bot.yaml", []byte("# nothing yet\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(s).To(Equal(reference.Setup{Policy: reference.DefaultPolicy()}))
	})

	It("applies the preset first, then the knobs set over it, in otnsim durations", func() {
		s, err := reference.ParseSetup("bot.yaml", []byte("policy:\n  idle_after: 90s\n  analytics: {attribution_window: 7d}\npreset: broadcaster\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Preset).To(Equal("broadcaster"))
		Expect(s.Policy.SpendTokenInWindow).To(BeTrue())
		Expect(s.Policy.IdleAfter).To(Equal(90 * time.Second))
		Expect(s.Policy.Analytics.AttributionWindow).To(Equal(7 * 24 * time.Hour))
	})

	It("reports every mistake at once, with positions and hints", func() {
		_, err := reference.ParseSetup("bot.yaml", []byte("preset: nosuch\npolicy:\n  idle_afer: 1m\n  throttle: {per_day: lots}\nflows: [{name: f, ask_after: 1000y}]\n"))
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(Equal(`bot.yaml:1:9: unknown bot preset "nosuch" (expected one of: broadcaster, careful, flow-builder, instant)
bot.yaml:3:3: unknown field "idle_afer" in bot.policy (did you mean "idle_after"?)
bot.yaml:4:23: bot.policy.throttle.per_day must be a number, got "lots"
bot.yaml:5:30: bot.flows[0].ask_after: bad duration "1000y": too long (the longest duration is 292y171d23h47m16.854775807s, about 292 years)`))
	})

	It("reports a YAML syntax error with its line", func() {
		_, err := reference.ParseSetup("bot.yaml", []byte("policy: {idle_after: 1m\n"))
		Expect(err).To(MatchError(MatchRegexp(`^bot\.yaml:\d+:1: invalid YAML:`)))
	})
})
