package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/otnsim/otnsim/external"
	"github.com/otnsim/otnsim/htmlreport"
	"github.com/otnsim/otnsim/internal/reportdoc"
)

// The --json, --junit and --html reports are written on every exit once the flags
// parse, exit 2 included: a report without a verdict carries an error
// object (JSON) and an <error> testcase (JUnit) that say why, so that CI
// always gets its files.

// errorOf is why a command stopped, as a report's error: a bot's failure
// kind with its last output, or kind (reportdoc.KindUsage, KindInput,
// KindError) with err's message for anything else.
func errorOf(kind string, err error) *reportdoc.Error {
	if err == nil {
		return errorText(kind, "stopped for a reason otnsim did not record")
	}
	if be, ok := external.AsBotError(err); ok {
		return &reportdoc.Error{Kind: be.Kind, Message: be.Error(), Output: be.Output}
	}
	return &reportdoc.Error{Kind: kind, Message: err.Error()}
}

// errorText is errorOf for a message of otnsim's own.
func errorText(kind, msg string) *reportdoc.Error {
	return &reportdoc.Error{Kind: kind, Message: msg}
}

// writeHTML writes the --html page of a report whose JSON write writes,
// when path is set: the page is drawn from that JSON, as otnsim report html
// draws a saved one.
func writeHTML(path string, write func(io.Writer) error) error {
	if path == "" {
		return nil
	}
	var page bytes.Buffer
	if err := htmlreport.RenderFrom(&page, write); err != nil {
		return err
	}
	if err := os.WriteFile(path, page.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}
