// Package lifeline draws a subscriber's story out of a fakegraph ledger as
// data a picture can be made of: the 24-hour windows, each token from issue
// to spend or expiry, every Send API call with its verdict, the user's
// actions and the findings about them, all in virtual time. The JSON
// reports carry lifelines for the subscribers behind failures; the HTML
// report draws them.
package lifeline

import (
	"sort"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/platform"
)

// MaxMarks is how many marks (sends, actions and findings together) a
// lifeline keeps by default; Build keeps those nearest the first finding
// and counts the rest in Omitted.
const MaxMarks = 240

// Lifeline is one subscriber's story, ready to draw.
type Lifeline struct {
	// Subscriber names them: a scenario's alias, or "subscriber N" in a
	// load run.
	Subscriber string `json:"subscriber"`
	PSID       string `json:"psid"`
	// From and To bound the picture in virtual time.
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Windows  []Window  `json:"windows"`
	Tokens   []Token   `json:"tokens"`
	Sends    []Send    `json:"sends"`
	Actions  []Action  `json:"actions"`
	Findings []Finding `json:"findings"`
	// Omitted counts the marks left out to keep the lifeline small.
	Omitted int `json:"omitted,omitempty"`
}

// Window is a span during which the subscriber's 24-hour standard messaging
// window was open.
type Window struct {
	Open  time.Time `json:"open"`
	Close time.Time `json:"close"`
}

// Token fates.
const (
	FateSpent   = "spent"
	FateExpired = "expired"
	FateActive  = "active"
)

// Token is one One-Time Notification token, from issue to its end: spent,
// expired, or still active when the ledger was read.
type Token struct {
	Seq    int       `json:"seq"`
	Topic  string    `json:"topic"`
	Issued time.Time `json:"issued"`
	End    time.Time `json:"end"`
	Fate   string    `json:"fate"`
	// Refused counts the refused attempts to use it.
	Refused int `json:"refused,omitempty"`
}

// Send verdicts.
const (
	VerdictOK      = "ok"
	VerdictRefused = "refused"
	// VerdictFault: an armed fault struck the call (its answer was lost or
	// replaced, whether or not it took effect).
	VerdictFault = "fault"
)

// Send is one Send API call addressed to the subscriber.
type Send struct {
	Seq      int       `json:"seq"`
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"`
	Verdict  string    `json:"verdict"`
	Code     int       `json:"code,omitempty"`
	Subcode  int       `json:"error_subcode,omitempty"`
	Rule     string    `json:"rule,omitempty"`
	TokenSeq int       `json:"token_seq,omitempty"`
	// Detail is the call as a timeline shows it.
	Detail string `json:"detail"`
	// Step is the scenario step during which the call was made
	// ("file:line:col"), when the lifeline is a scenario's.
	Step string `json:"step,omitempty"`
}

// Action is something that happened in the thread on the user's side (a
// message, a tap, a block) or a trigger the bot was sent.
type Action struct {
	Seq    int       `json:"seq"`
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Detail string    `json:"detail"`
	// Step is the scenario step that did it ("file:line:col"), when the
	// lifeline is a scenario's.
	Step string `json:"step,omitempty"`
}

// Finding is a finding about the subscriber, placed on their lifeline.
type Finding struct {
	Rule     string    `json:"rule"`
	Severity string    `json:"severity"`
	At       time.Time `json:"at"`
	Detail   string    `json:"detail"`
	// CallSeq is the call that broke the rule, if any.
	CallSeq int `json:"call_seq,omitempty"`
}

// Build returns psid's lifeline in led, named name, with the findings among
// fs that concern them, keeping at most limit marks (MaxMarks when limit <= 0).
func Build(led fakegraph.Ledger, psid, name string, fs []findings.Finding, limit int) Lifeline {
	if limit <= 0 {
		limit = MaxMarks
	}
	l := Lifeline{Subscriber: name, PSID: psid, Windows: []Window{}, Tokens: []Token{},
		Sends: []Send{}, Actions: []Action{}, Findings: []Finding{}}
	type mark struct {
		order int
		at    time.Time
		put   func()
	}
	var marks []mark
	var opened []time.Time
	for _, e := range led.Events {
		if e.PSID != psid && (e.PSID != "" || e.Kind != "trigger") {
			continue
		}
		if e.Kind == "step" || e.Kind == "webhook" || e.Trigger == "tick" {
			continue // the harness's notes, deliveries and the clock's ticks
		}
		if e.OpensWindow() {
			opened = append(opened, e.At)
		}
		a := Action{Seq: e.Seq, At: e.At, Kind: e.Kind, Detail: e.Detail}
		marks = append(marks, mark{e.Order, e.At, func() { l.Actions = append(l.Actions, a) }})
	}
	for _, c := range led.Calls {
		if c.PSID != psid && !ownToken(led, c, psid) {
			continue
		}
		s := Send{Seq: c.Seq, At: c.At, Kind: string(c.Kind), Verdict: VerdictOK, Code: c.Code, Subcode: c.Subcode,
			Rule: c.Rule, TokenSeq: c.TokenSeq, Detail: c.Describe()}
		switch {
		case c.Fault != "":
			s.Verdict = VerdictFault
		case !c.OK:
			s.Verdict = VerdictRefused
		}
		marks = append(marks, mark{c.Order, c.At, func() { l.Sends = append(l.Sends, s) }})
	}
	firstFinding := -1
	for _, f := range fs {
		if f.PSID != psid {
			continue
		}
		x := Finding{Rule: f.Rule, Severity: string(f.Severity), At: f.At, Detail: f.Detail, CallSeq: f.CallSeq}
		m := mark{f.Order, f.At, func() { l.Findings = append(l.Findings, x) }}
		marks = append(marks, m)
	}
	sort.SliceStable(marks, func(i, j int) bool {
		if !marks[i].at.Equal(marks[j].at) {
			return marks[i].at.Before(marks[j].at)
		}
		return marks[i].order < marks[j].order
	})
	for i, f := range fs {
		if f.PSID == psid {
			firstFinding = i
			break
		}
	}
	lo, hi := 0, len(marks)
	if len(marks) > limit {
		centre := len(marks) - 1
		if firstFinding >= 0 {
			at := fs[firstFinding].At
			for i, m := range marks {
				if !m.at.After(at) {
					centre = i
				}
			}
		}
		lo = min(max(0, centre-limit/2), len(marks)-limit)
		hi = lo + limit
		l.Omitted = len(marks) - limit
	}
	for _, m := range marks[lo:hi] {
		m.put()
	}
	// The picture spans the kept marks, and the clock's end when they reach it.
	if hi > lo {
		l.From, l.To = marks[lo].at, marks[hi-1].at
	} else {
		l.From, l.To = led.Now, led.Now
	}
	if hi == len(marks) && led.Now.After(l.To) {
		l.To = led.Now
	}
	if lo == 0 {
		for _, t := range led.Tokens {
			if t.PSID == psid && t.IssuedAt.Before(l.From) {
				l.From = t.IssuedAt
			}
		}
	}
	for _, w := range windows(opened) {
		if w.Close.After(l.From) && w.Open.Before(l.To) || w.Open.Equal(l.To) {
			l.Windows = append(l.Windows, w)
		}
	}
	for _, t := range led.Tokens {
		if t.PSID != psid {
			continue
		}
		tok := Token{Seq: t.Seq, Topic: t.Topic, Issued: t.IssuedAt, Refused: len(t.Rejected)}
		switch {
		case t.ConsumedAt != nil:
			tok.Fate, tok.End = FateSpent, *t.ConsumedAt
		case t.State == fakegraph.TokenExpired:
			tok.Fate, tok.End = FateExpired, t.ExpiresAt
		default:
			tok.Fate, tok.End = FateActive, led.Now
		}
		if tok.End.Before(l.From) || tok.Issued.After(l.To) {
			continue
		}
		l.Tokens = append(l.Tokens, tok)
	}
	if l.To.Before(l.From) {
		l.To = l.From
	}
	return l
}

// ownToken reports whether c spent (or tried to spend) a token issued to
// psid without naming them otherwise.
func ownToken(led fakegraph.Ledger, c fakegraph.Call, psid string) bool {
	return c.PSID == "" && c.TokenSeq > 0 && c.TokenSeq <= len(led.Tokens) && led.Tokens[c.TokenSeq-1].PSID == psid
}

// windows joins the instants that opened (or extended) the 24-hour window
// into the spans it stayed open.
func windows(opened []time.Time) []Window {
	var out []Window
	for _, at := range opened {
		closes := at.Add(platform.Window)
		if n := len(out); n > 0 && at.Before(out[n-1].Close) {
			out[n-1].Close = closes
			continue
		}
		out = append(out, Window{Open: at, Close: closes})
	}
	return out
}

// Who names a subscriber to draw.
type Who struct {
	PSID string
	Name string
}

// BuildAll returns the lifelines of whom in led, in that order, reading the
// ledger once: for a ledger of many subscribers (a load run's world) it
// costs one pass however many are drawn.
func BuildAll(led fakegraph.Ledger, whom []Who, fs []findings.Finding, limit int) []Lifeline {
	if len(whom) == 0 {
		return nil
	}
	own := make(map[string]*fakegraph.Ledger, len(whom))
	for _, w := range whom {
		own[w.PSID] = &fakegraph.Ledger{Now: led.Now}
	}
	var everyone []fakegraph.Event // page-wide triggers
	for _, e := range led.Events {
		if e.PSID == "" && e.Kind == "trigger" {
			everyone = append(everyone, e)
		} else if l, ok := own[e.PSID]; ok {
			l.Events = append(l.Events, e)
		}
	}
	// Calls keep their token's sequence number: the tokens stay whole.
	for _, c := range led.Calls {
		psid := c.PSID
		if psid == "" && c.TokenSeq > 0 && c.TokenSeq <= len(led.Tokens) {
			psid = led.Tokens[c.TokenSeq-1].PSID
		}
		if l, ok := own[psid]; ok {
			l.Calls = append(l.Calls, c)
		}
	}
	mine := map[string][]findings.Finding{}
	for _, f := range fs {
		if _, ok := own[f.PSID]; ok {
			mine[f.PSID] = append(mine[f.PSID], f)
		}
	}
	out := make([]Lifeline, 0, len(whom))
	for _, w := range whom {
		l := own[w.PSID]
		l.Tokens = led.Tokens
		if len(everyone) > 0 {
			l.Events = mergeEvents(everyone, l.Events)
		}
		out = append(out, Build(*l, w.PSID, w.Name, mine[w.PSID], limit))
	}
	return out
}

// mergeEvents merges two lists of events in ledger order.
func mergeEvents(a, b []fakegraph.Event) []fakegraph.Event {
	out := make([]fakegraph.Event, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if a[0].Order < b[0].Order {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// SetSteps names, on l's actions and calls, the step each was recorded
// during: stepOf gets the ledger order of the event or call (led is the
// ledger l was drawn from) and returns the step's position, or "".
func (l *Lifeline) SetSteps(led fakegraph.Ledger, stepOf func(order int) string) {
	for i, a := range l.Actions {
		if a.Seq >= 1 && a.Seq <= len(led.Events) {
			l.Actions[i].Step = stepOf(led.Events[a.Seq-1].Order)
		}
	}
	for i, c := range l.Sends {
		if c.Seq >= 1 && c.Seq <= len(led.Calls) {
			l.Sends[i].Step = stepOf(led.Calls[c.Seq-1].Order)
		}
	}
}
