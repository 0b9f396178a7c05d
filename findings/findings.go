// Package findings judges a fakegraph ledger against the rule catalogue. It
// reports platform rules that fakegraph enforced (refused calls) and practice
// rules that only show in the record of what happened: a token spent while
// the window was open, a notification that interrupted an active subscriber,
// a burst of OTN requests. The scenario runner and `otnsim check` both use it.
package findings

import (
	"fmt"
	"sort"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/platform"
	"github.com/otnsim/otnsim/rules"
)

// Options tunes the practice checks. The yaml tags are the field names of a
// scenario's "checks:" section.
type Options struct {
	// IdleAfter is how long a subscriber must have been quiet before a
	// notification may reach them (OTN-IDLE). Zero disables the check.
	IdleAfter time.Duration `yaml:"idle_after"`
	// ThrottleMax is the most OTN requests one subscriber may receive within
	// ThrottleWindow (OTN-REQ-THROTTLE). Zero disables the check.
	ThrottleMax int `yaml:"throttle_max"`
	// ThrottleWindow is the span ThrottleMax counts over.
	ThrottleWindow time.Duration `yaml:"throttle_window"`
}

// DefaultOptions returns the checks' defaults: 5 minutes of idleness, at most
// 3 OTN requests per subscriber within 24 hours (platform.Window).
func DefaultOptions() Options {
	return Options{IdleAfter: 5 * time.Minute, ThrottleMax: 3, ThrottleWindow: platform.Window}
}

// Finding is one broken rule, at one instant, for one subscriber.
type Finding struct {
	Rule     string         `json:"rule"`
	Kind     rules.Kind     `json:"kind"`
	Severity rules.Severity `json:"severity"`
	PSID     string         `json:"psid,omitempty"`
	At       time.Time      `json:"at"`
	CallSeq  int            `json:"call_seq,omitempty"` // the Send API call concerned, if any
	Detail   string         `json:"detail"`
}

// String renders the finding on one line.
func (f Finding) String() string {
	return fmt.Sprintf("%s [%s] %s", f.Rule, f.Severity, f.Detail)
}

// Detect returns every finding in led, ordered by time, then call order.
func Detect(led fakegraph.Ledger, opts Options) []Finding {
	var out []Finding
	out = append(out, refusals(led)...)
	out = append(out, inWindowKeep(led)...)
	out = append(out, idle(led, opts)...)
	out = append(out, throttle(led, opts)...)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].CallSeq < out[j].CallSeq
	})
	return out
}

// Count returns how many findings of rule concern psid (everyone when psid
// is empty).
func Count(fs []Finding, rule, psid string) int {
	n := 0
	for _, f := range fs {
		if f.Rule == rule && (psid == "" || f.PSID == psid) {
			n++
		}
	}
	return n
}

func newFinding(rule, psid string, at time.Time, seq int, detail string) Finding {
	r, _ := rules.Lookup(rule)
	return Finding{Rule: rule, Kind: r.Kind, Severity: r.Severity, PSID: psid, At: at, CallSeq: seq, Detail: detail}
}

// refusals turns every Send API call fakegraph refused under a rule into a
// finding of that rule.
func refusals(led fakegraph.Ledger) []Finding {
	var out []Finding
	for _, c := range led.Calls {
		if c.OK || c.Rule == "" {
			continue
		}
		out = append(out, newFinding(c.Rule, c.PSID, c.At, c.Seq, "refused: "+c.Describe()))
	}
	return out
}

// inWindowKeep finds tokens spent while the subscriber's window was open,
// when a normal message would have done and the token could have been kept.
func inWindowKeep(led fakegraph.Ledger) []Finding {
	var out []Finding
	for _, c := range led.Calls {
		if c.OK && c.RecipientKind == fakegraph.RecipientToken && c.WindowOpen {
			out = append(out, newFinding(rules.InWindowKeep, c.PSID, c.At, c.Seq,
				fmt.Sprintf("token #%d spent while the window was open", c.TokenSeq)))
		}
	}
	return out
}

// isNotification reports whether c is a notification rather than an answer:
// a message through a token, or an UPDATE or tagged message.
func isNotification(c fakegraph.Call) bool {
	if !c.OK || c.Kind != fakegraph.KindMessage {
		return false
	}
	return c.RecipientKind == fakegraph.RecipientToken || c.MessagingType == "UPDATE" || c.MessagingType == "MESSAGE_TAG"
}

// idle finds notifications sent within IdleAfter of the subscriber's last
// message or postback.
func idle(led fakegraph.Ledger, opts Options) []Finding {
	if opts.IdleAfter <= 0 {
		return nil
	}
	last := lastActions(led)
	var out []Finding
	for _, c := range led.Calls {
		if !isNotification(c) {
			continue
		}
		at, ok := latestBefore(last[c.PSID], c.At)
		if ok && c.At.Sub(at) < opts.IdleAfter {
			out = append(out, newFinding(rules.Idle, c.PSID, c.At, c.Seq,
				fmt.Sprintf("notification %s after the subscriber's last action (idle period %s)", c.At.Sub(at), opts.IdleAfter)))
		}
	}
	return out
}

// lastActions lists each subscriber's actions that open the window
// (messages, postbacks, quick replies, reactions), oldest first.
func lastActions(led fakegraph.Ledger) map[string][]time.Time {
	m := map[string][]time.Time{}
	for _, e := range led.Events {
		if e.OpensWindow() {
			m[e.PSID] = append(m[e.PSID], e.At)
		}
	}
	return m
}

// latestBefore returns the latest instant in ts that is not after t.
func latestBefore(ts []time.Time, t time.Time) (time.Time, bool) {
	var best time.Time
	found := false
	for _, x := range ts {
		if !x.After(t) {
			best, found = x, true
		}
	}
	return best, found
}

// throttle finds OTN requests beyond ThrottleMax to one subscriber within
// ThrottleWindow; each request over the limit is one finding.
func throttle(led fakegraph.Ledger, opts Options) []Finding {
	if opts.ThrottleMax <= 0 || opts.ThrottleWindow <= 0 {
		return nil
	}
	sent := map[string][]time.Time{}
	var out []Finding
	for _, c := range led.Calls {
		if !c.OK || c.Kind != fakegraph.KindOTNRequest {
			continue
		}
		prev := sent[c.PSID]
		n := 0
		for _, t := range prev {
			if c.At.Sub(t) < opts.ThrottleWindow {
				n++
			}
		}
		if n >= opts.ThrottleMax {
			out = append(out, newFinding(rules.ReqThrottle, c.PSID, c.At, c.Seq,
				fmt.Sprintf("OTN request #%d to this subscriber within %s (at most %d allowed)", n+1, opts.ThrottleWindow, opts.ThrottleMax)))
		}
		sent[c.PSID] = append(prev, c.At)
	}
	return out
}
