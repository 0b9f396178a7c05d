package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/otnsim/otnsim/load"
)

type progressKind int

const (
	progressNone progressKind = iota
	progressBar
	progressLines
)

// progressMode resolves --progress; auto draws a bar only on a terminal.
func progressMode(flagValue string, w io.Writer) (progressKind, error) {
	switch flagValue {
	case "none":
		return progressNone, nil
	case "bar":
		return progressBar, nil
	case "lines":
		return progressLines, nil
	case "auto":
		if f, ok := w.(interface{ Stat() (os.FileInfo, error) }); ok { // an *os.File, or stdStream
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				return progressBar, nil
			}
		}
		return progressLines, nil
	}
	return progressNone, fmt.Errorf("--progress %q: want auto, bar, lines or none", flagValue)
}

// progressPrinter shows a load run's progress: a redrawn bar on a terminal,
// or a plain line every few seconds (for CI logs).
type progressPrinter struct {
	w     io.Writer
	kind  progressKind
	now   func() time.Time
	every time.Duration

	mu      sync.Mutex
	began   time.Time
	last    time.Time
	drawn   bool
	lastPct int
}

func newProgressPrinter(w io.Writer, kind progressKind) *progressPrinter {
	p := &progressPrinter{w: w, kind: kind, now: time.Now, every: 5 * time.Second}
	if kind == progressBar {
		p.every = 100 * time.Millisecond
	}
	p.began = p.now()
	p.last = p.began
	return p
}

func (p *progressPrinter) update(pr load.Progress) {
	if p.kind == progressNone {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if now.Sub(p.last) < p.every && pr.Done < pr.Total {
		return
	}
	p.last = now
	fmt.Fprint(p.w, p.render(pr, now.Sub(p.began)))
}

func (p *progressPrinter) render(pr load.Progress, elapsed time.Duration) string {
	pct := 0.0
	if pr.Total > 0 {
		pct = 100 * float64(pr.Done) / float64(pr.Total)
	}
	tail := fmt.Sprintf("%d/%d subscribers, %d events, %d violations, %s", pr.Done, pr.Total, pr.Events, pr.Violations, elapsed.Round(100*time.Millisecond))
	if p.kind == progressLines {
		return fmt.Sprintf("progress %5.1f%%  %s\n", pct, tail)
	}
	const width = 30
	full := int(pct / 100 * width)
	p.drawn = true
	return fmt.Sprintf("\r[%s%s] %5.1f%%  %s", strings.Repeat("#", full), strings.Repeat(".", width-full), pct, tail)
}

// finish ends the bar's line so the summary starts on its own.
func (p *progressPrinter) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
