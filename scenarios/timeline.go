package scenarios

import (
	"sort"
	"time"

	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/sim"
)

// timelineFormat renders instants on a timeline: absolute, to the millisecond.
const timelineFormat = "2006-01-02T15:04:05.000Z"

// timeline renders alias's timeline in virtual time: events, window
// closings, token changes, Send API calls with verdicts, and the findings
// that concern them, one per line.
func timeline(w *sim.World, alias string, fs []findings.Finding) []string {
	s, ok := w.Subscriber(alias)
	if !ok {
		return nil
	}
	type line struct {
		at   time.Time
		text string
	}
	var lines []line
	for _, e := range w.Graph.Ledger().Timeline(s.PSID) {
		lines = append(lines, line{e.At, e.Text})
	}
	for _, f := range fs {
		if f.PSID == s.PSID && f.Kind != "platform" {
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
