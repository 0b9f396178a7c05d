package scenarios

import (
	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/sim"
)

// timelineFormat renders instants on a timeline: absolute, to the millisecond.
const timelineFormat = findings.TimeFormat

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
	return findings.Timeline(w.Graph.Ledger(), s.PSID, fs)
}

// timeline is Timeline, for the runner.
func timeline(w *sim.World, alias string, fs []findings.Finding) []string {
	return Timeline(w, alias, fs)
}
