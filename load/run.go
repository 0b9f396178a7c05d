package load

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/otnsim/otnsim/load/report"
	"github.com/otnsim/otnsim/sim"
)

// Run plays the population (or the options' shard of it) and returns the
// report. Broken invariants are in the report (see Report.Passed); an error
// means the run could not be carried out.
func Run(opts Options) (*report.Report, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	began := time.Now()
	lo, hi := opts.Shard.Range(opts.Subscribers)
	if opts.Only != nil {
		lo, hi = *opts.Only, *opts.Only+1
	}
	r := &report.Report{
		Version:    report.FormatVersion,
		Started:    began,
		Engine:     string(opts.Engine),
		Profile:    opts.ProfileName,
		Seed:       opts.Seed,
		Population: opts.Subscribers,
		Days:       opts.Days,
		Bot:        "reference",
		Findings:   map[string]int64{},
	}
	if len(opts.External) > 0 {
		r.Engine, r.Bot = "external", opts.BotName
		if r.Bot == "" {
			r.Bot = "external"
		}
	}
	if opts.Shard.Count > 0 {
		r.Shards = []string{opts.Shard.String()}
	}
	type chunk struct{ lo, hi int }
	var chunks []chunk
	size := opts.Chunk
	if n := len(opts.External); n > 0 {
		// One world per bot: a bot keeps its subscribers and its clock for
		// the whole run, so it must see one population on one timeline.
		size = (hi - lo + n - 1) / n
	}
	for a := lo; a < hi; a += size {
		chunks = append(chunks, chunk{a, min(a+size, hi)})
	}
	parts := make([]*report.Report, len(chunks))
	errs := make([]error, len(chunks))
	hists := make([]*histogram, len(chunks))
	hooks := make([]*histogram, len(chunks)) // an external bot's answer times
	var next, done, events, viol atomic.Int64
	var wg sync.WaitGroup
	for worker := range min(opts.Workers, len(chunks)) {
		bot := sim.ReferenceBot(opts.Profile.Bot)
		var ext ExternalBot
		if len(opts.External) > 0 {
			ext = opts.External[worker]
			bot = ext.Factory()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(chunks) {
					return
				}
				part := &report.Report{Findings: map[string]int64{}}
				var h *histogram
				if opts.Engine == HTTP || ext != nil {
					h = newHistogram()
				}
				if at, ok := ext.(answerTimer); ok {
					hooks[k] = newHistogram()
					at.OnAnswer(hooks[k].record)
				}
				errs[k] = runChunk(&opts, chunks[k].lo, chunks[k].hi, bot, part, h)
				if at, ok := ext.(answerTimer); ok {
					at.OnAnswer(nil)
				}
				if ext != nil {
					if err := ext.Err(); err != nil {
						errs[k] = err // the bot's own failure (hung, crashed) explains the chunk's
					}
				}
				parts[k], hists[k] = part, h
				d := done.Add(int64(chunks[k].hi - chunks[k].lo))
				e := events.Add(part.Counters.Events)
				v := viol.Add(part.ViolationCount)
				if opts.Progress != nil {
					opts.Progress(Progress{Done: int(d), Total: hi - lo, Events: e, Violations: v})
				}
			}
		}()
	}
	wg.Wait()
	total, hooked := newHistogram(), newHistogram()
	for k, part := range parts {
		if errs[k] != nil {
			return nil, fmt.Errorf("load subscribers %d-%d: %w", chunks[k].lo, chunks[k].hi-1, errs[k])
		}
		r.Counters.Add(part.Counters)
		if r.Throughput == nil {
			r.Throughput = report.NewThroughput(opts.Days)
		}
		r.Throughput.Add(part.Throughput)
		for rule, n := range part.Findings {
			r.Findings[rule] += n
		}
		for rule, s := range part.Samples {
			r.AddSample(rule, s)
		}
		r.AddViolations(part.ViolationCount, part.Violations)
		r.Timeline = append(r.Timeline, part.Timeline...)
		if hists[k] != nil {
			total.h.Merge(hists[k].h)
		}
		if hooks[k] != nil {
			hooked.h.Merge(hooks[k].h)
		}
	}
	r.TrimLifelines()
	r.Subscribers = hi - lo
	if opts.Only != nil {
		r.Subscribers = 1
	}
	lat, err := report.LatencyFrom(total.h)
	if err != nil {
		return nil, err
	}
	r.Latency = lat
	if r.WebhookLatency, err = report.LatencyFrom(hooked.h); err != nil {
		return nil, err
	}
	r.WallSeconds = time.Since(began).Seconds()
	r.ShardSeconds = r.WallSeconds
	r.PeakMemoryBytes = PeakMemory()
	return r, nil
}

func runChunk(opts *Options, lo, hi int, bot sim.BotFactory, part *report.Report, h *histogram) error {
	w, err := newWorld(opts, lo, hi, bot, h)
	if err != nil {
		return err
	}
	if err := w.run(); err != nil {
		return err
	}
	w.finish(part)
	return nil
}

// wrapGraph applies a test's tampering to fakegraph's handler.
func (o *Options) wrapGraph(h http.Handler) http.Handler {
	if o.tamper != nil {
		return o.tamper(h)
	}
	return h
}

// replayCommand is the command line that replays subscriber g alone.
func (o *Options) replayCommand(g int) string {
	s := "otnsim load --subscribers " + strconv.Itoa(o.Subscribers) +
		" --days " + strconv.FormatFloat(o.Days, 'g', -1, 64) +
		" --seed " + strconv.FormatInt(o.Seed, 10)
	if o.ProfileName != "" && o.ProfileName != "small-shop" {
		s += " --profile " + o.ProfileName
	}
	if o.Engine == HTTP {
		s += " --http"
	}
	if len(o.External) > 0 && o.BotName != "" {
		s += " " + o.BotName
	}
	return s + " --subscriber " + strconv.Itoa(g)
}
