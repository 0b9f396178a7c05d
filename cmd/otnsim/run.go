package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/otnsim/otnsim/scenarios"
)

const runUsage = `Usage: otnsim run [flags] PATH...

Runs every *.yaml scenario under each PATH (files or folders, walked
recursively) against the reference bot, in process, on a simulated clock.
Prints one line per scenario and a summary; a failure names the step, the
expected versus actual values, and the subscriber's timeline in virtual time.

With --bot-cmd or --bot-url the scenarios run against a bot outside the
process, in any language, over HTTP (the external bot contract; see
"otnsim help check"); scenario steps that configure the reference bot
(bot:) do not apply to it.

Examples:
  otnsim run scenarios/
  otnsim run -v --seed 42 scenarios/window
  otnsim run --bot-cmd "python3 examples/python-bot/bot.py" scenarios/compliance

Exit status: 0 all passed, 1 a scenario failed, 2 usage or input error.

Flags:
`

func newFlagSet(name, help string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, help)
		fs.PrintDefaults()
	}
	return fs
}

func init() {
	commands["run"] = command{summary: "run scenario files against the reference bot on a simulated clock", run: runCmd}
}

func runCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", runUsage, stderr)
	seed := fs.Int64("seed", 0, "override every scenario's seed (0 keeps each file's own)")
	verbose := fs.Bool("v", false, "also print each passing scenario's description and findings")
	bot := addBotFlags(fs) // --bot-cmd, --bot-url, --settle, --step-timeout (botflags.go)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "otnsim run: no PATH given")
		fs.Usage()
		return exitUsage
	}
	all, err := scenarios.Load(fs.Args()...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	opts, ext, ok := bot.open("run", stderr, *seed)
	if !ok {
		return exitUsage
	}
	defer ext.close()
	began := time.Now()
	passed, failed := 0, 0
	for _, sc := range all {
		res := scenarios.Run(sc, opts)
		if ext.failed("run", stderr) {
			return exitUsage
		}
		printResult(stdout, res, *verbose, sc)
		if res.Passed {
			passed++
		} else {
			failed++
		}
	}
	verdict := "ok"
	if failed > 0 {
		verdict = "FAIL"
	}
	fmt.Fprintf(stdout, "%s: %d passed, %d failed, %d scenarios in %s\n", verdict, passed, failed, passed+failed, roundDuration(time.Since(began)))
	if failed > 0 {
		return exitFailed
	}
	return exitPass
}

func printResult(w io.Writer, res scenarios.Result, verbose bool, sc *scenarios.Scenario) {
	if res.Passed {
		fmt.Fprintf(w, "PASS  %-55s %s (%s virtual, %s)\n", res.File, res.Name, virtual(res.Virtual), roundDuration(res.Elapsed))
		if verbose {
			if sc.Description != "" {
				fmt.Fprintf(w, "      %s\n", strings.TrimSpace(sc.Description))
			}
			if len(res.Findings) > 0 {
				fmt.Fprintf(w, "      refusals: %s\n", strings.Join(res.Findings, ", "))
			}
		}
		return
	}
	f := res.Failure
	fmt.Fprintf(w, "FAIL  %-55s %s\n", res.File, res.Name)
	if f.StepName != "" {
		fmt.Fprintf(w, "      step %d (%s) at %s\n", f.Step, f.StepName, f.Pos)
	}
	for _, p := range f.Problems {
		fmt.Fprintf(w, "        %s\n", p)
	}
	if len(f.Timeline) > 0 {
		fmt.Fprintf(w, "      timeline of %s:\n", f.Who)
		for _, line := range f.Timeline {
			fmt.Fprintf(w, "        %s\n", line)
		}
	}
}

// virtual renders a virtual duration in days and hours.
func virtual(d time.Duration) string {
	if d >= 24*time.Hour {
		days := d / (24 * time.Hour)
		rest := d - days*24*time.Hour
		if rest == 0 {
			return fmt.Sprintf("%dd", days)
		}
		return fmt.Sprintf("%dd%s", days, rest)
	}
	return d.String()
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
