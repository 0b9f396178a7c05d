// Package extract turns one subscriber's life in a load run into a scenario
// file: the world, the bot section, the subscriber, every message, tap and
// clock advance, the triggers the campaigns fired, and an expect step that
// fails as the run did (the same rule, the same subscriber). Such a file is
// the start of a regression test; package shrink makes it small.
package extract

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/load"
	"github.com/otnsim/otnsim/load/profile"
	"github.com/otnsim/otnsim/load/report"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/scenarios"
)

// ErrNothing is returned for a subscriber whose replay breaks no rule: there
// is no failure to extract.
var ErrNothing = errors.New("the subscriber's replay breaks no rule")

// invariantRules are the rules whose findings stand for each invariant: the
// expectation a scenario checks when a load run broke the invariant.
var invariantRules = map[string]string{
	load.InvTokenOnce:   rules.TokenOnce,
	load.InvTokenIssued: rules.TokenScope,
	load.InvTokenExpiry: rules.TokenExpiry,
	load.InvWindow:      rules.Win24h,
}

// Rules returns the rules a recorded life breaks, sorted: its findings'
// rules, and those standing for the invariants it broke.
func Rules(life *load.Life) []string {
	seen := map[string]bool{}
	for rule, n := range life.Report.Findings {
		if n > 0 {
			seen[rule] = true
		}
	}
	for _, v := range life.Report.Violations {
		if r, ok := invariantRules[v.Invariant]; ok && v.Subscriber == life.Subscriber {
			seen[r] = true
		}
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Source says where a life comes from, for the scenario's name and
// description.
type Source struct {
	Profile string // the profile's name or file
	Seed    int64
	// Command replays the subscriber (a load report's replay line).
	Command string
	// Checks are the run's practice thresholds; the zero value means the
	// defaults.
	Checks *findings.Options
}

// Scenario writes life as a scenario against the bot of prof: the
// subscriber with their name, region, locale and timezone; their messages,
// taps and the triggers, each after an advance to its virtual instant; an
// advance to the end of the run; and an expect step with, for each of
// rules, no finding of it for the subscriber. While the bot breaks a rule
// as it did in the run, that expectation fails.
func Scenario(life *load.Life, prof *profile.Profile, src Source, ruleIDs []string) *scenarios.Scenario {
	alias := Alias(life.User.FirstName)
	replay := ""
	if src.Command != "" {
		replay = " (" + src.Command + ")"
	}
	tz := life.User.Timezone
	sc := &scenarios.Scenario{
		Name: fmt.Sprintf("Subscriber %d of %s: %s", life.Subscriber, src.Profile, strings.Join(ruleIDs, ", ")),
		Description: fmt.Sprintf("Subscriber %d's life in a load run of profile %s, seed %d%s, replayed. "+
			"It fails while the bot breaks %s; it passes once the bot is fixed.", life.Subscriber, src.Profile, src.Seed, replay, strings.Join(ruleIDs, ", ")),
		Tags:  append([]string{"extracted"}, ruleIDs...),
		Seed:  src.Seed,
		Start: life.Start,
		World: scenarios.WorldSpec{OTNPermission: true, Settings: fakegraph.DefaultSettings()},
		Bot:   prof.Bot,
		Subscribers: []scenarios.SubscriberSpec{{Alias: alias, Name: strings.TrimSpace(life.User.FirstName + " " + life.User.LastName),
			Region: life.User.Region, Locale: life.User.Locale, Timezone: &tz}},
	}
	sc.Checks = findings.DefaultOptions()
	if src.Checks != nil {
		sc.Checks = *src.Checks
	}
	now := life.Start
	for _, e := range life.Events {
		if d := e.At.Sub(now); d > 0 {
			sc.Steps = append(sc.Steps, scenarios.Step{Kind: scenarios.StepAdvance, Duration: d})
			now = e.At
		}
		sc.Steps = append(sc.Steps, step(e, alias))
	}
	if d := life.End.Sub(now); d > 0 {
		sc.Steps = append(sc.Steps, scenarios.Step{Kind: scenarios.StepAdvance, Duration: d})
	}
	expect := scenarios.Step{Kind: scenarios.StepExpect}
	for _, r := range ruleIDs {
		expect.Expect = append(expect.Expect, scenarios.Expectation{Kind: scenarios.ExpectFindings, Who: alias, Rule: r,
			Counts: map[string]int{"count": 0}})
	}
	sc.Steps = append(sc.Steps, expect)
	return sc
}

// step is the scenario step of one event of alias's life.
func step(e load.LifeEvent, alias string) scenarios.Step {
	switch e.Kind {
	case load.LifeSay:
		k := scenarios.StepSay
		if e.Reply {
			k = scenarios.StepReply
		}
		return scenarios.Step{Kind: k, Who: alias, Text: e.Text}
	case load.LifeNotifyMe:
		return scenarios.Step{Kind: scenarios.StepNotifyMe, Who: alias, Topic: e.Topic}
	case load.LifeQuickReply:
		return scenarios.Step{Kind: scenarios.StepQuickReply, Who: alias, Text: e.Text, Payload: e.Payload}
	case load.LifePostback:
		return scenarios.Step{Kind: scenarios.StepPostback, Who: alias, Title: e.Title, Payload: e.Payload}
	case load.LifeReaction:
		return scenarios.Step{Kind: scenarios.StepReact, Who: alias}
	case load.LifeReferral:
		return scenarios.Step{Kind: scenarios.StepReferral, Who: alias, Source: e.Source, Ref: e.Ref, AdID: e.AdID}
	}
	st := scenarios.Step{Kind: scenarios.StepTrigger, Trigger: e.Trigger}
	var data map[string]any
	if len(e.Data) > 0 && json.Unmarshal(e.Data, &data) == nil && len(data) > 0 {
		st.Data = data
	}
	if e.Own {
		st.Who = alias
		delete(st.Data, "psid") // the runner adds the subscriber's own
	}
	return st
}

// Alias makes a scenario alias of a first name: lower case letters and
// digits only ("subscriber" when nothing is left).
func Alias(first string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(first) {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "subscriber"
	}
	return b.String()
}

// Replay is what a load report says of its run: the options that replay
// one of its subscribers.
func Replay(rep *report.Report) (load.Options, error) {
	opts := load.NewOptions(rep.Population, rep.Days, rep.Seed)
	opts.ProfileName = rep.Profile
	switch rep.Engine {
	case string(load.HTTP):
		opts.Engine = load.HTTP
	case "external":
		// The bot must be given again (the report names it as rep.Bot).
	}
	if rep.Profile == "" || rep.Profile == profile.Default().Name {
		opts.Profile = profile.Default()
		return opts, nil
	}
	p, err := profile.Load(rep.Profile)
	if err != nil {
		return opts, fmt.Errorf("the report's profile %q: %w", rep.Profile, err)
	}
	opts.Profile = p
	return opts, nil
}

// Subscribers returns the subscribers a load report names, sorted: each
// rule's sample and each violation's subscriber.
func Subscribers(rep *report.Report) []int {
	seen := map[int]bool{}
	for _, s := range rep.Samples {
		seen[s.Subscriber] = true
	}
	for _, v := range rep.Violations {
		if v.Subscriber >= 0 {
			seen[v.Subscriber] = true
		}
	}
	out := make([]int, 0, len(seen))
	for g := range seen {
		out = append(out, g)
	}
	sort.Ints(out)
	return out
}

// File is one extracted scenario.
type File struct {
	Path       string
	Subscriber int
	Rules      []string
	Scenario   *scenarios.Scenario
}

// One records subscriber g of the run opts describes and returns their
// scenario, failing for the rules they break (all of them when rule is
// empty). It is ErrNothing when they break none, or not rule.
func One(opts load.Options, g int, rule string, src Source) (*scenarios.Scenario, []string, error) {
	life, err := load.Record(opts, g)
	if err != nil {
		return nil, nil, err
	}
	ids := Rules(life)
	if rule != "" {
		if !slices.Contains(ids, rule) {
			return nil, nil, fmt.Errorf("subscriber %d: %w %s (it breaks %v)", g, ErrNothing, rule, ids)
		}
		ids = []string{rule}
	}
	if len(ids) == 0 {
		return nil, nil, fmt.Errorf("subscriber %d: %w", g, ErrNothing)
	}
	prof := opts.Profile
	if prof == nil {
		prof = profile.Default()
	}
	if src.Profile == "" {
		src.Profile = prof.Name
	}
	if src.Seed == 0 {
		src.Seed = opts.Seed
	}
	if src.Checks == nil {
		src.Checks = opts.Checks
	}
	return Scenario(life, prof, src, ids), ids, nil
}

// Fresh, for a run against a bot outside the process, starts a new process
// of the bot for one replay and puts it in opts.External; the returned
// function stops it. A replay must not meet a bot that remembers the whole
// run: the subscriber's PSID is the same in both.
type Fresh func(opts *load.Options) (stop func(), err error)

// All extracts every rule sample and violation of rep, one file per rule
// and subscriber, into dir (created if need be), named
// RULE-subscriber-N.yaml, and returns them in order. fresh, when not nil,
// gives each replay its own bot (see Fresh). keep, when not nil, is called
// with each file before it is written, with the bot of its replay still
// running: it may replace the scenario (shrink it).
func All(opts load.Options, rep *report.Report, dir string, fresh Fresh, keep func(*File) error) ([]File, error) {
	type job struct {
		g    int
		rule string
	}
	var jobs []job
	for rule, s := range rep.Samples {
		jobs = append(jobs, job{s.Subscriber, rule})
	}
	for _, v := range rep.Violations {
		if r, ok := invariantRules[v.Invariant]; ok && v.Subscriber >= 0 {
			jobs = append(jobs, job{v.Subscriber, r})
		}
	}
	sort.Slice(jobs, func(i, j int) bool {
		if jobs[i].rule != jobs[j].rule {
			return jobs[i].rule < jobs[j].rule
		}
		return jobs[i].g < jobs[j].g
	})
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	var out []File
	done := map[job]bool{}
	for _, j := range jobs {
		if done[j] {
			continue
		}
		done[j] = true
		f, err := one(opts, rep, dir, j.g, j.rule, fresh, keep)
		if errors.Is(err, ErrNothing) {
			continue // a violation whose rule the replay does not break
		}
		if err != nil {
			return out, err
		}
		out = append(out, f)
	}
	return out, nil
}

// one extracts subscriber g's file for rule, with a fresh bot if need be.
func one(opts load.Options, rep *report.Report, dir string, g int, rule string, fresh Fresh, keep func(*File) error) (File, error) {
	if fresh != nil {
		stop, err := fresh(&opts)
		if err != nil {
			return File{}, err
		}
		defer stop()
	}
	sc, ids, err := One(opts, g, rule, Source{Command: ReplayCommand(rep, g)})
	if err != nil {
		return File{}, err
	}
	f := File{Path: filepath.Join(dir, fmt.Sprintf("%s-subscriber-%d.yaml", strings.ToLower(rule), g)), Subscriber: g, Rules: ids, Scenario: sc}
	if keep != nil {
		if err := keep(&f); err != nil {
			return f, err
		}
	}
	if err := Write(f.Path, f.Scenario); err != nil {
		return f, err
	}
	f.Scenario.File = f.Path
	return f, nil
}

// ReplayCommand is the command line rep gives for replaying subscriber g
// (a rule sample's or a violation's), or "" when it names them nowhere.
func ReplayCommand(rep *report.Report, g int) string {
	for _, s := range rep.Samples {
		if s.Subscriber == g && s.Replay != "" {
			return s.Replay
		}
	}
	for _, v := range rep.Violations {
		if v.Subscriber == g && v.Replay != "" {
			return v.Replay
		}
	}
	return ""
}

// Write formats sc and writes it to path.
func Write(path string, sc *scenarios.Scenario) error {
	b, err := scenarios.Format(sc)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write scenario: %w", err)
	}
	return nil
}
