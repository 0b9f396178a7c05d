package findings

import (
	"sort"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
)

// TimeFormat renders instants on a timeline: absolute, to the millisecond.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Timeline renders psid's timeline in virtual time: events, window closings,
// token changes, Send API calls with verdicts, and the practice findings
// among fs that concern them, one per line. Failed scenarios, `otnsim
// check`, load replays and otnsimtest's matchers all show timelines this way.
func Timeline(led fakegraph.Ledger, psid string, fs []Finding) []string {
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
		out[i] = l.at.UTC().Format(TimeFormat) + "  " + l.text
	}
	return out
}
