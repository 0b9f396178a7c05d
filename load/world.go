package load

import (
	"container/heap"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/load/profile"
	"github.com/otnsim/otnsim/load/report"
	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/sim/clock"
)

// wiring connects a world's fakegraph and bot: in process or over loopback.
type wiring interface {
	// trigger fires a named trigger on the bot.
	trigger(name string, data json.RawMessage) error
	// close releases listeners and connections.
	close()
}

// world is one chunk of the population with its own clock, fakegraph and bot.
type world struct {
	opts  *Options
	prof  *profile.Profile
	pop   *population
	base  int // global index of subs[0]
	clk   *clock.Virtual
	graph *fakegraph.Server
	bot   *reference.Bot
	wire  wiring
	obs   *observer

	subs    []subscriber
	psids   []string
	index   map[string]int32
	queue   actionHeap
	end     int64
	cur     int32 // subscriber acting now, -1 during campaigns and timers
	topics  []string
	topicID map[string]int32
	ask     asker

	tokens   []tokenInfo
	tokenIDs map[string]int32

	counters   report.Counters
	violations []report.Violation
	violCount  int64
}

type tokenInfo struct {
	sub    int32
	issued int64
	spent  bool
}

// newWorld builds the world for global indexes [lo, hi).
func newWorld(opts *Options, lo, hi int, wired func(w *world) (wiring, error)) (*world, error) {
	p := opts.Profile
	start := p.Start
	w := &world{
		opts:     opts,
		prof:     p,
		pop:      newPopulation(opts.Seed, p),
		base:     lo,
		clk:      clock.NewVirtual(start),
		subs:     make([]subscriber, hi-lo),
		psids:    make([]string, hi-lo),
		index:    make(map[string]int32, hi-lo),
		end:      start.Add(time.Duration(opts.Days * float64(24*time.Hour))).UnixNano(),
		cur:      -1,
		topicID:  map[string]int32{},
		tokenIDs: map[string]int32{},
	}
	w.ask = newAsker(p, w.topic)
	w.obs = &observer{clk: w.clk}
	wire, err := wired(w)
	if err != nil {
		return nil, err
	}
	w.wire = wire
	return w, nil
}

// setupBot returns the reference bot configuration for the world.
func (w *world) botConfig(graphURL string, client *http.Client) reference.Config {
	page := w.graph.Page()
	setup := w.prof.Bot
	setup.Products = append([]reference.Product(nil), setup.Products...)
	return reference.Config{
		GraphURL:        graphURL,
		PageID:          page.ID,
		PageAccessToken: page.AccessToken,
		AppSecret:       page.AppSecret,
		VerifyToken:     page.VerifyToken,
		Client:          client,
		Clock:           w.clk,
		Setup:           setup,
	}
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
	defer w.wire.close()
	start := w.prof.Start.UnixNano()
	for i := range w.subs {
		s := &w.subs[i]
		u := w.pop.person(w.base+i, s)
		if err := w.graph.AddUser(u); err != nil {
			return fmt.Errorf("subscriber %d: %w", w.base+i, err)
		}
		w.psids[i] = u.PSID
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
			w.advance(f.At.UnixNano())
			c := w.prof.Campaigns[f.Campaign]
			if err := w.wire.trigger(c.Trigger, data[f.Campaign]); err != nil {
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
		w.advance(e.at) // the bot's timers may add to s's plans
		s.queued = never
		if at, _ := s.due(); at <= e.at {
			w.act(e.sub)
		}
		w.requeue(e.sub)
	}
	w.advance(w.end)
	return nil
}

// advance moves the clock to t, letting the bot's due timers fire.
func (w *world) advance(t int64) {
	w.clk.AdvanceTo(time.Unix(0, t))
	w.drain()
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
	return afterActive(t, s.tzOffset, h.From, h.To, s.rng.exp()*mean)
}

// act performs subscriber i's earliest due action.
func (w *world) act(i int32) {
	s := &w.subs[i]
	now := w.clk.Now().UnixNano()
	_, which := s.due()
	if which < 0 {
		s.nextWrite = w.nextWrite(s, now)
		w.write(i, false)
		return
	}
	p := s.take(which)
	switch p.kind {
	case actNotifyMe:
		w.notifyMe(i, p.topic)
	case actReply:
		w.write(i, true)
	}
}

func (w *world) write(i int32, reply bool) {
	s := &w.subs[i]
	now := w.clk.Now().UnixNano()
	text := w.ask.text(&s.rng)
	s.lastAction = now
	s.offered = -1
	w.cur = i
	d, err := w.graph.UserMessage(w.psids[i], text)
	w.drain()
	w.cur = -1
	w.counters.Events++
	w.counters.Messages++
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
}

func (w *world) notifyMe(i int32, topic int32) {
	now := w.clk.Now().UnixNano()
	w.cur = i
	tok, d, err := w.graph.NotifyMe(w.psids[i], w.topics[topic])
	w.drain()
	w.cur = -1
	w.counters.Events++
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
