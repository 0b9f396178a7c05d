package scenarios_test

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/scenarios"
	"github.com/otnsim/otnsim/sim"
)

func parseErrors(src string) []string {
	_, err := scenarios.Parse("s.yaml", []byte(src))
	var list scenarios.ErrorList
	Expect(errors.As(err, &list)).To(BeTrue(), "expected an ErrorList, got %v", err)
	var out []string
	for _, e := range list {
		out = append(out, e.Error())
	}
	return out
}

var _ = Describe("parsing", func() {
	It("reads a whole scenario", func() {
		sc, err := scenarios.Parse("s.yaml", []byte(`
name: n
tags: [a, b]
seed: 9
start: 2027-03-01T10:00:00Z
bot:
  policy: {idle_after: 10m, reuse_spent_tokens: true}
  products: [{slug: hat, name: Hat}]
subscribers: [{alias: ana, region: DE}]
steps:
  - say: {who: ana, text: hi}
  - advance: 1y2d
  - trigger: {name: otn.request, who: ana, data: {topic: t}}
  - expect:
      tokens: {who: ana, active: 1}
      window: {who: ana, open: false}
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(sc.Seed).To(Equal(int64(9)))
		Expect(sc.Start).To(Equal(time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)))
		Expect(sc.Bot.Policy.IdleAfter).To(Equal(10 * time.Minute))
		Expect(sc.Bot.Policy.ReuseSpentTokens).To(BeTrue())
		Expect(sc.Bot.Products).To(HaveLen(1))
		Expect(sc.Steps).To(HaveLen(4))
		Expect(sc.Steps[1].Duration).To(Equal(367 * 24 * time.Hour))
		Expect(sc.Steps[2].Data).To(Equal(map[string]any{"topic": "t"}))
		Expect(sc.Steps[3].Expect).To(HaveLen(2))
		Expect(sc.Steps[3].Pos.Line).To(Equal(14))
	})

	It("reports every mistake with file:line:col and a hint, in file order", func() {
		Expect(parseErrors(`name: n
subscribers:
  - alias: ana
steps:
  - sya: {who: ana, text: hi}
  - say: {who: bob, text: hi}
  - advance: 3 fortnights
  - expect: {tokens: {who: ana, actve: 1}}
`)).To(Equal([]string{
			`s.yaml:5:5: unknown step "sya" (did you mean "say"?)`,
			`s.yaml:6:16: unknown subscriber "bob" (expected one of: ana)`,
			`s.yaml:7:14: advance: bad duration "3 fortnights": unknown unit " fortnights" (use ms, s, m, h, d, w, y)`,
			`s.yaml:8:22: expect.tokens needs at least one of [issued active consumed expired rejected_uses]`,
			`s.yaml:8:33: unknown field "actve" in expect.tokens (did you mean "active"?)`,
		}))
	})

	It("reads a send to a user_ref, a subscriber's or a literal one, and what its answer must show", func() {
		sc, err := scenarios.Parse("s.yaml", []byte(`name: n
subscribers: [{alias: uma, user_ref: cb-1}]
steps:
  - send: {user_ref: {who: uma}, text: hi, response: {recipient_id: omitted}}
  - send: {user_ref: {value: cb-x}, text: hi}
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(sc.Subscribers[0].UserRef).To(Equal("cb-1"))
		Expect(sc.Steps[0].Send.UserRefOf).To(Equal("uma"))
		Expect(sc.Steps[0].Send.Response).To(Equal("omitted"))
		Expect(sc.Steps[1].Send.UserRefValue).To(Equal("cb-x"))
		Expect(parseErrors(`name: n
subscribers: [{alias: uma}]
steps:
  - send: {user_ref: {}, text: hi}
  - send: {to: uma, user_ref: {who: uma}, text: hi}
  - send: {to: uma, text: hi, response: {recipient_id: maybe}}
`)).To(Equal([]string{
			`s.yaml:4:22: send.user_ref needs field "who"`,
			`s.yaml:5:11: send needs exactly one of "to" (a subscriber), "user_ref", "token" (one of their tokens) or "recurring_token"`,
			`s.yaml:6:56: send.response.recipient_id: unknown value "maybe" (expected one of: included, omitted)`,
		}))
	})

	It("reads a subscriber's timezone as an IANA zone of their country or a fixed offset, and places a wrong zone", func() {
		sc, err := scenarios.Parse("s.yaml", []byte("name: n\nsubscribers:\n  - {alias: a, region: us, timezone: America/Chicago}\n  - {alias: b, region: IN, timezone: 5.5}\nsteps: []\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(sc.Subscribers[0].Zone).To(Equal("America/Chicago"))
		Expect(sc.Subscribers[0].Timezone).To(BeNil())
		Expect(*sc.Subscribers[1].Timezone).To(Equal(5.5))
		Expect(parseErrors("name: n\nsubscribers:\n  - {alias: a, region: DE, timezone: Europe/Paris}\n  - {alias: b, timezone: GMT+1}\nsteps: []\n")).To(Equal([]string{
			`s.yaml:3:38: timezone: Europe/Paris is not a time zone of DE (its zones: [Europe/Berlin])`,
			`s.yaml:4:26: timezone: "GMT+1" is not an IANA time zone name (such as Europe/Berlin)`,
		}))
	})

	It("requires a name and steps", func() {
		Expect(parseErrors("description: x\n")).To(ConsistOf(
			`s.yaml:1:1: the scenario needs field "name"`,
			`s.yaml:1:1: the scenario needs field "steps"`))
	})

	It("reports YAML syntax errors with their line", func() {
		errs := parseErrors("name: n\nsteps:\n  - say: {who: ana\n")
		Expect(errs).To(HaveLen(1))
		Expect(errs[0]).To(MatchRegexp(`^s\.yaml:\d+:1: invalid YAML:`))
	})

	It("reports an empty file", func() {
		Expect(parseErrors("")).To(Equal([]string{"s.yaml:1:1: empty scenario file"}))
	})

	It("reports wrong value types", func() {
		Expect(parseErrors("name: [x]\nsteps: {}\n")).To(Equal([]string{
			`s.yaml:1:7: name must be a string, got a list`,
			`s.yaml:2:8: steps must be a list, got a mapping`,
		}))
	})

	// The syntax itself is specified with clock.ParseDuration; here, that a
	// scenario file reads it and places its mistakes.
	It("reads otnsim durations and refuses one too long for time.Duration", func() {
		sc, err := scenarios.Parse("s.yaml", []byte("name: n\nsteps:\n  - advance: 23h59m59.999s\n  - at: +1y1ms\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(sc.Steps[0].Duration).To(Equal(24*time.Hour - time.Millisecond))
		Expect(sc.Steps[1].AtOffset).To(Equal(365*24*time.Hour + time.Millisecond))
		Expect(parseErrors("name: n\nsteps:\n  - advance: 1000y\n")).To(Equal([]string{
			`s.yaml:3:14: advance: bad duration "1000y": too long (the longest duration is 292y171d23h47m16.854775807s, about 292 years)`,
		}))
	})
})

// Issue 17: durations and instants that leave the clock's range, and files
// that expand to more work than any scenario needs, are input errors with
// positions, found before anything runs.
var _ = Describe("limits of a file", func() {
	It("refuses steps that take the clock past its range, at parse time", func() {
		Expect(parseErrors("name: n\nsteps:\n  - advance: 290y\n")).To(Equal([]string{
			`s.yaml:3:14: advance: 290y after 2026-01-05T09:00:00Z is outside the clock's range (the latest instant is 2262-01-01T00:00:00Z)`,
		}))
		Expect(parseErrors("name: n\nsteps:\n  - advance: 200y\n  - advance: 40y\n")).To(Equal([]string{
			`s.yaml:4:14: advance: 40y after 2225-11-18T09:00:00Z is outside the clock's range (the latest instant is 2262-01-01T00:00:00Z)`,
		}))
		Expect(parseErrors("name: n\nsteps:\n  - at: +291y\n")).To(HaveExactElements(HavePrefix("s.yaml:3:9: at: 291y after 2026-01-05T09:00:00Z is outside the clock's range")))
		Expect(parseErrors("name: n\nsteps:\n  - at: 9999-12-31T00:00:00Z\n")).To(HaveExactElements(HavePrefix("s.yaml:3:9: at: 9999-12-31T00:00:00Z is outside the clock's range")))
		Expect(parseErrors("name: n\nstart: 1733-01-01T00:00:00Z\nsteps: []\n")).To(HaveExactElements(HavePrefix("s.yaml:2:8: start: 1733-01-01T00:00:00Z is outside the clock's range")))
	})

	It("counts the steps of every case and repeat together against one limit", func() {
		// 695 bytes asked 1.95 GB of validate before: many cases of a large
		// repeat, each case under the limit. Here the limit is 2,000.
		DeferCleanup(scenarios.LowerStepLimit(2000))
		src := "name: n\nsteps:\n  - repeat: {times: 500, steps: [{advance: 1s}]}\ncases:\n"
		for i := 0; i < 50; i++ {
			src += "  - {name: c" + strconv.Itoa(i) + "}\n"
		}
		Expect(parseErrors(src)).To(Equal([]string{
			"s.yaml:3:34: the file expands to more than 2000 steps (every case and repeat together); split it",
		}))
	})

	It("caps plain steps too, and the size of a file", func() {
		DeferCleanup(scenarios.LowerStepLimit(2000))
		big := []byte("name: n\nsteps:\n")
		for i := 0; i <= 2000; i++ {
			big = append(big, "- advance: 1s\n"...)
		}
		Expect(parseErrors(string(big))).To(Equal([]string{"s.yaml:2003:3: the file expands to more than 2000 steps (every case and repeat together); split it"}))
		huge := make([]byte, scenarios.MaxFileBytes+1)
		for i := range huge {
			huge[i] = '#'
		}
		Expect(parseErrors(string(huge))).To(Equal([]string{"s.yaml:1:1: the file is 4194305 bytes, over the 4194304 a scenario file may have; split it"}))
		Expect(scenarios.MaxExpandedSteps).To(Equal(200000))
	})

	It("caps the subscribers generated over every case", func() {
		Expect(parseErrors("name: n\nsubscribers: [{generate: {count: 60000}}]\nsteps: []\ncases: [{name: a}, {name: b}]\n")).To(Equal([]string{
			"s.yaml:2:34: the file generates more than 100000 subscribers (every case together); split it",
		}))
	})
})

// A fault in a file is validated by fakegraph.CheckFault, as the control
// API's are: each problem where its field is.
var _ = Describe("faults in a file", func() {
	It("refuses a status outside 400-599, and what fakegraph would refuse, with positions", func() {
		Expect(parseErrors("name: n\nsteps:\n  - fault: {code: 2, status: 1000}\n  - fault: {kind: http_5xx, status: 404}\n  - fault: {code: 2, probability: 1.5}\n  - fault: {kind: drop, times: -2}\n")).To(Equal([]string{
			"s.yaml:3:30: fault.status: must be an HTTP error status (400-599), got 1000",
			"s.yaml:4:37: fault.status: an http_5xx fault needs a 5xx status (500-599), got 404",
			"s.yaml:5:35: fault.probability: 1.5 outside 0..1",
			"s.yaml:6:32: fault.times: must be -1 (forever), 0 (once) or more, got -2",
		}))
	})
})

// The bot section decodes as reference.ParseSetup and load profiles do
// (reference.Setup.UnmarshalYAMLPos); these specs pin it in scenario files.
var _ = Describe("the bot section", func() {
	parse := func(bot string) *scenarios.Scenario {
		sc, err := scenarios.Parse("s.yaml", []byte("name: n\nsteps: []\nbot: "+bot+"\n"))
		Expect(err).NotTo(HaveOccurred())
		return sc
	}

	It("applies a preset, then the knobs set over it", func() {
		sc := parse("{preset: instant, policy: {throttle: {per_day: 2}}}")
		Expect(sc.Bot.Preset).To(Equal("instant"))
		Expect(sc.Bot.Policy.IdleAfter).To(BeZero())
		Expect(sc.Bot.Policy.Throttle.PerDay).To(Equal(2))
	})

	It("reads otnsim durations", func() {
		sc := parse("{policy: {analytics: {attribution_window: 7d}}}")
		Expect(sc.Bot.Policy.Analytics.AttributionWindow).To(Equal(7 * 24 * time.Hour))
	})

	It("lists the presets for an unknown one and suggests the knob for a misspelled one", func() {
		Expect(parseErrors("name: n\nsteps: []\nbot: {preset: nosuch, policy: {idle_aftr: 1m}}\n")).To(Equal([]string{
			`s.yaml:3:15: unknown bot preset "nosuch" (expected one of: broadcaster, careful, flow-builder, instant)`,
			`s.yaml:3:32: unknown field "idle_aftr" in bot.policy (did you mean "idle_after"?)`,
		}))
	})

	It("blames an unknown table variable once, not again as a bad value", func() {
		Expect(parseErrors("name: n\nsteps: []\nbot:\n  policy:\n    idle_after: ${wait}\ncases: [{name: a, vars: {other: 1}}]\n")).To(Equal([]string{
			`s.yaml:5:17: unknown variable ${wait} (expected one of: other)`,
		}))
	})
})

var _ = Describe("running", func() {
	run := func(src string) scenarios.Result {
		sc, err := scenarios.Parse("s.yaml", []byte(src))
		Expect(err).NotTo(HaveOccurred())
		return scenarios.Run(sc, scenarios.RunOptions{})
	}

	It("fails a wrong expectation naming the step and expected versus actual", func() {
		res := run(`name: wrong
seed: 1
subscribers: [{alias: ana}]
steps:
  - say: {who: ana, text: "red lipstick?"}
  - notify_me: {who: ana, topic: "restock:red-lipstick"}
  - expect: {tokens: {who: ana, issued: 2, active: 1}}
`)
		Expect(res.Passed).To(BeFalse())
		Expect(res.Failure.Step).To(Equal(3))
		Expect(res.Failure.StepName).To(Equal("expect"))
		Expect(res.Failure.Pos.Line).To(Equal(7))
		Expect(res.Failure.Problems).To(ConsistOf(ContainSubstring("issued: expected 2, got 1")))
		Expect(res.Failure.Who).To(Equal("ana"))
		Expect(res.Failure.Timeline).NotTo(BeEmpty())
	})

	It("fails a Notify Me on a request that never came", func() {
		res := run(`name: no request
subscribers: [{alias: ana}]
steps:
  - notify_me: {who: ana, topic: "x"}
`)
		Expect(res.Passed).To(BeFalse())
		Expect(res.Failure.Problems[0]).To(ContainSubstring("no OTN request"))
	})

	It("refuses to move time backwards", func() {
		res := run(`name: back
start: 2026-01-05T09:00:00Z
steps:
  - at: 2026-01-01T00:00:00Z
`)
		Expect(res.Passed).To(BeFalse())
		Expect(res.Failure.Problems[0]).To(ContainSubstring("never goes backwards"))
	})

	It("takes subscribers in Iceland, Liechtenstein and Norway, and applies the region rules to them", func() {
		for _, code := range []string{"IS", "LI", "NO"} {
			for _, tc := range []struct {
				date              string
				accepted, refused int
			}{{"2020-12-15T23:59:59.999Z", 1, 0}, {"2020-12-16T00:00:00Z", 0, 1}} {
				res := run(`name: edge of the EEA
world: {page_country: US, platform_date: "` + tc.date + `"}
subscribers:
  - alias: sub
    region: ` + code + `
steps:
  - say: {who: sub, text: "hello"}
  - send: {to: sub, otn_request: {title: "Back in stock alerts", topic: "restock"}}
  - expect:
      delivered: {who: sub, what: otn_request, count: ` + strconv.Itoa(tc.accepted) + `}
      errors: {who: sub, rule: OTN-REGION, count: ` + strconv.Itoa(tc.refused) + `}
`)
				Expect(res.Passed).To(BeTrue(), "%s on %s: %+v", code, tc.date, res.Failure)
			}
		}
	})

	It("gives every world the bot's own credentials when told, keeping the scenario's page settings", func() {
		sc, err := scenarios.Parse("s.yaml", []byte(`name: creds
world: {otn_permission: false}
subscribers: [{alias: ana}]
steps:
  - say: {who: ana, text: hi}
  - trigger: {name: otn.request, who: ana, data: {topic: t}}
  - expect: {errors: {who: ana, rule: OTN-FEATURE, count: 1}}
`))
		Expect(err).NotTo(HaveOccurred())
		creds := fakegraph.Page{ID: "2000000000002", AccessToken: "EAAmine", AppSecret: "my-secret", VerifyToken: "my-verify"}
		var got sim.BotEnv
		res := scenarios.Run(sc, scenarios.RunOptions{Credentials: &creds, Bot: func(sc *scenarios.Scenario) sim.BotFactory {
			return func(env sim.BotEnv) (http.Handler, error) {
				got = env
				return scenarios.ReferenceBot(sc)(env)
			}
		}})
		Expect(res.Passed).To(BeTrue(), "%+v", res.Failure)
		Expect([]string{got.PageID, got.PageAccessToken, got.AppSecret, got.VerifyToken}).To(Equal([]string{"2000000000002", "EAAmine", "my-secret", "my-verify"}))
	})

	It("gives the same result twice under the same seed", func() {
		all, err := scenarios.LoadFS(scenarios.Shipped(), ".")
		Expect(err).NotTo(HaveOccurred())
		for _, sc := range all {
			a, b := scenarios.Run(sc, scenarios.RunOptions{}), scenarios.Run(sc, scenarios.RunOptions{})
			a.Elapsed, b.Elapsed = 0, 0
			Expect(a).To(Equal(b), sc.File)
		}
	})
})

var _ = Describe("the shipped suites", func() {
	It("are embedded and identical to the files on disk", func() {
		embedded, err := scenarios.LoadFS(scenarios.Shipped(), ".")
		Expect(err).NotTo(HaveOccurred())
		onDisk, err := scenarios.Load(".")
		Expect(err).NotTo(HaveOccurred())
		Expect(embedded).To(HaveLen(len(onDisk)))
		Expect(len(onDisk)).To(BeNumerically(">=", 5))
	})

	It("all pass against the reference bot", func() {
		all, err := scenarios.Load(".")
		Expect(err).NotTo(HaveOccurred())
		for _, sc := range all {
			res := scenarios.Run(sc, scenarios.RunOptions{})
			Expect(res.Passed).To(BeTrue(), "%s: %+v", sc.File, res.Failure)
		}
	})
})

var _ = Describe("a failed scenario's lifelines", func() {
	It("draws the subscriber the failure concerns first, then the others, eight at most", func() {
		sc, err := scenarios.Parse("crowd.yaml", []byte(`name: crowd
subscribers:
  - generate: {count: 11, prefix: s}
  - alias: late
steps:
  - repeat:
      each: all
      steps:
        - say: {who: "${who}", text: "red lipstick please"}
  - expect: {window: {who: late, open: false}}
`))
		Expect(err).NotTo(HaveOccurred())
		res := scenarios.Run(sc, scenarios.RunOptions{})
		Expect(res.Passed).To(BeFalse())
		Expect(res.Lifelines).To(HaveLen(scenarios.MaxLifelines))
		Expect(res.LifelinesOmitted).To(Equal(12 - scenarios.MaxLifelines))
		Expect(res.Lifelines[0].Subscriber).To(Equal("late"))
		Expect(res.Lifelines[0].Windows).To(HaveLen(1))
		Expect(res.Lifelines[0].Actions).NotTo(BeEmpty())
		Expect(res.Lifelines[0].Actions[0].Step).To(Equal("crowd.yaml:9:11"), "the say step inside the repeat")
		Expect(res.Lifelines[1].Subscriber).To(Equal("s1"))
	})

	It("draws none for a scenario that passed", func() {
		sc, err := scenarios.Parse("ok.yaml", []byte("name: ok\nsubscribers: [{alias: a}]\nsteps:\n  - say: {who: a, text: hi}\n  - expect: {window: {who: a, open: true}}\n"))
		Expect(err).NotTo(HaveOccurred())
		res := scenarios.Run(sc, scenarios.RunOptions{})
		Expect(res.Passed).To(BeTrue())
		Expect(res.Lifelines).To(BeNil())
	})
})
