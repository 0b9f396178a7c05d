package htmlreport

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/otnsim/otnsim/lifeline"
)

// Lifeline geometry, in SVG user units.
const (
	svgWidth    = 1000.0
	plotLeft    = 110.0 // lane labels sit left of it
	plotRight   = 985.0
	axisY       = 18.0
	actionsY    = 44.0
	sendsY      = 78.0
	tokensTop   = 100.0
	tokenHeight = 14.0
	tokenGap    = 6.0
)

// lifelineView is one lifeline, laid out for the template.
type lifelineView struct {
	ID       string // the element id, for links
	Title    string // whose lifeline
	Height   float64
	Span     string // "from .. to .." in words
	Ticks    []tickView
	Windows  []bandView
	Tokens   []barView
	Actions  []markView
	Sends    []markView
	Findings []findingView
	Omitted  int
	// TokensY is where the tokens' lane label sits; BandY and BandH are
	// the windows' vertical extent.
	TokensY, BandY, BandH float64
}

type tickView struct {
	X     float64
	Label string
}

type bandView struct {
	X, W  float64
	Label string
}

type barView struct {
	X, W, Y float64
	Fate    string // spent, expired, active: the CSS class and the label
	Label   string // drawn text
	Detail  string // for hover, focus and screen readers
	TextX   float64
}

type markView struct {
	X, Y   float64
	Shape  string // the CSS class: ok, refused, fault; or the action kind
	Label  string // short text drawn under a refused call
	Detail string
	Rule   string // the rule a refusal enforces
	// Step is the scenario step behind the mark (file:line:col), and
	// StepHref links it.
	Step, StepHref string
}

type findingView struct {
	X      float64
	DX     float64 // where the label starts, from X: right of the line, or left near the end
	Anchor string  // the label's text-anchor
	Rule   string
	Detail string
	Href   string
}

// layoutLifeline places l's windows, tokens, calls, actions and findings.
func layoutLifeline(l lifeline.Lifeline, id string) lifelineView {
	v := lifelineView{ID: id, Title: l.Subscriber, Omitted: l.Omitted}
	from, to := l.From, l.To
	span := to.Sub(from)
	if span <= 0 {
		span = time.Minute
		from = from.Add(-span / 2)
		to = from.Add(span)
	}
	// A margin either side, so marks at the ends are not cut.
	pad := span / 40
	from, to = from.Add(-pad), to.Add(pad)
	span = to.Sub(from)
	x := func(t time.Time) float64 {
		f := float64(t.Sub(from)) / float64(span)
		return round(plotLeft + (plotRight-plotLeft)*min(max(f, 0), 1))
	}
	v.Span = l.From.UTC().Format(time.DateTime) + " to " + l.To.UTC().Format(time.DateTime) + " UTC (virtual time), " + human(l.To.Sub(l.From))
	v.Ticks = ticks(from, to, x)
	for _, w := range l.Windows {
		x0, x1 := x(w.Open), x(w.Close)
		v.Windows = append(v.Windows, bandView{X: x0, W: max(x1-x0, 1),
			Label: "24-hour window open " + stamp(w.Open) + " to " + stamp(w.Close)})
	}
	for i, t := range l.Tokens {
		x0, x1 := x(t.Issued), x(t.End)
		y := tokensTop + float64(i)*(tokenHeight+tokenGap)
		label := "#" + strconv.Itoa(t.Seq) + " " + t.Fate
		detail := fmt.Sprintf("token #%d, topic %q: issued %s, %s %s", t.Seq, t.Topic, stamp(t.Issued), t.Fate, stamp(t.End))
		if t.Fate == lifeline.FateActive {
			detail = fmt.Sprintf("token #%d, topic %q: issued %s, still active at the end", t.Seq, t.Topic, stamp(t.Issued))
		}
		if t.Refused > 0 {
			label += fmt.Sprintf(", %d refused", t.Refused)
			detail += fmt.Sprintf("; %d refused uses", t.Refused)
		}
		w := max(x1-x0, 2)
		bar := barView{X: x0, W: w, Y: y, Fate: t.Fate, Label: label, Detail: detail, TextX: x0 + 3}
		if x0+w+4+float64(len(label))*5.5 < plotRight {
			bar.TextX = x0 + w + 4 // beside the bar
		}
		v.Tokens = append(v.Tokens, bar)
	}
	v.TokensY = tokensTop + tokenHeight - 3
	v.Height = tokensTop + float64(max(len(l.Tokens), 1))*(tokenHeight+tokenGap) + 8
	v.BandY = axisY + 6
	v.BandH = v.Height - v.BandY
	lastX := map[float64]float64{} // row y -> the last mark's x there
	stagger := func(lane, at float64) float64 {
		// Marks closer than 7 units apart take the rows above and below.
		for _, y := range []float64{lane, lane + 8, lane - 8} {
			if prev, ok := lastX[y]; !ok || at-prev >= 7 {
				lastX[y] = at
				return y
			}
		}
		lastX[lane] = at
		return lane
	}
	for _, a := range l.Actions {
		at := x(a.At)
		v.Actions = append(v.Actions, withStep(markView{X: at, Y: stagger(actionsY, at), Shape: actionShape(a.Kind),
			Detail: stamp(a.At) + "  event #" + strconv.Itoa(a.Seq) + "  " + a.Kind + " " + a.Detail}, a.Step))
	}
	for _, s := range l.Sends {
		at := x(s.At)
		m := withStep(markView{X: at, Y: stagger(sendsY, at), Shape: s.Verdict, Rule: s.Rule,
			Detail: stamp(s.At) + "  call #" + strconv.Itoa(s.Seq) + "  " + s.Detail}, s.Step)
		if s.Verdict == lifeline.VerdictRefused {
			m.Label = strconv.Itoa(s.Code)
		}
		v.Sends = append(v.Sends, m)
	}
	for _, f := range l.Findings {
		fx := x(f.At)
		dx, anchor := 3.0, "start"
		if fx > plotRight-12-float64(len(f.Rule))*6 {
			dx, anchor = -3, "end"
		}
		v.Findings = append(v.Findings, findingView{X: fx, DX: dx, Anchor: anchor, Rule: f.Rule, Href: "#rule-" + f.Rule,
			Detail: stamp(f.At) + "  finding " + f.Rule + " [" + f.Severity + "] " + f.Detail})
	}
	return v
}

// withStep adds the scenario step behind m, if known, to its details and
// links it.
func withStep(m markView, pos string) markView {
	if pos == "" {
		return m
	}
	m.Step = pos
	m.Detail += "  (step at " + pos + ")"
	m.StepHref = posHref(pos)
	return m
}

// posHref links a scenario position, file:line:col, at its line; it is ""
// for anything else.
func posHref(pos string) string {
	i := strings.LastIndexByte(pos, ':')
	if i < 0 {
		return ""
	}
	j := strings.LastIndexByte(pos[:i], ':')
	if j < 0 {
		return ""
	}
	line, errL := strconv.Atoi(pos[j+1 : i])
	_, errC := strconv.Atoi(pos[i+1:])
	if errL != nil || errC != nil || line < 1 {
		return ""
	}
	return fileHref(pos[:j], line)
}

// stepHref links the step a label such as "step 6 (expect) at
// file:line:col" names; fallback when it names none.
func stepHref(label, fallback string) string {
	if i := strings.LastIndex(label, " at "); i >= 0 {
		if h := posHref(label[i+4:]); h != "" {
			return h
		}
	}
	return fallback
}

// actionShape is the CSS class of a user action's mark.
func actionShape(kind string) string {
	switch kind {
	case "notify_me", "recurring_opt_in":
		return "optin"
	case "trigger":
		return "trigger"
	case "block", "unblock", "recurring_stop", "recurring_resume":
		return "block"
	}
	return "user"
}

// tickSteps are the spans the time axis may be ticked at.
var tickSteps = []time.Duration{
	time.Second, 10 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour,
	3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 7 * 24 * time.Hour,
	30 * 24 * time.Hour, 90 * 24 * time.Hour, 365 * 24 * time.Hour,
}

// ticks returns at most about eight ticks between from and to, on whole
// steps of virtual time.
func ticks(from, to time.Time, x func(time.Time) float64) []tickView {
	span := to.Sub(from)
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if span/s <= 8 {
			step = s
			break
		}
	}
	var out []tickView
	first := from.Truncate(step)
	if first.Before(from) {
		first = first.Add(step)
	}
	for t := first; !t.After(to) && len(out) < 12; t = t.Add(step) {
		label := t.UTC().Format("Jan 2 15:04")
		switch {
		case step < time.Minute:
			label = t.UTC().Format("15:04:05")
		case step >= 24*time.Hour:
			label = t.UTC().Format("Jan 2 2006")
		}
		out = append(out, tickView{X: x(t), Label: label})
	}
	return out
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") }

func round(f float64) float64 { return float64(int(f*10+0.5)) / 10 }

// human renders a span of virtual time in its largest units.
func human(d time.Duration) string {
	switch {
	case d == time.Hour:
		return "hour"
	case d > time.Hour && d < 48*time.Hour && d%time.Hour == 0:
		return strconv.Itoa(int(d.Hours())) + " hours"
	case d >= 48*time.Hour:
		return strconv.FormatFloat(d.Hours()/24, 'f', 1, 64) + " days"
	case d >= 2*time.Hour:
		return strconv.FormatFloat(d.Hours(), 'f', 1, 64) + " hours"
	case d >= 2*time.Minute:
		return strconv.FormatFloat(d.Minutes(), 'f', 1, 64) + " minutes"
	}
	return d.Round(time.Millisecond).String()
}
