package compliance

import (
	_ "embed" // the report's JSON Schema ships in the binary
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/otnsim/otnsim/internal/junit"
	"github.com/otnsim/otnsim/internal/reportdoc"
	"github.com/otnsim/otnsim/probes"
	"github.com/otnsim/otnsim/rules"
)

//go:embed report.schema.json
var reportSchemaJSON []byte

// ReportSchema returns the JSON Schema (draft 2020-12) of the JSON report,
// version SchemaVersion. Each call returns a fresh copy.
func ReportSchema() []byte { return slices.Clone(reportSchemaJSON) }

// ReportError says why a report holds no verdict: the bot could not be run
// to the end (its failure kind, message and last output), or the suite
// could not be read. It is the JSON report's "error" object and the JUnit
// report's <error>.
type ReportError = reportdoc.Error

// SchemaID is the JSON report's schema field.
const SchemaID = "otnsim-check"

// reportBody is Report without its methods, so that jsonReport can embed
// it: its fields follow the header, in their order.
type reportBody Report

// jsonReport is the JSON report: the header every otnsim report starts
// with, then the body.
type jsonReport struct {
	Schema    string       `json:"schema"`
	Version   int          `json:"version"`
	Tool      string       `json:"tool"`
	StartedAt string       `json:"started_at"`
	ElapsedMS float64      `json:"elapsed_ms"`
	Summary   jsonSummary  `json:"summary"`
	Error     *ReportError `json:"error,omitempty"`
	*reportBody
}

// jsonSummary counts rules by verdict: Rules = Passed + Failed +
// NotExercised. Failing is how many of the failed fail the check (at or
// above fail_on); Contract counts the contract failures, each of which
// fails the check.
type jsonSummary struct {
	Rules        int `json:"rules"`
	Passed       int `json:"passed"`
	Failed       int `json:"failed"`
	NotExercised int `json:"not_exercised"`
	Contract     int `json:"contract"`
	Failing      int `json:"failing"`
}

// WriteJSON writes the report as indented JSON, in the versioned shape of
// compliance/report.schema.json (version SchemaVersion).
func WriteJSON(w io.Writer, r *Report) error {
	body := reportBody(*r)
	body.FailOn = string(r.level())
	if body.Rows == nil {
		body.Rows = []Row{}
	}
	if body.Contract == nil {
		body.Contract = []Evidence{}
	}
	if body.Probes == nil {
		body.Probes = []probes.Result{}
	}
	pass, fail, none := r.Counts()
	out := jsonReport{
		Schema: SchemaID, Version: SchemaVersion, Tool: reportdoc.Tool(r.Tool),
		StartedAt: reportdoc.StartedAt(r.Started), ElapsedMS: reportdoc.Milliseconds(r.Elapsed),
		Summary: jsonSummary{Rules: len(r.Rows), Passed: pass, Failed: fail, NotExercised: none,
			Contract: len(r.Contract), Failing: len(r.Failing(r.level()))},
		Error:      r.Error,
		reportBody: &body,
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// WriteJUnit writes the report as JUnit XML: one testcase per rule, a
// failure for a failed rule (with its evidence), skipped when not exercised.
// A report with an Error gets one more testcase, "otnsim check", that
// carries it as <error>.
func WriteJUnit(w io.Writer, r *Report) error {
	pass, fail, none := r.Counts()
	secs := junit.Seconds(r.Elapsed)
	suite := junit.Suite{Name: "otnsim check", Tests: pass + fail + none, Failures: fail, Skipped: none, Time: secs}
	for _, row := range r.Rows {
		c := junit.Case{Name: row.Rule + ": " + row.Text, Classname: "otnsim.rules." + row.Kind, Time: "0"}
		switch {
		case row.Verdict == Fail && !rules.AtLeast(rules.Severity(row.Severity), r.level()):
			// Below --fail-on: reported, not failing.
			var b strings.Builder
			fmt.Fprintf(&b, "%s [%s] failed, below --fail-on %s:\n", row.Rule, row.Severity, r.level())
			for _, ev := range row.Evidence {
				if !ev.Passed {
					writeEvidence(&b, ev)
				}
			}
			c.SystemOut = b.String()
			fail--
			pass++
		case row.Verdict == Fail:
			var b strings.Builder
			for _, ev := range row.Evidence {
				if !ev.Passed {
					writeEvidence(&b, ev)
				}
			}
			c.Failure = &junit.Failure{Message: row.Rule + " failed", Type: row.Severity, Text: b.String()}
		case row.Verdict == NotExercised:
			msg := "not exercised"
			if row.Note != "" {
				msg += ": " + row.Note
			}
			c.Skipped = &junit.Skipped{Message: msg}
		default:
			var b strings.Builder
			for _, ev := range row.Evidence {
				fmt.Fprintf(&b, "passed: %s\n", evidenceName(ev))
			}
			c.SystemOut = b.String()
		}
		suite.Cases = append(suite.Cases, c)
	}
	for i, ev := range r.Contract {
		var b strings.Builder
		writeEvidence(&b, ev)
		suite.Cases = append(suite.Cases, junit.Case{Name: fmt.Sprintf("contract %d: %s", i+1, ev.Name), Classname: "otnsim.contract", Time: "0",
			Failure: &junit.Failure{Message: "the bot did not do what a trigger asks", Type: "contract", Text: b.String()}})
		fail++
	}
	suite.Tests, suite.Failures = pass+fail+none, fail
	if e := r.Error; e != nil {
		suite.Cases = append(suite.Cases, e.Case("otnsim check", "otnsim.check", r.Elapsed))
		suite.Tests++
		suite.Errors++
	}
	return junit.Write(w, junit.Suites{Name: "otnsim", Tests: suite.Tests, Failures: fail, Errors: suite.Errors, Skipped: none, Time: secs, Suites: []junit.Suite{suite}})
}
