package scenarios

import (
	"sort"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/sim"
)

// timelineFormat renders instants on a timeline: absolute, to the millisecond.
const timelineFormat = "2006-01-02T15:04:05.000Z"

// Timeline renders the timeline of w's subscriber alias in virtual time:
// events, window closings, token changes, Send API calls with verdicts, and
// the findings among fs that concern them, one per line. It is nil when w
// has no such subscriber. Failed scenarios, `otnsim check` and otnsimtest's
// matchers all show timelines this way.
func Timeline(w *sim.World, alias string, fs []findings.Finding) []string {
	s, ok := w.Subscriber(alias)
	if !ok {
		return nil
	}
	return LedgerTimeline(w.Graph.Ledger(), s.PSID, fs)
}

// LedgerTimeline renders psid's timeline as Timeline does, from a ledger.
func LedgerTimeline(led fakegraph.Ledger, psid string, fs []findings.Finding) []string {
	type line struct {
		at   time.Time
		text string
	}
	var lines []line
	for _, e := range led.Timeline(psid) {
		lines = append(lines, line{e.At, e.Text})
	}
	for _, f := range fs {
		if f.PSID == psid && f.Kind != "platform" {
			lines = append(lines, line{f.At, "finding " + f.String()})
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].at.Before(lines[j].at) })
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.at.UTC().Format(timelineFormat) + "  " + l.text
	}
	return out
}

// timeline is Timeline, for the runner.
func timeline(w *sim.World, alias string, fs []findings.Finding) []string {
	return Timeline(w, alias, fs)
}
