package load

import (
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/load/profile"
	"github.com/otnsim/otnsim/load/report"
	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/sim"
	"github.com/otnsim/otnsim/sim/clock"
)

// world is one chunk of the population with its own clock, fakegraph and bot.
type world struct {
	opts  *Options
	prof  *profile.Profile
	pop   *population
	base  int        // global index of subs[0]
	sw    *sim.World // the wiring: clock, fakegraph and the bot
	clk   *clock.Virtual
	graph *fakegraph.Server
	obs   *observer
	// tickEvery, for a bot outside the process, is how often in virtual
	// time it is sent the contract's tick; zero for the reference bot in
	// process, whose clock timers do the same.
	tickEvery int64
	lastTick  int64

	subs    []subscriber
	psids   []string
	index   map[string]int32
	queue   actionHeap
	end     int64
	cur     int32 // subscriber acting now, -1 during campaigns and timers
	topics  []string
	topicID map[string]int32
	ask     asker
	entries entryMix
	// adWindow and adFrom are fakegraph's Click-to-Messenger window and the
	// date it applies from; platformDate, when set, is the platform's fixed date.
	adWindow     int64
	adFrom       int64
	platformDate int64

	life *Life // the replayed subscriber's, when Record asked for it

	tokens   []tokenInfo
	tokenIDs map[string]int32

	counters   report.Counters
	throughput *report.Throughput
	violations []report.Violation
	violCount  int64
}

type tokenInfo struct {
	sub    int32
	issued int64
	spent  bool
}

// newWorld builds the world for global indexes [lo, hi): a sim.World
// hosting bot, with the engine's observer in front of fakegraph (and, with a
// histogram, the bot's Send API round trips timed).
func newWorld(opts *Options, lo, hi int, bot sim.BotFactory, h *histogram) (*world, error) {
	p := opts.Profile
	start := p.Start
	w := &world{
		opts:       opts,
		prof:       p,
		pop:        newPopulation(opts.Seed, p),
		base:       lo,
		subs:       make([]subscriber, hi-lo),
		psids:      make([]string, hi-lo),
		index:      make(map[string]int32, hi-lo),
		end:        start.Add(time.Duration(opts.Days * float64(24*time.Hour))).UnixNano(),
		cur:        -1,
		throughput: report.NewThroughput(opts.Days),
		topicID:    map[string]int32{},
		tokenIDs:   map[string]int32{},
	}
	w.ask = newAsker(p, w.topic)
	w.entries = newEntryMix(p.Entries)
	w.obs = &observer{}
	so := sim.Options{
		Seed:  int64(subscriberSeed(opts.Seed, lo)),
		Start: start,
		Bot:   bot,
		WrapGraph: func(g http.Handler) http.Handler {
			w.obs.next = opts.wrapGraph(g)
			return w.obs
		},
	}
	if opts.Engine == HTTP {
		so.Transport = sim.Loopback
		so.WrapBotClient = func(rt http.RoundTripper) http.RoundTripper { return timed{next: rt, h: h} }
	}
	if len(opts.External) > 0 {
		w.tickEvery = int64(opts.TickEvery)
		w.obs.lat = h
	}
	sw, err := sim.NewWorld(so)
	if err != nil {
		return nil, err
	}
	w.sw, w.clk, w.graph = sw, sw.Clock, sw.Graph
	set := w.graph.Settings()
	w.adWindow, w.adFrom = int64(set.AdWindow), set.AdWindowFrom.UnixNano()
	if !set.PlatformDate.IsZero() {
		w.platformDate = set.PlatformDate.UnixNano()
	}
	w.obs.clk = w.clk
	w.lastTick = start.UnixNano()
	if opts.life != nil && opts.Only != nil {
		w.life = opts.life
		w.life.Start, w.life.End = start.UTC(), time.Unix(0, w.end).UTC()
	}
	return w, nil
}

func (w *world) topic(name string) int32 {
	if id, ok := w.topicID[name]; ok {
		return id
	}
	id := int32(len(w.topics))
	w.topics = append(w.topics, name)
	w.topicID[name] = id
	return id
}

// run plays the chunk from the profile's start to the end of the run.
func (w *world) run() error {
	defer w.sw.Close()
	start := w.prof.Start.UnixNano()
	for i := range w.subs {
		s := &w.subs[i]
		u := w.pop.person(w.base+i, s)
		if err := w.graph.AddUser(u); err != nil {
			return fmt.Errorf("subscriber %d: %w", w.base+i, err)
		}
		w.psids[i] = u.PSID
		if w.life != nil {
			w.life.User = u
		}
		w.index[u.PSID] = int32(i)
		s.offered = -1
		s.queued = never
		s.nextWrite = w.nextWrite(s, start)
		w.requeue(int32(i))
	}
	firings := w.prof.Firings(time.Unix(0, w.end))
	data := make([]json.RawMessage, len(w.prof.Campaigns))
	for i, c := range w.prof.Campaigns {
		b, err := json.Marshal(c.Data)
		if err != nil {
			return fmt.Errorf("campaign %s: data: %w", c.Name, err)
		}
		data[i] = b
	}
	fi := 0
	for {
		next := int64(never)
		if len(w.queue) > 0 {
			next = w.queue[0].at
		}
		if fi < len(firings) && firings[fi].At.UnixNano() <= next {
			f := firings[fi]
			fi++
			if err := w.advance(f.At.UnixNano()); err != nil {
				return err
			}
			c := w.prof.Campaigns[f.Campaign]
			if err := w.fire(c.Trigger, data[f.Campaign]); err != nil {
				return fmt.Errorf("campaign %s at %s: %w", c.Name, f.At.Format(time.RFC3339), err)
			}
			w.drain()
			continue
		}
		if next >= w.end {
			break
		}
		e := heap.Pop(&w.queue).(entry)
		s := &w.subs[e.sub]
		if e.at != s.queued {
			continue // stale
		}
		if err := w.advance(e.at); err != nil { // the bot's timers may add to s's plans
			return err
		}
		s.queued = never
		if at, _ := s.due(); at <= e.at {
			if err := w.act(e.sub); err != nil {
				return err
			}
		}
		w.requeue(e.sub)
	}
	return w.advance(w.end)
}

// advance moves the clock to t, letting the bot's due timers fire. A bot
// outside the process has no timers here: it gets the contract's tick when
// the clock moves on and tickEvery has passed since the last one.
func (w *world) advance(t int64) error {
	w.clk.AdvanceTo(time.Unix(0, t))
	w.drain()
	if w.tickEvery > 0 && t-w.lastTick >= w.tickEvery {
		w.lastTick = t
		if err := w.fire("tick", nil); err != nil {
			return err
		}
		w.drain()
	}
	return nil
}

func (w *world) requeue(i int32) {
	s := &w.subs[i]
	at, _ := s.due()
	if at < w.end && at < s.queued {
		s.queued = at
		heap.Push(&w.queue, entry{at: at, sub: i})
	}
}

// nextWrite draws when s next writes after t.
func (w *world) nextWrite(s *subscriber, t int64) int64 {
	if s.writesPerDay <= 0 {
		return never
	}
	h := w.prof.ActiveHours
	span := h.To - h.From
	if span <= 0 {
		span += 24
	}
	// Active time between writes, so that the daily rate holds.
	mean := float64(span) * float64(time.Hour) / s.writesPerDay
	_, off := time.Unix(0, t).In(s.zone).Zone()
	return afterActive(t, int64(off)*int64(time.Second), h.From, h.To, s.rng.exp()*mean)
}

// act performs subscriber i's earliest due action.
func (w *world) act(i int32) error {
	s := &w.subs[i]
	now := w.clk.Now().UnixNano()
	_, which := s.due()
	if which < 0 {
		s.nextWrite = w.nextWrite(s, now)
		return w.write(i, false)
	}
	p := s.take(which)
	switch p.kind {
	case actNotifyMe:
		w.notifyMe(i, p.topic)
	case actReply:
		return w.write(i, true)
	}
	return nil
}

func (w *world) write(i int32, reply bool) error {
	s := &w.subs[i]
	now := w.clk.Now().UnixNano()
	entry := w.entries.draw(&s.rng)
	var text string
	var product *reference.Product
	if entry.asks() {
		text, product = w.ask.text(&s.rng)
	}
	s.offered = -1
	w.cur = i
	if entry == entryMessage {
		w.note(LifeEvent{Kind: LifeSay, Text: text, Reply: reply})
	}
	d, err := w.enter(i, entry, text, now)
	w.drain()
	if product != nil && w.tickEvery > 0 {
		// A bot outside the process is asked through the contract, as the
		// shop's own code would ask it: the standard otn.request trigger.
		data, _ := json.Marshal(map[string]string{"psid": w.psids[i], "topic": "restock:" + product.Slug,
			"title": "Get a message when the " + product.Name + " is back"})
		if terr := w.fireFor("otn.request", data, true); terr != nil {
			w.cur = -1
			return terr
		}
		w.drain()
	}
	w.cur = -1
	if reply {
		w.counters.Replies++
	}
	w.delivered(d, err)
	if s.offered >= 0 && s.rng.float() < w.prof.OptIn {
		r := w.prof.OptInDelay
		at := now + s.rng.between(int64(r.Min), int64(r.Max))
		s.pending = append(s.pending, pendingAction{at: at, kind: actNotifyMe, topic: s.offered})
	}
	s.offered = -1
	return nil
}

func (w *world) notifyMe(i int32, topic int32) {
	now := w.clk.Now().UnixNano()
	w.cur = i
	w.note(LifeEvent{Kind: LifeNotifyMe, Topic: w.topics[topic]})
	tok, d, err := w.graph.NotifyMe(w.psids[i], w.topics[topic])
	w.drain()
	w.cur = -1
	w.counted(now, false)
	if err != nil {
		w.counters.OptInsFailed++
		return
	}
	w.delivered(d, nil)
	w.counters.OptIns++
	w.counters.TokensIssued++
	w.tokenIDs[tok] = int32(len(w.tokens))
	w.tokens = append(w.tokens, tokenInfo{sub: i, issued: now})
}

func (w *world) delivered(d fakegraph.Delivery, err error) {
	if err == nil && d.Err == nil && d.Status == http.StatusOK {
		w.counters.Webhooks++
	} else {
		w.counters.WebhookFailed++
	}
}

// notified handles a message the bot sent subscriber i unprompted.
func (w *world) notified(i int32) {
	w.counters.Notifications++
	s := &w.subs[i]
	if s.rng.float() < w.prof.Reply {
		r := w.prof.ReplyDelay
		at := w.clk.Now().UnixNano() + s.rng.between(int64(r.Min), int64(r.Max))
		s.pending = append(s.pending, pendingAction{at: at, kind: actReply, topic: -1})
		if w.cur != i {
			w.requeue(i)
		}
	}
}

// counted counts an event (a Send API call when send) at virtual time at.
func (w *world) counted(at int64, send bool) {
	w.counters.Events++
	if w.throughput != nil {
		w.throughput.Count(time.Duration(at-w.prof.Start.UnixNano()), send)
	}
}

// entry is a subscriber's place in the action queue.
type entry struct {
	at  int64
	sub int32
}

type actionHeap []entry

func (h actionHeap) Len() int { return len(h) }
func (h actionHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].sub < h[j].sub
}
func (h actionHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *actionHeap) Push(x any)   { *h = append(*h, x.(entry)) }
func (h *actionHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// fire posts a trigger to the bot. A bot outside the process may not know a
// profile's trigger (restock, say, is the reference bot's own): a 4xx answer
// is counted, not fatal. Anything else that goes wrong ends the run.
func (w *world) fire(name string, data json.RawMessage) error { return w.fireFor(name, data, false) }

// fireFor is fire, own saying whether the trigger concerns the acting
// subscriber alone. A replay notes the triggers the bot took (not ticks:
// a scenario's runner sends those itself).
func (w *world) fireFor(name string, data json.RawMessage, own bool) error {
	err := w.sw.TriggerRaw(name, data)
	var te *sim.TriggerError
	if errors.As(err, &te) && te.Status/100 == 4 && w.tickEvery > 0 {
		w.counters.TriggersRefused++
		return nil
	}
	if err == nil && name != "tick" && w.life != nil {
		w.note(LifeEvent{Kind: LifeTrigger, Trigger: name, Data: append(json.RawMessage(nil), data...), Own: own})
	}
	return err
}
