// Package load runs a generated population of subscribers against a bot and
// fakegraph, at scale, and checks the token accounting invariants
// throughout.
//
// Every chunk of subscribers gets its own sim.World (virtual clock,
// fakegraph, bot), and the chunk's subscribers are driven from a heap of
// their next-action times. By default the bot is the reference bot, wired
// by direct handler calls; the http engine serves fakegraph and the bot on
// loopback listeners and measures Send API latency; with Options.External
// the bot is the user's own, outside the process, reached over the external
// bot contract (webhooks, triggers, ticks).
//
// Each subscriber's attributes and behaviour derive only from the run's seed
// and the subscriber's index, so any split of the population (chunks,
// workers, shards) gives the same counters.
package load

import (
	"errors"
	"fmt"
	"github.com/otnsim/otnsim/findings"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/otnsim/otnsim/load/profile"
	"github.com/otnsim/otnsim/sim"
)

// ErrUsage marks options that cannot run.
var ErrUsage = errors.New("invalid load options")

// DefaultChunk is the most subscribers that share one world unless
// Options.Chunk says otherwise; small populations use smaller chunks.
const DefaultChunk = 2000

const minChunk = 200

// Engine selects how the bot and fakegraph talk.
type Engine string

// Engines.
const (
	InProcess Engine = "in-process"
	HTTP      Engine = "http"
)

// Shard is part i (0-based) of N of the population.
type Shard struct {
	Index, Count int
}

// String renders the shard as "i/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// ParseShard reads "i/N" with 0 <= i < N.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n ||
		s != strconv.Itoa(i)+"/"+strconv.Itoa(n) { // digits only: no sign, space or leading zero
		return Shard{}, fmt.Errorf("shard %q: want i/N with 0 <= i < N: %w", s, ErrUsage)
	}
	return Shard{Index: i, Count: n}, nil
}

// Range returns the global indexes [lo, hi) of the shard in a population of n.
func (s Shard) Range(n int) (lo, hi int) {
	if s.Count == 0 {
		return 0, n
	}
	return int(int64(n) * int64(s.Index) / int64(s.Count)), int(int64(n) * int64(s.Index+1) / int64(s.Count))
}

// Progress is a snapshot of a running load.
type Progress struct {
	Done, Total int // subscribers
	Events      int64
	Violations  int64
}

// Options configures a load run.
type Options struct {
	Subscribers int     // the whole population
	Days        float64 // virtual days each subscriber lives through
	Seed        int64
	Profile     *profile.Profile // nil means profile.Default()
	// ProfileName labels the profile in reports and replay commands (a file path).
	ProfileName string
	Shard       Shard // zero means the whole population
	Engine      Engine
	// Only, when set, replays the one subscriber with that global index and
	// records their timeline; nil runs everyone.
	Only *int
	// External, when set, plays the population against bots outside the
	// process instead of the reference bot. Each bot gets one world: an
	// equal, contiguous share of the population on one virtual timeline
	// (a bot keeps its subscribers and clock from one event to the next).
	// Workers and Chunk are then ignored.
	External []ExternalBot
	// BotName names the external bot in reports and replay commands, as its
	// flags are typed in a shell (e.g. "--bot-cmd 'node bot.js'").
	BotName string
	// TickEvery is how often in virtual time an external bot gets the
	// contract's tick trigger: when the clock moves on and at least this
	// long has passed since the last tick (0: DefaultTickEvery).
	TickEvery time.Duration
	// Checks are the practice rules' thresholds the findings are judged
	// by; nil means findings.DefaultOptions().
	Checks *findings.Options
	// Workers is how many chunks run at once (0: GOMAXPROCS; http: 4×GOMAXPROCS).
	Workers int
	// Chunk is how many subscribers share a world (0: DefaultChunk).
	Chunk int
	// Progress, if set, is called after each chunk, from the workers.
	Progress func(Progress)
	// life, set by Record, notes the replayed subscriber's life.
	life *Life
	// tamper, in tests, wraps the Send API handler to fake a broken referee.
	tamper func(graph http.Handler) http.Handler
}

// DefaultTickEvery is how often an external bot is sent a tick, at most.
const DefaultTickEvery = time.Minute

// ExternalBot is a bot outside the process that worlds host one at a time
// (an *external.Harness is one): its factory serves each world's fakegraph
// to the bot, and Err says why the bot cannot be run on, if it cannot.
type ExternalBot interface {
	Factory() sim.BotFactory
	Err() error
}

// answerTimer is an ExternalBot that can report how long the bot took to
// answer each webhook and trigger (an *external.Harness can).
type answerTimer interface {
	OnAnswer(func(time.Duration))
}

// NewOptions returns options for n subscribers over days with seed and
// defaults everywhere else; the zero Options with Subscribers and Days set
// is the same.
func NewOptions(n int, days float64, seed int64) Options {
	return Options{Subscribers: n, Days: days, Seed: seed, Engine: InProcess}
}

// Replay returns the options replaying only subscriber g.
func (o Options) Replay(g int) Options {
	o.Only = &g
	return o
}

func (o *Options) check() error {
	var errs []error
	if o.Subscribers < 1 {
		errs = append(errs, fmt.Errorf("subscribers %d: want at least 1", o.Subscribers))
	}
	if o.Days <= 0 || o.Days > 3650 {
		errs = append(errs, fmt.Errorf("days %v: want more than 0 and at most 3650", o.Days))
	}
	if o.Shard.Count < 0 || (o.Shard.Count > 0 && (o.Shard.Index < 0 || o.Shard.Index >= o.Shard.Count)) {
		errs = append(errs, fmt.Errorf("shard %s: want i/N with 0 <= i < N", o.Shard))
	}
	if o.Only != nil && (*o.Only < 0 || *o.Only >= o.Subscribers) {
		errs = append(errs, fmt.Errorf("subscriber %d: the population has %d (0 to %d)", *o.Only, o.Subscribers, o.Subscribers-1))
	}
	if len(o.External) > 0 && o.Engine == HTTP {
		errs = append(errs, errors.New("an external bot is always reached over HTTP: leave the http engine out"))
	}
	if o.Engine == "" {
		o.Engine = InProcess
	}
	if o.Engine != InProcess && o.Engine != HTTP {
		errs = append(errs, fmt.Errorf("engine %q: want in-process or http", o.Engine))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrUsage, errors.Join(errs...))
	}
	if o.Profile == nil {
		o.Profile = profile.Default()
	}
	if err := o.Profile.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if o.ProfileName == "" {
		o.ProfileName = o.Profile.Name
	}
	if o.TickEvery <= 0 {
		o.TickEvery = DefaultTickEvery
	}
	if len(o.External) > 0 {
		o.Workers = len(o.External)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
		if o.Engine == HTTP {
			o.Workers *= 4
		}
	}
	if o.Chunk <= 0 {
		// Enough chunks to keep every worker busy to the end, few enough
		// that per-world setup stays negligible.
		o.Chunk = min(DefaultChunk, max(minChunk, o.Subscribers/(o.Workers*8)))
	}
	return nil
}
