package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/internal/reportdoc"
	"github.com/otnsim/otnsim/scenarios"
	"github.com/otnsim/otnsim/sim"
)

const runUsage = `Usage: otnsim run [flags] [PATH...]

Runs every *.yaml scenario under each PATH (files or folders, walked
recursively) against the reference bot, in process, on a simulated clock.
Without PATH it runs the suites built into the binary; "embedded:" names
them all, "embedded:compliance" one family ("otnsim scenarios list" lists
them, "otnsim scenarios export DIR" writes them out).
Scenarios run in parallel, each in its own world; the results are the same
as a serial run under the same seeds. Prints one line per scenario, in file
order, and a summary; a failure names the step, the expected versus actual
values, and the subscriber's timeline in virtual time.

On a terminal the output is coloured and shows a live count; elsewhere (CI,
a pipe) it is plain lines.

With --bot-cmd or --bot-url the scenarios run against a bot outside the
process, in any language, over HTTP (the external bot contract; see "otnsim
help check"); a scenario's bot: section does not apply to it. Each bot
process plays one scenario at a time; --bot-procs N starts N processes of
--bot-cmd, each with its own fakegraph listener and port, and plays the
scenarios on them at once, with the same results as one process.
--intercept serves a bot that hard-codes https://graph.facebook.com from
fakegraph through an HTTPS proxy (see "otnsim help check").

Examples:
  otnsim run scenarios/
  otnsim run                                  # the embedded suites
  otnsim run embedded:compliance
  otnsim run -v --seed 42 scenarios/window
  otnsim run --run 'reuse|expiry' --tags boundary,-slow scenarios/
  otnsim run --json report.json --junit junit.xml scenarios/
  otnsim run --html report.html scenarios/
  otnsim run --bot-cmd "python3 examples/python-bot/bot.py" scenarios/compliance
  otnsim run --intercept --bot-cmd "node hardcoded-bot.js" embedded:compliance
  otnsim run --fail-on warning scenarios/

A scenario fails when an expectation fails, or when the ledger shows a
finding of a rule that no expectation of the scenario names (findings:
{rule: X}, errors: {rule: X}, or rule: X on any expectation) at --fail-on
severity or above (default failure: warnings are printed with -v but pass).
A failure lists the rules it charges to the bot; a problem an earlier finding
explains is shown as its consequence.

Exit status: 0 all passed, 1 a scenario failed, 2 usage or input error
(or a bot that could not be run). --json, --junit and --html are written on
every exit, 2 included: then with an error object (JSON) and an <error>
testcase (JUnit) that say why. --html draws a failed scenario's subscribers
on lifelines in virtual time (see "HTML reports" in README.md).
With --bot-cmd, SIGINT, SIGTERM and SIGHUP are forwarded to the bot's
whole process tree (SIGKILL follows 3s later); the reports are written as
for a bot that could not be run on, and otnsim exits 130, 143 or 129. A
reader of its output that goes away ends the bot too, exit 141.

Flags:
`

func init() {
	commands["run"] = command{summary: "run scenario files against the reference bot on a simulated clock", run: runCmd,
		flags: func(fs *flag.FlagSet) { defineRunFlags(fs) }}
}

// runFlags are otnsim run's options.
type runFlags struct {
	seed     int64
	run      string
	tags     string
	jsonPath string
	junit    string
	html     string
	verbose  bool
	parallel int
	color    string
	botProcs int
}

// defineRunFlags defines otnsim run's flags on fs.
func defineRunFlags(fs *flag.FlagSet) (*runFlags, *botFlags, *verdictFlags) {
	f := &runFlags{}
	fs.Int64Var(&f.seed, "seed", 0, "override every scenario's seed (0 keeps each file's own)")
	fs.StringVar(&f.run, "run", "", "run only scenarios whose name or file matches this regular expression")
	fs.StringVar(&f.tags, "tags", "", "run only scenarios with any of these comma-separated tags; -TAG excludes")
	fs.StringVar(&f.jsonPath, "json", "", "write a JSON report (schema: scenarios/report.schema.json) to this file")
	fs.StringVar(&f.junit, "junit", "", "write a JUnit XML report to this file")
	fs.StringVar(&f.html, "html", "", "write a self-contained HTML report, with the lifelines of failed scenarios' subscribers, to this `FILE`")
	fs.BoolVar(&f.verbose, "v", false, "also print each scenario's description and findings")
	fs.IntVar(&f.parallel, "parallel", 0, "scenarios played at once (0: one per CPU)")
	fs.StringVar(&f.color, "color", "auto", "colour the output: auto (on a terminal, unless NO_COLOR is set), always, never")
	bot := addBotFlags(fs, defaultSettle) // --bot-cmd, --bot-url, --settle, --step-timeout (botflags.go)
	fs.IntVar(&f.botProcs, "bot-procs", 1, "bot processes to start with --bot-cmd, each playing its share of the scenarios (0: one per CPU)")
	return f, bot, addVerdictFlags(fs, false)
}

func runCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", runUsage, stderr)
	f, bot, verdict := defineRunFlags(fs)
	if err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	defer bot.closeSession() // after the bots stop: deferred first, run last
	began := time.Now()
	// abort writes the reports of a run without a verdict: exit 2.
	abort := func(e *scenarios.ReportError) int {
		rep := scenarios.Report{Tool: "otnsim " + version, Seed: f.seed, Started: began, Elapsed: time.Since(began), Error: e}
		writeReports(rep, *f, stderr)
		return exitUsage
	}
	level, err := verdict.level()
	if err != nil {
		fmt.Fprintln(stderr, "otnsim run:", err)
		usageHint(fs)
		return abort(errorOf(reportdoc.KindUsage, err))
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{scenarios.EmbeddedPrefix} // the suites built into the binary
	}
	filter := scenarios.Filter{}
	if f.run != "" {
		re, err := regexp.Compile(f.run)
		if err != nil {
			fmt.Fprintf(stderr, "otnsim run: --run: %v\n", err)
			return abort(errorText(reportdoc.KindUsage, "--run: "+err.Error()))
		}
		filter.Run = re
	}
	if f.tags != "" {
		filter.Tags = strings.Split(f.tags, ",")
	}
	if f.color != "auto" && f.color != "always" && f.color != "never" {
		fmt.Fprintf(stderr, "otnsim run: --color must be auto, always or never, got %q\n", f.color)
		return abort(errorText(reportdoc.KindUsage, fmt.Sprintf("--color must be auto, always or never, got %q", f.color)))
	}
	all, err := scenarios.Load(paths...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return abort(errorOf(reportdoc.KindInput, err))
	}
	chosen := scenarios.Select(all, filter)
	if len(chosen) == 0 {
		msg := fmt.Sprintf("no scenario matches (of %d loaded)", len(all))
		fmt.Fprintln(stderr, "otnsim run: "+msg)
		return abort(errorText(reportdoc.KindUsage, msg))
	}
	opts, ext, ok := bot.open("run", stderr, f.seed, f.botProcs, len(chosen))
	if !ok {
		return abort(errorOf(reportdoc.KindUsage, bot.startErr))
	}
	defer ext.close()
	opts.Parallel = f.parallel
	opts.FailOn = level
	p := newPrinter(stdout, f.color, f.verbose)
	began = time.Now()
	var results []scenarios.Result
	if ext == nil {
		results = scenarios.RunAll(chosen, opts, p.progress(chosen))
	} else {
		// Each bot process serves its scenarios in turn.
		progress := p.progress(chosen)
		results, _ = compliance.Play(ext.targets(), chosen, compliance.PlayOptions{Seed: f.seed, FailOn: level,
			Done: func(i int, res scenarios.Result, _ *sim.World) { progress(i, res) }})
	}
	if ext != nil {
		printRefusals(stderr, "run", ext.hs)
	}
	if ext.failed("run", stderr) {
		return abort(errorOf(reportdoc.KindError, ext.err()))
	}
	if ext != nil && anyFailed(results) {
		if err := unreachedGraph(ext.hs, bot.intercept); err != nil {
			printBotError(stderr, "run", err)
			return abort(errorOf(reportdoc.KindError, err))
		}
	}
	if n := ext.lateCalls(); n > 0 {
		defer fmt.Fprintf(stderr, "otnsim run: %s\n", lateNotice(n))
	}
	p.finish(chosen, results)
	rep := scenarios.Report{Tool: "otnsim " + version, Seed: f.seed, Started: began, Elapsed: time.Since(began), Results: results}
	if code := writeReports(rep, *f, stderr); code != exitPass {
		return code
	}
	passed, failed := rep.Counts()
	p.summary(passed, failed, rep.Elapsed)
	if failed > 0 {
		return exitFailed
	}
	return exitPass
}

// writeReports writes the --json, --junit and --html files, if asked for.
func writeReports(rep scenarios.Report, f runFlags, stderr io.Writer) int {
	write := func(path string, fn func(io.Writer) error) error {
		if path == "" {
			return nil
		}
		file, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("create report: %w", err)
		}
		if err := fn(file); err != nil {
			_ = file.Close()
			return err
		}
		return file.Close()
	}
	for _, e := range []error{write(f.jsonPath, rep.WriteJSON), write(f.junit, rep.WriteJUnit), writeHTML(f.html, rep.WriteJSON)} {
		if e != nil {
			fmt.Fprintf(stderr, "otnsim run: %v\n", e)
			return exitUsage
		}
	}
	return exitPass
}
