package external

import (
	"fmt"
	"time"
)

// Settling closes a step (one webhook or trigger, or a probe's delivery)
// once the bot is done with it: its answer is in, none of its Graph API
// calls is in flight, and none has started or ended for a quiet period.
// The quiet period is learned from the bot, never longer than Config.Settle:
//
//   - until the bot has shown how it sends, it is the whole of Config.Settle;
//   - a bot seen to make its calls before it answers (syncEvidence steps
//     with calls, none after the answer) gets syncQuiet;
//   - a bot seen to call after it answered (or to answer with a call in
//     flight, or to make a late call) gets asyncFactor times the longest
//     silence it was seen to keep before such a call, plus asyncMargin, at
//     least asyncFloor.
//
// A call that starts after its step was closed is a late call: the harness
// counts it (LateCalls) and waits longer from then on.
const (
	syncEvidence = 3
	syncQuiet    = 2 * time.Millisecond
	asyncFloor   = 30 * time.Millisecond
	asyncFactor  = 4
	asyncMargin  = 5 * time.Millisecond
)

// How the bot sends, as far as the harness has seen.
type sendMode int

const (
	sendUnknown sendMode = iota
	sendBeforeAnswer
	sendAfterAnswer
)

// stepStats is what the harness saw of the bot's calls during one step.
type stepStats struct {
	before int // calls that started before the bot answered
	after  int // calls that started after it answered
	// busyAtAnswer: a call was still in flight when the bot answered.
	busyAtAnswer bool
	// gap is the longest silence (no call started or ended, no answer)
	// before a call that started after the answer.
	gap time.Duration
}

// async reports whether the step shows a bot that sends after answering.
func (s stepStats) async() bool { return s.after > 0 || s.busyAtAnswer }

// settler learns the quiet period. Its owner serialises access.
type settler struct {
	max      time.Duration // Config.Settle; 0: no quiet period at all
	mode     sendMode
	evidence int           // steps that showed calls before the answer only
	gap      time.Duration // the longest gap seen before a call after an answer
}

// quiet returns the quiet period that closes a step with stats cur so far.
func (s *settler) quiet(cur stepStats) time.Duration {
	if s.max <= 0 {
		return 0
	}
	mode := s.mode
	if cur.async() {
		mode = sendAfterAnswer
	}
	switch mode {
	case sendUnknown:
		return s.max
	case sendBeforeAnswer:
		return min(syncQuiet, s.max)
	}
	q := asyncFactor*max(s.gap, cur.gap) + asyncMargin
	return min(s.max, max(asyncFloor, q))
}

// learn takes in a closed step.
func (s *settler) learn(cur stepStats) {
	switch {
	case cur.async():
		s.mode = sendAfterAnswer
		s.gap = max(s.gap, cur.gap)
	case s.mode == sendUnknown && cur.before > 0:
		if s.evidence++; s.evidence >= syncEvidence {
			s.mode = sendBeforeAnswer
		}
	}
}

// late takes in a late call that came gap after its step's last activity.
func (s *settler) late(gap time.Duration) {
	s.mode = sendAfterAnswer
	s.gap = max(s.gap, gap)
}

// LateCall is a Graph API call the bot made after the harness had closed
// its step: the step's verdict was given without it. It most likely
// belongs to that step (the bot sent it after answering, later than the
// quiet period allowed), and reached the world of whatever ran next.
type LateCall struct {
	Method, Path string
	// After is the request whose step had closed: "POST /webhook",
	// "trigger otn.notify", "probe POST /webhook".
	After string
	// Step is what the harness was playing when the call came, as named
	// by Harness.Step ("" when nobody named it).
	Step string
	// Gap is how long after the step's last activity the call started.
	Gap time.Duration
}

// String describes the late call in one line.
func (l LateCall) String() string {
	s := fmt.Sprintf("%s %s %s after %s was closed", l.Method, l.Path, l.Gap.Round(100*time.Microsecond), l.After)
	if l.Step != "" {
		s += " (" + l.Step + ")"
	}
	return s
}

// settle waits until the bot is done with the open step (see above),
// bounded by cfg.StepTimeout, then closes it. A bot still busy past the
// bound, or whose process died, is recorded as fatal.
//
// On a loaded machine a bot may need longer than its quiet period to get
// a CPU, so two more checks close a step:
//
//   - the quiet period must be watched: when the harness's timer wakes it
//     much later than asked, a busy machine held the harness up, and most
//     likely the bot as well, which may still be about to call. The
//     harness then watches a whole quiet period again from the moment it
//     woke (at most rewatches times a step);
//   - a bot started with a command whose processes are running or waiting
//     for a CPU, or whose call to the Graph listener waits in the kernel to
//     be read (Linux), has work left: the harness looks again every
//     busyPoll, for at most Config.Settle.
func (h *Harness) settle() error {
	defer h.graph.closeStep()
	deadline := time.Now().Add(h.cfg.StepTimeout)
	var died <-chan struct{}
	if h.proc != nil {
		died = h.proc.died
	}
	var woke time.Time // when the harness last woke late; zero: never
	left := rewatches
	var busySince time.Time // when the quiet period was over but the bot was busy
	for {
		n, last, changed, quiet := h.graph.state()
		now := time.Now()
		need := max(quiet-now.Sub(last), quiet-now.Sub(woke)) // silence still to watch
		if n == 0 && need <= 0 {
			if !h.stillWorking(quiet) {
				return nil
			}
			// The bot's processes still have work to do (or wait for a
			// CPU to do it), or a call of theirs waits to be read: look
			// again shortly, for at most --settle.
			if busySince.IsZero() {
				busySince = now
			}
			if now.Sub(busySince) >= h.cfg.Settle {
				return nil
			}
			need = busyPoll
		}
		if !now.Before(deadline) {
			return h.fail(botErrorf(Hung, "the bot kept calling the Graph API (%d call(s) in flight) past the step timeout (%s)", n, h.cfg.StepTimeout))
		}
		wait := deadline.Sub(now)
		quietEnds := n == 0 && need < wait
		if quietEnds {
			wait = need
		}
		t := time.NewTimer(wait)
		select {
		case <-changed:
		case <-t.C:
			if quietEnds && left > 0 && time.Since(now.Add(wait)) > oversleep(quiet) {
				woke, left = time.Now(), left-1
			}
		case <-died:
			t.Stop()
			_, how := h.proc.exited()
			return h.fail(botErrorf(Crashed, "the bot's process %s", how))
		}
		t.Stop()
	}
}

// stillWorking reports, once the quiet period of a step is over, whether
// the bot may still be at work on it: its processes run or wait for a CPU,
// or the kernel holds a call to the Graph listener the harness has not read
// yet. A bot known to call before answering (a quiet period of syncQuiet)
// is not asked.
func (h *Harness) stillWorking(quiet time.Duration) bool {
	if quiet <= syncQuiet {
		return false
	}
	return unreadInput(h.graphPort) || h.proc != nil && h.proc.busy()
}

// busyPoll is how often settling looks again at a bot whose processes
// are busy once the quiet period is over.
const busyPoll = 2 * time.Millisecond

// rewatches bounds how many times a step's quiet period is watched again
// after the harness woke late.
const rewatches = 3

// oversleep is how late a timer may wake the harness, while it watches a
// quiet period, before the silence counts as not watched: half the period
// plus a millisecond.
func oversleep(quiet time.Duration) time.Duration { return quiet/2 + time.Millisecond }

// Drain waits, at most limit, until the bot's Graph calls have been quiet
// for quiet. Call it once a run is over, before LateCalls: the calls that
// come meanwhile are late calls of the last step.
func (h *Harness) Drain(quiet, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		n, last, changed, _ := h.graph.state()
		now := time.Now()
		if n == 0 && now.Sub(last) >= quiet || !now.Before(deadline) {
			return
		}
		wait := deadline.Sub(now)
		if n == 0 {
			wait = min(wait, quiet-now.Sub(last))
		}
		t := time.NewTimer(wait)
		select {
		case <-changed:
		case <-t.C:
		}
		t.Stop()
	}
}
