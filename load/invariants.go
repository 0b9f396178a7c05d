package load

import (
	"fmt"
	"strconv"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/lifeline"

	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/load/report"
	"github.com/otnsim/otnsim/platform"
	"github.com/otnsim/otnsim/rules"
)

// Invariant ids, as violations name them. They hold of the referee
// (fakegraph) whatever the bot does: a bot's mistakes are refused calls,
// reported as findings by rule, not violations.
const (
	// InvTokenOnce: a token is spent at most once.
	InvTokenOnce = "INV-TOKEN-ONCE"
	// InvTokenIssued: a token is never spent unless it was issued.
	InvTokenIssued = "INV-TOKEN-ISSUED"
	// InvTokenExpiry: a token is never spent after it expired.
	InvTokenExpiry = "INV-TOKEN-EXPIRY"
	// InvWindow: no message reaches a subscriber outside their 24-hour
	// window without a token (or a message tag).
	InvWindow = "INV-WINDOW"
	// InvLedger: fakegraph's ledger agrees with what the engine saw.
	InvLedger = "INV-LEDGER"
)

// drain applies the Send API calls observed since the last step.
func (w *world) drain() {
	for _, n := range w.obs.take() {
		w.apply(n)
	}
}

// apply checks one Send API call against the invariants and counts it.
func (w *world) apply(n sendNote) {
	c := &w.counters
	w.counted(n.at, true)
	c.SendCalls++
	if !n.ok {
		c.SendRefused++
		if n.token != "" {
			c.TokensRefused++
		}
		return
	}
	c.SendOK++
	if n.token != "" {
		c.TokensSpent++
		id, issued := w.tokenIDs[n.token]
		if !issued {
			w.violate(-1, n.at, InvTokenIssued, "a Send API call spent token %.12s... that was never issued", n.token)
			return
		}
		t := &w.tokens[id]
		if t.spent {
			w.violate(t.sub, n.at, InvTokenOnce, "token #%d (issued %s) was spent a second time", id+1, fmtTime(t.issued))
		}
		if n.at >= t.issued+int64(platform.TokenLifetime) {
			w.violate(t.sub, n.at, InvTokenExpiry, "token #%d issued %s was spent after it expired", id+1, fmtTime(t.issued))
		}
		t.spent = true
		w.notified(t.sub)
		return
	}
	i, known := w.index[n.psid]
	if !known {
		return
	}
	s := &w.subs[i]
	if n.msgType != "MESSAGE_TAG" && n.at >= s.windowUntil {
		last := "never wrote"
		if s.lastAction != 0 {
			last = "last wrote " + fmtTime(s.lastAction) + ", window closed " + fmtTime(s.windowUntil)
		}
		w.violate(i, n.at, InvWindow, "a %s message was delivered without a token outside the window (%s)", n.msgType, last)
	}
	if n.otn {
		c.OTNRequests++
		s.offered = w.topic(n.topic)
		return
	}
	if w.cur != i {
		w.notified(i)
	}
}

// violate records a broken invariant for local subscriber i (-1: unknown).
func (w *world) violate(i int32, at int64, inv, format string, args ...any) {
	w.violCount++
	if len(w.violations) >= report.MaxViolations {
		return
	}
	v := report.Violation{Invariant: inv, Subscriber: -1, At: fmtTime(at), Detail: fmt.Sprintf(format, args...)}
	if i >= 0 {
		g := w.base + int(i)
		v.Subscriber = g
		v.PSID = w.psids[i]
		v.SubscriberSeed = fmt.Sprintf("%#016x", subscriberSeed(w.opts.Seed, g))
		v.Replay = w.opts.replayCommand(g)
	}
	w.violations = append(w.violations, v)
}

func fmtTime(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }

// finish makes the final pass over fakegraph's ledger: findings by rule, a
// cross-check of what the engine counted, and the tokens' state at the end.
func (w *world) finish(r *report.Report) {
	l := w.graph.Ledger()
	checks := findings.DefaultOptions()
	if w.opts.Checks != nil {
		checks = *w.opts.Checks
	}
	// The one detector judges the ledger, as run and check do.
	fs := findings.Detect(l, checks)
	for _, f := range fs {
		r.Findings[f.Rule]++
		psid := f.PSID
		if psid == "" && f.CallSeq > 0 {
			if c := l.Calls[f.CallSeq-1]; c.TokenSeq > 0 && c.TokenSeq <= len(l.Tokens) {
				psid = l.Tokens[c.TokenSeq-1].PSID
			}
		}
		if i, ok := w.index[psid]; ok {
			g := w.base + int(i)
			r.AddSample(f.Rule, report.FindingSample{Subscriber: g, PSID: psid, At: f.At.UTC().Format(time.RFC3339Nano),
				Detail: f.Detail, Replay: w.opts.replayCommand(g)})
		}
	}
	spentBySeq := map[int]int{}
	var okToken int64
	pageAffected := l.PageAffected
	regionLearned := map[string]bool{}
	for _, c := range l.Calls {
		switch {
		case !c.OK && c.Rule == rules.Region && !pageAffected && !regionLearned[c.PSID]:
			// A page cannot know a user's country before Meta refuses the
			// first OTN call in their thread: the detector does not count
			// it, and the summary shows how often it happened.
			regionLearned[c.PSID] = true
			w.counters.RegionLearned++
		case c.OK && c.TokenSeq > 0:
			okToken++
			spentBySeq[c.TokenSeq]++
		}
	}
	for _, t := range l.Tokens {
		if spentBySeq[t.Seq] > 1 {
			i := w.index[t.PSID]
			w.violate(i, t.IssuedAt.UnixNano(), InvTokenOnce, "the ledger shows token #%d spent %d times", t.Seq, spentBySeq[t.Seq])
		}
	}
	if okToken != w.counters.TokensSpent || int64(len(l.Tokens)) != w.counters.TokensIssued {
		w.violate(-1, w.end, InvLedger, "ledger of subscribers %d-%d: %d tokens issued and %d spent, the engine saw %d and %d",
			w.base, w.base+len(w.subs)-1, len(l.Tokens), okToken, w.counters.TokensIssued, w.counters.TokensSpent)
	}
	for _, t := range w.tokens {
		switch {
		case t.spent:
		case w.end >= t.issued+int64(platform.TokenLifetime):
			w.counters.TokensExpired++
		default:
			w.counters.TokensActive++
		}
	}
	if w.opts.Only != nil {
		r.Timeline = findings.Timeline(l, w.psids[0], fs)
	}
	r.Counters.Add(w.counters)
	r.Throughput = w.throughput
	w.drawLifelines(l, fs, r)
	r.AddViolations(w.violCount, w.violations)
}

// drawLifelines gives the chunk's finding samples and violations their
// subscriber's lifeline, reading the ledger once; the report keeps the
// first MaxLifelines (AddViolations, TrimLifelines).
func (w *world) drawLifelines(l fakegraph.Ledger, fs []findings.Finding, r *report.Report) {
	var whom []lifeline.Who
	seen := map[string]bool{}
	add := func(g int, psid string) {
		if psid != "" && !seen[psid] {
			seen[psid] = true
			whom = append(whom, lifeline.Who{PSID: psid, Name: "subscriber " + strconv.Itoa(g)})
		}
	}
	for _, s := range r.Samples {
		add(s.Subscriber, s.PSID)
	}
	for _, v := range w.violations {
		add(v.Subscriber, v.PSID)
	}
	drawn := map[string]*lifeline.Lifeline{}
	for i, ll := range lifeline.BuildAll(l, whom, fs, report.LifelineMarks) {
		drawn[whom[i].PSID] = &ll
	}
	for id, s := range r.Samples {
		s.Lifeline = drawn[s.PSID]
		r.Samples[id] = s
	}
	for i := range w.violations {
		w.violations[i].Lifeline = drawn[w.violations[i].PSID]
	}
}
