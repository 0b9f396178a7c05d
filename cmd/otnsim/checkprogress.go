package main

import (
	"fmt"
	"io"

	"github.com/otnsim/otnsim/compliance"
)

// checkPrinter shows otnsim check's progress: on a terminal a live count,
// coloured unless NO_COLOR is set, redrawn in place; elsewhere one plain line per scenario and one
// for the security probes, as each verdict comes in (in suite order).
type checkPrinter struct {
	w              io.Writer
	live           bool
	color          bool
	passed, failed int
	drawn          bool
}

func newCheckPrinter(w io.Writer) *checkPrinter {
	tty := isTerminal(w)
	return &checkPrinter{w: w, live: tty, color: colorOn("auto", tty)}
}

func (p *checkPrinter) paint(code, s string) string {
	if !p.color {
		return s
	}
	return code + s + reset
}

// header prints the report's header and what is about to be played.
func (p *checkPrinter) header(bot string, scenarios, procs int) {
	compliance.WriteHeader(p.w, bot)
	plural := "es"
	if procs == 1 {
		plural = ""
	}
	fmt.Fprintf(p.w, "playing %d scenarios, then the security probes, on %d bot process%s\n", scenarios, procs, plural)
}

// progress is compliance.Options.Progress.
func (p *checkPrinter) progress(done, total int, name string, passed bool) {
	if passed {
		p.passed++
	} else {
		p.failed++
	}
	if !p.live {
		mark := "PASS"
		if !passed {
			mark = "FAIL"
		}
		fmt.Fprintf(p.w, "%s  %d/%d  %s\n", mark, done, total, name)
		return
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s  %s, %s  %s", p.paint(dim, fmt.Sprintf("checking: %d/%d done", done, total)),
		p.paint(green, fmt.Sprintf("%d passed", p.passed)), p.paint(red, fmt.Sprintf("%d failed", p.failed)), p.paint(dim, name))
	p.drawn = true
}

// finish clears the live count and leaves a blank line before the verdict.
func (p *checkPrinter) finish() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	fmt.Fprintln(p.w)
}
