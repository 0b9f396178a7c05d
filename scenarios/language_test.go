package scenarios_test

import (
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/scenarios"
	"github.com/otnsim/otnsim/sim"
)

var _ = Describe("the language", func() {
	parse := func(src string) *scenarios.Scenario {
		sc, err := scenarios.Parse("s.yaml", []byte(src))
		Expect(err).NotTo(HaveOccurred())
		return sc
	}

	It("expands a table into one scenario per case, with typed variables", func() {
		sc := parse(`name: offsets
subscribers: [{alias: a}]
steps:
  - say: {who: a, text: hi}
  - advance: "${wait}"
  - expect: {delivered: {who: a, count: "${n}"}}
cases:
  - {name: early, vars: {wait: 23h59m59.999s, n: 1}}
  - {name: late, vars: {wait: 24h, n: 0}}
`)
		Expect(sc.Cases).To(HaveLen(2))
		Expect(sc.Expand()).To(HaveLen(2))
		Expect(sc.Cases[0].Name).To(Equal("offsets [early]"))
		Expect(sc.Cases[0].Steps[1].Duration).To(Equal(24*time.Hour - time.Millisecond))
		Expect(sc.Cases[1].Steps[2].Expect[0].Counts["count"]).To(Equal(0))
		Expect(sc.Cases[1].Steps[2].Pos.Line).To(Equal(6))
	})

	It("repeats steps over subscribers and rounds", func() {
		sc := parse(`name: r
subscribers:
  - {alias: ana, region: DE}
  - generate: {count: 4, prefix: g, regions: {US: 3, JP: 1}}
steps:
  - repeat: {each: "g*", steps: [{say: {who: "${who}", text: "hi ${i}"}}]}
  - repeat: {each: {region: DE}, steps: [{block: {who: "${who}"}}]}
  - repeat: {times: 2, steps: [{advance: 1h}]}
  - repeat: {each: [ana, g1], steps: [{unblock: {who: "${who}"}}]}
`)
		Expect(sc.Subscribers).To(HaveLen(5))
		Expect(sc.Subscribers[4].Alias).To(Equal("g4"))
		var regions []string
		for _, s := range sc.Subscribers[1:] {
			regions = append(regions, s.Region)
		}
		Expect(regions).To(ConsistOf("US", "US", "US", "JP"))
		Expect(sc.Steps).To(HaveLen(4 + 1 + 2 + 2))
		Expect(sc.Steps[3].Who).To(Equal("g4"))
		Expect(sc.Steps[3].Text).To(Equal("hi 4"))
		Expect(sc.Steps[4].Who).To(Equal("ana"))
	})

	It("reads the world, checks, faults and relative instants", func() {
		sc := parse(`name: w
world: {page_country: us, admin_countries: [US, DE], otn_permission: false, platform_date: 2026-05-01T00:00:00Z, settings: {token_error_code: 190, rate_limit: {disabled: true}, webhook: {backoff: 1m}}}
checks: {idle_after: 10m, throttle_max: 1}
subscribers: [{alias: a, timezone: -3.5}]
steps:
  - fault: {code: 2, times: 3, who: a, stage: after, probability: 0.5}
  - fault: {kind: drop}
  - fault: {status: 503}
  - at: +1y
  - react: {who: a, emoji: "❤"}
`)
		Expect(sc.World.PageCountry).To(Equal("US"))
		Expect(sc.World.AdminCountries).To(Equal([]string{"US", "DE"}))
		Expect(sc.World.OTNPermission).To(BeFalse())
		Expect(sc.World.Settings.TokenErrorCode).To(Equal(190))
		Expect(sc.World.Settings.RateLimit.Disabled).To(BeTrue())
		Expect(sc.World.Settings.Webhook.Backoff).To(Equal(time.Minute))
		Expect(sc.World.Settings.Webhook.Timeout).To(Equal(5*time.Second), "defaults stay under the overrides")
		Expect(sc.World.FakegraphSettings().PlatformDate).To(Equal(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)))
		Expect(sc.World.Page().AdminCountries).To(Equal([]string{"US", "DE"}))
		Expect(sc.Checks.IdleAfter).To(Equal(10 * time.Minute))
		Expect(sc.Checks.ThrottleMax).To(Equal(1))
		Expect(*sc.Subscribers[0].Timezone).To(Equal(-3.5))
		Expect(sc.Steps[0].Fault.Times).To(Equal(3))
		Expect(sc.Steps[0].Fault.Stage).To(Equal("after"))
		Expect(sc.Steps[0].Fault.Kind).To(Equal("graph_error"))
		Expect(sc.Steps[1].Fault.Kind).To(Equal("drop"))
		Expect(sc.Steps[2].Fault.Kind).To(Equal("http_5xx"))
		Expect(sc.Steps[3].Relative).To(BeTrue())
		Expect(sc.Steps[3].AtOffset).To(Equal(365 * 24 * time.Hour))
	})

	It("reports mistakes in tables, repeats and new sections with positions and hints", func() {
		Expect(parseErrors(`name: n
subscribers:
  - generate: {count: 3, regions: {XX: 1}}
  - {alias: ana, region: GER}
steps:
  - repeat: {each: "zz*", steps: [{say: {who: "${who}", text: hi}}]}
  - advance: "${wiat}"
  - expect: {findings: {rule: OTN-IDEL}}
  - reply: {who: ana}
  - fault: {times: 2}
  - fault: {kind: latncy}
cases:
  - {name: a, vars: {wait: 1h}}
`)).To(Equal([]string{
			`s.yaml:3:36: generate.regions: otnsim has no profile data for country "XX" (did you mean "MX"?)`,
			`s.yaml:4:26: region must be a two-letter country code like US or DE, got "GER"`,
			`s.yaml:6:20: repeat.each "zz*" matches no subscriber (expected one of: ana)`,
			`s.yaml:7:14: unknown variable ${wiat} (did you mean "wait"?)`,
			`s.yaml:8:31: rule: unknown value "OTN-IDEL" (did you mean "OTN-IDLE"?)`,
			`s.yaml:9:12: reply needs field "text"`,
			`s.yaml:10:12: fault needs a "kind" (graph_error, http_5xx, latency, drop, lost_response), or a Graph error "code", an HTTP 5xx "status" or a "latency"`,
			`s.yaml:11:19: fault.kind: unknown value "latncy" (did you mean "latency"?)`,
		}))
	})

	It("says where ${who} is unbound", func() {
		Expect(parseErrors("name: n\nsubscribers: [{alias: a}]\nsteps: [{say: {who: \"${who}\", text: hi}}]\n")).To(Equal([]string{
			`s.yaml:3:21: ${who} is bound only inside a repeat's steps`,
		}))
	})

	It("never expands past its bound", func() {
		errs := parseErrors(`name: n
steps:
  - repeat: {times: 10000, steps: [{repeat: {times: 10000, steps: [{advance: 1s}, {advance: 1s}, {advance: 1s}]}}]}
`)
		Expect(errs).To(ContainElement(ContainSubstring("the file expands to more than 200000 steps")))
	})
})

var _ = Describe("selecting and running many", func() {
	It("filters by name or file and by tags", func() {
		all, err := scenarios.LoadFS(scenarios.Shipped(), ".")
		Expect(err).NotTo(HaveOccurred())
		got := scenarios.Select(all, scenarios.Filter{Run: regexp.MustCompile(`^idle/`)})
		Expect(got).To(HaveLen(7))
		got = scenarios.Select(all, scenarios.Filter{Tags: []string{"caught", "-boundary"}})
		Expect(got).NotTo(BeEmpty())
		for _, sc := range got {
			Expect(sc.Tags).To(ContainElement("caught"))
			Expect(sc.Tags).NotTo(ContainElement("boundary"))
		}
	})

	It("gives the same results in parallel as serially", func() {
		all, err := scenarios.LoadFS(scenarios.Shipped(), ".")
		Expect(err).NotTo(HaveOccurred())
		serial := scenarios.RunAll(all, scenarios.RunOptions{Parallel: 1}, nil)
		seen := 0
		parallel := scenarios.RunAll(all, scenarios.RunOptions{Parallel: 4}, func(int, scenarios.Result) { seen++ })
		Expect(seen).To(Equal(len(all)))
		for i := range serial {
			serial[i].Elapsed, parallel[i].Elapsed = 0, 0
		}
		Expect(parallel).To(Equal(serial))
	})

	It("calls the settle hook after steps that can make the bot act", func() {
		sc, err := scenarios.Parse("s.yaml", []byte("name: n\nsubscribers: [{alias: a}]\nsteps:\n  - say: {who: a, text: hi}\n  - advance: 1h\n  - expect: {window: {who: a, open: true}}\n"))
		Expect(err).NotTo(HaveOccurred())
		var kinds []scenarios.StepKind
		res := scenarios.Run(sc, scenarios.RunOptions{Settle: func(_ *sim.World, st *scenarios.Step) error {
			kinds = append(kinds, st.Kind)
			return nil
		}})
		Expect(res.Passed).To(BeTrue())
		Expect(kinds).To(Equal([]scenarios.StepKind{scenarios.StepSay, scenarios.StepAdvance}))
	})

	It("makes the world the file asks for: page country, admins, settings and platform date", func() {
		run := func(world string) scenarios.Result {
			sc, err := scenarios.Parse("s.yaml", []byte(`name: n
world: `+world+`
subscribers: [{alias: a, region: US}]
steps:
  - say: {who: a, text: hi}
  - send: {to: a, otn_request: {title: News, topic: news}}
  - expect: {errors: {who: a, rule: OTN-REGION, count: 1}}
`))
			Expect(err).NotTo(HaveOccurred())
			return scenarios.Run(sc, scenarios.RunOptions{})
		}
		Expect(run("{page_country: DE}").Passed).To(BeTrue())
		Expect(run("{admin_countries: [US, JP]}").Passed).To(BeTrue())
		Expect(run("{page_country: DE, platform_date: 2020-12-15T23:59:59.999Z}").Passed).To(BeFalse())
		Expect(run("{page_country: DE, settings: {region: {disabled: true}}}").Passed).To(BeFalse())
		Expect(run("{page_country: US}").Passed).To(BeFalse())
	})
})
