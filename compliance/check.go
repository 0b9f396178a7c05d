// Package compliance judges a bot under test rule by rule, the way h2spec
// judges an HTTP/2 server: it plays the compliance suite's scenarios against
// the bot and sends it the security probes, then gives every rule of the
// catalogue a verdict (pass, fail, or not exercised) with the evidence: the
// scenario, the failing step, and an excerpt of the subscriber's timeline.
//
// A scenario exercises the rules whose ids are among its tags.
package compliance

import (
	"fmt"
	"sort"
	"time"

	"github.com/otnsim/otnsim/probes"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/scenarios"
	"github.com/otnsim/otnsim/sim"
)

// Verdict is a rule's outcome.
type Verdict string

// Verdicts.
const (
	Pass         Verdict = "pass"
	Fail         Verdict = "fail"
	NotExercised Verdict = "not exercised"
)

// excerptLines is how many timeline lines a piece of evidence keeps.
const excerptLines = 12

// Evidence is what a verdict rests on: a scenario or a probe.
type Evidence struct {
	Scenario string   `json:"scenario,omitempty"` // file
	Name     string   `json:"name"`               // scenario name or probe name
	Passed   bool     `json:"passed"`
	Step     string   `json:"step,omitempty"`     // where a scenario failed
	Problems []string `json:"problems,omitempty"` // expected versus actual
	Who      string   `json:"who,omitempty"`      // whose timeline this is
	Timeline []string `json:"timeline,omitempty"` // an excerpt, in virtual time
	Assumed  bool     `json:"assumed,omitempty"`  // rests on an [assumed] platform fact
}

// Row is one rule's verdict.
type Row struct {
	Rule     string     `json:"rule"`
	Kind     string     `json:"kind"`
	Severity string     `json:"severity"`
	Text     string     `json:"text"`
	Verdict  Verdict    `json:"verdict"`
	Assumed  bool       `json:"assumed"` // the verdict rests on an [assumed] platform fact
	Evidence []Evidence `json:"evidence,omitempty"`
	Note     string     `json:"note,omitempty"` // why a rule was not exercised, when known
}

// Report is the whole compliance verdict.
type Report struct {
	SchemaVersion int             `json:"schema_version"`
	Bot           string          `json:"bot"`
	Rows          []Row           `json:"rules"`
	Probes        []probes.Result `json:"probes"`
	Scenarios     int             `json:"scenarios"`
	Elapsed       time.Duration   `json:"elapsed_ns"`
}

// SchemaVersion is the version of the JSON report's shape.
const SchemaVersion = 1

// Counts returns how many rules passed, failed and were not exercised.
func (r *Report) Counts() (pass, fail, none int) {
	for _, row := range r.Rows {
		switch row.Verdict {
		case Pass:
			pass++
		case Fail:
			fail++
		default:
			none++
		}
	}
	return
}

// Failed reports whether any rule failed.
func (r *Report) Failed() bool { _, f, _ := r.Counts(); return f > 0 }

// RulesOf returns the rule ids among sc's tags.
func RulesOf(sc *scenarios.Scenario) []string {
	var out []string
	for _, t := range sc.Tags {
		if _, ok := rules.Lookup(t); ok {
			out = append(out, t)
		}
	}
	return out
}

// Check plays suite against the bot behind h, then the security probes, and
// judges every rule; bot names it in the report. seed overrides the
// scenarios' seeds when non-zero. An error means the bot could not be run to
// the end (for an external bot, a *external.BotError): there is no verdict
// then, only that error.
func Check(h Target, bot string, suite []*scenarios.Scenario, seed int64) (*Report, error) {
	began := time.Now()
	evidence := map[string][]Evidence{}
	opts := RunOptions(h, seed)
	var world *sim.World
	after := opts.AfterStep
	opts.AfterStep = func(w *sim.World, st *scenarios.Step) error {
		world = w
		return after(w, st)
	}
	for _, sc := range suite {
		world = nil
		res := scenarios.Run(sc, opts)
		if err := h.Err(); err != nil {
			return nil, err
		}
		ev := scenarioEvidence(sc, res, world)
		for _, id := range RulesOf(sc) {
			evidence[id] = append(evidence[id], ev)
		}
	}
	results, err := probes.Run(h)
	if err != nil {
		return nil, err
	}
	probeRows := map[string][]probes.Result{}
	for _, p := range results {
		probeRows[p.Rule] = append(probeRows[p.Rule], p)
	}
	rep := &Report{SchemaVersion: SchemaVersion, Bot: bot, Probes: results, Scenarios: len(suite)}
	for _, rule := range rules.All() {
		rep.Rows = append(rep.Rows, judge(rule, evidence[rule.ID], probeRows[rule.ID]))
	}
	rep.Elapsed = time.Since(began)
	return rep, nil
}

func scenarioEvidence(sc *scenarios.Scenario, res scenarios.Result, w *sim.World) Evidence {
	ev := Evidence{Scenario: res.File, Name: res.Name, Passed: res.Passed, Assumed: res.Assumed}
	if f := res.Failure; f != nil {
		ev.Step = fmt.Sprintf("step %d", f.Step)
		if f.StepName != "" {
			ev.Step += " (" + f.StepName + ")"
		}
		ev.Step += " at " + f.Pos.String()
		ev.Problems = f.Problems
		ev.Who, ev.Timeline = f.Who, f.Timeline
	}
	if len(ev.Timeline) == 0 && w != nil {
		for _, s := range w.Subscribers() {
			if ev.Who != "" && s.Alias != ev.Who {
				continue
			}
			ev.Who = s.Alias
			ev.Timeline = scenarios.Timeline(w, s.Alias, res.Findings)
			break
		}
	}
	if n := len(ev.Timeline); n > excerptLines {
		ev.Timeline = append([]string{fmt.Sprintf("... (%d earlier lines)", n-excerptLines)}, ev.Timeline[n-excerptLines:]...)
	}
	return ev
}

func judge(rule rules.Rule, evs []Evidence, pr []probes.Result) Row {
	row := Row{Rule: rule.ID, Kind: string(rule.Kind), Severity: string(rule.Severity), Text: rule.Text, Verdict: NotExercised}
	for _, p := range pr {
		ev := Evidence{Name: "probe " + p.Name, Passed: p.Verdict == probes.Pass,
			Problems: []string{"sent " + p.Sent, "bot answered " + p.Answer, p.Evidence}}
		if p.Verdict == probes.NotExercised {
			row.Note = "probe " + p.Name + ": " + p.Evidence
			continue
		}
		evs = append(evs, ev)
	}
	sort.SliceStable(evs, func(i, j int) bool { return !evs[i].Passed && evs[j].Passed })
	for _, ev := range evs {
		if ev.Assumed {
			row.Assumed = true
		}
		switch {
		case !ev.Passed:
			row.Verdict = Fail
		case row.Verdict == NotExercised:
			row.Verdict = Pass
		}
	}
	row.Evidence = evs
	return row
}
