package reference

import (
	"sync"
	"time"

	"github.com/otnsim/otnsim/sim/clock"
)

// HarnessClock is the clock of a bot that runs outside the simulator
// (`otnsim bot`): it knows only the times the harness tells it (webhook
// timestamps, a trigger's "now", GET /otnsim/v1/clock) and never moves by
// itself. Its timers never fire: scheduled work runs on `tick` triggers.
type HarnessClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewHarnessClock returns a clock at start (zero until the harness speaks).
func NewHarnessClock(start time.Time) *HarnessClock { return &HarnessClock{now: start} }

// Now returns the latest time the harness reported.
func (h *HarnessClock) Now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

// Observe moves the clock to t if t is later; it never goes backwards.
func (h *HarnessClock) Observe(t time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t.After(h.now) {
		h.now = t
	}
}

// Set moves the clock to t, backwards too: the harness's own word on the
// time (a trigger's "now", GET /otnsim/v1/clock). One bot process serves
// every scenario of a run, and each scenario starts at its own virtual time.
func (h *HarnessClock) Set(t time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = t
}

// AfterFunc returns a timer that never fires; the bot runs due work on ticks.
func (h *HarnessClock) AfterFunc(time.Duration, func()) clock.Timer { return idleTimer{} }

type idleTimer struct{}

func (idleTimer) Stop() bool { return true }

// observer is a clock told the time by the harness.
type observer interface{ Observe(time.Time) }

// setter is a clock the harness may also set back.
type setter interface{ Set(time.Time) }
