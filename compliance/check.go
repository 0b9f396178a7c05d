// Package compliance judges a bot under test rule by rule, the way h2spec
// judges an HTTP/2 server: it plays the compliance suite's scenarios against
// the bot and sends it the security probes, then gives every rule of the
// catalogue a verdict (pass, fail, or not exercised) with the evidence: the
// scenario, the failing step, and an excerpt of the subscriber's timeline.
//
// A scenario exercises the rules whose ids are among its tags; a rule fails
// only on its own evidence (a finding of it, or a failed expectation that
// names it).
package compliance

import (
	"fmt"
	"strings"
	"time"

	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/lifeline"
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

// Evidence is what a verdict rests on: a finding, a failed expectation, a
// passing scenario, or a probe.
type Evidence struct {
	Scenario string `json:"scenario,omitempty"` // file
	Name     string `json:"name"`               // scenario name or probe name
	Passed   bool   `json:"passed"`
	Step     string `json:"step,omitempty"`    // where a scenario failed
	Trigger  string `json:"trigger,omitempty"` // the last trigger before that step
	// Problems are expected versus observed, one per line.
	Problems []string `json:"problems,omitempty"`
	// Finding is the finding behind a failure, with the sequence numbers
	// of the calls and events that prove it.
	Finding *findings.Finding `json:"finding,omitempty"`
	// Consequences are the later problems the failure explains.
	Consequences []string `json:"consequences,omitempty"`
	Who          string   `json:"who,omitempty"`      // whose timeline this is
	Timeline     []string `json:"timeline,omitempty"` // an excerpt, in virtual time
}

// Row is one rule's verdict.
type Row struct {
	Rule     string  `json:"rule"`
	Kind     string  `json:"kind"`
	Severity string  `json:"severity"`
	Text     string  `json:"text"`
	Verdict  Verdict `json:"verdict"`
	// Assumed says that the rule rests on a platform behaviour Meta does
	// not document; Assumption says which.
	Assumed    bool       `json:"assumed"`
	Assumption string     `json:"assumption,omitempty"`
	Evidence   []Evidence `json:"evidence,omitempty"`
	Note       string     `json:"note,omitempty"` // why a rule was not exercised, when known
}

// Report is the whole compliance verdict. WriteJSON writes it with the
// header every otnsim report starts with (schema "otnsim-check", version
// SchemaVersion, tool, started_at, elapsed_ms, summary, error); the fields
// tagged json:"-" are in that header.
type Report struct {
	SchemaVersion int    `json:"-"`
	Bot           string `json:"bot"`
	// FailOn is the least severity of a failed rule that fails the check.
	FailOn string `json:"fail_on"`
	Rows   []Row  `json:"rules"`
	// Contract lists the failures that are no rule's: the bot did not do
	// what a trigger of the contract asks. Each fails the check.
	Contract  []Evidence      `json:"contract"`
	Probes    []probes.Result `json:"probes"`
	Scenarios int             `json:"scenarios"`
	Elapsed   time.Duration   `json:"-"`
	// Tool names what wrote the report, as "otnsim VERSION".
	Tool string `json:"-"`
	// Started is when the check began.
	Started time.Time `json:"-"`
	// Error, when set, says why there is no verdict (the bot could not be
	// run to the end, the suite could not be read): Rows, Contract and
	// Probes are then empty, and otnsim check exits 2.
	Error *ReportError `json:"-"`
	// LateCalls counts the Graph API calls the bot made after otnsim had
	// closed their step (it sent after answering, later than --settle
	// allowed): the verdicts were given without them.
	LateCalls int `json:"late_calls"`
	// LateSteps names the requests those calls came after, with the step
	// of the scenario that sent them: the first few, without repeats.
	LateSteps []string `json:"late_steps,omitempty"`
	// Lifelines holds, for each failed scenario in suite order, every
	// subscriber's lifeline: the evidence that names the scenario (file
	// and name) is drawn on them.
	Lifelines []ScenarioLifelines `json:"lifelines,omitempty"`
}

// ScenarioLifelines are the lifelines of one failed scenario.
type ScenarioLifelines struct {
	Scenario  string              `json:"scenario"` // file
	Name      string              `json:"name"`
	Lifelines []lifeline.Lifeline `json:"lifelines"`
	// Omitted counts the scenario's subscribers who got no lifeline.
	Omitted int `json:"omitted,omitempty"`
}

// SchemaVersion is the version of the JSON report's shape
// (compliance/report.schema.json). Version 1 had no header (schema_version,
// elapsed_ns); version 2 has the header every otnsim report starts with.
const SchemaVersion = 2

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

// Failing returns the failed rules whose severity is level or above.
func (r *Report) Failing(level rules.Severity) []string {
	var out []string
	for _, row := range r.Rows {
		if row.Verdict == Fail && rules.AtLeast(rules.Severity(row.Severity), level) {
			out = append(out, row.Rule)
		}
	}
	return out
}

// Failed reports whether the check fails at its FailOn level (failure
// when unset): a failed rule of that severity or above, or a contract
// failure.
func (r *Report) Failed() bool {
	return len(r.Contract) > 0 || len(r.Failing(r.level())) > 0
}

// level is the report's FailOn, failure when unset.
func (r *Report) level() rules.Severity {
	if r.FailOn == "" {
		return rules.Failure
	}
	return rules.Severity(r.FailOn)
}

// RulesOf returns the rule ids among sc's tags: the rules it exercises.
func RulesOf(sc *scenarios.Scenario) []string {
	var out []string
	for _, t := range sc.Tags {
		if _, ok := rules.Lookup(t); ok {
			out = append(out, t)
		}
	}
	return out
}

// Options tunes a check.
type Options struct {
	// Seed overrides the scenarios' seeds when non-zero.
	Seed int64
	// Checks, when set, replaces every scenario's practice thresholds.
	Checks *findings.Options
	// FailOn is the least severity that fails the check; empty means
	// failure.
	FailOn rules.Severity
	// Only, when set, judges that rule alone: the report has its row only,
	// and the probes run only when they judge it.
	Only string
	// Pool, when set, holds more bots of the same kind as the checked one
	// (the same command started again, each with its own Graph listener):
	// the scenarios are then played on all of them at once (see Play). The
	// report is the same as a serial run's; the probes go to the first bot.
	Pool []Target
	// Progress, when set, is told of each scenario as its verdict is in,
	// in suite order, then of the security probes (one group): done of
	// total, the scenario (file and name) or "security probes", and
	// whether it passed.
	Progress func(done, total int, name string, passed bool)
}

// Check plays suite against the bot behind h, then the security probes, and
// judges every rule; bot names it in the report. seed overrides the
// scenarios' seeds when non-zero. An error means the bot could not be run to
// the end (for an external bot, a *external.BotError): there is no verdict
// then, only that error.
func Check(h Target, bot string, suite []*scenarios.Scenario, seed int64) (*Report, error) {
	return CheckWith(h, bot, suite, Options{Seed: seed})
}

// CheckWith is Check with options. A rule fails only on its own evidence:
// a finding of that rule, or a failed expectation that names it. Tags only
// say which rules a scenario exercises. A failed expectation that names no
// rule is a contract failure; a problem that an earlier finding explains is
// shown under that finding.
func CheckWith(h Target, bot string, suite []*scenarios.Scenario, o Options) (*Report, error) {
	began := time.Now()
	rep := &Report{SchemaVersion: SchemaVersion, Bot: bot, FailOn: string(o.FailOn), Scenarios: len(suite), Contract: []Evidence{}}
	if rep.FailOn == "" {
		rep.FailOn = string(rules.Failure)
	}
	targets := append([]Target{h}, o.Pool...)
	total := len(suite) + 1
	judged := make([]*scenarioVerdict, len(suite))
	reported := 0
	_, err := Play(targets, suite, PlayOptions{Seed: o.Seed, Checks: o.Checks, Done: func(i int, res scenarios.Result, w *sim.World) {
		judged[i] = judgeScenario(suite[i], res, w)
		for ; reported < len(suite) && judged[reported] != nil; reported++ {
			if o.Progress != nil {
				v := judged[reported]
				o.Progress(reported+1, total, v.name, v.passed)
			}
		}
	}})
	if err != nil {
		return nil, err
	}
	fails := map[string][]Evidence{}
	passes := map[string][]Evidence{}
	blocked := map[string][]string{}
	for _, v := range judged {
		for _, f := range v.fails {
			fails[f.rule] = append(fails[f.rule], f.ev)
		}
		rep.Contract = append(rep.Contract, v.contract...)
		for _, p := range v.passes {
			passes[p.rule] = append(passes[p.rule], p.ev)
		}
		for _, id := range v.blocked {
			blocked[id] = append(blocked[id], v.file)
		}
		if len(v.lifelines) > 0 {
			rep.Lifelines = append(rep.Lifelines, ScenarioLifelines{Scenario: v.file, Name: v.scenario, Lifelines: v.lifelines, Omitted: v.omitted})
		}
	}
	var results []probes.Result
	if only, _ := rules.Lookup(o.Only); o.Only == "" || only.Kind == rules.Security {
		if lt, ok := h.(lateTarget); ok {
			lt.Step("the security probes")
		}
		if results, err = probes.Run(h); err != nil {
			return nil, err
		}
	}
	rep.Probes = results
	if o.Progress != nil {
		passed := true
		for _, p := range results {
			passed = passed && p.Verdict != probes.Fail
		}
		o.Progress(total, total, "security probes", passed)
	}
	probeRows := map[string][]probes.Result{}
	for _, p := range results {
		probeRows[p.Rule] = append(probeRows[p.Rule], p)
	}
	for _, rule := range rules.All() {
		if o.Only != "" && rule.ID != o.Only {
			continue
		}
		rep.Rows = append(rep.Rows, judge(rule, fails[rule.ID], passes[rule.ID], blocked[rule.ID], probeRows[rule.ID]))
	}
	rep.Started = began
	late := LateCalls(targets)
	rep.LateCalls = len(late)
	seen := map[string]bool{}
	for _, l := range late {
		step := l.After
		if l.Step != "" {
			step += " (" + l.Step + ")"
		}
		if !seen[step] && len(rep.LateSteps) < maxLateSteps {
			seen[step] = true
			rep.LateSteps = append(rep.LateSteps, step)
		}
	}
	rep.Elapsed = time.Since(began)
	return rep, nil
}

// maxLateSteps is how many steps with late calls a report names.
const maxLateSteps = 10

// scenarioVerdict is what one scenario's result says of the rules.
type scenarioVerdict struct {
	file, name string
	passed     bool
	fails      []ruleEvidence // in the scenario's order
	contract   []Evidence
	passes     []ruleEvidence
	blocked    []string // rules its failure kept from being judged
	scenario   string   // the scenario's own name
	lifelines  []lifeline.Lifeline
	omitted    int
}

type ruleEvidence struct {
	rule string
	ev   Evidence
}

// judgeScenario charges the result of sc, played in w, rule by rule.
func judgeScenario(sc *scenarios.Scenario, res scenarios.Result, w *sim.World) *scenarioVerdict {
	out := &scenarioVerdict{file: res.File, name: res.File + " (" + res.Name + ")", passed: res.Passed,
		scenario: res.Name, lifelines: res.Lifelines, omitted: res.LifelinesOmitted}
	v := res.Verdict()
	charged := map[string]bool{}
	for _, f := range v.Findings {
		charged[f.Rule] = true
		out.fails = append(out.fails, ruleEvidence{f.Rule, findingEvidence(res, w, f)})
	}
	for _, c := range v.Failed {
		ev := checkEvidence(res, w, c)
		if c.Contract() {
			out.contract = append(out.contract, ev)
			continue
		}
		charged[c.Rule] = true
		out.fails = append(out.fails, ruleEvidence{c.Rule, ev})
	}
	others := v.Charged(rules.Info)
	for _, id := range RulesOf(sc) {
		switch {
		case charged[id]:
		case res.Passed:
			out.passes = append(out.passes, ruleEvidence{id, Evidence{Scenario: res.File, Name: res.Name, Passed: true}})
		case len(others) > 0:
			// The scenario's failure is another rule's: nothing in it
			// breaks this one.
			out.passes = append(out.passes, ruleEvidence{id, Evidence{Scenario: res.File, Name: res.Name, Passed: true,
				Problems: []string{"its failure is charged to " + strings.Join(others, ", ") + ", not to this rule"}}})
		default:
			out.blocked = append(out.blocked, id)
		}
	}
	return out
}

// findingEvidence shows a finding with the timeline of its subscriber
// around it.
func findingEvidence(res scenarios.Result, w *sim.World, f findings.Finding) Evidence {
	ev := Evidence{Scenario: res.File, Name: res.Name, Problems: []string{f.Detail}, Consequences: f.Consequences}
	ev.Finding = &f
	ev.Step = "at " + f.At.UTC().Format(findings.TimeFormat)
	if e := f.Evidence(); e != "" {
		ev.Step += " (" + e + ")"
	}
	if w == nil {
		return ev
	}
	led := w.Graph.Ledger()
	if f.PSID == "" {
		ev.Who = "no known subscriber"
		for _, c := range led.CallsFor("") {
			if c.PSID == "" {
				ev.Timeline = append(ev.Timeline, c.At.UTC().Format(findings.TimeFormat)+"  call #"+fmt.Sprint(c.Seq)+"  "+c.Describe())
			}
		}
		ev.Timeline = excerpt(ev.Timeline, len(ev.Timeline)-1)
		return ev
	}
	for _, s := range w.Subscribers() {
		if s.PSID == f.PSID {
			ev.Who = s.Alias
		}
	}
	if ev.Who == "" {
		ev.Who = f.PSID
	}
	lines := findings.Timeline(led, f.PSID, res.Findings)
	at := len(lines) - 1
	for i, l := range lines {
		if strings.Contains(l, "finding "+f.String()) || (f.CallSeq > 0 && strings.Contains(l, fmt.Sprintf("call #%d  ", f.CallSeq))) {
			at = i
			break
		}
	}
	ev.Timeline = excerpt(lines, at)
	return ev
}

// checkEvidence shows a failed expectation or step with the timeline of the
// subscriber it concerns.
func checkEvidence(res scenarios.Result, w *sim.World, c scenarios.FailedCheck) Evidence {
	ev := Evidence{Scenario: res.File, Name: res.Name, Step: c.Step, Trigger: c.Trigger, Problems: []string{c.Problem}}
	if f := res.Failure; f != nil {
		ev.Who, ev.Timeline = f.Who, f.Timeline
	}
	if len(ev.Timeline) == 0 && w != nil {
		for _, s := range w.Subscribers() {
			ev.Who = s.Alias
			ev.Timeline = scenarios.Timeline(w, s.Alias, res.Findings)
			break
		}
	}
	ev.Timeline = excerpt(ev.Timeline, len(ev.Timeline)-1)
	return ev
}

// excerpt keeps at most excerptLines of lines, ending a few lines after at.
func excerpt(lines []string, at int) []string {
	if len(lines) <= excerptLines {
		return lines
	}
	end := min(len(lines), at+4)
	begin := max(0, end-excerptLines)
	out := lines[begin:end]
	if begin > 0 {
		out = append([]string{fmt.Sprintf("... (%d earlier lines)", begin)}, out...)
	}
	if end < len(lines) {
		out = append(out, fmt.Sprintf("... (%d later lines)", len(lines)-end))
	}
	return out
}

func judge(rule rules.Rule, fails, passes []Evidence, blocked []string, pr []probes.Result) Row {
	row := Row{Rule: rule.ID, Kind: string(rule.Kind), Severity: string(rule.Severity), Text: rule.Text, Verdict: NotExercised,
		Assumed: rule.Assumption != "", Assumption: rule.Assumption}
	for _, p := range pr {
		ev := Evidence{Name: "probe " + p.Name, Passed: p.Verdict == probes.Pass,
			Problems: []string{"sent " + p.Sent, "bot answered " + p.Answer, p.Evidence}}
		switch p.Verdict {
		case probes.NotExercised:
			row.Note = "probe " + p.Name + ": " + p.Evidence
		case probes.Pass:
			passes = append(passes, ev)
		default:
			fails = append(fails, ev)
		}
	}
	switch {
	case len(fails) > 0:
		row.Verdict = Fail
	case len(passes) > 0:
		row.Verdict = Pass
	case len(blocked) > 0 && row.Note == "":
		row.Note = "its scenarios failed before judging it: " + strings.Join(blocked, ", ")
	}
	row.Evidence = append(fails, passes...)
	return row
}
