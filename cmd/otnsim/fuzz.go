package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"time"

	"github.com/otnsim/otnsim/scenariofuzz"
	"github.com/otnsim/otnsim/shrink"
)

const fuzzUsage = `Usage: otnsim fuzz [flags]

Plays random but valid scenarios against the bot, on purpose: up to
--subscribers subscribers who write, ask and tap Notify Me, reply, tap
quick replies and buttons, react, block and unblock, opt in to recurring
notifications; the shop's triggers (otn.request, otn.notify, broadcast,
recurring.request, recurring.notify); clock advances near the platform's
lines (5 minutes, 24 hours, 48 hours, 365 days, a millisecond either side);
armed faults (551, a permission error, a lost answer, a 503). Each scenario
is judged as otnsim check judges one: a rule charged at --fail-on or above
fails it. The first failing scenario is shrunk (see "otnsim help shrink")
and written to --out as a regression test; the run's seed and the
scenario's place are printed, and the same --seed plays the same scenarios.

The bot is the reference bot in process (with the careful policy, several
scenarios at once), or your own with --bot-cmd or --bot-url, one scenario at
a time, each with fresh PSIDs.

Examples:
  otnsim fuzz --for 10s
  otnsim fuzz --bot-cmd "python3 examples/python-bot/bot.py" --for 60s --out fuzz/
  otnsim fuzz --bot-cmd "node bot.js" --rule OTN-TOKEN-EXPIRY --seed 7
  otnsim fuzz --fail-on warning --max 5000

Exit status: 0 no scenario failed, 1 one failed (its minimal scenario is
written), 2 usage or input error (or a bot that could not be run).

Flags:
`

func init() {
	commands["fuzz"] = command{summary: "play random scenarios against the bot and shrink the first that fails", run: fuzzCmd,
		flags: func(fs *flag.FlagSet) { defineFuzzFlags(fs) }}
}

type fuzzFlags struct {
	seed        int64
	dur         durationValue
	max         int
	out, rule   string
	subscribers int
	moves       int
	verdict     *verdictFlags
	bot         *botFlags
}

func defineFuzzFlags(fs *flag.FlagSet) *fuzzFlags {
	o := &fuzzFlags{dur: durationValue{d: time.Minute}}
	fs.Int64Var(&o.seed, "seed", 1, "seed of the sequence of scenarios")
	fs.Var(&o.dur, "for", "how long to fuzz, in real time (default 1m)")
	fs.IntVar(&o.max, "max", 0, "stop after this many scenarios (0: only --for)")
	fs.StringVar(&o.out, "out", ".", "folder for the minimal failing scenario")
	fs.StringVar(&o.rule, "rule", "", "fuzz for this rule only: the others' findings pass")
	fs.IntVar(&o.subscribers, "subscribers", 3, "the most subscribers in a scenario (1 to 3)")
	fs.IntVar(&o.moves, "moves", 12, "the most moves in a scenario (a move is one to four steps)")
	o.verdict = addVerdictFlags(fs, false)
	o.bot = addBotFlags(fs, defaultSettle)
	return o
}

func fuzzCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("fuzz", fuzzUsage, stderr)
	o := defineFuzzFlags(fs)
	if err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "otnsim fuzz: unexpected argument %q\n", fs.Arg(0))
		usageHint(fs)
		return exitUsage
	}
	level, err := o.verdict.level()
	if err != nil {
		fmt.Fprintf(stderr, "otnsim fuzz: %v\n", err)
		return exitUsage
	}
	if !knownRule("fuzz", o.rule, stderr) {
		return exitUsage
	}
	if o.subscribers < 1 || o.subscribers > 3 || o.moves < 2 || o.dur.d <= 0 {
		fmt.Fprintln(stderr, "otnsim fuzz: want --subscribers 1 to 3, --moves 2 or more and a --for above 0")
		usageHint(fs)
		return exitUsage
	}
	opts, br, ok := o.bot.open("fuzz", stderr, 0, 1, 1)
	if !ok {
		return exitUsage
	}
	defer br.close()
	fo := scenariofuzz.Options{Seed: o.seed, For: o.dur.d, Max: o.max, FailOn: level, Rule: o.rule,
		Gen: scenariofuzz.GenOptions{Subscribers: o.subscribers, Moves: o.moves}}
	if fs.Lookup("fail-on").Value.String() == "failure" && o.rule != "" {
		fo.FailOn = "" // the rule's own severity
	}
	if br == nil {
		fo.Parallel = runtime.GOMAXPROCS(0)
	} else if o.bot.cmd != "" {
		fo.Fresh = freshRunner(o.bot, 0)
	}
	out, err := scenariofuzz.Fuzz(shrink.With(opts), fo)
	if br.failed("fuzz", stderr) {
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "otnsim fuzz: %v\n", err)
		return exitUsage
	}
	rate := float64(out.Played) / out.Elapsed.Seconds()
	if out.Failure == nil {
		fmt.Fprintf(stdout, "ok: %d random scenarios (seed %d) in %s (%.0f scenarios/s): none failed\n", out.Played, o.seed, out.Elapsed.Round(time.Millisecond), rate)
		return exitPass
	}
	f := out.Failure
	fmt.Fprintf(stdout, "FAIL: random scenario #%d of seed %d (scenario seed %#x) fails for %s, after %d scenarios in %s\n",
		f.Index, o.seed, f.Seed, f.Rule, out.Played, out.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(stdout, "  %s\n", f.Stats)
	path := filepath.Join(o.out, fmt.Sprintf("fuzz-%s-seed-%d-%d.yaml", lower(f.Rule), o.seed, f.Index))
	if code := writeScenario("fuzz", f.Minimal, path, stdout, stderr); code != exitPass {
		return code
	}
	fmt.Fprintf(stdout, "  replay: otnsim run %s\n", path)
	return exitFailed
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
