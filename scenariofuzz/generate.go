// Package scenariofuzz plays random but valid scenarios against a bot, on
// purpose: a few subscribers who write, ask, tap Notify Me, reply, block,
// opt in to recurring notifications; the shop's triggers; clock advances
// near the platform's boundaries; armed faults. Each scenario is judged as
// otnsim check judges one; the first that fails is shrunk (package
// shrink) to the minimal scenario that still fails for its rule.
package scenariofuzz

import (
	"math/rand/v2"
	"strings"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/scenarios"
)

// GenOptions bounds the scenarios Generate makes.
type GenOptions struct {
	// Subscribers is the most subscribers in one scenario (0: 3).
	Subscribers int
	// Moves is the most moves in one scenario (0: 12; at least 2); a move
	// is one to four steps (asking for an opt-in is a message, the request and the
	// tap).
	Moves int
	// Bot is the reference bot's section the scenarios carry (used only
	// when the reference bot plays them); nil means the careful default.
	Bot *reference.Setup
}

var aliases = []string{"ana", "bob", "cy"}

// topics are the opt-in topics: the reference bot's catalogue's, one that
// differs from another only by case, and one of no product.
var topics = []string{"restock:red-lipstick", "restock:silk-scarf", "Restock:Red-Lipstick", "restock:ankle-boots", "deals"}

// titles are request titles: ordinary ones, and one at Meta's 65
// characters and one past it.
var titles = []string{"Get notified when it is back", "Back in stock?",
	strings.Repeat("a", 65), strings.Repeat("b", 66)}

var texts = []string{"hi", "Is the Red Lipstick back in stock?", "any news on the Silk Scarf?", "thanks :)", "stop"}

// advances are the clock advances, near the platform's lines: the idle
// guard's 5 minutes, the 24-hour window, the 48-hour cooldown, a token's
// 365 days.
var advances = []time.Duration{
	time.Second, time.Minute, 5*time.Minute - time.Millisecond, 5 * time.Minute, 5*time.Minute + time.Millisecond,
	time.Hour, 24*time.Hour - time.Millisecond, 24 * time.Hour, 24*time.Hour + time.Millisecond, 48 * time.Hour,
	7 * 24 * time.Hour, 365*24*time.Hour - time.Millisecond, 365 * 24 * time.Hour,
}

// Generate returns the random scenario of seed: the same seed, the same
// scenario. It parses, validates and runs like a file a person wrote.
func Generate(seed uint64, o GenOptions) *scenarios.Scenario {
	if o.Subscribers <= 0 {
		o.Subscribers = len(aliases)
	}
	if o.Moves <= 0 {
		o.Moves = 12
	}
	o.Moves = max(o.Moves, 2)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	g := &gen{r: r}
	sc := &scenarios.Scenario{
		Name:   "Random scenario " + hex(seed),
		Tags:   []string{"fuzz"},
		Seed:   int64(seed & (1<<62 - 1)),
		World:  scenarios.WorldSpec{OTNPermission: r.IntN(8) != 0, Settings: fakegraph.DefaultSettings()},
		Bot:    reference.Setup{Policy: reference.DefaultPolicy()},
		Checks: findings.DefaultOptions(),
	}
	if o.Bot != nil {
		sc.Bot = *o.Bot
	}
	if r.IntN(8) == 0 {
		sc.World.Settings.Webhook.DuplicateRate = 1
	}
	if r.IntN(4) == 0 {
		// Early enough that a year-long token can expire before recurring
		// notifications were deprecated (2026-02-10).
		sc.Start = time.Date(2024, time.June, 3, 9, 0, 0, 0, time.UTC)
	}
	n := 1 + r.IntN(min(o.Subscribers, len(aliases)))
	if !sc.World.OTNPermission {
		// A page without the feature learns so from Meta once, for every
		// subscriber; a bot that many worlds share (a process of its own)
		// cannot tell this world's page from the next one's, so one
		// subscriber only.
		n = 1
	}
	for _, a := range aliases[:n] {
		region := "US"
		switch r.IntN(10) {
		case 0:
			region = "DE"
		case 1:
			region = "BR"
		}
		sc.Subscribers = append(sc.Subscribers, scenarios.SubscriberSpec{Alias: a, Region: region})
		g.who = append(g.who, a)
	}
	moves := 2 + r.IntN(o.Moves-1)
	for range moves {
		g.move()
	}
	sc.Steps = g.steps
	return sc
}

type gen struct {
	r     *rand.Rand
	who   []string
	steps []scenarios.Step
}

func (g *gen) pick(ss []string) string { return ss[g.r.IntN(len(ss))] }

func (g *gen) add(st scenarios.Step) { g.steps = append(g.steps, st) }

func (g *gen) trigger(name, who string, data map[string]any) {
	g.add(scenarios.Step{Kind: scenarios.StepTrigger, Trigger: name, Who: who, Data: data})
}

// move adds one move: a few steps that belong together.
func (g *gen) move() {
	who := g.pick(g.who)
	topic := g.pick(topics)
	switch g.r.IntN(16) {
	case 0:
		g.add(scenarios.Step{Kind: scenarios.StepSay, Who: who, Text: g.pick(texts)})
	case 1:
		g.add(scenarios.Step{Kind: scenarios.StepReply, Who: who, Text: "thanks, got it"})
	case 2, 3, 4:
		// Asking for an opt-in: the subscriber writes (mostly), the shop
		// asks, the subscriber taps Notify Me (mostly).
		if g.r.IntN(5) != 0 {
			g.add(scenarios.Step{Kind: scenarios.StepSay, Who: who, Text: g.pick(texts)})
		}
		title := titles[0]
		if g.r.IntN(4) == 0 {
			title = g.pick(titles)
		}
		g.trigger("otn.request", who, map[string]any{"topic": topic, "title": title})
		if g.r.IntN(4) != 0 {
			g.add(scenarios.Step{Kind: scenarios.StepNotifyMe, Who: who, Topic: topic})
		}
	case 5, 6:
		g.trigger("otn.notify", "", map[string]any{"topic": topic, "text": "It is back"})
	case 7:
		g.trigger("broadcast", "", map[string]any{"text": "News from the shop"})
	case 8, 9, 10:
		g.add(scenarios.Step{Kind: scenarios.StepAdvance, Duration: advances[g.r.IntN(len(advances))]})
	case 11:
		if g.r.IntN(2) == 0 {
			g.add(scenarios.Step{Kind: scenarios.StepBlock, Who: who})
		} else {
			g.add(scenarios.Step{Kind: scenarios.StepUnblock, Who: who})
		}
	case 12:
		switch g.r.IntN(3) {
		case 0:
			g.add(scenarios.Step{Kind: scenarios.StepQuickReply, Who: who, Text: "Yes", Payload: "YES"})
		case 1:
			g.add(scenarios.Step{Kind: scenarios.StepPostback, Who: who, Title: "Start", Payload: "GET_STARTED"})
		default:
			g.add(scenarios.Step{Kind: scenarios.StepReact, Who: who, Emoji: "❤"})
		}
	case 13:
		// A fault, and something that makes the bot send into it.
		f := &scenarios.FaultSpec{Times: 1, Stage: "before", Probability: 1, Who: who}
		switch g.r.IntN(4) {
		case 0:
			f.Kind, f.Code = string(fakegraph.FaultGraphError), 551
		case 1:
			f.Kind, f.Code = string(fakegraph.FaultGraphError), 10
		case 2:
			f.Kind, f.Stage = string(fakegraph.FaultLostResponse), "after"
		default:
			f.Kind, f.Status = string(fakegraph.FaultHTTP5xx), 503
		}
		g.add(scenarios.Step{Kind: scenarios.StepFault, Fault: f})
		if g.r.IntN(2) == 0 {
			g.trigger("broadcast", "", map[string]any{"text": "News from the shop"})
		} else {
			g.trigger("otn.notify", "", map[string]any{"topic": topic, "text": "It is back"})
		}
	case 14:
		// Recurring notifications: ask (mostly after the subscriber wrote,
		// mostly with a short title), opt in, and now and then stop them
		// and perhaps resume.
		if g.r.IntN(4) != 0 {
			g.add(scenarios.Step{Kind: scenarios.StepSay, Who: who, Text: "deals?"})
		}
		title := "Weekly deals"
		if g.r.IntN(4) == 0 {
			title = g.pick(titles)
		}
		g.trigger("recurring.request", who, map[string]any{"topic": "deals", "title": title})
		if g.r.IntN(3) != 0 {
			g.add(scenarios.Step{Kind: scenarios.StepRecurringOptIn, Who: who, Topic: "deals"})
			if g.r.IntN(4) == 0 {
				g.add(scenarios.Step{Kind: scenarios.StepRecurringStop, Who: who, Topic: "deals"})
				if g.r.IntN(2) == 0 {
					g.add(scenarios.Step{Kind: scenarios.StepRecurringResume, Who: who, Topic: "deals"})
				}
			}
		}
	default:
		g.trigger("recurring.notify", "", map[string]any{"topic": "deals", "text": "This week's deal"})
		if g.r.IntN(3) == 0 {
			// The next one a day later: the cooldown's line.
			g.add(scenarios.Step{Kind: scenarios.StepAdvance, Duration: 24 * time.Hour})
			g.trigger("recurring.notify", "", map[string]any{"topic": "deals", "text": "Tomorrow's deal"})
		}
	}
}

func hex(v uint64) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 16)
	for i := 15; i >= 0; i-- {
		b[i] = digits[v&15]
		v >>= 4
	}
	return string(b)
}
