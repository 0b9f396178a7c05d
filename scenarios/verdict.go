package scenarios

import (
	"sort"
	"strconv"

	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/rules"
)

// Verdict is what one scenario's result charges to the bot, rule by rule.
// A rule is charged only on its own evidence: a finding of that rule, or a
// failed expectation that names it. One mistake is one failure: a
// subscriber's first finding stands, and the later problems it explains
// (their other findings, an expectation that fails after it) are listed
// under it as consequences.
type Verdict struct {
	// Findings are the findings that stand on their own, in ledger order,
	// each with its consequences.
	Findings []findings.Finding
	// Failed are the failed expectations (or steps) that no earlier
	// finding explains. One that names no rule is a contract failure.
	Failed []FailedCheck
}

// FailedCheck is a failed expectation, or a step that failed, charged to a
// rule or, with Rule empty, to the trigger contract.
type FailedCheck struct {
	Rule    string `json:"rule,omitempty"`
	Problem string `json:"problem"`
	Step    string `json:"step"`              // "step 6 (expect) at file:line:col"
	Trigger string `json:"trigger,omitempty"` // the last trigger before the step
}

// Contract reports whether the check names no rule: the bot did not do
// what the trigger contract asks.
func (c FailedCheck) Contract() bool { return c.Rule == "" }

// Verdict judges the result. A passing scenario can still charge findings.
func (r Result) Verdict() Verdict {
	var v Verdict
	first := map[string]int{} // psid -> index in v.Findings of their first finding
	for _, f := range r.Findings {
		i, seen := first[f.PSID]
		if seen && f.PSID != "" && v.Findings[i].Rule != f.Rule {
			v.Findings[i].Consequences = append(v.Findings[i].Consequences, f.String())
			continue
		}
		f.Consequences = nil
		v.Findings = append(v.Findings, f)
		if !seen {
			first[f.PSID] = len(v.Findings) - 1
		}
	}
	f := r.Failure
	if f == nil {
		return v
	}
	explainedBy := -1
	for i, x := range v.Findings {
		if f.Order > 0 && x.Order > f.Order {
			continue
		}
		if explainedBy < 0 || (x.PSID == f.PSID && f.PSID != "" && v.Findings[explainedBy].PSID != f.PSID) {
			explainedBy = i
		}
	}
	step := f.StepLabel()
	for i, p := range f.Problems {
		rule := ""
		if i < len(f.Rules) {
			rule = f.Rules[i]
		}
		if explainedBy >= 0 {
			v.Findings[explainedBy].Consequences = append(v.Findings[explainedBy].Consequences, p)
			continue
		}
		v.Failed = append(v.Failed, FailedCheck{Rule: rule, Problem: p, Step: step, Trigger: f.Trigger})
	}
	return v
}

// StepLabel names the failing step: "step 6 (expect) at file:line:col".
func (f *Failure) StepLabel() string {
	s := "step " + itoa(f.Step)
	if f.StepName != "" {
		s += " (" + f.StepName + ")"
	}
	return s + " at " + f.Pos.String()
}

// Charged returns the rules the verdict fails whose severity is at least
// min, sorted; contract failures are not rules and are not among them.
func (v Verdict) Charged(min rules.Severity) []string {
	seen := map[string]bool{}
	var out []string
	add := func(id string) {
		r, ok := rules.Lookup(id)
		if ok && !seen[id] && rules.AtLeast(r.Severity, min) {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, f := range v.Findings {
		add(f.Rule)
	}
	for _, c := range v.Failed {
		if !c.Contract() {
			add(c.Rule)
		}
	}
	sortStrings(out)
	return out
}

// Contract returns the contract failures of the verdict.
func (v Verdict) Contract() []FailedCheck {
	var out []FailedCheck
	for _, c := range v.Failed {
		if c.Contract() {
			out = append(out, c)
		}
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func sortStrings(s []string) { sort.Strings(s) }
