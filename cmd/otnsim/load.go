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
	"github.com/otnsim/otnsim/load"
	"github.com/otnsim/otnsim/load/profile"
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

The default engine for the reference bot is in-process and discrete-event on
a virtual clock (no sockets). --http serves fakegraph and the bot on loopback
listeners instead and reports Send API latency percentiles.

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
  otnsim load --profile load/profiles/careless-bot.yaml --fail-on warning

Exit status: 0 passed, 1 an invariant was broken or a finding at or above
--fail-on, 2 usage or input error (or a bot that could not be run).

Flags:
`

func init() {
	commands["load"] = command{summary: "run a generated population against the bot at scale (benchmark and invariants)", run: loadCmd}
}

func loadCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("load", loadUsage, stderr)
	n := fs.Int("subscribers", 10000, "subscribers in the whole population")
	days := fs.Float64("days", 30, "virtual days to run")
	seed := fs.Int64("seed", 1, "seed of the population and its behaviour")
	profPath := fs.String("profile", "", "profile file (YAML); default: a small shop")
	shardFlag := fs.String("shard", "", "run only shard i/N of the population (0 <= i < N)")
	jsonPath := fs.String("json", "", "also write the report as JSON to this file")
	useHTTP := fs.Bool("http", false, "serve fakegraph and the bot on loopback and talk HTTP")
	only := fs.Int("subscriber", -1, "replay only the subscriber with this index and print their timeline")
	workers := fs.Int("workers", 0, "chunks run at once (default: one per CPU; 4 per CPU with --http)")
	chunk := fs.Int("chunk", 0, "subscribers per simulated world (default: up to 2000, smaller for small populations)")
	progress := fs.String("progress", "auto", "progress output: auto (a bar on a terminal, lines otherwise), bar, lines or none")
	verdict := addVerdictFlags(fs, true) // --fail-on and the practice thresholds
	bot := addBotFlags(fs, loadSettle)
	procs := fs.Int("bot-procs", 1, "bot processes to start with --bot-cmd, each playing its share of the chunks")
	tick := fs.String("tick", "1m", "with --bot-cmd/--bot-url: the least virtual time between two ticks sent to the bot")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "otnsim load: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	level, err := verdict.level()
	if err != nil {
		fmt.Fprintf(stderr, "otnsim load: %v\n", err)
		return exitUsage
	}
	opts := load.NewOptions(*n, *days, *seed)
	opts.Checks = verdict.checks(findings.DefaultOptions())
	opts.Workers, opts.Chunk = *workers, *chunk
	if *only >= 0 {
		opts = opts.Replay(*only)
	}
	if *useHTTP {
		opts.Engine = load.HTTP
	}
	if *profPath != "" {
		p, err := profile.Load(*profPath)
		if err != nil {
			fmt.Fprintf(stderr, "otnsim load: %v\n", err)
			return exitUsage
		}
		opts.Profile, opts.ProfileName = p, *profPath
	}
	if *shardFlag != "" {
		sh, err := load.ParseShard(*shardFlag)
		if err != nil {
			fmt.Fprintf(stderr, "otnsim load: %v\n", err)
			return exitUsage
		}
		opts.Shard = sh
	}
	if bot.given() {
		if opts.Engine == load.HTTP {
			fmt.Fprintln(stderr, "otnsim load: --http is for the reference bot; a bot given with --bot-cmd or --bot-url is always reached over HTTP")
			return exitUsage
		}
		if *procs < 1 || (*procs > 1 && bot.cmd == "") {
			fmt.Fprintln(stderr, "otnsim load: --bot-procs wants a number of at least 1, and more than 1 only with --bot-cmd")
			return exitUsage
		}
		d, err := clock.ParseDuration(*tick)
		if err != nil || d <= 0 {
			fmt.Fprintf(stderr, "otnsim load: --tick %q: want a virtual duration above 0, e.g. 1m\n", *tick)
			return exitUsage
		}
		opts.TickEvery = d
		harnesses, ok := startBots(bot, *procs, stderr)
		if !ok {
			return exitUsage
		}
		defer func() {
			for _, h := range harnesses {
				h.Stop()
			}
		}()
		for _, h := range harnesses {
			opts.External = append(opts.External, h)
		}
		opts.BotName = bot.describe()
	}
	mode, err := progressMode(*progress, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "otnsim load: %v\n", err)
		return exitUsage
	}
	pr := newProgressPrinter(stderr, mode)
	opts.Progress = pr.update
	tuneGC()
	rep, err := load.Run(opts)
	pr.finish()
	if err != nil {
		if _, isBot := external.AsBotError(err); isBot {
			printBotError(stderr, "load", err)
			return exitUsage
		}
		fmt.Fprintf(stderr, "otnsim load: %v\n", err)
		if errors.Is(err, load.ErrUsage) {
			return exitUsage
		}
		return exitFailed
	}
	rep.FailOn = string(level)
	for _, line := range rep.Timeline {
		fmt.Fprintln(stdout, line)
	}
	rep.WriteSummary(stdout)
	if *jsonPath != "" {
		if err := rep.WriteFile(*jsonPath); err != nil {
			fmt.Fprintf(stderr, "otnsim load: %v\n", err)
			return exitUsage
		}
	}
	if !rep.OK() {
		return exitFailed
	}
	return exitPass
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
