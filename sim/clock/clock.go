// Package clock provides the time source shared by every part of otnsim: a
// deterministic discrete-event virtual clock for simulations and tests, and a
// wall clock with the same interface for long-running servers.
package clock

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is a source of time and timers. fakegraph, the reference bot and the
// simulator read time only through it.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f once d has elapsed and returns a Timer that can stop it.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending call scheduled by AfterFunc.
type Timer interface {
	// Stop prevents the call from running. It reports whether the call was
	// still pending.
	Stop() bool
}

// Wall is a Clock backed by the operating system's clock.
type Wall struct{}

// Now returns time.Now().
func (Wall) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (Wall) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Virtual is a deterministic discrete-event clock. Time moves only when
// Advance, AdvanceTo or RunNext is called; due events run on the caller's
// goroutine in (time, scheduling order) order. Virtual is safe for concurrent
// use; callbacks run without any lock held, so they may schedule further events
// or read the clock.
type Virtual struct {
	mu      sync.Mutex
	now     time.Time
	seq     uint64
	events  eventHeap
	running sync.Mutex // serialises Advance calls so events never interleave
}

// NewVirtual returns a virtual clock that starts at start.
func NewVirtual(start time.Time) *Virtual {
	return &Virtual{now: start}
}

// Now returns the virtual time.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

// AfterFunc schedules f at Now()+d. A non-positive d schedules f at the
// current instant; it runs on the next Advance (even Advance(0)).
func (v *Virtual) AfterFunc(d time.Duration, f func()) Timer {
	if d < 0 {
		d = 0
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.scheduleLocked(v.now.Add(d), f)
}

// At schedules f at the absolute time t (or now, if t is in the past).
func (v *Virtual) At(t time.Time, f func()) Timer {
	v.mu.Lock()
	defer v.mu.Unlock()
	if t.Before(v.now) {
		t = v.now
	}
	return v.scheduleLocked(t, f)
}

func (v *Virtual) scheduleLocked(at time.Time, f func()) *event {
	v.seq++
	e := &event{at: at, seq: v.seq, f: f, clock: v}
	heap.Push(&v.events, e)
	return e
}

// Advance moves the clock forward by d, running every event due on the way.
// A negative d is treated as zero: the clock never goes backwards.
func (v *Virtual) Advance(d time.Duration) {
	if d < 0 {
		d = 0
	}
	now := v.Now()
	if d > Latest.Sub(now) {
		v.AdvanceTo(Latest)
		return
	}
	v.AdvanceTo(now.Add(d))
}

// AdvanceTo moves the clock forward to t, running every event due at or
// before t in order. Events scheduled by callbacks for times up to t also run.
// If t is before Now, only events already due run and time does not move.
// The clock stops at Latest: a t past it is taken for Latest (callers that
// take t from input check it first with Add or CheckTime).
func (v *Virtual) AdvanceTo(t time.Time) {
	if t.After(Latest) {
		t = Latest
	}
	v.running.Lock()
	defer v.running.Unlock()
	for {
		v.mu.Lock()
		if t.Before(v.now) {
			t = v.now
		}
		if len(v.events) == 0 || v.events[0].at.After(t) {
			v.now = t
			v.mu.Unlock()
			return
		}
		e := heap.Pop(&v.events).(*event)
		e.index = -1
		if e.at.After(v.now) {
			v.now = e.at
		}
		v.mu.Unlock()
		e.f()
	}
}

// Jump moves the clock forward by d without running the events due on the
// way; they run, in order, on the next Advance. It is for a caller that
// spends d inside one call (a delayed answer) while an Advance may be under
// way on its own goroutine. A non-positive d does nothing.
func (v *Virtual) Jump(d time.Duration) {
	if d <= 0 {
		return
	}
	v.mu.Lock()
	if d > Latest.Sub(v.now) {
		v.now = Latest
	} else {
		v.now = v.now.Add(d)
	}
	v.mu.Unlock()
}

// Rewind puts the clock back at t and drops every pending event: a world
// that starts over (fakegraph's reset) must not meet the old one's timers.
func (v *Virtual) Rewind(t time.Time) {
	v.running.Lock()
	defer v.running.Unlock()
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, e := range v.events {
		e.index = -1
	}
	v.events = nil
	v.now = t
}

// RunNext jumps to the next pending event and runs it together with every
// other event due at that instant. It reports false when nothing is pending.
func (v *Virtual) RunNext() bool {
	v.mu.Lock()
	if len(v.events) == 0 {
		v.mu.Unlock()
		return false
	}
	next := v.events[0].at
	v.mu.Unlock()
	v.AdvanceTo(next)
	return true
}

// Pending returns the number of scheduled events that have not run.
func (v *Virtual) Pending() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.events)
}

// NextAt returns the time of the earliest pending event, if any.
func (v *Virtual) NextAt() (time.Time, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.events) == 0 {
		return time.Time{}, false
	}
	return v.events[0].at, true
}

type event struct {
	at    time.Time
	seq   uint64
	f     func()
	index int
	clock *Virtual
}

// Stop removes the event from its clock if it has not run yet.
func (e *event) Stop() bool {
	v := e.clock
	v.mu.Lock()
	defer v.mu.Unlock()
	if e.index < 0 {
		return false
	}
	heap.Remove(&v.events, e.index)
	e.index = -1
	return true
}

type eventHeap []*event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *eventHeap) Push(x any) {
	e := x.(*event)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *eventHeap) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return e
}
