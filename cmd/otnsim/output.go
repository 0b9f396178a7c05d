package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/scenarios"
)

// ANSI colours, used only on a terminal without NO_COLOR (or with --color always).
const (
	green = "\x1b[32m"
	red   = "\x1b[31m"
	dim   = "\x1b[2m"
	reset = "\x1b[0m"
)

// printer renders otnsim run's output: results in file order as soon as
// every earlier one is done, plus, on a terminal, a live count.
type printer struct {
	w       io.Writer
	color   bool
	live    bool
	verbose bool
	done    []bool
	results []scenarios.Result
	next    int // first result not yet printed
	count   int
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr }) // an *os.File, or stdStream
	return ok && term.IsTerminal(int(f.Fd()))
}

func newPrinter(w io.Writer, color string, verbose bool) *printer {
	tty := isTerminal(w)
	return &printer{w: w, color: colorOn(color, tty), live: tty, verbose: verbose}
}

// colorOn decides --color: always and never say so; auto colours a
// terminal unless NO_COLOR is set to anything but "" (https://no-color.org:
// it changes the default, and an explicit --color always still wins).
func colorOn(mode string, tty bool) bool {
	switch mode {
	case "always":
		return true
	case "auto":
		return tty && os.Getenv("NO_COLOR") == ""
	}
	return false
}

func (p *printer) paint(code, s string) string {
	if !p.color {
		return s
	}
	return code + s + reset
}

// progress returns the callback RunAll reports finished scenarios to.
func (p *printer) progress(all []*scenarios.Scenario) func(int, scenarios.Result) {
	p.done = make([]bool, len(all))
	p.results = make([]scenarios.Result, len(all))
	return func(i int, res scenarios.Result) {
		p.done[i], p.results[i] = true, res
		p.count++
		p.clearLive()
		for p.next < len(all) && p.done[p.next] {
			p.result(p.results[p.next], all[p.next])
			p.next++
		}
		if p.live && p.count < len(all) {
			fmt.Fprintf(p.w, "%s", p.paint(dim, fmt.Sprintf("  running: %d/%d done", p.count, len(all))))
		}
	}
}

func (p *printer) clearLive() {
	if p.live {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// finish prints whatever progress has not (when RunAll ran without it).
func (p *printer) finish(all []*scenarios.Scenario, results []scenarios.Result) {
	p.clearLive()
	for ; p.next < len(results); p.next++ {
		p.result(results[p.next], all[p.next])
	}
}

func (p *printer) summary(passed, failed int, elapsed time.Duration) {
	verdict := p.paint(green, "ok")
	if failed > 0 {
		verdict = p.paint(red, "FAIL")
	}
	fmt.Fprintf(p.w, "%s: %d passed, %d failed, %d scenarios in %s\n", verdict, passed, failed, passed+failed, roundDuration(elapsed))
}

func (p *printer) result(res scenarios.Result, sc *scenarios.Scenario) {
	w := p.w
	if res.Passed {
		fmt.Fprintf(w, "%s  %-55s %s (%s virtual, %s)\n", p.paint(green, "PASS"), res.File, res.Name, virtual(res.Virtual), roundDuration(res.Elapsed))
		if p.verbose {
			if sc.Description != "" {
				fmt.Fprintf(w, "      %s\n", strings.TrimSpace(sc.Description))
			}
			for _, f := range res.Findings {
				fmt.Fprintf(w, "      finding %s %s\n", f.At.UTC().Format(findings.TimeFormat), f)
			}
		}
		return
	}
	f := res.Failure
	fmt.Fprintf(w, "%s  %-55s %s\n", p.paint(red, "FAIL"), res.File, res.Name)
	if f.StepName != "" {
		fmt.Fprintf(w, "      step %d (%s) at %s\n", f.Step, f.StepName, f.Pos)
	}
	for _, pr := range f.Problems {
		fmt.Fprintf(w, "        %s\n", pr)
	}
	v := res.Verdict()
	charged := v.Charged(rules.Info)
	if len(v.Contract()) > 0 {
		charged = append(charged, "no rule (a contract failure: the bot did not do what the scenario expects)")
	}
	if len(charged) > 0 {
		fmt.Fprintf(w, "      charged to: %s\n", strings.Join(charged, ", "))
	}
	for _, x := range v.Findings {
		fmt.Fprintf(w, "      finding %s (%s)\n", x, x.Evidence())
		for _, c := range x.Consequences {
			fmt.Fprintf(w, "        consequence: %s\n", c)
		}
	}
	if len(f.Timeline) > 0 {
		fmt.Fprintf(w, "      timeline of %s:\n", f.Who)
		for _, line := range f.Timeline {
			fmt.Fprintf(w, "        %s\n", line)
		}
	}
}

// virtual renders a virtual duration in days and hours.
func virtual(d time.Duration) string {
	if d >= 24*time.Hour {
		days := d / (24 * time.Hour)
		rest := d - days*24*time.Hour
		if rest == 0 {
			return fmt.Sprintf("%dd", days)
		}
		return fmt.Sprintf("%dd%s", days, rest)
	}
	return d.String()
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
