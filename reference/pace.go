package reference

import (
	"sync"
	"time"
)

// paceSpan is the span the send rate is counted over.
const paceSpan = time.Second

// window counts the sends of the last paceSpan: a sliding window, so any
// span of one second (a Meta bucket however it is aligned) holds at most
// limit of them. Times are kept in order in a ring of limit entries.
type window struct {
	limit int
	times []time.Time // ring, oldest at head
	head  int
	n     int
}

func newWindow(limit int) *window {
	if limit <= 0 {
		return nil
	}
	return &window{limit: limit, times: make([]time.Time, limit)}
}

// prune forgets the sends that no longer count at now; a clock that went
// back (a new scenario at an earlier time) forgets everything.
func (w *window) prune(now time.Time) {
	if w.n > 0 && now.Before(w.times[(w.head+w.n-1)%w.limit]) {
		w.head, w.n = 0, 0
	}
	for w.n > 0 && !now.Before(w.times[w.head].Add(paceSpan)) {
		w.head = (w.head + 1) % w.limit
		w.n--
	}
}

// free is the earliest time from now at which one more send fits.
func (w *window) free(now time.Time) time.Time {
	if w == nil {
		return now
	}
	w.prune(now)
	if w.n < w.limit {
		return now
	}
	return w.times[w.head].Add(paceSpan)
}

// add counts a send at t (not before the last one counted).
func (w *window) add(t time.Time) {
	if w == nil {
		return
	}
	w.prune(t)
	if w.n == w.limit { // an unpaced send beyond the limit: the oldest is forgotten
		w.head = (w.head + 1) % w.limit
		w.n--
	}
	w.times[(w.head+w.n)%w.limit] = t
	w.n++
}

func (w *window) clone() *window {
	if w == nil {
		return nil
	}
	c := *w
	c.times = append([]time.Time(nil), w.times...)
	return &c
}

// pacer spreads the bot's sends over virtual time under SendRate: every
// Send API call is counted, scheduled work (broadcasts, campaigns,
// notifications, delayed asks) waits for a free slot, and a rate-limit
// refusal holds everything back for a second. It lives in memory: a
// restarted bot starts with an empty count.
type pacer struct {
	mu    sync.Mutex
	all   *window // every send
	media *window // audio and video sends
	hold  time.Time
}

func newPacer(r SendRate) *pacer {
	if r.PerSecond <= 0 {
		return nil
	}
	return &pacer{all: newWindow(r.PerSecond), media: newWindow(r.MediaPerSecond)}
}

// next is the earliest time from now at which a send (media: audio or
// video) may go out; equal to now when it may go at once.
func (p *pacer) next(now time.Time, media bool) time.Time {
	if p == nil {
		return now
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nextLocked(now, media)
}

func (p *pacer) nextLocked(now time.Time, media bool) time.Time {
	if p.hold.After(now.Add(paceSpan)) { // the clock went back: a stale hold
		p.hold = time.Time{}
	}
	t := p.all.free(now)
	if media {
		if m := p.media.free(now); m.After(t) {
			t = m
		}
	}
	if p.hold.After(t) {
		t = p.hold
	}
	return t
}

// sent counts a Send API call made at now.
func (p *pacer) sent(now time.Time, media bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.all.add(now)
	if media {
		p.media.add(now)
	}
}

// limited holds every paced send back until now+paceSpan: Meta said the
// page is sending too fast.
func (p *pacer) limited(now time.Time) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := now.Add(paceSpan); t.After(p.hold) {
		p.hold = t
	}
}

// plan gives each of a queue of sends (media flags, in order) the time it
// will be allowed out, from now on, as if each went out at its time.
func (p *pacer) plan(now time.Time, media []bool) []time.Time {
	out := make([]time.Time, len(media))
	if p == nil {
		for i := range out {
			out[i] = now
		}
		return out
	}
	p.mu.Lock()
	sim := &pacer{all: p.all.clone(), media: p.media.clone(), hold: p.hold}
	p.mu.Unlock()
	t := now
	for i, m := range media {
		t = sim.nextLocked(t, m)
		out[i] = t
		sim.all.add(t)
		if m {
			sim.media.add(t)
		}
	}
	return out
}

// rateLimited reports whether Meta refused the call for sending too fast:
// codes 4 (application), 17 (user), 32 (page) and 613 (calls per second),
// but not 613/2018338 (abusive sending), which is permanent.
func (e *GraphError) rateLimited() bool {
	switch e.Code {
	case 4, 17, 32:
		return true
	case 613:
		return e.Subcode != 2018338
	}
	return false
}

// audioVideo reports whether m is an audio or video attachment, which
// Meta limits more strictly.
func (m Message) audioVideo() bool {
	return m.Media != nil && (m.Media.Type == "audio" || m.Media.Type == "video")
}

// audioVideo reports whether a Send API body carries an audio or video attachment.
func audioVideo(body any) bool {
	s, ok := body.(sendAny)
	if !ok {
		return false
	}
	a, _ := s.Message["attachment"].(map[string]any)
	t, _ := a["type"].(string)
	return t == "audio" || t == "video"
}
