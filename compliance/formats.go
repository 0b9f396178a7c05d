package compliance

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
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

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit writes the report as JUnit XML: one testcase per rule, a
// failure for a failed rule (with its evidence), skipped when not exercised.
func WriteJUnit(w io.Writer, r *Report) error {
	pass, fail, none := r.Counts()
	secs := fmt.Sprintf("%.3f", r.Elapsed.Seconds())
	suite := junitSuite{Name: "otnsim check", Tests: pass + fail + none, Failures: fail, Skipped: none, Time: secs}
	for _, row := range r.Rows {
		c := junitCase{Name: row.Rule + ": " + row.Text, Classname: "otnsim.rules." + row.Kind, Time: "0"}
		switch row.Verdict {
		case Fail:
			var b strings.Builder
			for _, ev := range row.Evidence {
				if !ev.Passed {
					writeEvidence(&b, ev)
				}
			}
			c.Failure = &junitFailure{Message: row.Rule + " failed", Type: row.Severity, Body: b.String()}
		case NotExercised:
			msg := "not exercised"
			if row.Note != "" {
				msg += ": " + row.Note
			}
			c.Skipped = &junitSkipped{Message: msg}
		default:
			var b strings.Builder
			for _, ev := range row.Evidence {
				fmt.Fprintf(&b, "passed: %s\n", evidenceName(ev))
			}
			c.SystemOut = b.String()
		}
		suite.Cases = append(suite.Cases, c)
	}
	doc := junitSuites{Name: "otnsim", Tests: suite.Tests, Failures: fail, Skipped: none, Time: secs, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
