// Package probes sends the security probes every bot under test gets:
// webhook events that are unsigned, signed with the wrong secret, signed
// over different bytes, or oversized; a verification handshake with the
// wrong verify token; and a replayed event. A bot must refuse the bad ones
// (a non-2xx answer, and no Send API call caused by them) and process a
// replay at most once (rules HOOK-SIGNATURE, HOOK-VERIFY, HOOK-REPLAY).
//
// Each event is an OTN opt-in carrying a token made up for the probe, for a
// topic of its own. After the events the harness asks the bot to notify each
// topic (the standard otn.notify trigger), twice: a bot that processed a
// forged opt-in spends its token, and a bot that processed a replay holds
// the token twice. A correctly signed control opt-in shows that the bot
// processes opt-ins at all; without it the replay cannot be judged.
package probes

import (
	"fmt"
	"net/http"
	"time"

	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/sim"
)

// Verdicts.
const (
	Pass         = "pass"
	Fail         = "fail"
	NotExercised = "not exercised"
)

// Result is the outcome of one probe.
type Result struct {
	Name     string `json:"name"`
	Rule     string `json:"rule"`
	Verdict  string `json:"verdict"`
	Sent     string `json:"sent"`     // what the probe sent, in words
	Answer   string `json:"answer"`   // how the bot answered
	Evidence string `json:"evidence"` // why the verdict
}

// OversizedBytes is the size of the oversized probe's body: over the 1 MiB
// a webhook body never exceeds.
const OversizedBytes = 2 << 20

// eventProbe is one webhook event probe.
type eventProbe struct {
	name, rule, sent string
	psid, topic, tok string
	header           http.Header
	body             []byte
	times            int  // deliveries (2 for the replay)
	mustRefuse       bool // a 2xx answer fails the probe
	status           []int
	errs             []string
}

// Run sends every probe to the bot behind h, in a world of its own, and
// returns their results. An error means the bot could not be run on (for an
// external bot, a *external.BotError); no verdict is then given.
func Run(h Target) ([]Result, error) {
	w, err := sim.NewWorld(sim.Options{Seed: 1, Page: h.Page(), Bot: h.Factory(), PSID: h.NextPSID})
	if err != nil {
		if herr := h.Err(); herr != nil {
			return nil, herr
		}
		return nil, fmt.Errorf("security probes: %w", err)
	}
	out := verifyProbes(h)
	if err := h.Err(); err != nil {
		return nil, err
	}
	page := h.Page()
	now := w.Clock.Now()
	mk := func(name string) (string, string, string, []byte) {
		psid := h.NextPSID()
		topic := "otnsim.probe." + name
		tok := "otnsimProbeToken-" + name + "-" + psid
		return psid, topic, tok, optinBody(page.ID, psid, topic, tok, now)
	}
	var evs []*eventProbe
	add := func(name, rule, sent string, refuse bool, times int, header func(body []byte) (http.Header, []byte)) *eventProbe {
		psid, topic, tok, body := mk(name)
		hd, b := header(body)
		p := &eventProbe{name: name, rule: rule, sent: sent, psid: psid, topic: topic, tok: tok, header: hd, body: b, times: times, mustRefuse: refuse}
		evs = append(evs, p)
		return p
	}
	control := add("control", "", "a correctly signed opt-in event", false, 1, func(b []byte) (http.Header, []byte) { return signed(page.AppSecret, b), b })
	add("unsigned", rules.HookSignature, "an opt-in event with no signature headers", true, 1, func(b []byte) (http.Header, []byte) {
		hd := http.Header{}
		hd.Set("Content-Type", "application/json")
		return hd, b
	})
	add("wrong-secret", rules.HookSignature, "an opt-in event signed with the wrong app secret", true, 1, func(b []byte) (http.Header, []byte) {
		return signed("not-"+page.AppSecret, b), b
	})
	add("other-bytes", rules.HookSignature, "an opt-in event whose signature was computed over different bytes", true, 1, func(b []byte) (http.Header, []byte) {
		other := append([]byte(nil), b...)
		other = append(other, ' ')
		return signed(page.AppSecret, other), b
	})
	add("oversized", rules.HookSignature, fmt.Sprintf("a correctly signed opt-in event padded to %d bytes (over 1 MiB)", OversizedBytes), true, 1, func(b []byte) (http.Header, []byte) {
		big := pad(b, OversizedBytes)
		return signed(page.AppSecret, big), big
	})
	replay := add("replay", rules.HookReplay, "a correctly signed opt-in event, delivered twice", false, 2, func(b []byte) (http.Header, []byte) {
		return signed(page.AppSecret, b), b
	})

	mark := h.Mark()
	for _, p := range evs {
		for i := 0; i < p.times; i++ {
			status, err := h.Deliver(p.header, p.body)
			if herr := h.Err(); herr != nil {
				return nil, herr
			}
			p.status = append(p.status, status)
			if err != nil {
				p.errs = append(p.errs, err.Error())
			}
		}
	}
	// Let any idle guard pass, then ask for each topic twice.
	for round := 0; round < 2; round++ {
		w.Advance(10 * time.Minute)
		if err := h.Tick(w); err != nil {
			return nil, botErr(h, err)
		}
		for _, p := range evs {
			if err := w.Trigger("otn.notify", map[string]any{"topic": p.topic, "text": "otnsim security probe"}); err != nil {
				return nil, botErr(h, fmt.Errorf("otn.notify for probe %s: %w", p.name, err))
			}
		}
	}
	calls := h.GraphCallsSince(mark)
	used := func(p *eventProbe) int { return countUses(calls, p.tok, p.psid) }
	controlUses := used(control)
	for _, p := range evs {
		if p == control {
			continue
		}
		r := Result{Name: p.name, Rule: p.rule, Sent: p.sent, Answer: answers(p)}
		switch {
		case p == replay:
			r.Verdict, r.Evidence = judgeReplay(used(p), controlUses, p)
		case used(p) > 0:
			r.Verdict = Fail
			r.Evidence = fmt.Sprintf("the bot processed the event: it made %d Send API call(s) with the probe's token or to its PSID", used(p))
		case accepted(p):
			r.Verdict = Fail
			r.Evidence = "the bot answered 2xx instead of refusing the event"
		default:
			r.Verdict = Pass
			r.Evidence = "refused, and no Send API call used the probe's token"
		}
		out = append(out, r)
	}
	return out, nil
}

func judgeReplay(uses, controlUses int, p *eventProbe) (string, string) {
	switch {
	case controlUses == 0:
		return NotExercised, "the bot never spent the token of a correctly signed opt-in (control), so a replay cannot be observed; does it implement otn.notify?"
	case !accepted(p):
		return Fail, "the bot refused a correctly signed event (Meta retries until it gets 200)"
	case uses > controlUses:
		return Fail, fmt.Sprintf("the bot processed the replay twice: it used the replayed token %d times where it used the control's once-delivered token %d time(s)", uses, controlUses)
	}
	return Pass, fmt.Sprintf("the replayed token was used %d time(s), like the control's", uses)
}

func botErr(h Target, err error) error {
	if herr := h.Err(); herr != nil {
		return herr
	}
	return fmt.Errorf("security probes: %w", err)
}

func accepted(p *eventProbe) bool {
	for _, s := range p.status {
		if s/100 == 2 {
			return true
		}
	}
	return false
}

func answers(p *eventProbe) string {
	s := ""
	for i, st := range p.status {
		if i > 0 {
			s += ", "
		}
		if st == 0 {
			s += "connection closed"
			if i < len(p.errs) {
				s += " (" + p.errs[i] + ")"
			}
			continue
		}
		s += fmt.Sprintf("HTTP %d", st)
	}
	return s
}
