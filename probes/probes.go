// Package probes sends the security probes every bot under test gets, and
// judges the answers. The probes are:
//
//   - wrong-verify-token, empty-verify-token: a verification handshake with
//     a wrong or an empty verify token; the bot must not echo the challenge
//     (rule HOOK-VERIFY).
//   - unsigned: an event with no signature headers.
//   - wrong-secret: an event signed with another app secret.
//   - other-bytes: an event whose signatures were computed over different
//     bytes than were sent.
//   - oversized: a correctly signed event of over 1 MiB.
//   - sha1-only: an event with a correct legacy X-Hub-Signature (SHA-1) but
//     an X-Hub-Signature-256 made with another secret, for bots that check
//     only the SHA-1 header, or accept either.
//   - empty-digest: an event whose headers are the bare "sha256=" and
//     "sha1=", for bots that compare the signature as a prefix of the right
//     one (strings.HasPrefix) or only up to the shorter length.
//   - short-digest: an event whose headers carry only the first 8 hex digits
//     of the right digests, for the same comparison in bots that do refuse
//     an empty digest (one hex digit is guessed in 16 tries).
//   - non-ascii: a correctly signed event whose body carries non-ASCII text
//     escaped as Meta sends it (\u00e9, and an emoji as a surrogate pair);
//     the bot must process it. A bot that verifies the signature over a
//     re-serialised body (parse, then serialise again) instead of the raw
//     bytes refuses it. Every event's keys are in Meta's order, which is
//     not sorted: a re-serialiser that sorts keys refuses every event, the
//     control too, and fails this probe for it.
//   - replay: a correctly signed event, delivered twice; the bot must
//     process it at most once (rule HOOK-REPLAY).
//
// The bot must refuse unsigned, wrong-secret, other-bytes, oversized,
// sha1-only, empty-digest and short-digest (a non-2xx answer, and no Send
// API call caused by them): rule HOOK-SIGNATURE, which non-ascii belongs to
// as well.
//
// Each event is an OTN opt-in carrying a token made up for the probe, for a
// topic of its own. After the events the harness asks the bot to notify each
// topic (the standard otn.notify trigger), twice: a bot that processed a
// forged opt-in spends its token, and a bot that processed a replay holds
// the token twice. A correctly signed control opt-in shows that the bot
// processes opt-ins at all; without it neither the replay nor non-ascii can
// be judged.
package probes

import (
	"fmt"
	"net/http"
	"time"

	"github.com/otnsim/otnsim/platform"
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

// NonASCIITitle is the text the non-ascii probe's opt-in carries, in a title
// field the bot has no use for: accented Latin letters, a dash, and an emoji
// beyond U+FFFF. In the body it is escaped as Meta escapes it:
// "Caf\u00e9 cr\u00e8me \u2014 nouveaut\u00e9s \ud83c\udf89".
const NonASCIITitle = "Café crème — nouveautés 🎉"

// shortDigits is how many hex digits of each digest the short-digest probe
// keeps.
const shortDigits = 8

// eventProbe is one webhook event probe.
type eventProbe struct {
	name, rule, sent string
	psid, topic, tok string
	header           http.Header
	body             []byte
	hint             string // the likely bug when the bot fails the probe
	times            int    // deliveries (2 for the replay)
	mustRefuse       bool   // a 2xx answer fails the probe
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
	var evs []*eventProbe
	// event adds a probe whose opt-in carries title (none when empty);
	// header returns the headers and body to send for that opt-in.
	event := func(name, title, rule, sent string, refuse bool, times int, header func(body []byte) (http.Header, []byte)) *eventProbe {
		psid := h.NextPSID()
		topic := "otnsim.probe." + name
		tok := "otnsimProbeToken-" + name + "-" + psid
		hd, b := header(optinBody(page.ID, psid, topic, tok, title, now))
		p := &eventProbe{name: name, rule: rule, sent: sent, psid: psid, topic: topic, tok: tok, header: hd, body: b, times: times, mustRefuse: refuse}
		evs = append(evs, p)
		return p
	}
	add := func(name, rule, sent string, refuse bool, times int, header func(body []byte) (http.Header, []byte)) *eventProbe {
		return event(name, "", rule, sent, refuse, times, header)
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
	add("sha1-only", rules.HookSignature, "an opt-in event with a correct legacy X-Hub-Signature (SHA-1) but an X-Hub-Signature-256 computed with the wrong app secret", true, 1, func(b []byte) (http.Header, []byte) {
		hd := signed(page.AppSecret, b)
		wrong, _ := platform.Sign("not-"+page.AppSecret, b)
		hd.Set(platform.SignatureHeader, wrong)
		return hd, b
	}).hint = "it probably checks only the legacy SHA-1 header (or accepts either header), not X-Hub-Signature-256"
	add("empty-digest", rules.HookSignature, `an opt-in event whose signature headers are "sha256=" and "sha1=" with empty digests`, true, 1, func(b []byte) (http.Header, []byte) {
		hd := signed(page.AppSecret, b)
		hd.Set(platform.SignatureHeader, platform.SHA256Prefix)
		hd.Set(platform.LegacySignatureHeader, platform.SHA1Prefix)
		return hd, b
	}).hint = "it probably compares the signature as a prefix of the right one (strings.HasPrefix) or only up to the shorter length"
	add("short-digest", rules.HookSignature, fmt.Sprintf("an opt-in event whose signature headers carry only the first %d hex digits of the right digests", shortDigits), true, 1, func(b []byte) (http.Header, []byte) {
		hd := signed(page.AppSecret, b)
		hd.Set(platform.SignatureHeader, shortened(hd.Get(platform.SignatureHeader), platform.SHA256Prefix, shortDigits))
		hd.Set(platform.LegacySignatureHeader, shortened(hd.Get(platform.LegacySignatureHeader), platform.SHA1Prefix, shortDigits))
		return hd, b
	}).hint = "it probably compares the signature as a prefix of the right one (strings.HasPrefix) or only up to the shorter length, so a digest of one guessed hex digit gets through one time in 16"
	nonASCII := event("non-ascii", NonASCIITitle, rules.HookSignature, `a correctly signed opt-in event whose body has non-ASCII text escaped as Meta sends it (\u00e9 and the like, an emoji as a surrogate pair)`, false, 1, func(b []byte) (http.Header, []byte) {
		return signed(page.AppSecret, b), b
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
		case p == nonASCII:
			r.Verdict, r.Evidence = judgeNonASCII(used(p), controlUses, p, control)
		case used(p) > 0:
			r.Verdict = Fail
			r.Evidence = withHint(fmt.Sprintf("the bot processed the event: it made %d Send API call(s) with the probe's token or to its PSID", used(p)), p)
		case accepted(p):
			r.Verdict = Fail
			r.Evidence = withHint("the bot answered 2xx instead of refusing the event", p)
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

// judgeNonASCII judges the non-ascii probe: the bot must accept and process
// it as it did the control.
func judgeNonASCII(uses, controlUses int, p, control *eventProbe) (string, string) {
	switch {
	case !accepted(p) && !accepted(control) && controlUses == 0:
		return Fail, "the bot refused every correctly signed event, this one and the control alike: it probably verifies a re-serialised body (keys sorted, escapes or spacing changed) instead of the raw bytes Meta signed"
	case !accepted(p) && (accepted(control) || controlUses > 0):
		return Fail, "the bot refused a correctly signed event whose body has non-ASCII text escaped as Meta sends it: it probably verifies a re-serialised body instead of the raw bytes"
	case controlUses == 0:
		return NotExercised, "the bot never spent the token of a correctly signed opt-in (control), so whether it processes this one cannot be observed; does it implement otn.notify?"
	case uses == 0:
		return Fail, "the bot accepted a correctly signed event whose body has non-ASCII text escaped as Meta sends it, but never used its token, though it used the control's: it probably drops the event after checking a re-serialised body, or cannot decode the escapes"
	}
	return Pass, fmt.Sprintf("accepted, and its token was used %d time(s), the control's %d", uses, controlUses)
}

// withHint appends the probe's likely bug to the evidence of its failure.
func withHint(evidence string, p *eventProbe) string {
	if p.hint == "" {
		return evidence
	}
	return evidence + "; " + p.hint
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
