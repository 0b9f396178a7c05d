package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/external"
	"github.com/otnsim/otnsim/extract"
	"github.com/otnsim/otnsim/load"
	"github.com/otnsim/otnsim/load/report"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/scenarios"
	"github.com/otnsim/otnsim/shrink"
)

// This file holds the road from a failing load run to a regression test:
// otnsim extract, otnsim shrink, and load's --extract.

const extractUsage = `Usage: otnsim extract REPORT.json --subscriber N [flags]

Replays subscriber N of the load run that wrote REPORT.json (otnsim load
--json: its profile, seed, population and days) and writes their life as a
scenario file: the world, the bot section, the subscriber (name, region,
locale, timezone), every message and Notify Me tap, every trigger the
campaigns fired, each after an advance to its virtual instant, and an expect
step that fails while the bot breaks the rule it broke in the run (the same
rule, the same subscriber). --shrink then makes it as small as it gets (see
"otnsim help shrink"). The file goes to --out, or to stdout.

A run against your own bot is replayed against it again: give the same
--bot-cmd or --bot-url.

Examples:
  otnsim load --profile load/profiles/careless-bot.yaml --subscribers 20000 --json run.json
  otnsim extract run.json --subscriber 5 --out token-once.yaml
  otnsim extract run.json --subscriber 5 --rule OTN-TOKEN-ONCE --shrink --out token-once.yaml
  otnsim extract run.json --subscriber 17 --bot-cmd "node bot.js" --shrink

Exit status: 0 written, 1 the subscriber breaks no rule in the replay, 2
usage or input error (or a bot that could not be run).

Flags:
`

const shrinkUsage = `Usage: otnsim shrink FILE [flags]

Minimises a failing scenario while it keeps failing for the same rule (the
one its failing expectation names, or --rule): it removes steps by delta
debugging, merges neighbouring clock advances and shortens each to round
values and the platform's lines (5m, 24h, 48h, 365d, a millisecond either
side), drops subscribers, shortens texts and trigger data, simplifies and
removes faults, and leaves out expectations that do not name the rule.
Every candidate is played against the bot (the reference bot with the
file's bot section, or --bot-cmd / --bot-url); the result is the same for
the same file, bot and --seed. A bot of your own plays every candidate in
one process, as check plays a suite; since it remembers the candidates
before, the result is then played on a new process of the bot (--bot-cmd),
and if it does not fail there the shrink starts over with a new process
for every candidate. It prints what it tried and kept on stderr and writes
the smallest scenario to --out, or to stdout.

Examples:
  otnsim shrink out/otn-token-once-subscriber-5.yaml --out scenarios/regress/token-once.yaml
  otnsim shrink failing.yaml --rule WIN-24H
  otnsim shrink failing.yaml --bot-cmd "python3 examples/python-bot/bot.py"

Exit status: 0 shrunk, 1 the scenario does not fail for the rule (nothing to
keep), 2 usage or input error (or a bot that could not be run).

Flags:
`

func init() {
	commands["extract"] = command{summary: "write a load run's subscriber as a scenario that fails for their rule", run: extractCmd,
		flags: func(fs *flag.FlagSet) { defineExtractFlags(fs) }}
	commands["shrink"] = command{summary: "minimise a failing scenario while it fails for the same rule", run: shrinkCmd,
		flags: func(fs *flag.FlagSet) { defineShrinkFlags(fs) }}
}

type extractFlags struct {
	subscriber int
	rule, out  string
	shrink     bool
	maxTries   int
	bot        *botFlags
}

func defineExtractFlags(fs *flag.FlagSet) *extractFlags {
	o := &extractFlags{}
	fs.IntVar(&o.subscriber, "subscriber", -1, "the subscriber's index in the run (a finding sample's or violation's)")
	fs.StringVar(&o.rule, "rule", "", "expect only this rule (default: every rule the subscriber breaks)")
	fs.StringVar(&o.out, "out", "", "write the scenario to this file (default: stdout)")
	fs.BoolVar(&o.shrink, "shrink", false, "shrink the scenario before writing it")
	fs.IntVar(&o.maxTries, "max-tries", shrink.DefaultMaxTries, "with --shrink: the most candidates to play")
	o.bot = addBotFlags(fs, defaultSettle)
	return o
}

func extractCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("extract", extractUsage, stderr)
	o := defineExtractFlags(fs)
	if err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	if fs.NArg() != 1 || o.subscriber < 0 {
		fmt.Fprintln(stderr, "otnsim extract: want one REPORT.json and --subscriber N")
		usageHint(fs)
		return exitUsage
	}
	if !knownRule("extract", o.rule, stderr) {
		return exitUsage
	}
	rep, err := report.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "otnsim extract: %v\n", err)
		return exitUsage
	}
	opts, err := extract.Replay(rep)
	if err != nil {
		fmt.Fprintf(stderr, "otnsim extract: %v\n", err)
		return exitUsage
	}
	var br *botRun
	if o.bot.given() {
		h := o.bot.start("extract", stderr)
		if h == nil {
			return exitUsage
		}
		br = &botRun{hs: []*external.Harness{h}}
		defer br.close()
		opts.Engine, opts.External, opts.BotName = load.InProcess, []load.ExternalBot{h}, o.bot.flags()
	} else if rep.Engine == "external" {
		fmt.Fprintf(stderr, "otnsim extract: the run played %s: give its --bot-cmd or --bot-url again\n", rep.Bot)
		return exitUsage
	}
	if o.subscriber >= opts.Subscribers {
		fmt.Fprintf(stderr, "otnsim extract: --subscriber %d: the run had %d subscribers (0 to %d)\n", o.subscriber, opts.Subscribers, opts.Subscribers-1)
		return exitUsage
	}
	sc, ids, err := extract.One(opts, o.subscriber, o.rule, extract.Source{Command: extract.ReplayCommand(rep, o.subscriber)})
	if br.failed("extract", stderr) {
		return exitUsage
	}
	if errors.Is(err, extract.ErrNothing) {
		fmt.Fprintf(stderr, "otnsim extract: %v\n", err)
		return exitFailed
	}
	if err != nil {
		fmt.Fprintf(stderr, "otnsim extract: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "otnsim extract: subscriber %d breaks %s: %d steps\n", o.subscriber, strings.Join(ids, ", "), len(sc.Steps))
	if o.shrink {
		small, st, err := shrinkOn(sc, o.bot, 0, shrink.Options{Rule: ids[0], MaxTries: o.maxTries})
		if err != nil {
			fmt.Fprintf(stderr, "otnsim extract: %v\n", err)
			return exitFailed
		}
		noteShrunk(small, st)
		fmt.Fprintf(stderr, "otnsim extract: %s\n", st)
		sc = small
	}
	return writeScenario("extract", sc, o.out, stdout, stderr)
}

// knownRule reports whether rule, a --rule flag's value, is empty or a
// rule of the catalogue; it prints why not.
func knownRule(name, rule string, stderr io.Writer) bool {
	if _, ok := rules.Lookup(rule); rule != "" && !ok {
		fmt.Fprintf(stderr, "otnsim %s: --rule: %q is no rule of the catalogue (otnsim rules lists them)\n", name, rule)
		return false
	}
	return true
}

// noteShrunk says in sc's description that it was shrunk, and how far.
func noteShrunk(sc *scenarios.Scenario, st shrink.Stats) {
	note := fmt.Sprintf("Shrunk by otnsim shrink from %d steps to %d.", st.StepsBefore, st.StepsAfter)
	if sc.Description == "" {
		sc.Description = note
		return
	}
	sc.Description = strings.TrimSpace(sc.Description) + " " + note
}

// writeScenario formats sc to path, or to stdout when path is empty.
func writeScenario(name string, sc *scenarios.Scenario, path string, stdout, stderr io.Writer) int {
	b, err := scenarios.Format(sc)
	if err != nil {
		fmt.Fprintf(stderr, "otnsim %s: %v\n", name, err)
		return exitUsage
	}
	if path == "" {
		_, _ = stdout.Write(b)
		return exitPass
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Fprintf(stderr, "otnsim %s: %v\n", name, err)
			return exitUsage
		}
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		fmt.Fprintf(stderr, "otnsim %s: %v\n", name, err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "wrote %s\n", path)
	return exitPass
}

type shrinkFlags struct {
	rule, out string
	seed      int64
	maxTries  int
	bot       *botFlags
}

func defineShrinkFlags(fs *flag.FlagSet) *shrinkFlags {
	o := &shrinkFlags{}
	fs.StringVar(&o.rule, "rule", "", "the rule the scenario must keep failing for (default: the one its failing expectation names, else its first finding's)")
	fs.StringVar(&o.out, "out", "", "write the smallest scenario to this file (default: stdout)")
	fs.Int64Var(&o.seed, "seed", 0, "play every candidate under this seed (default: the file's)")
	fs.IntVar(&o.maxTries, "max-tries", shrink.DefaultMaxTries, "the most candidates to play")
	o.bot = addBotFlags(fs, defaultSettle)
	return o
}

func shrinkCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("shrink", shrinkUsage, stderr)
	o := defineShrinkFlags(fs)
	if err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "otnsim shrink: want one FILE")
		usageHint(fs)
		return exitUsage
	}
	if !knownRule("shrink", o.rule, stderr) {
		return exitUsage
	}
	sc, err := scenarios.ParseFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if len(sc.Cases) > 0 {
		fmt.Fprintf(stderr, "otnsim shrink: %s is a table of %d cases: shrink one case at a time (copy it out)\n", fs.Arg(0), len(sc.Cases))
		return exitUsage
	}
	small, st, err := shrinkOn(sc, o.bot, o.seed, shrink.Options{Rule: o.rule, MaxTries: o.maxTries})
	var be *external.BotError
	if errors.As(err, &be) {
		printBotError(stderr, "shrink", err)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "otnsim shrink: %v\n", err)
		return exitFailed
	}
	if o.seed != 0 {
		small.Seed = o.seed
	}
	noteShrunk(small, st)
	fmt.Fprintf(stderr, "otnsim shrink: %s\n", st)
	return writeScenario("shrink", small, o.out, stdout, stderr)
}

// extractRun writes a scenario for every finding sample and violation of
// rep into dir (load's --extract), shrinking each with shrinkToo, and
// prints a line per file. Against a bot outside the process each replay
// gets a new process of the bot (bot's flags). It reports false when it
// could not.
func extractRun(opts load.Options, rep *report.Report, dir string, shrinkToo bool, bot *botFlags, stdout, stderr io.Writer) bool {
	var fresh extract.Fresh
	if bot.given() {
		fresh = func(o *load.Options) (func(), error) {
			h, err := bot.startOne()
			if err != nil {
				return nil, err
			}
			o.External = []load.ExternalBot{h}
			return h.Stop, nil
		}
	}
	var lines []string
	keep := func(f *extract.File) error {
		line := fmt.Sprintf("  %s  %s, subscriber %d, %d steps", f.Path, strings.Join(f.Rules, ", "), f.Subscriber, len(f.Scenario.Steps))
		if shrinkToo {
			small, st, err := shrinkOn(f.Scenario, bot, 0, shrink.Options{Rule: f.Rules[0]})
			if err != nil {
				return fmt.Errorf("--shrink %s: %w", f.Path, err)
			}
			noteShrunk(small, st)
			f.Scenario = small
			line += fmt.Sprintf(", shrunk to %d (%d tried, %d kept)", len(small.Steps), st.Tried, st.Kept)
		}
		lines = append(lines, line)
		return nil
	}
	files, err := extract.All(opts, rep, dir, fresh, keep)
	if err != nil {
		printBotError(stderr, "load --extract", err)
		return false
	}
	if len(files) == 0 {
		fmt.Fprintf(stdout, "extract: no finding or violation to extract\n")
		return true
	}
	fmt.Fprintf(stdout, "extract: %d scenario(s) in %s\n", len(files), dir)
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	return true
}

// shrinkOn shrinks sc against the bot the flags name: the reference bot in
// process when they name none. A bot of its own is started once and plays
// every candidate, fresh PSIDs each, as check plays a suite. Such a bot
// remembers the candidates before, and can make one fail that fails on no
// fresh bot: with --bot-cmd the result is played on a new process of the
// bot, and if it passes there the shrink starts over with a new process
// for every candidate (slower, and sure). A --bot-url bot cannot be
// restarted: its result is taken as it is.
func shrinkOn(sc *scenarios.Scenario, bot *botFlags, seed int64, o shrink.Options) (*scenarios.Scenario, shrink.Stats, error) {
	if !bot.given() {
		return shrink.Shrink(sc, shrink.Reference(seed), o)
	}
	h, err := bot.startOne()
	if err != nil {
		return nil, shrink.Stats{}, err
	}
	small, st, err := shrink.Shrink(sc, shrink.With(compliance.RunOptions(h, seed)), o)
	h.Stop()
	if err == nil {
		err = h.Err()
	}
	if err != nil || bot.cmd == "" {
		return small, st, err
	}
	var startErr error
	fresh := freshRunner(bot, seed, &startErr)
	if shrink.Fails(fresh(small), st.Rule) && startErr == nil {
		return small, st, nil
	}
	if startErr != nil {
		return nil, st, startErr
	}
	o.Rule = st.Rule
	again, st2, err := shrink.Shrink(sc, fresh, o)
	st2.Tried += st.Tried
	if err == nil {
		err = startErr
	}
	return again, st2, err
}

// freshRunner plays each scenario on a new process of the --bot-cmd bot,
// one that has seen no other. The first bot that cannot be run is noted in
// errs (when not nil); its scenario counts as passing.
func freshRunner(bot *botFlags, seed int64, errs ...*error) shrink.Runner {
	note := func(err error) {
		for _, e := range errs {
			if *e == nil {
				*e = err
			}
		}
	}
	return func(c *scenarios.Scenario) scenarios.Result {
		h, err := bot.startOne()
		if err != nil {
			note(err)
			return scenarios.Result{Passed: true}
		}
		defer h.Stop()
		res := scenarios.Run(c, compliance.RunOptions(h, seed))
		if err := h.Err(); err != nil {
			note(err)
		}
		return res
	}
}
