// Package reportdoc is what otnsim's JSON reports (otnsim run, check and
// load) have in common: the header each starts with, and the error object a
// report carries when its command ended without a verdict (exit 2, or a load
// run that could not be carried out).
//
// Every report is one JSON object whose first fields are, in this order:
//
//	schema      the report's kind: "otnsim-report" (run), "otnsim-check", "otnsim-load"
//	version     the version of that kind's shape
//	tool        "otnsim " and the version of the binary that wrote it
//	started_at  the wall-clock start, RFC 3339 in UTC
//	elapsed_ms  the wall-clock duration in milliseconds
//	summary     an object of counts suited to the kind
//	error       {kind, message, output}, only when the command could not
//	            reach a verdict
//
// and then the kind's own body. Each kind has a JSON Schema in the
// repository (scenarios/report.schema.json, compliance/report.schema.json,
// load/report/report.schema.json), embedded in the binary.
package reportdoc

import (
	"strings"
	"time"

	"github.com/otnsim/otnsim/internal/junit"
)

// Error kinds of otnsim's own. A bot that could not be run on carries the
// bot's failure kind instead (package external: never-ready, crashed,
// hung, server-error, unreachable, bad-command, graph-bypassed).
const (
	// KindUsage is a bad flag value or argument.
	KindUsage = "usage"
	// KindInput is a file that could not be read or parsed: a scenario, a
	// profile, a report.
	KindInput = "input"
	// KindError is any other reason a run could not be carried out.
	KindError = "error"
)

// Error says why a report holds no verdict.
type Error struct {
	// Kind is one of the kinds above, or the bot's failure kind.
	Kind string `json:"kind"`
	// Message is what happened, in words, as otnsim printed it.
	Message string `json:"message"`
	// Output is the last part of the bot's stdout and stderr, when a bot
	// started by otnsim is to blame; empty otherwise.
	Output string `json:"output"`
}

// Text renders e for people: the message, then the output.
func (e *Error) Text() string {
	out := strings.TrimRight(e.Output, "\n")
	if out == "" {
		return e.Message + "\n"
	}
	return e.Message + "\n\nbot output (last part):\n" + out + "\n"
}

// Case returns a JUnit testcase that carries e as its <error>: the kind as
// its type, the message (first line) as its message, Text as its text.
func (e *Error) Case(name, classname string, elapsed time.Duration) junit.Case {
	msg, _, _ := strings.Cut(e.Message, "\n")
	return junit.Case{Name: name, Classname: classname, Time: junit.Seconds(elapsed),
		Error: &junit.Error{Message: msg, Type: e.Kind, Text: e.Text()}}
}

// StartedAt renders a report's start as RFC 3339 in UTC, with the
// fractional seconds it has.
func StartedAt(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Milliseconds renders a duration as elapsed_ms does: milliseconds, to the
// microsecond.
func Milliseconds(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Duration reads an elapsed_ms value back.
func Duration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

// Tool is the tool field: tool, or "otnsim" when it is unset.
func Tool(tool string) string {
	if tool == "" {
		return "otnsim"
	}
	return tool
}
