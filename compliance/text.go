package compliance

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/otnsim/otnsim/rules"
)

// WriteText renders the report for a terminal: its header, one row per
// rule, then the evidence of every failed rule.
func WriteText(w io.Writer, r *Report) {
	WriteHeader(w, r.Bot)
	fmt.Fprintln(w)
	WriteVerdict(w, r)
}

// WriteHeader writes the report's first line, naming the bot: a check that
// shows its progress prints it before playing.
func WriteHeader(w io.Writer, bot string) {
	fmt.Fprintf(w, "otnsim check: %s\n", bot)
}

// WriteVerdict writes the report without its header: the rows, the
// evidence, the late calls and the summary.
func WriteVerdict(w io.Writer, r *Report) {
	for _, row := range r.Rows {
		mark := ""
		if row.Assumed {
			mark = " [assumed]"
		}
		fmt.Fprintf(w, "%-14s %-19s %s%s\n", verdictLabel(row), row.Rule, row.Text, mark)
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
		fmt.Fprintf(w, "\n--- %s [%s]: %s\n", row.Rule, row.Severity, row.Text)
		for _, ev := range row.Evidence {
			if ev.Passed {
				continue
			}
			writeEvidence(w, ev)
		}
	}
	for _, ev := range r.Contract {
		fmt.Fprintf(w, "\n--- CONTRACT: the bot did not do what a trigger asks\n")
		writeEvidence(w, ev)
	}
	if r.LateCalls > 0 {
		fmt.Fprintf(w, "\n--- LATE CALLS: the bot made %d calls after otnsim closed their step; raise --settle\n", r.LateCalls)
		fmt.Fprintf(w, "    It sent after answering, later than the quiet period allowed, so the verdicts above were given without those calls. They came after:\n")
		for _, s := range r.LateSteps {
			fmt.Fprintf(w, "      %s\n", s)
		}
	}
	pass, fail, none := r.Counts()
	verdict := "ok"
	if r.Failed() {
		verdict = "FAIL"
	}
	contract := ""
	if n := len(r.Contract); n > 0 {
		contract = fmt.Sprintf(", %d contract failure(s)", n)
	}
	fmt.Fprintf(w, "\n%s: %d rules passed, %d failed%s, %d not exercised (%d scenarios, %d probes, %s; failing at %s and above)\n",
		verdict, pass, fail, contract, none, r.Scenarios, len(r.Probes), r.Elapsed.Round(time.Millisecond), r.level())
	for _, row := range r.Rows {
		if row.Assumed {
			fmt.Fprintln(w, "[assumed]: the verdict rests on a platform behaviour Meta does not document; fakegraph takes a default reading, switchable in its fidelity settings.")
			break
		}
	}
}

// verdictLabel is a row's verdict as the text report shows it: a failed
// rule of severity warning or info reads WARN or INFO.
func verdictLabel(row Row) string {
	if row.Verdict != Fail {
		return strings.ToUpper(string(row.Verdict))
	}
	switch rules.Severity(row.Severity) {
	case rules.Warning:
		return "WARN"
	case rules.Info:
		return "INFO"
	}
	return "FAIL"
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
	if ev.Trigger != "" {
		fmt.Fprintf(w, "      after trigger %s\n", ev.Trigger)
	}
	for _, p := range ev.Problems {
		fmt.Fprintf(w, "        %s\n", p)
	}
	if len(ev.Consequences) > 0 {
		fmt.Fprintf(w, "      consequences (not charged to other rules):\n")
		for _, c := range ev.Consequences {
			fmt.Fprintf(w, "        %s\n", c)
		}
	}
	if len(ev.Timeline) > 0 {
		fmt.Fprintf(w, "      timeline of %s:\n", ev.Who)
		for _, l := range ev.Timeline {
			fmt.Fprintf(w, "        %s\n", l)
		}
	}
}
