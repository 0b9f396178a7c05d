// Package htmlreport renders otnsim's JSON reports (otnsim run, otnsim
// check, otnsim load and merged load reports) as one self-contained HTML
// page: inline CSS and a little inline JavaScript, no fetches. The verdicts
// and summaries are plain HTML and read without JavaScript; failures come
// with the lifelines of their subscribers, drawn as SVG on a virtual-time
// axis. Everything is drawn from the JSON alone, so a saved report renders
// the same as a fresh one.
package htmlreport

import (
	"bytes"
	_ "embed" // the page's template, style and script ship in the binary
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/otnsim/otnsim/internal/reportdoc"
)

//go:embed page.html.tmpl
var pageTemplate string

//go:embed page.css
var pageCSS string

//go:embed page.js
var pageJS string

var tmpl = template.Must(template.New("page").Parse(pageTemplate))

// ErrUnknownReport is returned for JSON that is no otnsim report this
// package knows.
var ErrUnknownReport = errors.New("not an otnsim run, check or load report")

// The schema ids of the reports Render reads.
const (
	runSchema   = "otnsim-report"
	checkSchema = "otnsim-check"
	loadSchema  = "otnsim-load"
)

// page is what the template draws.
type page struct {
	Kind     string // run, check or load
	Title    string
	Tool     string
	Started  string
	Verdict  string // PASS, FAIL or ERROR
	Headline string
	Stats    []stat
	Error    *reportdoc.Error
	Rules    []ruleRow
	// Unexercised are the rules nothing judged, listed apart so that
	// the table shows the verdicts.
	Unexercised []ruleRow
	Contract    []evidenceView
	Late        []string
	Runs        []scenarioRow
	Probes      []probeRow
	Groups      []lifelineGroup
	Load        *loadView
	CSS         template.CSS
	JS          template.JS
}

type stat struct {
	Label, Value string
}

// ruleRow is one line of the verdict table.
type ruleRow struct {
	ID, Kind, Severity, Text string
	Verdict                  string // pass, fail, none
	Label                    string // PASS, FAIL, not exercised
	Note                     string
	Evidence                 []evidenceView
}

// evidenceView is what a verdict rests on.
type evidenceView struct {
	Name         string
	Href         string // the scenario file, with its line
	Where        string // the step or instant
	Trigger      string
	Problems     []string
	Finding      string
	Consequences []string
	Lifelines    string // the anchor of the scenario's lifelines, if drawn
	Timeline     []string
	Passed       bool
}

// scenarioRow is one scenario of a run.
type scenarioRow struct {
	Name, File, Href string
	Passed           bool
	Rules            []string
	Where            string
	Problems         []string
	Lifelines        string
	Virtual          string
}

type probeRow struct {
	Name, Rule, Verdict, Sent, Answer, Evidence string
}

// lifelineGroup is the lifelines of one failed scenario or load sample.
type lifelineGroup struct {
	ID, Title, Href, Note string
	Lifelines             []lifelineView
	Omitted               int // subscribers not drawn
}

// Render reads a JSON report of otnsim run, check or load (a merged load
// report included) from src and writes the HTML page to w.
func Render(w io.Writer, src []byte) error {
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(src, &head); err != nil {
		return fmt.Errorf("read report: %w", err)
	}
	var p *page
	var err error
	switch head.Schema {
	case runSchema:
		p, err = runPage(src)
	case checkSchema:
		p, err = checkPage(src)
	case loadSchema:
		p, err = loadPage(src)
	default:
		return fmt.Errorf("schema %q: %w", head.Schema, ErrUnknownReport)
	}
	if err != nil {
		return err
	}
	judged := p.Rules[:0:0]
	for _, r := range p.Rules {
		if r.Verdict == "none" {
			p.Unexercised = append(p.Unexercised, r)
		} else {
			judged = append(judged, r)
		}
	}
	p.Rules = judged
	p.CSS, p.JS = template.CSS(pageCSS), template.JS(pageJS)
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, p); err != nil {
		return fmt.Errorf("render HTML report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}

// RenderFrom is Render for a report that writes its JSON itself: it renders
// what write writes.
func RenderFrom(w io.Writer, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	return Render(w, buf.Bytes())
}

// fileHref links a scenario file (and line) relative to where the report
// is opened; files built into the binary have no link.
func fileHref(file string, line int) string {
	if file == "" || strings.Contains(file, ":") {
		return ""
	}
	if line > 0 {
		return fmt.Sprintf("%s#L%d", file, line)
	}
	return file
}

// anchor makes an element id: prefix and n.
func anchor(prefix string, n int) string { return fmt.Sprintf("%s-%d", prefix, n) }

// shortTime renders an RFC 3339 instant to the second, in UTC; what it
// cannot read stays as it is.
func shortTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
