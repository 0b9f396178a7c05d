package findings

import (
	"time"

	"github.com/otnsim/otnsim/fakegraph"
)

// TimeFormat renders instants on a timeline: absolute, to the millisecond.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Timeline renders psid's timeline in virtual time: events (page-wide
// triggers included), window closings, token changes, Send API calls with
// what the bot received, and the findings among fs that concern psid, each
// right after the record that broke the rule. Lines name the call and
// event numbers that findings cite. Failed scenarios, `otnsim check`, load
// replays and otnsimtest's matchers all show timelines this way.
func Timeline(led fakegraph.Ledger, psid string, fs []Finding) []string {
	type line struct {
		at    time.Time
		order int
		text  string
	}
	var lines []line
	for _, e := range led.Timeline(psid) {
		text := e.Text
		if e.Ref != "" {
			text = e.Ref + "  " + text
		}
		lines = append(lines, line{e.At, e.Order, text})
	}
	for _, f := range fs {
		if f.PSID != psid || shownByCall(led, f) {
			continue
		}
		// Right after the record that broke the rule; else after the
		// last line not later than the finding.
		at := -1
		for i, l := range lines {
			if l.order == f.Order && f.Order > 0 {
				at = i
			}
		}
		if at < 0 {
			for i, l := range lines {
				if !l.at.After(f.At) {
					at = i
				}
			}
		}
		for at+1 < len(lines) && lines[at+1].order == -2 {
			at++ // after the findings already placed there
		}
		lines = append(lines, line{})
		copy(lines[at+2:], lines[at+1:])
		lines[at+1] = line{f.At, -2, "finding " + f.String()}
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.at.UTC().Format(TimeFormat) + "  " + l.text
	}
	return out
}

// shownByCall reports whether f is a refusal whose call line already names
// its rule, so that the timeline need not repeat it.
func shownByCall(led fakegraph.Ledger, f Finding) bool {
	if f.CallSeq < 1 || f.CallSeq > len(led.Calls) {
		return false
	}
	c := led.Calls[f.CallSeq-1]
	return !c.OK && c.Rule == f.Rule && c.Seq == f.CallSeq
}
