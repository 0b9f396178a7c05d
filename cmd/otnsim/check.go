package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/internal/reportdoc"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/scenarios"
)

const checkUsage = `Usage: otnsim check [flags] [PATH...] (--bot-cmd CMD | --bot-url URL)

Judges a bot, in any language, rule by rule: plays the compliance suite
against it over HTTP (the external bot contract), sends it the security
probes (unsigned, wrongly signed, oversized and replayed webhooks, a wrong
verify token, a right SHA-1 with a wrong SHA-256, empty and short digests,
a signed body with non-ASCII text), and prints one row per rule of the
catalogue: pass, fail (WARN or INFO for a rule of that severity) or not
exercised. [assumed] marks a rule that rests on a platform behaviour Meta
does not document.

A rule fails only on its own evidence: a finding of that rule (every call
Meta refused under it, and the practice rules found in the ledger), or a
failed expectation that names it (rule: in the scenario). Each failure shows
the finding's call and event numbers, expected versus observed, and an
excerpt of the subscriber's timeline; later problems it explains are listed
under it as consequences. A failed expectation that names no rule is a
contract failure: the bot did not do what a trigger asks. Tags only say which
rules a scenario exercises.

PATH defaults to the shipped compliance suite (scenarios/compliance/, built
into the binary).

After each webhook or trigger the harness waits until the bot is done with
it: its answer is in, no Graph API call is in flight, and none has come for
a quiet period it learns from the bot, never more than --settle (default
300ms): a couple of milliseconds for a bot seen to make its calls before it
answers, a few times its longest gap for one seen to call after answering
(Meta's advice: answer first). --settle 0 means no quiet period at all. A
call that comes after its step was closed is a late call: the report counts
them and says to raise --settle.

--bot-procs N (default: one per CPU) starts N processes of --bot-cmd, each
with its own fakegraph listener and port, and plays the scenarios on them at
once; the verdict is the same as with one process. The security probes go
to the first.

A bot that hard-codes https://graph.facebook.com needs no change: with
--intercept otnsim gives it an HTTPS proxy on loopback (HTTPS_PROXY and the
like) that answers the Graph API hosts with certificates of a per-run
authority (SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE, ...) and
routes their calls to fakegraph; other hosts are refused unless
--pass-through. Without --intercept the bot gets the same proxy, refusing
the Graph hosts: a bot that calls the real Graph API is stopped and named
(exit 2), and nothing reaches Meta. --ca-dir DIR keeps the authority across
runs; the per-run one, key included, is deleted when the check ends.

Prints its header first, then its progress: a live count on a terminal, one
line per scenario and one for the security probes elsewhere (CI, a pipe);
then one row per rule.

Examples:
  otnsim check --bot-cmd "python3 examples/python-bot/bot.py"
  otnsim check --bot-cmd "./mybot" --bot-procs 4 --settle 1s
  otnsim check --bot-cmd "./mybot" --junit compliance.xml --json compliance.json
  otnsim check --bot-cmd "otnsim bot" --html check.html
  otnsim check --bot-cmd "./mybot" --fail-on warning --idle-after 10m
  otnsim check --bot-url http://127.0.0.1:3000 --settle 100ms
  otnsim check --intercept --bot-cmd "node hardcoded-bot.js"

Exit status: 0 no rule failed at --fail-on or above (default failure:
warnings are printed but pass) and no contract failure, 1 otherwise, 2 usage
or input error, or a bot that could not be run (it crashed, hung, answered
5xx or never listened). --json, --junit and --html are written on every
exit, 2 included: then with an error object (JSON) and an <error> testcase
(JUnit) that say why, with the bot's last output. --html shows each rule's
verdict with its evidence and the lifelines of the failed scenarios'
subscribers.
With --bot-cmd, SIGINT, SIGTERM and SIGHUP are forwarded to the bot's
whole process tree (SIGKILL follows 3s later); the reports are written as
for a bot that could not be run on, and otnsim exits 130, 143 or 129. A
reader of its output that goes away ends the bot too, exit 141.

Flags:
`

func init() {
	commands["check"] = command{summary: "judge a bot in any language, rule by rule, over HTTP", run: checkCmd,
		flags: func(fs *flag.FlagSet) { defineCheckFlags(fs) }}
}

// checkFlags are otnsim check's options.
type checkFlags struct {
	bot               *botFlags
	seed              *int64
	jsonOut, junitOut *string
	htmlOut           *string
	verdict           *verdictFlags
	run, only         *string
	procs             *int
}

// defineCheckFlags defines otnsim check's flags on fs.
func defineCheckFlags(fs *flag.FlagSet) checkFlags {
	return checkFlags{
		bot:      addBotFlags(fs, defaultSettle),
		seed:     fs.Int64("seed", 0, "override every scenario's seed (0 keeps each file's own)"),
		jsonOut:  fs.String("json", "", "also write the report as JSON to `FILE`"),
		junitOut: fs.String("junit", "", "also write the report as JUnit XML to `FILE`"),
		htmlOut:  fs.String("html", "", "also write a self-contained HTML report, with the failed scenarios' lifelines, to `FILE`"),
		verdict:  addVerdictFlags(fs, true),
		run:      fs.String("run", "", "play only the scenarios whose name or file matches this regular expression"),
		only:     fs.String("rule", "", "judge only rule `ID`: play the scenarios tagged with it (and its probes) and report its row alone"),
		procs:    fs.Int("bot-procs", 0, "bot processes to start with --bot-cmd, each playing its share of the scenarios (0: one per CPU)"),
	}
}

func checkCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("check", checkUsage, stderr)
	f := defineCheckFlags(fs)
	if err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	defer f.bot.closeSession() // after the bots stop: deferred first, run last
	began := time.Now()
	var suite []*scenarios.Scenario
	var level rules.Severity
	// abort writes the reports of a check without a verdict: exit 2.
	abort := func(e *compliance.ReportError) int {
		rep := &compliance.Report{SchemaVersion: compliance.SchemaVersion, Tool: "otnsim " + version, FailOn: string(level),
			Scenarios: len(suite), Started: began, Elapsed: time.Since(began), Error: e}
		if f.bot.given() {
			rep.Bot = f.bot.describe()
		}
		writeCheckReports(stderr, f, rep)
		return exitUsage
	}
	level, err := f.verdict.level()
	if err != nil {
		fmt.Fprintln(stderr, "otnsim check:", err)
		usageHint(fs)
		return abort(errorOf(reportdoc.KindUsage, err))
	}
	if !f.bot.given() {
		const msg = "give the bot with --bot-cmd CMD or --bot-url URL"
		fmt.Fprintln(stderr, "otnsim check: "+msg)
		usageHint(fs)
		return abort(errorText(reportdoc.KindUsage, msg))
	}
	suite, err = checkSuite(fs.Args(), *f.run, *f.only)
	if err != nil {
		fmt.Fprintln(stderr, "otnsim check:", err)
		return abort(errorOf(reportdoc.KindInput, err))
	}
	n, ok := f.bot.procs("check", *f.procs, len(suite), stderr)
	if !ok {
		usageHint(fs)
		return abort(errorOf(reportdoc.KindUsage, f.bot.startErr))
	}
	hs := f.bot.startN("check", n, stderr)
	if hs == nil {
		return abort(errorOf(reportdoc.KindUsage, f.bot.startErr))
	}
	defer func() {
		for _, h := range hs {
			h.Stop()
		}
	}()
	var pool []compliance.Target
	for _, h := range hs[1:] {
		pool = append(pool, h)
	}
	p := newCheckPrinter(stdout)
	p.header(f.bot.describe(), len(suite), n)
	rep, err := compliance.CheckWith(hs[0], f.bot.describe(), suite, compliance.Options{
		Seed: *f.seed, FailOn: level, Checks: f.verdict.checks(findings.DefaultOptions()), Only: *f.only,
		Pool: pool, Progress: p.progress})
	p.finish()
	printRefusals(stderr, "check", hs)
	if err == nil && rep.Failed() {
		err = unreachedGraph(hs, f.bot.intercept)
	}
	if err != nil {
		printBotError(stderr, "check", err)
		return abort(errorOf(reportdoc.KindError, err))
	}
	rep.Tool = "otnsim " + version
	compliance.WriteVerdict(stdout, rep)
	if !writeCheckReports(stderr, f, rep) {
		return exitUsage
	}
	if rep.Failed() {
		return exitFailed
	}
	return exitPass
}

// writeCheckReports writes the --json, --junit and --html files that were
// asked for, printing why one could not be; it reports whether all were
// written.
func writeCheckReports(stderr io.Writer, f checkFlags, rep *compliance.Report) bool {
	ok := true
	page := writeHTML(*f.htmlOut, func(w io.Writer) error { return compliance.WriteJSON(w, rep) })
	for _, e := range []error{writeReport(*f.jsonOut, rep, compliance.WriteJSON), writeReport(*f.junitOut, rep, compliance.WriteJUnit), page} {
		if e != nil {
			fmt.Fprintln(stderr, "otnsim check:", e)
			ok = false
		}
	}
	return ok
}

// writeReport writes rep to path with write, when path is set.
func writeReport(path string, rep *compliance.Report, write func(io.Writer, *compliance.Report) error) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := write(f, rep); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// checkSuite loads the scenarios check plays: paths, or the embedded
// compliance suite; then those matching run, and with rule set only those
// tagged with it.
func checkSuite(paths []string, run, rule string) ([]*scenarios.Scenario, error) {
	if len(paths) == 0 {
		paths = []string{scenarios.EmbeddedPrefix + "compliance"}
	}
	suite, err := scenarios.Load(paths...)
	if err != nil {
		return nil, err
	}
	var f scenarios.Filter
	if run != "" {
		re, err := regexp.Compile(run)
		if err != nil {
			return nil, fmt.Errorf("--run: %w", err)
		}
		f.Run = re
	}
	if rule != "" {
		r, ok := rules.Lookup(rule)
		if !ok {
			return nil, fmt.Errorf("--rule: %q is no rule of the catalogue (otnsim rules lists them)", rule)
		}
		if r.Kind == rules.Security {
			return nil, nil // its probes alone judge it
		}
		f.Tags = []string{rule}
	}
	chosen := scenarios.Select(suite, f)
	if len(chosen) == 0 {
		return nil, fmt.Errorf("no scenario matches (of %d loaded)", len(suite))
	}
	return chosen, nil
}
