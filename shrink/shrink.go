// Package shrink minimises a failing scenario while it keeps failing for the
// same rule, as property-based testing tools shrink a failing input: it
// removes steps (delta debugging), merges and shortens clock advances (to
// round values and the platform's boundaries: 5 minutes, 24 hours, 365
// days), drops subscribers, simplifies texts, trigger data and faults, and
// leaves out expectations that do not name the rule. Every candidate is
// played against the bot under test; the result is the smallest scenario
// found that still fails for the rule.
package shrink

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/scenarios"
)

// ErrNotFailing is returned for a scenario that does not fail for the rule
// to begin with: there is nothing to keep while shrinking.
var ErrNotFailing = errors.New("the scenario does not fail for the rule")

// Runner plays a scenario against the bot under test.
type Runner func(*scenarios.Scenario) scenarios.Result

// Reference plays scenarios against the reference bot in process (each
// with its bot section), under seed when it is not zero.
func Reference(seed int64) Runner {
	return func(sc *scenarios.Scenario) scenarios.Result {
		return scenarios.Run(sc, scenarios.RunOptions{Seed: seed})
	}
}

// With plays scenarios with the runner's options (a bot outside the
// process: compliance.RunOptions).
func With(opts scenarios.RunOptions) Runner {
	return func(sc *scenarios.Scenario) scenarios.Result { return scenarios.Run(sc, opts) }
}

// Fails reports whether res fails for rule: the scenario failed at an
// expect step (or for findings no expectation names), not at a step that
// could not be played, and its verdict charges the rule (a finding of it,
// or a failed expectation that names it).
func Fails(res scenarios.Result, rule string) bool {
	f := res.Failure
	if res.Passed || f == nil || (f.StepName != string(scenarios.StepExpect) && f.StepName != "findings") {
		return false
	}
	return slices.Contains(res.Verdict().Charged(rules.Info), rule)
}

// Options tunes Shrink.
type Options struct {
	// Rule is the rule the scenario must keep failing for; empty means the
	// rule its failing expectation names (else its first finding's).
	Rule string
	// MaxTries bounds the candidates played (0: DefaultMaxTries).
	MaxTries int
	// Progress, when set, is told of every candidate kept.
	Progress func(Stats)
}

// DefaultMaxTries is how many candidates Shrink plays at most by default.
const DefaultMaxTries = 5000

// Stats is what a shrink did.
type Stats struct {
	Rule                    string
	Tried, Kept             int // candidates played, and kept (still failing)
	StepsBefore, StepsAfter int
	SubsBefore, SubsAfter   int
	Elapsed                 time.Duration
}

// String renders the stats on one line.
func (s Stats) String() string {
	return fmt.Sprintf("shrunk for %s: %d steps to %d, %d subscribers to %d; %d candidates tried, %d kept, in %s",
		s.Rule, s.StepsBefore, s.StepsAfter, s.SubsBefore, s.SubsAfter, s.Tried, s.Kept, s.Elapsed.Round(time.Millisecond))
}

// shrinker holds the smallest failing scenario found so far.
type shrinker struct {
	run  Runner
	rule string
	best *scenarios.Scenario
	o    Options
	st   Stats
}

var errBudget = errors.New("out of tries")

// try plays cand and keeps it when it still fails for the rule.
func (s *shrinker) try(cand *scenarios.Scenario) (bool, error) {
	if s.st.Tried >= s.o.MaxTries {
		return false, errBudget
	}
	s.st.Tried++
	if !Fails(s.run(cand), s.rule) {
		return false, nil
	}
	s.best = cand
	s.st.Kept++
	if s.o.Progress != nil {
		s.o.Progress(s.st)
	}
	return true, nil
}

// Shrink returns the smallest scenario it finds that still fails for the
// rule, with what it did. The input is left as it is. The same scenario,
// runner and options give the same result.
func Shrink(sc *scenarios.Scenario, run Runner, o Options) (*scenarios.Scenario, Stats, error) {
	began := time.Now()
	if o.MaxTries <= 0 {
		o.MaxTries = DefaultMaxTries
	}
	if len(sc.Cases) > 0 {
		return nil, Stats{}, errors.New("shrink: a table scenario: shrink one of its cases")
	}
	first := run(sc)
	rule := o.Rule
	if rule == "" && !first.Passed {
		rule = failedRule(first)
	}
	s := &shrinker{run: run, rule: rule, best: clone(sc), o: o,
		st: Stats{Rule: rule, Tried: 1, StepsBefore: len(sc.Steps), SubsBefore: len(sc.Subscribers)}}
	if rule == "" || !Fails(first, rule) {
		return nil, s.st, fmt.Errorf("shrink %s: %w %s", sc.Name, ErrNotFailing, orAny(rule))
	}
	passes := []func() (bool, error){s.removeSteps, s.dropSubscribers, s.mergeAdvances, s.shortenAdvances,
		s.dropExpectations, s.simplifySteps, s.simplifySubscribers, s.simplifyWorld, s.simplifyBot}
	for round := 0; round < 8; round++ {
		changed := false
		for _, p := range passes {
			c, err := p()
			if errors.Is(err, errBudget) {
				return s.done(began)
			}
			changed = changed || c
		}
		if !changed {
			break
		}
	}
	return s.done(began)
}

func (s *shrinker) done(began time.Time) (*scenarios.Scenario, Stats, error) {
	s.st.StepsAfter, s.st.SubsAfter = len(s.best.Steps), len(s.best.Subscribers)
	s.st.Elapsed = time.Since(began)
	return s.best, s.st, nil
}

// failedRule is the rule a failed result fails for: the one its failing
// expectation names, else its verdict's first finding's, else the first
// rule the verdict charges.
func failedRule(res scenarios.Result) string {
	if f := res.Failure; f != nil {
		for _, r := range f.Rules {
			if r != "" {
				return r
			}
		}
	}
	v := res.Verdict()
	if len(v.Findings) > 0 {
		return v.Findings[0].Rule
	}
	if charged := v.Charged(rules.Info); len(charged) > 0 {
		return charged[0]
	}
	return ""
}

func orAny(rule string) string {
	if rule == "" {
		return "(it fails for none)"
	}
	return rule
}

// clone copies sc deeply enough for a candidate to change its steps,
// subscribers and expectations without touching sc.
func clone(sc *scenarios.Scenario) *scenarios.Scenario {
	c := *sc
	c.Steps = slices.Clone(sc.Steps)
	c.Subscribers = slices.Clone(sc.Subscribers)
	c.Tags = slices.Clone(sc.Tags)
	return &c
}

// protected reports whether st is an expect step naming the rule: the
// failure the shrink keeps.
func (s *shrinker) protected(st *scenarios.Step) bool {
	for _, e := range st.Expect {
		if e.Rule == s.rule {
			return true
		}
	}
	return false
}

// removeSteps is delta debugging over the steps: it removes ever smaller
// chunks of the unprotected steps while the scenario keeps failing.
func (s *shrinker) removeSteps() (bool, error) {
	changed := false
	n := 2
	for {
		var free []int
		for i := range s.best.Steps {
			if !s.protected(&s.best.Steps[i]) {
				free = append(free, i)
			}
		}
		if len(free) == 0 {
			return changed, nil
		}
		n = min(n, len(free))
		removed := false
		for k := range n {
			lo, hi := k*len(free)/n, (k+1)*len(free)/n
			drop := map[int]bool{}
			for _, i := range free[lo:hi] {
				drop[i] = true
			}
			cand := clone(s.best)
			cand.Steps = cand.Steps[:0]
			for i, st := range s.best.Steps {
				if !drop[i] {
					cand.Steps = append(cand.Steps, st)
				}
			}
			ok, err := s.try(cand)
			if err != nil {
				return changed, err
			}
			if ok {
				removed, changed = true, true
				n = max(n-1, 2)
				break
			}
		}
		if removed {
			continue
		}
		if n >= len(free) {
			return changed, nil
		}
		n = min(2*n, len(free))
	}
}

// mergeAdvances joins neighbouring advances into one. Their sum cannot
// overflow: a scenario that plays keeps its clock inside 1970-2262, which
// is shorter than the longest time.Duration.
func (s *shrinker) mergeAdvances() (bool, error) {
	return s.sweep(func() int { return len(s.best.Steps) - 1 }, func(i int) *scenarios.Scenario {
		a, b := s.best.Steps[i], s.best.Steps[i+1]
		if a.Kind != scenarios.StepAdvance || b.Kind != scenarios.StepAdvance {
			return nil
		}
		cand := clone(s.best)
		cand.Steps[i].Duration = a.Duration + b.Duration
		cand.Steps = slices.Delete(cand.Steps, i+1, i+2)
		return cand
	})
}

// sweep walks the indexes below n(), playing the candidate at(i) makes of
// the best scenario so far: one that still fails becomes the best and the
// same index is tried again (what was there is gone); nil skips the index.
func (s *shrinker) sweep(n func() int, at func(i int) *scenarios.Scenario) (bool, error) {
	changed := false
	for i := 0; i < n(); {
		cand := at(i)
		if cand == nil {
			i++
			continue
		}
		ok, err := s.try(cand)
		if err != nil {
			return changed, err
		}
		if !ok {
			i++
		}
		changed = changed || ok
	}
	return changed, nil
}

// boundaries are the durations an advance is tried at, shortest first: the
// round values and the platform's lines (the idle guard's 5 minutes, the
// 24-hour window, the 48-hour cooldown, a token's 365 days), each also
// a millisecond short of and past it.
var boundaries = func() []time.Duration {
	lines := []time.Duration{5 * time.Minute, 24 * time.Hour, 48 * time.Hour, 365 * 24 * time.Hour}
	out := []time.Duration{time.Millisecond, time.Second, time.Minute, time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}
	for _, l := range lines {
		out = append(out, l-time.Millisecond, l, l+time.Millisecond)
	}
	slices.Sort(out)
	return slices.Compact(out)
}()

// shorter returns the durations to try in place of d, shortest first: the
// boundaries below d and d rounded down to its largest unit.
func shorter(d time.Duration) []time.Duration {
	var out []time.Duration
	for _, b := range boundaries {
		if b < d {
			out = append(out, b)
		}
	}
	for _, u := range []time.Duration{365 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute, time.Second, time.Millisecond} {
		if d > u {
			if r := d.Truncate(u); r < d {
				out = append(out, r)
			}
			break
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// shortenAdvances tries each advance at shorter, rounder durations and
// keeps the shortest that still fails.
func (s *shrinker) shortenAdvances() (bool, error) {
	changed := false
	for i := range s.best.Steps {
		st := s.best.Steps[i]
		if st.Kind != scenarios.StepAdvance {
			continue
		}
		for _, d := range shorter(st.Duration) {
			if d >= s.best.Steps[i].Duration {
				break
			}
			cand := clone(s.best)
			cand.Steps[i].Duration = d
			ok, err := s.try(cand)
			if err != nil {
				return changed, err
			}
			if ok {
				changed = true
				break
			}
		}
	}
	return changed, nil
}

// mentions reports whether st concerns the subscriber alias.
func mentions(st *scenarios.Step, alias string) bool {
	if st.Who == alias {
		return true
	}
	if f := st.Fault; f != nil && f.Who == alias {
		return true
	}
	if x := st.Send; x != nil && (x.To == alias || x.TokenOf == alias || x.RecurringOf == alias) {
		return true
	}
	for _, e := range st.Expect {
		if e.Who == alias {
			return true
		}
	}
	return false
}

// dropSubscribers removes a subscriber and every step that concerns them.
func (s *shrinker) dropSubscribers() (bool, error) {
	n := func() int {
		if len(s.best.Subscribers) < 2 {
			return 0
		}
		return len(s.best.Subscribers)
	}
	return s.sweep(n, func(i int) *scenarios.Scenario {
		alias := s.best.Subscribers[i].Alias
		cand := clone(s.best)
		cand.Subscribers = slices.Delete(cand.Subscribers, i, i+1)
		cand.Steps = cand.Steps[:0]
		for _, st := range s.best.Steps {
			if !mentions(&st, alias) {
				cand.Steps = append(cand.Steps, st)
			} else if s.protected(&st) {
				return nil
			}
		}
		return cand
	})
}

// dropExpectations leaves out, one by one, the expectations of the
// protected steps that do not name the rule.
func (s *shrinker) dropExpectations() (bool, error) {
	changed := false
	for i := range s.best.Steps {
		ok, err := s.sweep(func() int { return len(s.best.Steps[i].Expect) }, func(j int) *scenarios.Scenario {
			if s.best.Steps[i].Expect[j].Rule == s.rule || len(s.best.Steps[i].Expect) == 1 {
				return nil
			}
			cand := clone(s.best)
			cand.Steps[i].Expect = slices.Delete(slices.Clone(cand.Steps[i].Expect), j, j+1)
			return cand
		})
		changed = changed || ok
		if err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// shortTexts are what a text is tried as, shortest first, before its own
// first words.
var shortTexts = []string{"hi"}

// simplerTexts returns the texts to try in place of t: "hi", then t's
// first word, first half, all but its last word.
func simplerTexts(t string) []string {
	var out []string
	add := func(c string) {
		if c != "" && len(c) < len(t) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	for _, c := range shortTexts {
		add(c)
	}
	words := strings.Fields(t)
	if len(words) > 1 {
		add(words[0])
		add(strings.Join(words[:len(words)/2], " "))
		add(strings.Join(words[:len(words)-1], " "))
	}
	return out
}

// requiredData are the data keys the external bot contract's triggers
// need: the shrink keeps them, so that a smaller scenario still asks the
// bot something it must answer, not something it may refuse or misread.
var requiredData = map[string][]string{
	"otn.request":       {"topic"},
	"otn.notify":        {"topic", "text"},
	"broadcast":         {"text"},
	"recurring.request": {"topic"},
	"recurring.notify":  {"topic", "text"},
	"restock":           {"product"},
}

// simplifySteps shortens the texts of steps, drops trigger data keys,
// shortens trigger data texts and makes faults plainer.
func (s *shrinker) simplifySteps() (bool, error) {
	changed := false
	attempt := func(i int, edit func(st *scenarios.Step)) (bool, error) {
		cand := clone(s.best)
		edit(&cand.Steps[i])
		ok, err := s.try(cand)
		changed = changed || ok
		return ok, err
	}
	for i := range s.best.Steps {
		st := s.best.Steps[i]
		switch {
		case st.Text != "":
			for _, t := range simplerTexts(st.Text) {
				if ok, err := attempt(i, func(c *scenarios.Step) { c.Text = t }); ok || err != nil {
					if err != nil {
						return changed, err
					}
					break
				}
			}
		case st.Kind == scenarios.StepTrigger && len(st.Data) > 0:
			for _, k := range slices.Sorted(maps.Keys(st.Data)) {
				if _, still := s.best.Steps[i].Data[k]; !still {
					continue
				}
				if !slices.Contains(requiredData[st.Trigger], k) {
					ok, err := attempt(i, func(c *scenarios.Step) { c.Data = maps.Clone(c.Data); delete(c.Data, k) })
					if err != nil {
						return changed, err
					}
					if ok {
						continue
					}
				}
				if v, isText := s.best.Steps[i].Data[k].(string); isText && k != "topic" && k != "psid" {
					for _, t := range simplerTexts(v) {
						ok, err := attempt(i, func(c *scenarios.Step) { c.Data = maps.Clone(c.Data); c.Data[k] = t })
						if err != nil {
							return changed, err
						}
						if ok {
							break
						}
					}
				}
			}
		case st.Kind == scenarios.StepSend && st.Send != nil && st.Send.Text != "":
			for _, t := range simplerTexts(st.Send.Text) {
				ok, err := attempt(i, func(c *scenarios.Step) { x := *c.Send; x.Text = t; c.Send = &x })
				if err != nil {
					return changed, err
				}
				if ok {
					break
				}
			}
		case st.Kind == scenarios.StepFault && st.Fault != nil:
			f := *st.Fault
			if f.Times != 1 {
				if _, err := attempt(i, func(c *scenarios.Step) { x := *c.Fault; x.Times = 1; c.Fault = &x }); err != nil {
					return changed, err
				}
			}
			if f.Probability != 1 {
				if _, err := attempt(i, func(c *scenarios.Step) { x := *c.Fault; x.Probability = 1; c.Fault = &x }); err != nil {
					return changed, err
				}
			}
			if f.Name != "" {
				if _, err := attempt(i, func(c *scenarios.Step) { x := *c.Fault; x.Name = ""; c.Fault = &x }); err != nil {
					return changed, err
				}
			}
		}
	}
	return changed, nil
}

// tryEach plays, one at a time, the candidates the edits make of the best
// scenario so far; an edit that reports false changes nothing and is not
// played.
func (s *shrinker) tryEach(edits ...func(*scenarios.Scenario) bool) (bool, error) {
	changed := false
	for _, edit := range edits {
		cand := clone(s.best)
		if !edit(cand) {
			continue
		}
		ok, err := s.try(cand)
		if err != nil {
			return changed, err
		}
		changed = changed || ok
	}
	return changed, nil
}

// simplifySubscribers leaves out what the subscribers' declarations fix
// (name, locale, timezone, region) where the failure does not need it.
func (s *shrinker) simplifySubscribers() (bool, error) {
	var edits []func(*scenarios.Scenario) bool
	for i := range s.best.Subscribers {
		edits = append(edits,
			func(c *scenarios.Scenario) bool { x := &c.Subscribers[i]; had := x.Name != ""; x.Name = ""; return had },
			func(c *scenarios.Scenario) bool {
				x := &c.Subscribers[i]
				had := x.Locale != ""
				x.Locale = ""
				return had
			},
			func(c *scenarios.Scenario) bool {
				x := &c.Subscribers[i]
				had := x.Timezone != nil
				x.Timezone = nil
				return had
			},
			func(c *scenarios.Scenario) bool {
				x := &c.Subscribers[i]
				had := x.Region != "" && x.Region != "US"
				x.Region = "US"
				return had
			})
	}
	return s.tryEach(edits...)
}

// simplifyWorld tries the default page and settings.
func (s *shrinker) simplifyWorld() (bool, error) {
	def := scenarios.WorldSpec{OTNPermission: true, Settings: fakegraph.DefaultSettings()}
	differs := func(c *scenarios.Scenario) bool { return !reflect.DeepEqual(c.World, s.best.World) }
	return s.tryEach(
		func(c *scenarios.Scenario) bool { c.World = def; return differs(c) },
		func(c *scenarios.Scenario) bool { c.World.Settings = def.Settings; return differs(c) },
		func(c *scenarios.Scenario) bool { c.World.OTNPermission = true; return differs(c) },
	)
}

// simplifyBot tries the reference bot's default catalogue and leaves out
// opt-ins, flows and campaigns the failure does not need.
func (s *shrinker) simplifyBot() (bool, error) {
	return s.tryEach(
		func(c *scenarios.Scenario) bool { had := c.Bot.Products != nil; c.Bot.Products = nil; return had },
		func(c *scenarios.Scenario) bool { had := c.Bot.OptIns != nil; c.Bot.OptIns = nil; return had },
		func(c *scenarios.Scenario) bool { had := c.Bot.Flows != nil; c.Bot.Flows = nil; return had },
		func(c *scenarios.Scenario) bool { had := c.Bot.Campaigns != nil; c.Bot.Campaigns = nil; return had },
	)
}
