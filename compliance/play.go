package compliance

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/otnsim/otnsim/external"
	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/scenarios"
	"github.com/otnsim/otnsim/sim"
)

// PlayOptions tunes Play.
type PlayOptions struct {
	// Seed overrides the scenarios' seeds when non-zero.
	Seed int64
	// Checks, when set, replaces every scenario's practice thresholds.
	Checks *findings.Options
	// FailOn is the scenario runner's: it also fails a scenario on
	// findings no expectation names, at this severity or above.
	FailOn rules.Severity
	// Done, when set, is called once per finished scenario with its index
	// in the suite, its result and the world it ran in (nil when no step
	// ran), one call at a time, in completion order.
	Done func(i int, res scenarios.Result, w *sim.World)
}

// lateTarget is a Target that notices the bot's late calls: those made
// after it had closed their step (*external.Harness).
type lateTarget interface {
	Step(label string)
	Drain(quiet, limit time.Duration)
	LateCalls() []external.LateCall
}

// How long a run's end waits for late calls: until the bot has been quiet
// for drainQuiet, at most drainLimit.
const (
	drainQuiet = 100 * time.Millisecond
	drainLimit = 2 * time.Second
)

// Play plays suite against the bots of targets (one bot process each, say:
// the same command started len(targets) times), each one scenario at a
// time, all of them at once; a single target plays the scenarios in turn.
// Results come back in suite order, the same as a serial run's (Elapsed
// aside): every scenario's subscribers get PSIDs drawn in suite order from
// targets[0], so no two scenarios share one, whichever bot plays them.
//
// An error means a bot could not be run on (targets' Err): no later
// scenario is started, and the error of the first such scenario in suite
// order is returned, with the results so far.
func Play(targets []Target, suite []*scenarios.Scenario, o PlayOptions) ([]scenarios.Result, error) {
	if len(targets) == 0 {
		return nil, errors.New("compliance: no bot to play the scenarios against")
	}
	blocks := make([][]string, len(suite))
	for i, sc := range suite {
		for range psidsNeeded(sc) {
			blocks[i] = append(blocks[i], targets[0].NextPSID())
		}
	}
	results := make([]scenarios.Result, len(suite))
	errs := make([]error, len(suite))
	next := make(chan int)
	var stop atomic.Bool
	var mu sync.Mutex // one Done at a time
	var wg sync.WaitGroup
	for _, t := range targets[:min(len(targets), max(1, len(suite)))] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res, w, err := playOne(t, targets[0], suite[i], blocks[i], o)
				results[i], errs[i] = res, err
				if err != nil {
					stop.Store(true)
					continue
				}
				if o.Done != nil {
					mu.Lock()
					o.Done(i, res, w)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range suite {
		if stop.Load() {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

// psidsNeeded is how many PSIDs sc's worlds ask for at most: one per
// subscriber of each case.
func psidsNeeded(sc *scenarios.Scenario) int {
	if len(sc.Cases) == 0 {
		return len(sc.Subscribers)
	}
	n := 0
	for _, c := range sc.Cases {
		n += psidsNeeded(c)
	}
	return n
}

// playOne plays sc against t, its subscribers taking the PSIDs of block
// (and, should it ask for more, fresh ones from more).
func playOne(t, more Target, sc *scenarios.Scenario, block []string, o PlayOptions) (scenarios.Result, *sim.World, error) {
	opts := RunOptions(t, o.Seed)
	opts.FailOn = o.FailOn
	opts.PSID = func() string {
		if len(block) == 0 {
			return more.NextPSID()
		}
		p := block[0]
		block = block[1:]
		return p
	}
	label := func(string) {}
	if lt, ok := t.(lateTarget); ok {
		label = lt.Step
	}
	bot := opts.Bot
	opts.Bot = func(s *scenarios.Scenario) sim.BotFactory {
		label(s.File + " (its start)")
		return bot(s)
	}
	var world *sim.World
	after := opts.AfterStep
	opts.AfterStep = func(w *sim.World, st *scenarios.Step) error {
		world = w
		if st.Kind != scenarios.StepExpect && st.Kind != scenarios.StepSend {
			// A step that can make the bot act: a late call after it is
			// most likely its own.
			label(fmt.Sprintf("%s step at %s", st.Kind, st.Pos))
		}
		return after(w, st)
	}
	run := sc
	if o.Checks != nil {
		run = withChecks(sc, *o.Checks)
	}
	res := scenarios.Run(run, opts)
	return res, world, t.Err()
}

// withChecks returns a copy of sc, and of each of its cases when it is a
// table scenario, judged with the practice thresholds c.
func withChecks(sc *scenarios.Scenario, c findings.Options) *scenarios.Scenario {
	cp := *sc
	cp.Checks = c
	if len(sc.Cases) > 0 {
		cp.Cases = make([]*scenarios.Scenario, len(sc.Cases))
		for i, cs := range sc.Cases {
			cp.Cases[i] = withChecks(cs, c)
		}
	}
	return &cp
}

// LateCalls waits for the bots of targets that notice late calls (those
// made after their step was closed) to go quiet, all at once, and returns
// their late calls. Call it once the run is over.
func LateCalls(targets []Target) []external.LateCall {
	var lts []lateTarget
	for _, t := range targets {
		if lt, ok := t.(lateTarget); ok {
			lts = append(lts, lt)
		}
	}
	var wg sync.WaitGroup
	for _, lt := range lts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lt.Drain(drainQuiet, drainLimit)
		}()
	}
	wg.Wait()
	var out []external.LateCall
	for _, lt := range lts {
		out = append(out, lt.LateCalls()...)
	}
	return out
}
