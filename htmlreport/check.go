package htmlreport

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/internal/reportdoc"
	"github.com/otnsim/otnsim/rules"
)

// checkReport is the JSON report of otnsim check
// (compliance/report.schema.json): its header, then compliance.Report's
// own fields.
type checkReport struct {
	Tool      string           `json:"tool"`
	StartedAt string           `json:"started_at"`
	ElapsedMS float64          `json:"elapsed_ms"`
	Error     *reportdoc.Error `json:"error"`
	compliance.Report
}

// checkPage lays out an otnsim check report: every rule's verdict with its
// evidence, the contract failures, the probes, and the lifelines of the
// failed scenarios.
func checkPage(src []byte) (*page, error) {
	var r checkReport
	if err := json.Unmarshal(src, &r); err != nil {
		return nil, fmt.Errorf("read check report: %w", err)
	}
	p := &page{Kind: "check", Title: "otnsim check: " + r.Bot, Tool: r.Tool, Started: shortTime(r.StartedAt), Error: r.Error, Late: r.LateSteps}
	pass, fail, none := r.Counts()
	level := rules.Severity(r.FailOn)
	if level == "" {
		level = rules.Failure
	}
	failing := len(r.Failing(level))
	p.Stats = []stat{
		{"bot", r.Bot}, {"rules", strconv.Itoa(len(r.Rows))}, {"passed", strconv.Itoa(pass)}, {"failed", strconv.Itoa(fail)},
		{"not exercised", strconv.Itoa(none)}, {"contract failures", strconv.Itoa(len(r.Contract))},
		{"scenarios", strconv.Itoa(r.Scenarios)}, {"fail on", string(level)},
		{"wall time", reportdoc.Duration(r.ElapsedMS).Round(time.Millisecond).String()},
	}
	if r.LateCalls > 0 {
		p.Stats = append(p.Stats, stat{"late calls", strconv.Itoa(r.LateCalls)})
	}
	switch {
	case r.Error != nil:
		p.Verdict, p.Headline = "ERROR", "no verdict: "+r.Error.Message
	case r.Failed():
		p.Verdict, p.Headline = "FAIL", fmt.Sprintf("%d rules fail the check (at %s or above), %d contract failures", failing, level, len(r.Contract))
	default:
		p.Verdict, p.Headline = "PASS", fmt.Sprintf("%d of %d rules passed, none failed at %s or above", pass, len(r.Rows), level)
	}
	drawn := map[string]string{} // scenario file and name -> the anchor of its lifelines
	for i, g := range r.Lifelines {
		lg := lifelineGroup{ID: anchor("scenario", i), Title: g.Name, Href: fileHref(g.Scenario, 0), Note: g.Scenario, Omitted: g.Omitted}
		for j, l := range g.Lifelines {
			lg.Lifelines = append(lg.Lifelines, layoutLifeline(l, anchor(lg.ID+"-lifeline", j)))
		}
		p.Groups = append(p.Groups, lg)
		drawn[g.Scenario+"\x00"+g.Name] = lg.ID
	}
	evidence := func(ev compliance.Evidence) evidenceView {
		v := evidenceView{Name: joinNonEmpty(": ", ev.Scenario, ev.Name), Href: stepHref(ev.Step, fileHref(ev.Scenario, 0)), Where: ev.Step,
			Trigger: ev.Trigger, Problems: ev.Problems, Consequences: ev.Consequences, Passed: ev.Passed,
			Lifelines: drawn[ev.Scenario+"\x00"+ev.Name]}
		if ev.Finding != nil {
			v.Finding = ev.Finding.String()
			v.Problems = nil // the finding says it
			for _, pr := range ev.Problems {
				if !strings.Contains(v.Finding, pr) {
					v.Problems = append(v.Problems, pr)
				}
			}
		}
		if v.Lifelines == "" && !ev.Passed {
			v.Timeline = ev.Timeline
		}
		return v
	}
	for _, row := range r.Rows {
		rr := ruleRow{ID: row.Rule, Kind: row.Kind, Severity: row.Severity, Text: row.Text, Note: row.Note}
		switch row.Verdict {
		case compliance.Fail:
			rr.Verdict, rr.Label = "fail", "FAIL"
			if !rules.AtLeast(rules.Severity(row.Severity), level) {
				rr.Label = "FAIL (below --fail-on)"
			}
		case compliance.Pass:
			rr.Verdict, rr.Label = "pass", "PASS"
		default:
			rr.Verdict, rr.Label = "none", "not exercised"
		}
		if row.Assumed {
			rr.Note = joinNonEmpty("; ", rr.Note, "assumed: "+row.Assumption)
		}
		for _, ev := range row.Evidence {
			if row.Verdict != compliance.Fail || !ev.Passed {
				rr.Evidence = append(rr.Evidence, evidence(ev))
			}
		}
		p.Rules = append(p.Rules, rr)
	}
	sortRules(p.Rules)
	for _, ev := range r.Contract {
		p.Contract = append(p.Contract, evidence(ev))
	}
	for _, pr := range r.Probes {
		p.Probes = append(p.Probes, probeRow{Name: pr.Name, Rule: pr.Rule, Verdict: pr.Verdict, Sent: pr.Sent, Answer: pr.Answer, Evidence: pr.Evidence})
	}
	return p, nil
}
