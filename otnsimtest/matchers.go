package otnsimtest

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/onsi/gomega/types"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/sim"
)

// timelineLines is how many lines of a timeline a failure message shows (the end).
const timelineLines = 40

// HaveActiveToken succeeds when the subscriber holds a live (active) OTN
// token for topic: one issued, neither spent nor expired. An empty topic
// means any topic.
//
// Every matcher takes a *sim.World, a *fakegraph.Server, or a
// fakegraph.Ledger (or a pointer to one) as its actual value, and names the
// subscriber by alias (a World only) or PSID. Its failure message says what
// was expected and what the ledger shows, and prints the subscriber's
// timeline.
func HaveActiveToken(who, topic string) types.GomegaMatcher {
	return tokenMatcher(who, topic, fakegraph.TokenActive)
}

// HaveConsumedToken succeeds when an OTN token of the subscriber for topic
// was spent: a Send API call used it. An empty topic means any topic.
func HaveConsumedToken(who, topic string) types.GomegaMatcher {
	return tokenMatcher(who, topic, fakegraph.TokenConsumed)
}

func tokenMatcher(who, topic string, state fakegraph.TokenState) types.GomegaMatcher {
	what := "hold an active token"
	if state == fakegraph.TokenConsumed {
		what = "have spent a token"
	}
	if topic != "" {
		what += fmt.Sprintf(" for topic %q", topic)
	}
	return &ledgerMatcher{who: who, what: what, judge: func(s subject, psid string) (bool, string) {
		toks := s.led.TokensFor(psid, topic)
		n := 0
		var seen []string
		for _, t := range toks {
			if t.State == state {
				n++
			}
			line := fmt.Sprintf("#%d %q %s", t.Seq, t.Topic, t.State)
			if t.ConsumedAt != nil {
				line += " at " + stamp(*t.ConsumedAt)
			}
			seen = append(seen, line)
		}
		if len(toks) == 0 {
			return false, "no token issued" + forTopic(topic)
		}
		return n > 0, fmt.Sprintf("%d %s of %d issued%s: %s", n, state, len(toks), forTopic(topic), strings.Join(seen, ", "))
	}}
}

// HaveDelivered succeeds when exactly n messages reached the subscriber:
// Send API calls fakegraph accepted, sender actions aside (OTN requests
// count, as in a scenario's `delivered` expectation).
func HaveDelivered(who string, n int) types.GomegaMatcher {
	return &ledgerMatcher{who: who, what: fmt.Sprintf("have been delivered %d message(s)", n), judge: func(s subject, psid string) (bool, string) {
		got := 0
		var lines []string
		for _, c := range s.led.CallsFor(psid) {
			if c.OK && c.Kind != fakegraph.KindSenderAction {
				got++
				lines = append(lines, stamp(c.At)+"  "+c.Describe())
			}
		}
		actual := fmt.Sprintf("%d delivered", got)
		if len(lines) > 0 {
			actual += ":\n        " + strings.Join(lines, "\n        ")
		}
		return got == n, actual
	}}
}

// HaveFinding succeeds when the ledger shows a finding of rule (package
// findings, with its default options) for the subscriber; an empty who
// means anyone.
func HaveFinding(rule, who string) types.GomegaMatcher {
	return &ledgerMatcher{who: who, anyone: who == "", what: "have a finding of " + rule, judge: func(s subject, psid string) (bool, string) {
		if _, ok := rules.Lookup(rule); !ok {
			return false, fmt.Sprintf("%q is no rule of the catalogue (otnsim rules lists them)", rule)
		}
		var mine []string
		n := 0
		for _, f := range s.findings() {
			if psid != "" && f.PSID != psid {
				continue
			}
			if f.Rule == rule {
				n++
			}
			mine = append(mine, stamp(f.At)+"  "+f.String())
		}
		if len(mine) == 0 {
			return false, "no findings"
		}
		return n > 0, fmt.Sprintf("%d finding(s) of %s among:\n        %s", n, rule, strings.Join(mine, "\n        "))
	}}
}

func forTopic(topic string) string {
	if topic == "" {
		return ""
	}
	return fmt.Sprintf(" for topic %q", topic)
}

// stamp renders an instant as timelines do.
func stamp(t time.Time) string { return t.UTC().Format(findings.TimeFormat) }

// ledgerMatcher is every matcher of the package: a judgement of the ledger
// about one subscriber (or anyone).
type ledgerMatcher struct {
	who    string
	anyone bool
	what   string // "hold an active token for topic ..."
	judge  func(s subject, psid string) (ok bool, actual string)

	// Set by Match, for the messages.
	name     string
	actual   string
	timeline []string
}

// Match implements types.GomegaMatcher.
func (m *ledgerMatcher) Match(actual any) (bool, error) {
	s, err := subjectOf(actual)
	if err != nil {
		return false, err
	}
	psid := ""
	m.name = "anyone"
	if !m.anyone {
		var err error
		if psid, m.name, err = s.resolve(m.who); err != nil {
			return false, err
		}
		m.timeline = findings.Timeline(s.led, psid, s.findings())
	}
	ok, got := m.judge(s, psid)
	m.actual = got
	return ok, nil
}

// FailureMessage implements types.GomegaMatcher.
func (m *ledgerMatcher) FailureMessage(any) string { return m.message("to") }

// NegatedFailureMessage implements types.GomegaMatcher.
func (m *ledgerMatcher) NegatedFailureMessage(any) string { return m.message("not to") }

func (m *ledgerMatcher) message(to string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Expected %s %s %s\n    actual: %s", m.name, to, m.what, m.actual)
	if !m.anyone {
		tl := m.timeline
		fmt.Fprintf(&b, "\n    timeline of %s:", m.name)
		if len(tl) == 0 {
			b.WriteString(" (empty)")
		}
		if n := len(tl); n > timelineLines {
			fmt.Fprintf(&b, "\n      ... (%d earlier lines)", n-timelineLines)
			tl = tl[n-timelineLines:]
		}
		for _, l := range tl {
			b.WriteString("\n      " + l)
		}
	}
	return b.String()
}

// subject is what a matcher reads: a ledger, and the world it came from when known.
type subject struct {
	led   fakegraph.Ledger
	world *sim.World
	fs    []findings.Finding
	found bool
}

func subjectOf(actual any) (subject, error) {
	switch v := actual.(type) {
	case *sim.World:
		if v != nil {
			return subject{led: v.Graph.Ledger(), world: v}, nil
		}
	case *fakegraph.Server:
		if v != nil {
			return subject{led: v.Ledger()}, nil
		}
	case fakegraph.Ledger:
		return subject{led: v}, nil
	case *fakegraph.Ledger:
		if v != nil {
			return subject{led: *v}, nil
		}
	}
	return subject{}, fmt.Errorf("otnsimtest matcher: want a *sim.World, *fakegraph.Server or fakegraph.Ledger, got %T", actual)
}

// findings detects the ledger's findings once.
func (s *subject) findings() []findings.Finding {
	if !s.found {
		s.fs, s.found = findings.Detect(s.led, findings.DefaultOptions()), true
	}
	return s.fs
}

// resolve finds who's PSID and the name a message calls them by.
func (s subject) resolve(who string) (psid, name string, err error) {
	if who == "" {
		return "", "", fmt.Errorf("otnsimtest matcher: name the subscriber (alias or PSID)")
	}
	if s.world == nil {
		return who, "PSID " + who, nil
	}
	if sub, ok := s.world.Subscriber(who); ok {
		return sub.PSID, fmt.Sprintf("%s (PSID %s)", sub.Alias, sub.PSID), nil
	}
	var known []string
	for _, sub := range s.world.Subscribers() {
		if sub.PSID == who {
			return sub.PSID, fmt.Sprintf("%s (PSID %s)", sub.Alias, sub.PSID), nil
		}
		known = append(known, sub.Alias)
	}
	sort.Strings(known)
	return "", "", fmt.Errorf("otnsimtest matcher: the world has no subscriber %q (aliases: %s)", who, strings.Join(known, ", "))
}
