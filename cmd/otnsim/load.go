package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/otnsim/otnsim/load"
	"github.com/otnsim/otnsim/load/profile"
)

const loadUsage = `Usage: otnsim load [flags]

Runs a generated population of subscribers (gofakeit names, a region and
timezone mix, behaviour drawn from a profile) against the reference bot and
fakegraph, and checks the token invariants throughout: a token is spent at
most once, never unless issued, never after expiry, and no message reaches a
subscriber outside the 24-hour window without a token. A violation fails the
run and names the subscriber with the command that replays them.

The default engine is in-process and discrete-event on a virtual clock (no
sockets). --http serves fakegraph and the bot on loopback listeners instead
and reports Send API latency percentiles.

Each subscriber's behaviour derives from --seed and their index only, so
--shard i/N runs a deterministic part of the population and
"otnsim report merge" adds the shards' --json reports up to the whole run.

Examples:
  otnsim load --subscribers 100000 --days 30 --seed 7
  otnsim load --subscribers 20000 --days 30 --http --json http.json
  otnsim load --subscribers 1000000 --days 30 --shard 2/4 --json shard-2.json
  otnsim load --profile load/profiles/flash-sale.yaml --subscribers 50000
  otnsim load --subscribers 1000000 --days 30 --seed 7 --subscriber 123456   # replay one

Exit status: 0 no invariant broken, 1 an invariant was broken, 2 usage or input error.

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
	opts := load.NewOptions(*n, *days, *seed)
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
		fmt.Fprintf(stderr, "otnsim load: %v\n", err)
		if errors.Is(err, load.ErrUsage) {
			return exitUsage
		}
		return exitFailed
	}
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
	if !rep.Passed() {
		return exitFailed
	}
	return exitPass
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
