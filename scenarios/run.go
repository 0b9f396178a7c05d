package scenarios

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/lifeline"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/sim"
)

// Result is the outcome of one scenario.
type Result struct {
	File     string
	Name     string
	Case     string
	Tags     []string
	Seed     int64 // the seed the scenario ran under
	Passed   bool
	Failure  *Failure // nil when Passed
	Elapsed  time.Duration
	Steps    int           // steps run
	Virtual  time.Duration // virtual time that passed
	Assumed  bool          // a verdict the scenario relied on rests on an [assumed] fact
	Findings []findings.Finding
	// Named lists the rules the scenario's expectations name (rule:),
	// sorted: findings of those rules are what the scenario is about.
	Named []string
	// Lifelines are, for a failed scenario, its subscribers' stories in
	// virtual time, at most MaxLifelines of them (see lifelines); nil when
	// it passed. LifelinesOmitted counts the subscribers left out.
	Lifelines        []lifeline.Lifeline
	LifelinesOmitted int
}

// Unexpected returns the findings of the verdict whose rule the scenario
// names in no expectation and whose severity is min or above.
func (r Result) Unexpected(min rules.Severity) []findings.Finding {
	named := map[string]bool{}
	for _, id := range r.Named {
		named[id] = true
	}
	var out []findings.Finding
	for _, f := range r.Verdict().Findings {
		if !named[f.Rule] && rules.AtLeast(f.Severity, min) {
			out = append(out, f)
		}
	}
	return out
}

// namedRules returns the rules sc's expectations name, sorted.
func namedRules(sc *Scenario) []string {
	seen := map[string]bool{}
	var out []string
	for _, st := range sc.Steps {
		for _, e := range st.Expect {
			if e.Rule != "" && !seen[e.Rule] {
				seen[e.Rule] = true
				out = append(out, e.Rule)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Failure says where and why a scenario failed.
type Failure struct {
	Step     int // 1-based index of the failing step; 0 when the world could not be built
	Pos      Pos
	StepName string
	Problems []string // expected versus actual, one per line
	// Rules holds, for each problem of a failed expect step, the rule its
	// expectation names ("" for none: a contract failure); for a user
	// action the bot refused as unsigned, HOOK-SIGNATURE; empty otherwise.
	Rules    []string
	Who      string   // the subscriber the failure concerns, if any
	PSID     string   // their PSID
	Timeline []string // that subscriber's timeline in virtual time
	// Order is the ledger order when the step ran: findings before it may
	// explain the failure.
	Order int
	// Trigger is the last trigger step before the failing step, as
	// "otn.notify at file:line:col"; empty when none ran.
	Trigger string
}

// RunOptions tunes a run.
type RunOptions struct {
	// Seed overrides every scenario's seed when non-zero.
	Seed int64
	// Bot builds the bot under test; nil means the reference bot configured
	// by the scenario's bot section.
	Bot func(*Scenario) sim.BotFactory
	// Settle, when set, is called after every step that can make the bot
	// act (user actions, time, triggers, faults) and before the next one. A
	// bot reached over HTTP uses it to wait until its calls go quiet; an
	// error fails the scenario at that step.
	Settle func(w *sim.World, st *Step) error
	// Parallel is how many scenarios RunAll plays at once; 0 means one per CPU.
	Parallel int
	// AfterStep, when set, runs after every step that succeeded; an error
	// fails the scenario at that step. A bot outside the process gets its
	// tick trigger after clock advances through it.
	AfterStep func(w *sim.World, st *Step) error
	// PSID, when set, names every subscriber's PSID, so that scenarios
	// sharing one bot process never share a PSID.
	PSID func() string
	// Credentials, when set, replaces the page id, access token, app secret
	// and verify token of every world's page (the scenario's page settings
	// stay): those the bot under test was built with.
	Credentials *fakegraph.Page
	// FailOn, when set, also fails a scenario whose expectations all hold
	// but which has findings at this severity or above of rules that no
	// expectation names (the scenario did not mean them). Empty judges
	// expectations only.
	FailOn rules.Severity
}

// ReferenceBot returns a factory for the reference bot with sc's bot section.
func ReferenceBot(sc *Scenario) sim.BotFactory { return sim.ReferenceBot(sc.Bot) }

// RunAll plays every scenario, each in its own world, Parallel at a time.
// Results come back in the order of scs, identical to a serial run under the
// same seeds (Elapsed aside). progress, when set, is called once per
// finished scenario with its index in scs, from one goroutine at a time, in
// completion order.
func RunAll(scs []*Scenario, opts RunOptions, progress func(int, Result)) []Result {
	out := make([]Result, len(scs))
	workers := opts.Parallel
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(scs))
	next := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = Run(scs[i], opts)
				if progress != nil {
					mu.Lock()
					progress(i, out[i])
					mu.Unlock()
				}
			}
		}()
	}
	for i := range scs {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// Run plays sc in a fresh world and checks its expectations. A table
// scenario runs every case and reports the first that fails.
func Run(sc *Scenario, opts RunOptions) Result {
	if len(sc.Cases) > 0 {
		var last Result
		for _, c := range sc.Cases {
			if last = Run(c, opts); !last.Passed {
				break
			}
		}
		return last
	}
	began := time.Now()
	res := Result{File: sc.File, Name: sc.Name, Case: sc.Case, Tags: sc.Tags, Seed: sc.Seed, Named: namedRules(sc)}
	if opts.Seed != 0 {
		res.Seed = opts.Seed
	}
	botFor := opts.Bot
	if botFor == nil {
		botFor = ReferenceBot
	}
	var w *sim.World
	var r *runner
	var steps stepMarks
	trigger := ""
	fail := func(i int, st *Step, who string, problems ...string) Result {
		res.Failure = &Failure{Step: i + 1, Pos: sc.posOf(st), Problems: problems, Who: who, Trigger: trigger}
		if st != nil {
			res.Failure.StepName = string(st.Kind)
			if r != nil && len(r.rules) == len(problems) && (st.Kind == StepExpect || len(r.rules) > 0) {
				res.Failure.Rules = r.rules
			}
		}
		if w != nil {
			led := w.Graph.Ledger()
			res.Failure.Order = len(led.Events) + len(led.Calls)
			res.Findings = ownFindings(w, findings.Detect(led, sc.Checks), opts.PSID != nil)
			if who != "" {
				if s, ok := w.Subscriber(who); ok {
					res.Failure.PSID = s.PSID
				}
				res.Failure.Timeline = timeline(w, who, res.Findings)
			}
			res.Lifelines, res.LifelinesOmitted = lifelines(w, led, res.Findings, who, steps)
		}
		res.Elapsed = time.Since(began)
		return res
	}
	page := sc.World.Page()
	if c := opts.Credentials; c != nil {
		page.ID, page.AccessToken, page.AppSecret, page.VerifyToken = c.ID, c.AccessToken, c.AppSecret, c.VerifyToken
	}
	var err error
	w, err = sim.NewWorld(sim.Options{Seed: res.Seed, Start: sc.Start, Page: page,
		Settings: sc.World.FakegraphSettings(), Bot: botFor(sc), PSID: opts.PSID})
	if err != nil {
		return fail(-1, nil, "", err.Error())
	}
	defer w.Close()
	start := w.Clock.Now()
	for _, spec := range sc.Subscribers {
		if _, err := w.AddSubscriber(sim.SubscriberSpec{Alias: spec.Alias, Name: spec.Name, Region: spec.Region, Locale: spec.Locale, Timezone: spec.Timezone, Zone: spec.Zone, UserRef: spec.UserRef}); err != nil {
			return fail(-1, nil, "", fmt.Sprintf("%s: %v", spec.Pos, err))
		}
	}
	r = &runner{w: w, start: start, checks: sc.Checks}
	for i := range sc.Steps {
		st := &sc.Steps[i]
		res.Steps = i + 1
		steps = append(steps, stepMark{order: w.Graph.Recorded(), pos: st.Pos.String()})
		if problems, who := r.step(st); len(problems) > 0 {
			return fail(i, st, who, problems...)
		}
		if opts.Settle != nil && st.Kind != StepExpect && st.Kind != StepSend {
			if err := opts.Settle(w, st); err != nil {
				return fail(i, st, st.Who, fmt.Sprintf("settling after %s: %v", describeStep(st), err))
			}
		}
		if opts.AfterStep != nil {
			if err := opts.AfterStep(w, st); err != nil {
				return fail(i, st, st.Who, err.Error())
			}
		}
		if st.Kind == StepTrigger {
			trigger = st.Trigger + " at " + st.Pos.String()
		}
	}
	led := w.Graph.Ledger()
	for _, c := range led.Calls {
		if c.Assumed {
			res.Assumed = true
		}
	}
	res.Findings = ownFindings(w, findings.Detect(led, sc.Checks), opts.PSID != nil)
	res.Virtual = w.Clock.Now().Sub(start)
	if opts.FailOn != "" {
		if un := res.Unexpected(opts.FailOn); len(un) > 0 {
			return unexpected(res, sc, w, un, began, steps)
		}
	}
	res.Passed = true
	res.Elapsed = time.Since(began)
	return res
}

// unexpected fails res, whose expectations held, for findings no
// expectation names.
func unexpected(res Result, sc *Scenario, w *sim.World, un []findings.Finding, began time.Time, steps stepMarks) Result {
	f := &Failure{Step: len(sc.Steps), StepName: "findings", Pos: sc.posOf(nil)}
	if n := len(sc.Steps); n > 0 {
		f.Pos = sc.Steps[n-1].Pos
	}
	led := w.Graph.Ledger()
	f.Order = len(led.Events) + len(led.Calls)
	for _, x := range un {
		f.Problems = append(f.Problems, fmt.Sprintf("unexpected finding %s (no expectation names %s: add one such as findings: {rule: %s}, or raise --fail-on)", x, x.Rule, x.Rule))
		f.Rules = append(f.Rules, x.Rule)
	}
	for _, s := range w.Subscribers() {
		if s.PSID == un[0].PSID {
			f.Who, f.PSID = s.Alias, s.PSID
			f.Timeline = timeline(w, s.Alias, res.Findings)
		}
	}
	res.Failure = f
	res.Lifelines, res.LifelinesOmitted = lifelines(w, led, res.Findings, f.Who, steps)
	res.Elapsed = time.Since(began)
	return res
}

// MaxLifelines is how many subscribers of a failed scenario get a
// lifeline: the one the failure concerns first, then those with findings,
// then those with refused calls, then the others in declaration order.
const MaxLifelines = 8

// lifelines draws the subscribers of w from led, with the findings fs and
// who first (the failure's subscriber); it returns them and how many were
// left out.
func lifelines(w *sim.World, led fakegraph.Ledger, fs []findings.Finding, who string, steps stepMarks) ([]lifeline.Lifeline, int) {
	subs := w.Subscribers()
	flagged, refused := map[string]bool{}, map[string]bool{}
	for _, f := range fs {
		flagged[f.PSID] = true
	}
	for _, c := range led.Calls {
		if !c.OK {
			refused[c.PSID] = true
		}
	}
	rank := func(s *sim.Subscriber) int {
		switch {
		case s.Alias == who && who != "":
			return 0
		case flagged[s.PSID]:
			return 1
		case refused[s.PSID]:
			return 2
		}
		return 3
	}
	sort.SliceStable(subs, func(i, j int) bool { return rank(subs[i]) < rank(subs[j]) })
	drawn := subs[:min(len(subs), MaxLifelines)]
	whom := make([]lifeline.Who, len(drawn))
	for i, s := range drawn {
		whom[i] = lifeline.Who{PSID: s.PSID, Name: s.Alias}
	}
	out := lifeline.BuildAll(led, whom, fs, 0)
	for i := range out {
		out[i].SetSteps(led, steps.at)
	}
	return out, len(subs) - len(drawn)
}

// stepMark notes where the ledger stood when a step began.
type stepMark struct {
	order int    // the ledger order of the last record before the step
	pos   string // the step's file:line:col
}

// stepMarks are a run's steps in order, each with where the ledger stood.
type stepMarks []stepMark

// at returns the position of the step during which the record of ledger
// order was made, "" for one made before the first step.
func (m stepMarks) at(order int) string {
	i := sort.Search(len(m), func(i int) bool { return m[i].order >= order }) - 1
	if i < 0 {
		return ""
	}
	return m[i].pos
}

func (sc *Scenario) posOf(st *Step) Pos {
	if st == nil {
		return Pos{File: sc.File, Line: 1, Col: 1}
	}
	return st.Pos
}

// ownFindings drops, for a bot shared by many scenarios (shared), the
// findings about other worlds: calls for PSIDs that are not this world's
// subscribers, or with a token of this page's form this world never issued.
// They are calls the bot made for subscribers of earlier scenarios, which
// Meta would never see.
func ownFindings(w *sim.World, fs []findings.Finding, shared bool) []findings.Finding {
	if !shared {
		return fs
	}
	mine := map[string]bool{}
	for _, s := range w.Subscribers() {
		mine[s.PSID] = true
	}
	calls := w.Graph.Ledger().Calls
	out := fs[:0]
	for _, f := range fs {
		if f.PSID != "" && !mine[f.PSID] {
			continue
		}
		if f.PSID == "" && f.CallSeq > 0 && f.CallSeq <= len(calls) && calls[f.CallSeq-1].StaleToken {
			continue
		}
		out = append(out, f)
	}
	return out
}
