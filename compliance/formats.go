package compliance

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/otnsim/otnsim/internal/junit"
	"github.com/otnsim/otnsim/rules"
)

// WriteJSON writes the report as indented JSON (schema_version 1).
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// WriteJUnit writes the report as JUnit XML: one testcase per rule, a
// failure for a failed rule (with its evidence), skipped when not exercised.
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
	return junit.Write(w, junit.Suites{Name: "otnsim", Tests: suite.Tests, Failures: fail, Skipped: none, Time: secs, Suites: []junit.Suite{suite}})
}
