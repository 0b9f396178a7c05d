package scenariofuzz

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/scenarios"
	"github.com/otnsim/otnsim/shrink"
)

// Options tunes Fuzz.
type Options struct {
	// Seed starts the sequence of scenarios: the same seed plays the same
	// scenarios in the same order.
	Seed int64
	// For is how long to fuzz, in real time (0: one minute).
	For time.Duration
	// Max, when above 0, stops after that many scenarios.
	Max int
	// FailOn is the least severity of a charged rule that fails a
	// scenario, as otnsim check's --fail-on (empty: failure).
	FailOn rules.Severity
	// Rule, when set, is the only rule that fails a scenario: fuzzing for
	// one rule, the others' findings pass.
	Rule string
	// Parallel is how many scenarios are played at once (0: 1). Only a
	// runner whose bot keeps no state between scenarios (the reference bot
	// in process) may play several.
	Parallel int
	// Gen bounds the scenarios.
	Gen GenOptions
	// Shrink tunes the shrinking of the failing scenario.
	Shrink shrink.Options
	// Fresh, when set, plays a scenario on a bot that has seen no other
	// (a new process of it). The runner's bot plays every scenario and
	// remembers them; the minimal scenario is checked with Fresh, and
	// shrunk again with it when it does not fail there.
	Fresh shrink.Runner
}

// Outcome is what a fuzz run found.
type Outcome struct {
	Played  int // scenarios played
	Elapsed time.Duration
	// Failure is the first failing scenario, shrunk; nil when every one passed.
	Failure *Failure
}

// Failure is a failing random scenario and its minimal form.
type Failure struct {
	Index int    // 0-based place in the run's sequence
	Seed  uint64 // the scenario's own seed (Generate)
	Rule  string
	// Original is the random scenario, cut after the step the failure
	// needs and closed by an expectation of no finding of Rule.
	Original *scenarios.Scenario
	// Minimal is the shrunk scenario: it still fails for Rule.
	Minimal *scenarios.Scenario
	Stats   shrink.Stats
}

// ScenarioSeed is the seed of scenario i of a run with seed: Generate's.
func ScenarioSeed(seed int64, i int) uint64 {
	z := uint64(seed) + uint64(i+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// judge plays sc and returns the rule it fails for at o's level ("" when
// none): the first finding of its verdict at that level, or failed
// expectation. Contract failures (a trigger the bot refused, a tap on a
// request it never sent) are the generator's, not the bot's, and pass.
func judge(run shrink.Runner, sc *scenarios.Scenario, level rules.Severity, only string) (string, scenarios.Result) {
	res := run(sc)
	v := res.Verdict()
	for _, f := range v.Findings {
		if rules.AtLeast(f.Severity, level) && (only == "" || f.Rule == only) {
			return f.Rule, res
		}
	}
	for _, id := range v.Charged(level) {
		if only == "" || id == only {
			return id, res
		}
	}
	return "", res
}

// Fuzz plays random scenarios through run until one fails, the time is up
// or Max were played; it shrinks the first failing one (the lowest index
// when several play at once). An error means the failing scenario could
// not be shrunk.
func Fuzz(run shrink.Runner, o Options) (Outcome, error) {
	began := time.Now()
	if o.For <= 0 {
		o.For = time.Minute
	}
	if o.FailOn == "" {
		o.FailOn = rules.Failure
		if r, ok := rules.Lookup(o.Rule); ok {
			o.FailOn = r.Severity
		}
	}
	workers := max(1, o.Parallel)
	deadline := began.Add(o.For)
	var next, played atomic.Int64
	var mu sync.Mutex
	found := -1
	var rule string
	var failing *scenarios.Scenario
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				mu.Lock()
				stop := found >= 0 && i > found
				mu.Unlock()
				if stop || (o.Max > 0 && i >= o.Max) || time.Now().After(deadline) {
					return
				}
				sc := Generate(ScenarioSeed(o.Seed, i), o.Gen)
				r, res := judge(run, sc, o.FailOn, o.Rule)
				played.Add(1)
				if r == "" {
					continue
				}
				closed := closeWith(sc, res, r)
				if !shrink.Fails(run(closed), r) {
					// The finding came with a step that could not be
					// played (the bot refused a trigger, say): no clean
					// regression test can keep it.
					continue
				}
				mu.Lock()
				if found < 0 || i < found {
					found, rule, failing = i, r, closed
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	out := Outcome{Played: int(played.Load())}
	if found < 0 {
		out.Elapsed = time.Since(began)
		return out, nil
	}
	orig := failing
	so := o.Shrink
	so.Rule = rule
	minimal, st, err := shrink.Shrink(orig, run, so)
	if err == nil && o.Fresh != nil && !shrink.Fails(o.Fresh(minimal), rule) {
		tried := st.Tried
		minimal, st, err = shrink.Shrink(orig, o.Fresh, so)
		st.Tried += tried
		if errors.Is(err, shrink.ErrNotFailing) {
			err = fmt.Errorf("it fails only after the scenarios before it (the bot keeps state from one world to the next): %w", err)
		}
	}
	out.Elapsed = time.Since(began)
	if err != nil {
		return out, fmt.Errorf("fuzz: scenario #%d (seed %#x) failed for %s but could not be shrunk: %w", found, ScenarioSeed(o.Seed, found), rule, err)
	}
	minimal.Name = fmt.Sprintf("%s, at its smallest", rule)
	minimal.Description = fmt.Sprintf("Found by otnsim fuzz (seed %d, scenario #%d) and shrunk from %d steps to %d. "+
		"It fails while the bot breaks %s; it passes once the bot is fixed.", o.Seed, found, len(orig.Steps), len(minimal.Steps), rule)
	minimal.Tags = []string{"fuzz", rule}
	out.Failure = &Failure{Index: found, Seed: ScenarioSeed(o.Seed, found), Rule: rule, Original: orig, Minimal: minimal, Stats: st}
	return out, nil
}

// closeWith cuts sc after the step that failed, if a step did (the rest
// was never played), and closes it with an expectation of no finding of
// rule: the failure a regression test keeps.
func closeWith(sc *scenarios.Scenario, res scenarios.Result, rule string) *scenarios.Scenario {
	c := *sc
	c.Steps = append([]scenarios.Step(nil), sc.Steps...)
	if f := res.Failure; f != nil && f.Step > 0 && f.Step <= len(c.Steps) {
		c.Steps = c.Steps[:f.Step-1]
	}
	c.Steps = append(c.Steps, scenarios.Step{Kind: scenarios.StepExpect, Expect: []scenarios.Expectation{
		{Kind: scenarios.ExpectFindings, Rule: rule, Counts: map[string]int{"count": 0}}}})
	return &c
}

// DefaultParallel is how many scenarios the reference bot plays at once.
func DefaultParallel() int { return runtime.GOMAXPROCS(0) }
