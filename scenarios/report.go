package scenarios

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/internal/reportdoc"
	"github.com/otnsim/otnsim/lifeline"
	"github.com/otnsim/otnsim/rules"
)

// ReportSchemaVersion is the version of the JSON report's schema
// (scenarios/report.schema.json). It grows when fields are added and
// changes meaning only with a new major number.
const ReportSchemaVersion = 1

// ReportSchemaID is the JSON report's schema field.
const ReportSchemaID = "otnsim-report"

// ReportError says why a report holds no verdict: the run could not be
// carried out (a bad scenario file, a bot that crashed or hung). It is the
// JSON report's "error" object and the JUnit report's <error>.
type ReportError = reportdoc.Error

// Report is one run of many scenarios, as the JSON and JUnit reports show it.
type Report struct {
	Tool    string // e.g. "otnsim dev"
	Seed    int64  // the --seed override, 0 if none
	Started time.Time
	Elapsed time.Duration
	Results []Result
	// Error, when set, says why the run has no verdict (otnsim run exits 2);
	// Results are then empty.
	Error *ReportError
}

// Counts returns how many results passed and failed.
func (r Report) Counts() (passed, failed int) {
	for _, res := range r.Results {
		if res.Passed {
			passed++
		} else {
			failed++
		}
	}
	return passed, failed
}

// jsonReport is the JSON report's top level (schema version 1).
type jsonReport struct {
	Schema    string         `json:"schema"`
	Version   int            `json:"version"`
	Tool      string         `json:"tool"`
	Seed      int64          `json:"seed"`
	StartedAt string         `json:"started_at"`
	ElapsedMS float64        `json:"elapsed_ms"`
	Summary   jsonSummary    `json:"summary"`
	Error     *ReportError   `json:"error,omitempty"`
	Scenarios []jsonScenario `json:"scenarios"`
}

type jsonSummary struct {
	Total  int `json:"total"`
	Passed int `json:"passed"`
	Failed int `json:"failed"`
}

type jsonScenario struct {
	File      string              `json:"file"`
	Name      string              `json:"name"`
	Case      string              `json:"case,omitempty"`
	Tags      []string            `json:"tags"`
	Seed      int64               `json:"seed"`
	Passed    bool                `json:"passed"`
	ElapsedMS float64             `json:"elapsed_ms"`
	VirtualMS int64               `json:"virtual_ms"`
	Steps     int                 `json:"steps"`
	Assumed   bool                `json:"assumed"`
	Findings  []findings.Finding  `json:"findings"`
	Verdict   jsonVerdict         `json:"verdict"`
	Failure   *jsonFailure        `json:"failure,omitempty"`
	Lifelines []lifeline.Lifeline `json:"lifelines,omitempty"`
	// LifelinesOmitted counts the subscribers of a failed scenario who got
	// no lifeline.
	LifelinesOmitted int `json:"lifelines_omitted,omitempty"`
}

type jsonVerdict struct {
	Rules    []string           `json:"rules"`
	Findings []findings.Finding `json:"findings"`
	Failed   []FailedCheck      `json:"failed"`
}

type jsonFailure struct {
	Step     int      `json:"step"`
	StepName string   `json:"step_name,omitempty"`
	Position string   `json:"position"`
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Problems []string `json:"problems"`
	Rules    []string `json:"rules,omitempty"`
	Who      string   `json:"who,omitempty"`
	Timeline []string `json:"timeline"`
	Trigger  string   `json:"trigger,omitempty"`
}

func ms(d time.Duration) float64 { return reportdoc.Milliseconds(d) }

// WriteJSON writes the report as JSON, in the documented, versioned schema.
func (r Report) WriteJSON(w io.Writer) error {
	passed, failed := r.Counts()
	out := jsonReport{
		Schema:    ReportSchemaID,
		Version:   ReportSchemaVersion,
		Tool:      reportdoc.Tool(r.Tool),
		Seed:      r.Seed,
		StartedAt: reportdoc.StartedAt(r.Started),
		ElapsedMS: ms(r.Elapsed),
		Summary:   jsonSummary{Total: len(r.Results), Passed: passed, Failed: failed},
		Error:     r.Error,
		Scenarios: make([]jsonScenario, 0, len(r.Results)),
	}
	for _, res := range r.Results {
		js := jsonScenario{
			File: res.File, Name: res.Name, Case: res.Case, Tags: res.Tags, Seed: res.Seed,
			Passed: res.Passed, ElapsedMS: ms(res.Elapsed), VirtualMS: res.Virtual.Milliseconds(),
			Steps: res.Steps, Assumed: res.Assumed, Findings: res.Findings, Lifelines: res.Lifelines, LifelinesOmitted: res.LifelinesOmitted,
		}
		if js.Tags == nil {
			js.Tags = []string{}
		}
		if js.Findings == nil {
			js.Findings = []findings.Finding{}
		}
		v := res.Verdict()
		js.Verdict = jsonVerdict{Rules: v.Charged(rules.Info), Findings: v.Findings, Failed: v.Failed}
		if js.Verdict.Rules == nil {
			js.Verdict.Rules = []string{}
		}
		if js.Verdict.Findings == nil {
			js.Verdict.Findings = []findings.Finding{}
		}
		if js.Verdict.Failed == nil {
			js.Verdict.Failed = []FailedCheck{}
		}
		if f := res.Failure; f != nil {
			js.Failure = &jsonFailure{
				Step: f.Step, StepName: f.StepName, Position: f.Pos.String(), Line: f.Pos.Line, Column: f.Pos.Col,
				Problems: f.Problems, Rules: f.Rules, Who: f.Who, Timeline: f.Timeline, Trigger: f.Trigger,
			}
			if js.Failure.Problems == nil {
				js.Failure.Problems = []string{}
			}
			if js.Failure.Timeline == nil {
				js.Failure.Timeline = []string{}
			}
		}
		out.Scenarios = append(out.Scenarios, js)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}
