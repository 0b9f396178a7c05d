package report

import (
	"sort"

	"github.com/otnsim/otnsim/lifeline"

	"github.com/otnsim/otnsim/rules"
)

// FindingSample is the first subscriber (lowest global index) behind a rule's
// findings, with what happened and the command that replays them.
type FindingSample struct {
	Subscriber int    `json:"subscriber"`
	PSID       string `json:"psid,omitempty"`
	At         string `json:"at"` // virtual time of the first finding
	Detail     string `json:"detail"`
	Replay     string `json:"replay,omitempty"`
	// Lifeline is the subscriber's story, for the MaxLifelines rules with
	// the most findings.
	Lifeline *lifeline.Lifeline `json:"lifeline,omitempty"`
}

// AddSample keeps s as rule's sample unless one of a lower subscriber index
// is already kept, so that any split of the run keeps the same sample.
func (r *Report) AddSample(rule string, s FindingSample) {
	if r.Samples == nil {
		r.Samples = map[string]FindingSample{}
	}
	if old, ok := r.Samples[rule]; ok && (old.Subscriber < s.Subscriber || (old.Subscriber == s.Subscriber && old.At <= s.At)) {
		return
	}
	r.Samples[rule] = s
}

// TrimLifelines keeps the lifelines of the samples of the MaxLifelines
// rules with the most findings (ties by id) and drops the others.
func (r *Report) TrimLifelines() {
	kept := 0
	for _, id := range r.RulesByFindings() {
		s, ok := r.Samples[id]
		if !ok {
			continue
		}
		if kept++; kept > MaxLifelines {
			s.Lifeline = nil
			r.Samples[id] = s
		}
	}
}

// RulesByFindings returns the rules with findings, most findings first
// (ties by id).
func (r *Report) RulesByFindings() []string {
	out := make([]string, 0, len(r.Findings))
	for id, n := range r.Findings {
		if n > 0 {
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if r.Findings[out[i]] != r.Findings[out[j]] {
			return r.Findings[out[i]] > r.Findings[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

// ParseSeverity reads a --fail-on level: failure, warning or info.
func ParseSeverity(s string) (rules.Severity, error) { return rules.ParseSeverity(s) }

// Failing returns the rules with findings at or above level, most findings
// first (ties by id).
func (r *Report) Failing(level rules.Severity) []string {
	var out []string
	for _, id := range r.RulesByFindings() {
		if rules.AtLeast(rules.SeverityOf(id), level) {
			out = append(out, id)
		}
	}
	return out
}

// Verdict reports whether the run passes at level: no invariant broken and
// no finding of a rule whose severity is level or above.
func (r *Report) Verdict(level rules.Severity) bool {
	return r.Passed() && len(r.Failing(level)) == 0
}

// level is the report's --fail-on, failure by default.
func (r *Report) level() rules.Severity {
	if r.FailOn == "" {
		return rules.Failure
	}
	return rules.Severity(r.FailOn)
}

// OK reports whether the run passes at its own FailOn level.
func (r *Report) OK() bool { return r.Verdict(r.level()) }
