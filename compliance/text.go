package compliance

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText renders the report for a terminal: one row per rule, then the
// evidence of every failed rule.
func WriteText(w io.Writer, r *Report) {
	fmt.Fprintf(w, "otnsim check: %s\n\n", r.Bot)
	for _, row := range r.Rows {
		mark := ""
		if row.Assumed {
			mark = " [assumed]"
		}
		fmt.Fprintf(w, "%-14s %-19s %s%s\n", strings.ToUpper(string(row.Verdict)), row.Rule, row.Text, mark)
		if row.Verdict == Pass && len(row.Evidence) > 0 {
			fmt.Fprintf(w, "%-14s %-19s by %s\n", "", "", evidenceName(row.Evidence[0]))
		}
		if row.Verdict == NotExercised && row.Note != "" {
			fmt.Fprintf(w, "%-14s %-19s %s\n", "", "", row.Note)
		}
	}
	for _, row := range r.Rows {
		if row.Verdict != Fail {
			continue
		}
		fmt.Fprintf(w, "\n--- %s: %s\n", row.Rule, row.Text)
		for _, ev := range row.Evidence {
			if ev.Passed {
				continue
			}
			writeEvidence(w, ev)
		}
	}
	pass, fail, none := r.Counts()
	verdict := "ok"
	if fail > 0 {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "\n%s: %d rules passed, %d failed, %d not exercised (%d scenarios, %d probes, %s)\n",
		verdict, pass, fail, none, r.Scenarios, len(r.Probes), r.Elapsed.Round(time.Millisecond))
	fmt.Fprintln(w, "[assumed]: the verdict rests on a platform behaviour Meta does not document; fakegraph takes a default reading, switchable in its fidelity settings.")
}

func evidenceName(ev Evidence) string {
	if ev.Scenario != "" {
		return ev.Scenario + " (" + ev.Name + ")"
	}
	return ev.Name
}

// WriteEvidence renders one piece of evidence as the text report shows a
// failure: the scenario or probe, the step, expected versus actual, and the
// subscriber's timeline.
func WriteEvidence(w io.Writer, ev Evidence) { writeEvidence(w, ev) }

func writeEvidence(w io.Writer, ev Evidence) {
	fmt.Fprintf(w, "    %s\n", evidenceName(ev))
	if ev.Step != "" {
		fmt.Fprintf(w, "      %s\n", ev.Step)
	}
	for _, p := range ev.Problems {
		fmt.Fprintf(w, "        %s\n", p)
	}
	if len(ev.Timeline) > 0 {
		fmt.Fprintf(w, "      timeline of %s:\n", ev.Who)
		for _, l := range ev.Timeline {
			fmt.Fprintf(w, "        %s\n", l)
		}
	}
}
