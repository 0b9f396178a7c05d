package load

import (
	"math"
	"time"
)

const never = math.MaxInt64

// Action kinds a subscriber has pending besides writing.
const (
	actNotifyMe uint8 = iota + 1
	actReply
)

type pendingAction struct {
	at    int64 // unix nanoseconds
	kind  uint8
	topic int32
}

// subscriber is the engine's state of one person: their behaviour generator,
// schedule, and what the invariants need (when their window opened).
type subscriber struct {
	rng          splitmix64
	writesPerDay float64
	zone         *time.Location // their IANA time zone
	nextWrite    int64
	lastAction   int64 // last action that opened the window, 0 if none
	windowUntil  int64 // when the window the latest actions opened closes, 0 if none
	adPending    bool  // came through a Click-to-Messenger ad and has not written since
	queued       int64 // time of the live heap entry, never if none
	offered      int32 // topic of an OTN request received during the current action, -1 if none
	pending      []pendingAction
}

// due returns the time of the subscriber's next action and whether it is a
// pending one (index into pending) rather than writing.
func (s *subscriber) due() (int64, int) {
	at, which := s.nextWrite, -1
	for i, p := range s.pending {
		if p.at < at || (p.at == at && which == -1) {
			at, which = p.at, i
		}
	}
	return at, which
}

func (s *subscriber) take(i int) pendingAction {
	p := s.pending[i]
	s.pending = append(s.pending[:i], s.pending[i+1:]...)
	return p
}

// afterActive returns the instant after t at which the subscriber, writing
// only within their local active hours, has spent 'active' nanoseconds of
// active time.
func afterActive(t, tzOffset int64, from, to int, active float64) int64 {
	const day = int64(24 * time.Hour)
	if to <= from {
		to += 24
	}
	start, length := int64(from)*int64(time.Hour), int64(to-from)*int64(time.Hour)
	local := t + tzOffset
	dayStart := local - ((local%day)+day)%day
	remaining := active
	for k := int64(-1); ; k++ {
		ws := dayStart + k*day + start
		we := ws + length
		if we <= local {
			continue
		}
		s := max(ws, local)
		avail := float64(we - s)
		if remaining < avail {
			return s + int64(remaining) - tzOffset
		}
		remaining -= avail
		if remaining > 1e20 {
			return never
		}
	}
}
