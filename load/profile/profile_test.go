package profile_test

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/load/profile"
	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/scenarios"
)

var _ = Describe("Profile", func() {
	It("defaults to a valid small shop", func() {
		p := profile.Default()
		Expect(p.Validate()).To(Succeed())
		Expect(p.Regions[1].Timezones).To(Equal([]string{"Europe/London"}))
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

	It("reads IANA time zones of the country, and any IANA zone for a country otnsim does not know", func() {
		p, err := profile.Parse([]byte("regions:\n  - {code: US, weight: 1, timezones: [America/Chicago, Pacific/Honolulu]}\n  - {code: XK, weight: 1, locale: sq_XK, timezones: [Europe/Belgrade]}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Regions[0].Timezones).To(Equal([]string{"America/Chicago", "Pacific/Honolulu"}))
		Expect(p.Regions[1].Timezones).To(Equal([]string{"Europe/Belgrade"}))
	})

	It("reads the entry points by weight over a typed message's default", func() {
		p, err := profile.Parse([]byte("entries: {quick_reply: 2, postback: 1, reaction: 1, referral: 0.5, ad: 1}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Entries).To(Equal(profile.Entries{Message: 1, QuickReply: 2, Postback: 1, Reaction: 1, Referral: 0.5, Ad: 1}))
		Expect(p.Entries.Weights()).To(HaveLen(len(profile.EntryNames)))
		Expect(profile.Default().Entries).To(Equal(profile.Entries{Message: 1}))
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
		Entry("an unknown field", "opt_inn: 0.3\n", `profile:1:1: unknown field "opt_inn" in the profile (did you mean "opt_in"?)`),
		Entry("a probability over 1", "reply: 1.5\n", "reply 1.5"),
		Entry("a bad duration", "opt_in_delay: {min: 2 days}\n", "2 days"),
		Entry("an unknown region", "regions: [{code: XX, weight: 1}]\n", `unknown region "XX"`),
		Entry("a restock of an unknown product", "campaigns: [{trigger: restock, data: {product: hat}}]\n", `unknown product "hat"`),
		Entry("inverted delays", "reply_delay: {min: 2h, max: 1h}\n", "reply_delay"),
		Entry("a duration too long for time.Duration", "reply_delay: {max: 1000y}\n", `profile:1:20: reply_delay.max: bad duration "1000y": too long`),
		Entry("a number that is not one", "opt_in: .nan\n", `profile:1:9: opt_in must be a number, got ".nan"`),
		Entry("a time zone of another country", "regions: [{code: DE, weight: 1, timezones: [Europe/Paris]}]\n", "profile:1:45: regions[0] DE: timezone Europe/Paris is not a time zone of DE (its zones: [Europe/Berlin])"),
		Entry("an offset where a zone name belongs", "regions: [{code: US, weight: 1, timezones: [-5]}]\n", `regions[0] US: timezone "-5" is not an IANA time zone name (such as Europe/Berlin)`),
		Entry("a negative entry weight", "entries: {reaction: -1}\n", "profile:1:21: entries.reaction -1: weights must not be negative"),
		Entry("no entry at all", "entries: {message: 0}\n", "entries: at least one weight must be above 0"),
		Entry("an unknown entry", "entries: {reactions: 1}\n", `unknown field "reactions"`),
		Entry("a second document", "name: a\n---\nname: b\n", "profile:2:1: the file holds one YAML document; found another"),
	)

	It("reports every mistake at once, in file order, where the file has it", func() {
		_, err := profile.Parse([]byte("name: x\nreply: 1.5\nregions:\n  - {code: US, weight: 0}\n  - {code: XX, weight: 1}\nopt_in: 2\n"))
		Expect(err).To(MatchError(profile.ErrInvalid))
		Expect(err.Error()).To(HavePrefix("invalid profile: "))
		lines := strings.Split(strings.TrimPrefix(err.Error(), "invalid profile: "), "\n")
		Expect(lines).To(HaveLen(4))
		Expect(lines[0]).To(Equal("profile:2:8: reply 1.5: want a probability from 0 to 1"))
		Expect(lines[1]).To(Equal("profile:4:24: regions[0] US: weight must be positive"))
		Expect(lines[2]).To(HavePrefix(`profile:5:12: regions[1]: unknown region "XX"`))
		Expect(lines[3]).To(Equal("profile:6:9: opt_in 2: want a probability from 0 to 1"))
	})

	// Issue 17: a start past the clock's range overflowed the engine's
	// nanosecond counts.
	It("refuses a start whose run would leave the clock's range, with its position", func() {
		for _, start := range []string{"2260-01-01T00:00:00Z", "9999-01-01T00:00:00Z", "1733-01-01T00:00:00Z"} {
			_, err := profile.Parse([]byte("name: x\nstart: " + start + "\n"))
			Expect(err).To(MatchError(profile.ErrInvalid), start)
			Expect(err.Error()).To(ContainSubstring("profile:2:8: start " + start + ": want an instant from 1970-01-01T00:00:00Z to 10y before 2262-01-01T00:00:00Z"))
		}
		_, err := profile.Parse([]byte("name: x\nstart: 2250-01-01T00:00:00Z\n"))
		Expect(err).NotTo(HaveOccurred())
	})

	It("names the file in positions when loading one", func() {
		path := filepath.Join(GinkgoT().TempDir(), "shop.yaml")
		Expect(os.WriteFile(path, []byte("name: shop\nopt_in_delay: {min: soon}\n"), 0o600)).To(Succeed())
		_, err := profile.Load(path)
		Expect(err).To(MatchError(profile.ErrInvalid))
		Expect(err.Error()).To(ContainSubstring(path + `:2:21: opt_in_delay.min: bad duration "soon"`))
	})

	Describe("the bot section, read as a scenario file's", func() {
		parse := func(doc string) *profile.Profile {
			p, err := profile.Parse([]byte(doc))
			Expect(err).NotTo(HaveOccurred())
			return p
		}

		It("applies a preset, keeping the profile's products", func() {
			p := parse("bot: {preset: instant}\n")
			instant, err := reference.PresetPolicy("instant")
			Expect(err).NotTo(HaveOccurred())
			Expect(p.Bot.Preset).To(Equal("instant"))
			Expect(p.Bot.Policy).To(Equal(instant))
			Expect(p.Bot.Policy.IdleAfter).To(BeZero())
			Expect(p.Bot.Products).To(Equal(profile.Default().Bot.Products))
		})

		It("overrides single knobs over the preset", func() {
			p := parse("bot:\n  preset: broadcaster\n  policy: {idle_after: 1m}\n")
			Expect(p.Bot.Policy.SpendTokenInWindow).To(BeTrue())
			Expect(p.Bot.Policy.IdleAfter).To(Equal(time.Minute))
		})

		It("reads otnsim durations in the policy", func() {
			p := parse("bot: {policy: {analytics: {attribution_window: 7d}, throttle: {per_topic: 1w}}}\n")
			Expect(p.Bot.Policy.Analytics.AttributionWindow).To(Equal(7 * 24 * time.Hour))
			Expect(p.Bot.Policy.Throttle.PerTopic).To(Equal(7 * 24 * time.Hour))
		})

		DescribeTable("refuses what a scenario file refuses, with its position and a hint",
			func(doc, msg string) {
				_, err := profile.Parse([]byte(doc))
				Expect(err).To(MatchError(profile.ErrInvalid))
				Expect(err.Error()).To(Equal("invalid profile: " + msg))
			},
			Entry("an unknown preset, listing the presets", "bot: {preset: nosuch}\n",
				`profile:1:15: unknown bot preset "nosuch" (expected one of: broadcaster, careful, flow-builder, instant)`),
			Entry("a misspelled preset", "bot: {preset: instnat}\n",
				`profile:1:15: unknown bot preset "instnat" (did you mean "instant"?)`),
			Entry("a misspelled knob", "bot:\n  policy: {idle_afer: 1m}\n",
				`profile:2:12: unknown field "idle_afer" in bot.policy (did you mean "idle_after"?)`),
			Entry("a bad duration", "bot: {policy: {idle_after: soon}}\n",
				`profile:1:28: bot.policy.idle_after: bad duration "soon": expected a number before "soon"`),
		)

		It("decodes to what the same section gives in a scenario file", func() {
			section := "bot:\n  preset: flow-builder\n  policy: {idle_after: 2m, analytics: {attribution_window: 3d}}\n" +
				"  products: [{slug: hat, name: Hat}]\n  opt_ins: [{name: hats, title: Hats are back, topic: restock:hat, keywords: [hat]}]\n"
			p := parse(section + "campaigns: []\n")
			sc, err := scenarios.Parse("s.yaml", []byte("name: s\nsteps: []\n"+section))
			Expect(err).NotTo(HaveOccurred())
			Expect(p.Bot).To(Equal(sc.Bot))
		})
	})

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
