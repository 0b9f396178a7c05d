package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/otnsim/otnsim/external"
	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/internal/reportdoc"
	"github.com/otnsim/otnsim/load"
	"github.com/otnsim/otnsim/load/profile"
	"github.com/otnsim/otnsim/load/report"
	"github.com/otnsim/otnsim/sim/clock"
)

const loadUsage = `Usage: otnsim load [flags]

Runs a generated population of subscribers (gofakeit names, a region and
timezone mix, behaviour drawn from a profile) against a bot and fakegraph,
and checks the token invariants throughout: a token is spent at most once,
never unless issued, never after expiry, and no message reaches a
subscriber outside the 24-hour window without a token. A violation fails the
run and names the subscriber with the command that replays them. The
ledger is judged as otnsim run and otnsim check judge it: every call Meta
refused under a rule (but the ones a bot cannot foresee, such as the first
region refusal in a thread) and the practice rules (OTN-IN-WINDOW-KEEP,
OTN-IDLE, OTN-TOPIC-MATCH, OTN-REQ-THROTTLE, with the thresholds
--idle-after, --throttle-max and --throttle-window) are findings. Findings at
or above --fail-on (default: failure; warnings are printed but pass) fail
the run too, and the summary names the first subscriber behind each rule
with the command that replays them.

The bot is the reference bot (the profile's bot section), or your own with
--bot-cmd or --bot-url, driven through the external bot contract: signed
webhooks, the profile's campaigns as triggers, and a tick whenever virtual
time moves on by --tick or more. Each bot process plays one chunk of the
population at a time, its chunks in turn, so it sees one consistent virtual
timeline per chunk; --bot-procs starts several processes (--bot-cmd only),
each with its own fakegraph listener, port and share of the chunks. After
each webhook or trigger the harness waits until the bot's Graph calls have
been quiet for a period learned from the bot, at most --settle (default 5ms
here) of real time (see "otnsim help check").
--intercept serves a bot that hard-codes https://graph.facebook.com from
fakegraph through an HTTPS proxy (see "otnsim help check").

The default engine for the reference bot is in-process and discrete-event on
a virtual clock (no sockets). --http serves fakegraph and the bot on loopback
listeners instead and reports Send API latency percentiles. Their
connections time out as every otnsim server's do: idle between requests,
reading a request, writing its answer.

--extract DIR writes a scenario file for each rule's sample subscriber and
each violation: their life replayed (messages, taps, the campaigns'
triggers, in virtual time) and an expect step that fails for the rule, the
start of a regression test; --shrink makes each as small as it gets (see
"otnsim help extract" and "otnsim help shrink").

Each subscriber's behaviour derives from --seed and their index only, so
--shard i/N runs a deterministic part of the population and
"otnsim report merge" adds the shards' --json reports up to the whole run.

Examples:
  otnsim load --subscribers 100000 --days 30 --seed 7
  otnsim load --subscribers 20000 --days 30 --http --json http.json
  otnsim load --subscribers 1000000 --days 30 --shard 2/4 --json shard-2.json
  otnsim load --profile load/profiles/flash-sale.yaml --subscribers 50000
  otnsim load --subscribers 1000000 --days 30 --seed 7 --subscriber 123456   # replay one
  otnsim load --bot-cmd "python3 examples/python-bot/bot.py" --subscribers 2000 --days 7
  otnsim load --bot-cmd "otnsim bot" --bot-procs 4 --subscribers 20000 --days 30
  otnsim load --intercept --bot-cmd "node hardcoded-bot.js" --subscribers 2000 --days 7
  otnsim load --profile load/profiles/careless-bot.yaml --fail-on warning
  otnsim load --profile load/profiles/careless-bot.yaml --html load.html
  otnsim load --profile load/profiles/careless-bot.yaml --subscribers 20000 --extract out/ --shrink

Exit status: 0 passed, 1 an invariant was broken or a finding at or above
--fail-on, 2 usage or input error (or a bot that could not be run). --json
and --html are written on every exit, 2 included: then with an error object
that says why, with the bot's last output. --html draws throughput over
virtual time, the latency histogram, tokens by fate, findings by rule with
their replay commands, and the lifelines of the subscribers behind them.
With --bot-cmd, SIGINT, SIGTERM and SIGHUP are forwarded to the bot's
whole process tree (SIGKILL follows 3s later); the reports are written as
for a bot that could not be run on, and otnsim exits 130, 143 or 129. A
reader of its output that goes away ends the bot too, exit 141.

Flags:
`

func init() {
	commands["load"] = command{summary: "run a generated population against the bot at scale (benchmark and invariants)", run: loadCmd,
		flags: func(fs *flag.FlagSet) { defineLoadFlags(fs) }}
}

// loadFlags are otnsim load's options.
type loadFlags struct {
	n         int
	days      float64
	seed      int64
	profPath  string
	shardFlag string
	jsonPath  string
	htmlPath  string
	useHTTP   bool
	only      int
	workers   int
	chunk     int
	progress  string
	procs     int
	tick      string
	verdict   *verdictFlags
	bot       *botFlags
	extract   string
	shrink    bool
}

// defineLoadFlags defines otnsim load's flags on fs.
func defineLoadFlags(fs *flag.FlagSet) *loadFlags {
	o := &loadFlags{}
	fs.IntVar(&o.n, "subscribers", 10000, "subscribers in the whole population")
	fs.Float64Var(&o.days, "days", 30, "virtual days to run")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the population and its behaviour")
	fs.StringVar(&o.profPath, "profile", "", "profile file (YAML); default: a small shop")
	fs.StringVar(&o.shardFlag, "shard", "", "run only shard i/N of the population (0 <= i < N)")
	fs.StringVar(&o.jsonPath, "json", "", "also write the report as JSON to this file")
	fs.StringVar(&o.htmlPath, "html", "", "also write a self-contained HTML report (throughput, latency, tokens, findings, lifelines) to this `FILE`")
	fs.BoolVar(&o.useHTTP, "http", false, "serve fakegraph and the bot on loopback and talk HTTP")
	fs.IntVar(&o.only, "subscriber", -1, "replay only the subscriber with this index and print their timeline")
	fs.IntVar(&o.workers, "workers", 0, "chunks run at once (default: one per CPU; 4 per CPU with --http)")
	fs.IntVar(&o.chunk, "chunk", 0, "subscribers per simulated world (default: up to 2000, smaller for small populations)")
	fs.StringVar(&o.progress, "progress", "auto", "progress output: auto (a bar on a terminal, lines otherwise), bar, lines or none")
	o.verdict = addVerdictFlags(fs, true) // --fail-on and the practice thresholds
	o.bot = addBotFlags(fs, loadSettle)
	fs.IntVar(&o.procs, "bot-procs", 1, "bot processes to start with --bot-cmd, each playing its share of the chunks")
	fs.StringVar(&o.tick, "tick", "1m", "with --bot-cmd/--bot-url: the least virtual time between two ticks sent to the bot")
	fs.StringVar(&o.extract, "extract", "", "write a scenario file into this folder for every rule's sample subscriber and every violation: their life, failing for the rule (see otnsim help extract)")
	fs.BoolVar(&o.shrink, "shrink", false, "with --extract: shrink each scenario (see otnsim help shrink)")
	return o
}

func loadCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("load", loadUsage, stderr)
	o := defineLoadFlags(fs)
	if err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	began := time.Now()
	// abort writes the report of a run without counts, and returns code.
	abort := func(code int, e *report.Error) int {
		if o.jsonPath == "" && o.htmlPath == "" {
			return code
		}
		rep := &report.Report{Version: report.FormatVersion, Tool: "otnsim " + version, Started: began, Error: e,
			Engine: string(load.InProcess), Profile: o.profPath, Seed: o.seed, Population: o.n, Days: o.days,
			Bot: "reference", Findings: map[string]int64{}, WallSeconds: time.Since(began).Seconds()}
		rep.ShardSeconds = rep.WallSeconds
		if rep.Profile == "" {
			rep.Profile = profile.Default().Name
		}
		switch {
		case o.bot.given():
			rep.Engine, rep.Bot = "external", o.bot.describe()
		case o.useHTTP:
			rep.Engine = string(load.HTTP)
		}
		if sh, err := load.ParseShard(o.shardFlag); err == nil {
			rep.Shards = []string{sh.String()}
		}
		if err := writeLoadReports(rep, o); err != nil {
			fmt.Fprintf(stderr, "otnsim load: %v\n", err)
		}
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "otnsim load: unexpected argument %q\n", fs.Arg(0))
		usageHint(fs)
		return abort(exitUsage, errorText(reportdoc.KindUsage, fmt.Sprintf("unexpected argument %q", fs.Arg(0))))
	}
	level, err := o.verdict.level()
	if err != nil {
		fmt.Fprintf(stderr, "otnsim load: %v\n", err)
		return abort(exitUsage, errorOf(reportdoc.KindUsage, err))
	}
	opts := load.NewOptions(o.n, o.days, o.seed)
	opts.Checks = o.verdict.checks(findings.DefaultOptions())
	opts.Workers, opts.Chunk = o.workers, o.chunk
	if o.only >= 0 {
		opts = opts.Replay(o.only)
	}
	if o.useHTTP {
		opts.Engine = load.HTTP
	}
	if o.profPath != "" {
		p, err := profile.Load(o.profPath)
		if err != nil {
			fmt.Fprintf(stderr, "otnsim load: %v\n", err)
			return abort(exitUsage, errorOf(reportdoc.KindInput, err))
		}
		opts.Profile, opts.ProfileName = p, o.profPath
	}
	if o.shardFlag != "" {
		sh, err := load.ParseShard(o.shardFlag)
		if err != nil {
			fmt.Fprintf(stderr, "otnsim load: %v\n", err)
			return abort(exitUsage, errorOf(reportdoc.KindUsage, err))
		}
		opts.Shard = sh
	}
	if o.bot.given() {
		if opts.Engine == load.HTTP {
			const msg = "--http is for the reference bot; a bot given with --bot-cmd or --bot-url is always reached over HTTP"
			fmt.Fprintln(stderr, "otnsim load: "+msg)
			return abort(exitUsage, errorText(reportdoc.KindUsage, msg))
		}
		if o.procs < 1 || (o.procs > 1 && o.bot.cmd == "") {
			const msg = "--bot-procs wants a number of at least 1, and more than 1 only with --bot-cmd"
			fmt.Fprintln(stderr, "otnsim load: "+msg)
			return abort(exitUsage, errorText(reportdoc.KindUsage, msg))
		}
		d, err := clock.ParseDuration(o.tick)
		if err != nil || d <= 0 {
			msg := fmt.Sprintf("--tick %q: want a virtual duration above 0, e.g. 1m", o.tick)
			fmt.Fprintln(stderr, "otnsim load: "+msg)
			return abort(exitUsage, errorText(reportdoc.KindUsage, msg))
		}
		opts.TickEvery = d
		defer o.bot.closeSession() // after the bots stop: deferred first, run last
		harnesses, ok := startBots(o.bot, o.procs, stderr)
		if !ok {
			return abort(exitUsage, errorOf(reportdoc.KindUsage, o.bot.startErr))
		}
		defer func() {
			for _, h := range harnesses {
				h.Stop()
			}
		}()
		defer printRefusals(stderr, "load", harnesses)
		for _, h := range harnesses {
			opts.External = append(opts.External, h)
		}
		opts.BotName = o.bot.flags()
	}
	mode, err := progressMode(o.progress, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "otnsim load: %v\n", err)
		return abort(exitUsage, errorOf(reportdoc.KindUsage, err))
	}
	pr := newProgressPrinter(stderr, mode)
	opts.Progress = pr.update
	tuneGC()
	rep, err := load.Run(opts)
	pr.finish()
	if err != nil {
		if _, isBot := external.AsBotError(err); isBot {
			printBotError(stderr, "load", err)
			return abort(exitUsage, errorOf(reportdoc.KindError, err))
		}
		fmt.Fprintf(stderr, "otnsim load: %v\n", err)
		if errors.Is(err, load.ErrUsage) {
			return abort(exitUsage, errorOf(reportdoc.KindUsage, err))
		}
		return abort(exitFailed, errorOf(reportdoc.KindError, err))
	}
	rep.FailOn = string(level)
	rep.Tool = "otnsim " + version
	for _, line := range rep.Timeline {
		fmt.Fprintln(stdout, line)
	}
	rep.WriteSummary(stdout)
	if err := writeLoadReports(rep, o); err != nil {
		fmt.Fprintf(stderr, "otnsim load: %v\n", err)
		return exitUsage
	}
	if o.extract != "" && !extractRun(opts, rep, o.extract, o.shrink, o.bot, stdout, stderr) {
		return exitUsage
	}
	if !rep.OK() {
		return exitFailed
	}
	return exitPass
}

// writeLoadReports writes the --json and --html files that were asked for.
func writeLoadReports(rep *report.Report, o *loadFlags) error {
	if o.jsonPath != "" {
		if err := rep.WriteFile(o.jsonPath); err != nil {
			return err
		}
	}
	return writeHTML(o.htmlPath, func(w io.Writer) error {
		b, err := rep.MarshalJSON()
		if err != nil {
			return fmt.Errorf("encode report: %w", err)
		}
		_, err = w.Write(b)
		return err
	})
}

// loadSettle is load's default quiet period after each webhook or trigger:
// a population sends thousands, so it is shorter than check's.
const loadSettle = 5 * time.Millisecond

// startBots starts n processes of the bot (or connects to the one at its
// URL); on failure it stops those started, prints why and reports false.
func startBots(bot *botFlags, n int, stderr io.Writer) ([]*external.Harness, bool) {
	var hs []*external.Harness
	for range n {
		h := bot.start("load", stderr)
		if h == nil {
			for _, s := range hs {
				s.Stop()
			}
			return nil, false
		}
		hs = append(hs, h)
	}
	return hs, true
}

// tuneGC trades memory for speed: the engine's live heap is small (a few
// chunks), but it allocates fast. GOGC and GOMEMLIMIT still win when set.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(1536 << 20)
	}
}
