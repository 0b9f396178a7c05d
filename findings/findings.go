// Package findings is otnsim's one detector: it judges a fakegraph ledger
// against the rule catalogue for `otnsim run`, `otnsim check` and load runs
// alike. It reports the refusals that are the bot's mistakes (platform rules
// fakegraph enforced) and the practice rules that only show in the record
// of what happened: a token spent while the window was open, a notification
// that interrupted an active subscriber, a token of the wrong topic, a burst
// of OTN requests.
//
// The ledger is read in the order things were recorded, never by timestamp
// alone: a subscriber's message that lands at the same virtual instant as a
// notification, but after it, did not precede it.
package findings

import (
	"fmt"
	"sort"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/platform"
	"github.com/otnsim/otnsim/rules"
)

// Options tunes the practice checks. The yaml tags are the field names of a
// scenario's "checks:" section.
type Options struct {
	// IdleAfter is how long a subscriber must have been quiet before a
	// notification may reach them (OTN-IDLE). Zero disables the check.
	IdleAfter time.Duration `yaml:"idle_after"`
	// ThrottleMax is the most OTN requests one subscriber may receive within
	// ThrottleWindow (OTN-REQ-THROTTLE). Zero disables the check.
	ThrottleMax int `yaml:"throttle_max"`
	// ThrottleWindow is the span ThrottleMax counts over.
	ThrottleWindow time.Duration `yaml:"throttle_window"`
}

// DefaultOptions returns the checks' defaults: 5 minutes of idleness, at most
// 3 OTN requests per subscriber within 24 hours (platform.Window).
func DefaultOptions() Options {
	return Options{IdleAfter: 5 * time.Minute, ThrottleMax: 3, ThrottleWindow: platform.Window}
}

// Finding is one broken rule, at one moment, for one subscriber, with the
// evidence that proves it.
type Finding struct {
	Rule     string         `json:"rule"`
	Kind     rules.Kind     `json:"kind"`
	Severity rules.Severity `json:"severity"`
	PSID     string         `json:"psid,omitempty"`
	At       time.Time      `json:"at"`
	// CallSeq is the Send API call that broke the rule, if any.
	CallSeq int `json:"call_seq,omitempty"`
	// Calls and Events are the sequence numbers (fakegraph.Call.Seq,
	// fakegraph.Event.Seq) of the records that prove the finding.
	Calls  []int `json:"calls,omitempty"`
	Events []int `json:"events,omitempty"`
	// Order is the ledger order of the record that broke the rule.
	Order int `json:"order"`
	// Expected and Observed say what the rule asks and what happened.
	Expected string `json:"expected"`
	Observed string `json:"observed"`
	// Detail is expected versus observed in one sentence.
	Detail string `json:"detail"`
	// Consequences are later problems of the same scenario that this
	// finding explains; the judges (scenario runs, `otnsim check`) fill it.
	Consequences []string `json:"consequences,omitempty"`
}

// String renders the finding on one line.
func (f Finding) String() string {
	return fmt.Sprintf("%s [%s] %s", f.Rule, f.Severity, f.Detail)
}

// Evidence renders the sequence numbers behind the finding, such as
// "call #4, event #2"; empty when there are none.
func (f Finding) Evidence() string {
	s := ""
	for _, n := range f.Calls {
		s += fmt.Sprintf(", call #%d", n)
	}
	for _, n := range f.Events {
		s += fmt.Sprintf(", event #%d", n)
	}
	if s == "" {
		return ""
	}
	return s[2:]
}

// Count returns how many findings of rule concern psid (everyone when psid
// is empty).
func Count(fs []Finding, rule, psid string) int {
	n := 0
	for _, f := range fs {
		if f.Rule == rule && (psid == "" || f.PSID == psid) {
			n++
		}
	}
	return n
}

// Detect returns every finding in led, in ledger order.
func Detect(led fakegraph.Ledger, opts Options) []Finding {
	d := newDetector(led, opts)
	for _, r := range records(led) {
		if r.event != nil {
			d.event(r.event)
		} else {
			d.call(r.call)
		}
	}
	sort.SliceStable(d.out, func(i, j int) bool { return d.out[i].Order < d.out[j].Order })
	return d.out
}

// record is one entry of the ledger: an event or a call.
type record struct {
	order int
	at    time.Time
	event *fakegraph.Event
	call  *fakegraph.Call
}

// records merges the ledger's events and calls in recording order. Ledgers
// built by hand (without orders) are merged by time, events first.
func records(led fakegraph.Ledger) []record {
	out := make([]record, 0, len(led.Events)+len(led.Calls))
	ordered := true
	for i := range led.Events {
		e := &led.Events[i]
		out = append(out, record{order: e.Order, at: e.At, event: e})
		ordered = ordered && e.Order > 0
	}
	for i := range led.Calls {
		c := &led.Calls[i]
		out = append(out, record{order: c.Order, at: c.At, call: c})
		ordered = ordered && c.Order > 0
	}
	if ordered {
		// Each slice is in recording order already: merge them.
		merged := make([]record, 0, len(out))
		ev, calls := out[:len(led.Events)], out[len(led.Events):]
		for len(ev) > 0 || len(calls) > 0 {
			if len(calls) == 0 || (len(ev) > 0 && ev[0].order < calls[0].order) {
				merged, ev = append(merged, ev[0]), ev[1:]
			} else {
				merged, calls = append(merged, calls[0]), calls[1:]
			}
		}
		return merged
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].at.Equal(out[j].at) {
			return out[i].at.Before(out[j].at)
		}
		return out[i].event != nil && out[j].event == nil
	})
	for i := range out {
		// Copies, so that the caller's ledger keeps its values.
		out[i].order = i + 1
		if e := out[i].event; e != nil {
			cp := *e
			cp.Order = i + 1
			out[i].event = &cp
		} else {
			cp := *out[i].call
			cp.Order = i + 1
			out[i].call = &cp
		}
	}
	return out
}

// mark is a record a later finding may cite.
type mark struct {
	seq   int
	order int
	at    time.Time
}

// thread is what the detector knows of one subscriber so far.
type thread struct {
	active      mark            // their latest message, postback, quick reply or reaction
	tokens      []int           // token seqs held, oldest first (spent ones removed)
	asked       []askedNotice   // notifications the bot was asked to send them, not yet sent
	away        *fakegraph.Call // the refusal saying they cannot be reached, until they act again
	regionKnown *fakegraph.Call // the refusal that told the bot OTN is unavailable in this thread
	requests    []time.Time     // successful OTN requests, oldest first
}

// drop forgets a spent token.
func (t *thread) drop(seq int) {
	for i, s := range t.tokens {
		if s == seq {
			t.tokens = append(t.tokens[:i:i], t.tokens[i+1:]...)
			return
		}
	}
}

// askedNotice is a requested notification waiting for its message.
type askedNotice struct {
	topic   string
	trigger mark
}

type detector struct {
	opts    Options
	led     fakegraph.Ledger
	threads map[string]*thread
	out     []Finding

	stimulus     int                    // order of the latest trigger or user action
	stimulusAt   time.Time              // and its time
	notifying    bool                   // the latest stimulus is a trigger that may notify
	retried      map[int]bool           // tokens whose lost-answer retry was refused once
	spentBy      map[int]fakegraph.Call // token seq -> the call that spent it
	issued       map[int]int            // token seq -> order of its notify_me event
	notified     map[string]int         // topic -> order of the latest otn.notify for it
	lastNotify   map[string]mark        // topic -> that trigger event
	anyNotify    mark                   // the latest notify trigger with a topic
	vagueNotify  int                    // order of the latest trigger that may notify, topic unknown
	featureKnown *fakegraph.Call        // the refusal that told the bot the page lacks the feature
}

func newDetector(led fakegraph.Ledger, opts Options) *detector {
	return &detector{opts: opts, led: led, threads: map[string]*thread{}, spentBy: map[int]fakegraph.Call{},
		issued: map[int]int{}, retried: map[int]bool{}, notified: map[string]int{}, lastNotify: map[string]mark{}}
}

func (d *detector) thread(psid string) *thread {
	t := d.threads[psid]
	if t == nil {
		t = &thread{}
		d.threads[psid] = t
	}
	return t
}

// token returns the ledger's token seq, if it is one.
func (d *detector) token(seq int) (fakegraph.Token, bool) {
	if seq < 1 || seq > len(d.led.Tokens) {
		return fakegraph.Token{}, false
	}
	return d.led.Tokens[seq-1], true
}

func (d *detector) add(rule string, c *fakegraph.Call, psid string, at time.Time, order int, expected, observed string, events ...int) {
	r, _ := rules.Lookup(rule)
	f := Finding{Rule: rule, Kind: r.Kind, Severity: r.Severity, PSID: psid, At: at, Order: order,
		Expected: expected, Observed: observed, Detail: "expected " + expected + "; observed " + observed}
	if c != nil {
		f.CallSeq = c.Seq
		f.Calls = []int{c.Seq}
	}
	for _, e := range events {
		if e > 0 {
			f.Events = append(f.Events, e)
		}
	}
	d.out = append(d.out, f)
}

func (d *detector) event(e *fakegraph.Event) {
	if e.Kind == "webhook" {
		return
	}
	d.stimulus, d.stimulusAt, d.notifying = e.Order, e.At, false
	t := d.thread(e.PSID)
	switch {
	case e.OpensWindow():
		t.active = mark{seq: e.Seq, order: e.Order, at: e.At}
		t.away = nil
	case e.Kind == "notify_me" && e.TokenSeq > 0:
		t.tokens = append(t.tokens, e.TokenSeq)
		d.issued[e.TokenSeq] = e.Order
	case e.Kind == "trigger":
		d.trigger(e)
	}
}

// trigger notes what the bot was asked. otn.notify asks for a notification
// of its topic to every holder of a live token of it; a trigger the
// standard contract does not name may notify anyone (its topic unknown).
func (d *detector) trigger(e *fakegraph.Event) {
	switch e.Trigger {
	case "otn.request", "broadcast", "tick":
		return
	}
	d.notifying = true
	topic := ""
	if e.Trigger == "otn.notify" {
		topic = e.Topic
	}
	m := mark{seq: e.Seq, order: e.Order, at: e.At}
	if topic == "" {
		d.vagueNotify = e.Order
	} else {
		d.notified[topic] = e.Order
		d.lastNotify[topic] = m
		d.anyNotify = m
	}
	for _, t := range d.threads {
		for _, seq := range t.tokens {
			tok, ok := d.token(seq)
			if ok && (topic == "" || tok.Topic == topic) && e.At.Before(tok.ExpiresAt) {
				t.asked = append(t.asked, askedNotice{topic: topic, trigger: m})
				break
			}
		}
	}
}

func (d *detector) call(c *fakegraph.Call) {
	if !c.OK {
		d.refusal(c)
		return
	}
	t := d.thread(c.PSID)
	switch {
	case c.Kind == fakegraph.KindOTNRequest:
		if c.RecipientKind == fakegraph.RecipientToken {
			// A token may carry a new request: it is spent all the same.
			d.spentBy[c.TokenSeq] = *c
			t.drop(c.TokenSeq)
		}
		d.throttle(c, t)
	case c.Kind != fakegraph.KindMessage:
	case c.RecipientKind == fakegraph.RecipientToken:
		d.spent(c, t)
	default:
		// A normal message is a requested notification when one is due
		// and the bot is not answering something else: it follows a
		// trigger that may notify, or comes later than any stimulus (a
		// notification held until the subscriber was idle).
		if len(t.asked) > 0 && (d.notifying || c.At.After(d.stimulusAt)) {
			d.idle(c, t, t.asked[0].trigger)
			t.asked = t.asked[1:]
		}
	}
}

// spent judges an OK message sent with a token: always a notification.
func (d *detector) spent(c *fakegraph.Call, t *thread) {
	d.spentBy[c.TokenSeq] = *c
	t.drop(c.TokenSeq)
	var trigger mark
	for i, a := range t.asked {
		if a.topic == "" || a.topic == c.Topic {
			trigger = a.trigger
			t.asked = append(t.asked[:i:i], t.asked[i+1:]...)
			break
		}
	}
	if c.WindowOpen {
		d.add(rules.InWindowKeep, c, c.PSID, c.At, c.Order,
			"a normal message inside the open window, keeping the token",
			fmt.Sprintf("token #%d spent while the window was open (call #%d)", c.TokenSeq, c.Seq), t.active.seq)
	}
	d.topicMatch(c)
	d.idle(c, t, trigger)
}

// topicMatch finds a token spent for a notification of another topic: the
// bot was asked to notify some topic since the token was issued, never its
// topic. Nothing is judged while a trigger of unknown topic is in play.
func (d *detector) topicMatch(c *fakegraph.Call) {
	issued := d.issued[c.TokenSeq]
	if d.anyNotify.order <= issued || d.vagueNotify > issued || d.notified[c.Topic] > issued {
		return
	}
	d.add(rules.TopicMatch, c, c.PSID, c.At, c.Order,
		fmt.Sprintf("a token of the notified topic %q", d.topicOf(d.anyNotify)),
		fmt.Sprintf("token #%d of topic %q spent (call #%d), a topic the bot was not asked to notify", c.TokenSeq, c.Topic, c.Seq),
		d.anyNotify.seq)
}

// topicOf names the topic of the notify trigger m.
func (d *detector) topicOf(m mark) string {
	for topic, n := range d.lastNotify {
		if n.order == m.order {
			return topic
		}
	}
	return ""
}

// idle finds a notification sent within IdleAfter of the subscriber's last
// action recorded before it.
func (d *detector) idle(c *fakegraph.Call, t *thread, trigger mark) {
	if d.opts.IdleAfter <= 0 || t.active.order == 0 {
		return
	}
	// A bot knows the action's time from the webhook, to the millisecond.
	quiet := c.At.Sub(t.active.at.Truncate(time.Millisecond))
	if quiet >= d.opts.IdleAfter {
		return
	}
	d.add(rules.Idle, c, c.PSID, c.At, c.Order,
		fmt.Sprintf("a notification only after %s of idleness", d.opts.IdleAfter),
		fmt.Sprintf("call #%d notified the subscriber %s after their last action (event #%d)", c.Seq, quiet, t.active.seq),
		t.active.seq, trigger.seq)
}

// throttle finds OTN requests beyond ThrottleMax to one subscriber within
// ThrottleWindow; each request over the limit is one finding. Only requests
// Meta accepted count, and one sent exactly ThrottleWindow after an earlier
// one no longer counts that one.
func (d *detector) throttle(c *fakegraph.Call, t *thread) {
	if d.opts.ThrottleMax > 0 && d.opts.ThrottleWindow > 0 {
		n := 0
		for _, at := range t.requests {
			if c.At.Sub(at) < d.opts.ThrottleWindow {
				n++
			}
		}
		if n >= d.opts.ThrottleMax {
			d.add(rules.ReqThrottle, c, c.PSID, c.At, c.Order,
				fmt.Sprintf("at most %d OTN requests to one subscriber within %s", d.opts.ThrottleMax, d.opts.ThrottleWindow),
				fmt.Sprintf("request #%d within %s (call #%d)", n+1, d.opts.ThrottleWindow, c.Seq))
		}
	}
	t.requests = append(t.requests, c.At)
}

// refusal judges a refused call. A refusal the bot could not foresee is
// how it learns (the first 551 after a subscriber blocked the page, the
// first region refusal in a thread, the first refusal for a missing
// feature, a token-once refusal of a retry after a lost answer); only
// repeating it is a mistake. Every other refusal under a rule is one.
func (d *detector) refusal(c *fakegraph.Call) {
	if c.Rule == "" {
		return // an injected fault, or a refusal no rule explains
	}
	t := d.thread(c.PSID)
	rule := c.Rule
	expected := ""
	observed := "call #" + itoa(c.Seq) + " " + c.Describe()
	var events []int
	switch rule {
	case rules.UserAvailable:
		if t.away == nil {
			t.away = c
			return
		}
		observed += fmt.Sprintf(", after call #%d was refused for the same reason and before the subscriber acted again", t.away.Seq)
	case rules.Region:
		if !d.led.PageAffected && c.PSID != "" {
			if t.regionKnown == nil {
				t.regionKnown = c
				return
			}
			observed += fmt.Sprintf(", after call #%d was refused in this thread for the region", t.regionKnown.Seq)
		}
	case rules.Feature:
		if d.featureKnown == nil {
			d.featureKnown = c
			return
		}
		observed += fmt.Sprintf(", after call #%d was refused because the page lacks the feature", d.featureKnown.Seq)
	case rules.TokenOnce:
		first, ok := d.spentBy[c.TokenSeq]
		switch {
		case ok && first.Fault != "" && !d.retried[c.TokenSeq]:
			// The bot never heard that its first use took effect: a
			// retry's refusal is how it learns, once.
			d.retried[c.TokenSeq] = true
			return
		case ok && first.Order > d.stimulus && first.At.Equal(c.At):
			// Spent and reused in one reaction: two messages for one
			// notification.
			rule = rules.Content
			expected = "one message per notification, each token used once"
			observed = fmt.Sprintf("token #%d carried call #%d and then call #%d in one reaction: two messages for one notification", c.TokenSeq, first.Seq, c.Seq)
		default:
			if ok {
				observed += fmt.Sprintf(", token #%d was spent by call #%d", c.TokenSeq, first.Seq)
			}
		}
	}
	if expected == "" {
		r, _ := rules.Lookup(rule)
		expected = "no call Meta refuses under this rule (" + r.Text + ")"
	}
	d.add(rule, c, c.PSID, c.At, c.Order, expected, observed, events...)
}

func itoa(n int) string { return fmt.Sprint(n) }
