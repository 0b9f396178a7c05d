package htmlreport

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/internal/reportdoc"
	"github.com/otnsim/otnsim/lifeline"
	"github.com/otnsim/otnsim/rules"
)

// runReport is the JSON report of otnsim run (scenarios/report.schema.json).
type runReport struct {
	Tool      string           `json:"tool"`
	StartedAt string           `json:"started_at"`
	ElapsedMS float64          `json:"elapsed_ms"`
	Seed      int64            `json:"seed"`
	Error     *reportdoc.Error `json:"error"`
	Summary   struct {
		Total, Passed, Failed int
	} `json:"summary"`
	Scenarios []runScenario `json:"scenarios"`
}

type runScenario struct {
	File      string             `json:"file"`
	Name      string             `json:"name"`
	Tags      []string           `json:"tags"`
	Passed    bool               `json:"passed"`
	VirtualMS int64              `json:"virtual_ms"`
	Findings  []findings.Finding `json:"findings"`
	Verdict   struct {
		Rules    []string           `json:"rules"`
		Findings []findings.Finding `json:"findings"`
		Failed   []struct {
			Rule    string `json:"rule"`
			Problem string `json:"problem"`
			Step    string `json:"step"`
			Trigger string `json:"trigger"`
		} `json:"failed"`
	} `json:"verdict"`
	Failure *struct {
		Position string   `json:"position"`
		Line     int      `json:"line"`
		StepName string   `json:"step_name"`
		Step     int      `json:"step"`
		Problems []string `json:"problems"`
		Trigger  string   `json:"trigger"`
		Timeline []string `json:"timeline"`
	} `json:"failure"`
	Lifelines []lifeline.Lifeline `json:"lifelines"`
	Omitted   int                 `json:"lifelines_omitted"`
}

// runPage lays out an otnsim run report: the rules' verdicts over the
// run, the scenarios, and the lifelines of the failed ones.
func runPage(src []byte) (*page, error) {
	var r runReport
	if err := json.Unmarshal(src, &r); err != nil {
		return nil, fmt.Errorf("read run report: %w", err)
	}
	p := &page{Kind: "run", Title: "otnsim run", Tool: r.Tool, Started: shortTime(r.StartedAt), Error: r.Error}
	p.Stats = []stat{
		{"scenarios", strconv.Itoa(r.Summary.Total)}, {"passed", strconv.Itoa(r.Summary.Passed)},
		{"failed", strconv.Itoa(r.Summary.Failed)}, {"wall time", reportdoc.Duration(r.ElapsedMS).Round(time.Millisecond).String()},
	}
	if r.Seed != 0 {
		p.Stats = append(p.Stats, stat{"seed", strconv.FormatInt(r.Seed, 10)})
	}
	switch {
	case r.Error != nil:
		p.Verdict, p.Headline = "ERROR", "no verdict: "+r.Error.Message
	case r.Summary.Failed > 0:
		p.Verdict, p.Headline = "FAIL", fmt.Sprintf("%d of %d scenarios failed", r.Summary.Failed, r.Summary.Total)
	default:
		p.Verdict, p.Headline = "PASS", fmt.Sprintf("all %d scenarios passed", r.Summary.Total)
	}
	failing := map[string][]evidenceView{}
	exercised := map[string]bool{}
	for i, sc := range r.Scenarios {
		row := scenarioRow{Name: sc.Name, File: sc.File, Href: fileHref(sc.File, 0), Passed: sc.Passed,
			Rules: sc.Verdict.Rules, Virtual: human(time.Duration(sc.VirtualMS) * time.Millisecond)}
		if len(sc.Lifelines) > 0 {
			g := lifelineGroup{ID: anchor("scenario", i), Title: sc.Name, Href: fileHref(sc.File, 0), Note: sc.File, Omitted: sc.Omitted}
			for j, l := range sc.Lifelines {
				g.Lifelines = append(g.Lifelines, layoutLifeline(l, anchor(g.ID+"-lifeline", j)))
			}
			p.Groups = append(p.Groups, g)
			row.Lifelines = g.ID
		}
		if f := sc.Failure; f != nil {
			row.Where = f.Position
			row.Href = fileHref(sc.File, f.Line)
			row.Problems = f.Problems
		}
		p.Runs = append(p.Runs, row)
		// A scenario exercises the rules it is tagged with when it passed,
		// or when its failure is another rule's; a failure that is no
		// rule's (a contract failure) kept it from judging them.
		if sc.Passed || len(sc.Verdict.Rules) > 0 {
			for _, t := range sc.Tags {
				exercised[t] = true
			}
		}
		if sc.Passed {
			// A passing scenario's findings are the ones it set out to
			// show (its expectations name them): they exercise the rule.
			for _, f := range sc.Verdict.Findings {
				exercised[f.Rule] = true
			}
			continue
		}
		for _, f := range sc.Verdict.Findings {
			ev := evidenceView{Name: sc.Name, Href: fileHref(sc.File, 0), Where: "at " + stamp(f.At), Finding: f.String(),
				Consequences: f.Consequences, Lifelines: row.Lifelines}
			if e := f.Evidence(); e != "" {
				ev.Where += " (" + e + ")"
			}
			failing[f.Rule] = append(failing[f.Rule], ev)
		}
		for _, c := range sc.Verdict.Failed {
			id := c.Rule
			if id == "" {
				id = "contract"
			}
			ev := evidenceView{Name: sc.Name, Href: stepHref(c.Step, row.Href), Where: c.Step, Trigger: c.Trigger, Problems: []string{c.Problem},
				Lifelines: row.Lifelines}
			if f := sc.Failure; f != nil && len(sc.Lifelines) == 0 {
				ev.Timeline = f.Timeline
			}
			if id == "contract" {
				p.Contract = append(p.Contract, ev)
				continue
			}
			failing[id] = append(failing[id], ev)
		}
	}
	for _, rule := range rules.All() {
		row := ruleRow{ID: rule.ID, Kind: string(rule.Kind), Severity: string(rule.Severity), Text: rule.Text}
		switch ev := failing[rule.ID]; {
		case len(ev) > 0:
			row.Verdict, row.Label, row.Evidence = "fail", "FAIL", ev
		case exercised[rule.ID]:
			row.Verdict, row.Label = "pass", "PASS"
		default:
			row.Verdict, row.Label = "none", "not exercised"
			row.Note = "no scenario of the run that judged it is tagged " + rule.ID
		}
		p.Rules = append(p.Rules, row)
	}
	if r.Error != nil {
		p.Rules = nil
	}
	sortRules(p.Rules)
	p.Stats = append(p.Stats, stat{"rules failed", strconv.Itoa(countVerdict(p.Rules, "fail"))})
	return p, nil
}

// sortRules puts the failed rules first, then the passed, then those not
// exercised, each in catalogue order.
func sortRules(rows []ruleRow) {
	rank := map[string]int{"fail": 0, "pass": 1, "none": 2}
	sort.SliceStable(rows, func(i, j int) bool { return rank[rows[i].Verdict] < rank[rows[j].Verdict] })
}

func countVerdict(rows []ruleRow, v string) int {
	n := 0
	for _, r := range rows {
		if r.Verdict == v {
			n++
		}
	}
	return n
}

// joinNonEmpty joins the non-empty parts with sep.
func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
