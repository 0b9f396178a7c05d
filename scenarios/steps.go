package scenarios

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/internal/yamlpos"
	"github.com/otnsim/otnsim/sim/clock"
)

// MaxExpandedSteps bounds the steps one file expands to, every case and
// every repeat together, so a file cannot ask for more work (and memory)
// than a scenario should ever need.
const MaxExpandedSteps = 200000

// stepLimit is the limit the decoder applies: MaxExpandedSteps, lowered
// by specs so that they need not expand 200,000 steps.
var stepLimit = MaxExpandedSteps

// MaxGeneratedSubscribers bounds the subscribers one file generates, every
// case together.
const MaxGeneratedSubscribers = 100000

// stepScope is what steps may refer to: the declared subscribers; and the
// virtual time the steps reach, to refuse one that leaves the clock's range.
type stepScope struct {
	aliases map[string]*SubscriberSpec
	order   []SubscriberSpec
	start   time.Time // the scenario's start
	now     time.Time // where the steps so far took the clock; zero once lost
}

// overLimit reports (once, at n) whether the file has expanded to more
// steps than MaxExpandedSteps.
func (d *decoder) overLimit(n *yaml.Node) bool {
	if d.expanded <= stepLimit {
		return false
	}
	if !d.limitHit {
		d.limitHit = true
		d.Errorf(n, "the file expands to more than %d steps (every case and repeat together); split it", stepLimit)
	}
	return true
}

// steps reads a list of steps, expanding repeats in place.
func (d *decoder) steps(n *yaml.Node, sc *stepScope) []Step {
	if n.Kind != yaml.SequenceNode {
		d.Errorf(n, "steps must be a list, got %s", yamlpos.KindName(n))
		return nil
	}
	var out []Step
	for _, c := range n.Content {
		if d.limitHit {
			return out
		}
		if c.Kind == yaml.MappingNode && len(c.Content) == 2 && c.Content[0].Value == string(StepRepeat) {
			out = append(out, d.repeat(c.Content[1], sc)...)
			continue
		}
		if st, ok := d.step(c, sc); ok {
			d.moveClock(c, &st, sc)
			out = append(out, st)
		}
		if d.expanded++; d.overLimit(c) {
			return out
		}
	}
	return out
}

// moveClock follows the virtual time through the steps, so that a step that
// would take the clock out of its range (clock.Earliest to clock.Latest) is
// an input error here, at its position, not a failure when it runs.
func (d *decoder) moveClock(n *yaml.Node, st *Step, sc *stepScope) {
	if sc.now.IsZero() {
		return
	}
	at := n
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		at = n.Content[1]
	}
	var t time.Time
	var err error
	switch {
	case st.Kind == StepAdvance:
		t, err = clock.Add(sc.now, st.Duration)
	case st.Kind == StepAt && st.Relative:
		t, err = clock.Add(sc.start, st.AtOffset)
	case st.Kind == StepAt:
		t, err = st.At, clock.CheckTime(st.At)
	default:
		return
	}
	if err != nil {
		d.Errorf(at, "%s: %v", st.Kind, err)
		sc.now = time.Time{} // one error per file is enough
		return
	}
	if t.After(sc.now) {
		sc.now = t
	}
}

// repeat reads {each | times, steps} and returns the steps once per
// subscriber (with ${who} bound to their alias) or once per round (${i}).
func (d *decoder) repeat(n *yaml.Node, sc *stepScope) []Step {
	f, _ := d.Fields(n, "repeat", "each", "times", "steps")
	if !d.Require(n, "repeat", f, "steps") {
		return nil
	}
	_, hasEach := f["each"]
	_, hasTimes := f["times"]
	if hasEach == hasTimes {
		d.Errorf(n, "repeat needs exactly one of \"each\" (subscribers) or \"times\" (a count)")
		return nil
	}
	var rounds []map[string]string
	if hasTimes {
		times := d.Integer(f["times"], "repeat.times")
		if times < 1 || times > 10000 {
			d.Errorf(f["times"], "repeat.times must be between 1 and 10000, got %d", times)
			return nil
		}
		for i := 1; i <= times; i++ {
			rounds = append(rounds, map[string]string{"i": strconv.Itoa(i)})
		}
	} else {
		for i, a := range d.each(f["each"], sc) {
			rounds = append(rounds, map[string]string{"who": a, "i": strconv.Itoa(i + 1)})
		}
	}
	var out []Step
	for _, vars := range rounds {
		if d.overLimit(n) {
			return out
		}
		out = append(out, d.steps(bind(f["steps"], vars), sc)...)
	}
	return out
}

// each reads the subscribers a repeat goes over: "all", a glob on aliases
// ("shopper*"), a list of aliases, or {region: XX}.
func (d *decoder) each(n *yaml.Node, sc *stepScope) []string {
	var out []string
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			out = append(out, d.alias(c, sc))
		}
		return out
	case yaml.MappingNode:
		f, _ := d.Fields(n, "repeat.each", "region")
		if v, ok := f["region"]; ok {
			r := d.region(v, "repeat.each.region")
			for _, s := range sc.order {
				if s.Region == r {
					out = append(out, s.Alias)
				}
			}
			if len(out) == 0 {
				d.Errorf(v, "no declared subscriber has region %q (a subscriber without a region gets one at random when the scenario runs)", r)
			}
		}
		return out
	}
	pattern := d.Str(n, "repeat.each")
	if pattern == "all" {
		pattern = "*"
	}
	if _, err := path.Match(pattern, ""); err != nil {
		d.Errorf(n, "repeat.each: bad pattern %q: %v", pattern, err)
		return nil
	}
	for _, s := range sc.order {
		if ok, _ := path.Match(pattern, s.Alias); ok {
			out = append(out, s.Alias)
		}
	}
	if len(out) == 0 {
		d.Hintf(n, suggestAlias(pattern, sc.aliases), "repeat.each %q matches no subscriber", pattern)
	}
	return out
}

// alias reads a subscriber alias, which must be declared.
func (d *decoder) alias(n *yaml.Node, sc *stepScope) string {
	a := d.Str(n, "who")
	switch {
	case a == "":
	case strings.Contains(a, "${"):
		d.Errorf(n, "%s is bound only inside a repeat's steps", a)
	case sc.aliases[a] == nil:
		d.Hintf(n, suggestAlias(a, sc.aliases), "unknown subscriber %q", a)
	}
	return a
}

// userSteps are the steps a subscriber takes, with their fields.
var userSteps = map[StepKind][]string{
	StepSay:        {"who", "text"},
	StepReply:      {"who", "text"},
	StepQuickReply: {"who", "text", "payload"},
	StepPostback:   {"who", "payload", "title"},
	StepNotifyMe:   {"who", "topic"},
	StepReact:      {"who", "emoji"},
	StepBlock:      {"who"},
	StepUnblock:    {"who"},
	StepReferral:   {"who", "ref", "source", "ad_id"},
	// recurring notifications: topic is the request's payload
	StepRecurringOptIn:  {"who", "topic"},
	StepRecurringStop:   {"who", "topic"},
	StepRecurringResume: {"who", "topic"},
}

// requiredUserFields are the fields each user step must have.
var requiredUserFields = map[StepKind][]string{
	StepSay:             {"who", "text"},
	StepReply:           {"who", "text"},
	StepQuickReply:      {"who", "text", "payload"},
	StepPostback:        {"who", "payload"},
	StepNotifyMe:        {"who", "topic"},
	StepReact:           {"who"},
	StepBlock:           {"who"},
	StepUnblock:         {"who"},
	StepReferral:        {"who"},
	StepRecurringOptIn:  {"who", "topic"},
	StepRecurringStop:   {"who", "topic"},
	StepRecurringResume: {"who", "topic"},
}

// step reads one step: a mapping with exactly one key, the step kind.
func (d *decoder) step(n *yaml.Node, sc *stepScope) (Step, bool) {
	st := Step{Pos: d.Pos(n)}
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		d.Errorf(n, "a step is a mapping with exactly one key, the step's name (one of %s)", strings.Join(stepKinds, ", "))
		return st, false
	}
	k, v := n.Content[0], n.Content[1]
	if !slices.Contains(stepKinds, k.Value) {
		d.Hintf(k, yamlpos.Suggest(k.Value, stepKinds), "unknown step %q", k.Value)
		return st, false
	}
	st.Kind = StepKind(k.Value)
	before := len(d.Errs)
	who := func(x *yaml.Node) string { return d.alias(x, sc) }
	if fields, ok := userSteps[st.Kind]; ok {
		what := string(st.Kind)
		f, _ := d.Fields(v, what, fields...)
		d.Require(v, what, f, requiredUserFields[st.Kind]...)
		for key, x := range f {
			switch key {
			case "who":
				st.Who = who(x)
			case "text":
				st.Text = d.Str(x, key)
			case "payload":
				st.Payload = d.Str(x, key)
			case "title":
				st.Title = d.Str(x, key)
			case "topic":
				st.Topic = d.Str(x, key)
			case "emoji":
				st.Emoji = d.Str(x, key)
			case "ref":
				st.Ref = d.Str(x, key)
			case "source":
				st.Source = d.oneOf(x, "referral.source", referralSources...)
			case "ad_id":
				st.AdID = d.Str(x, key)
			}
		}
		return st, len(d.Errs) == before
	}
	switch st.Kind {
	case StepAdvance:
		st.Duration = d.Duration(v, "advance")
	case StepAt:
		d.at(v, &st)
	case StepTrigger:
		d.trigger(v, &st, who)
	case StepFault:
		st.Fault = d.fault(v, who)
	case StepSend:
		st.Send = d.send(v, who)
	case StepExpect:
		st.Expect = d.expect(v, who)
	}
	return st, len(d.Errs) == before
}

// at reads an instant: RFC 3339, or +DURATION after the scenario's start.
func (d *decoder) at(n *yaml.Node, st *Step) {
	if n.Kind == yaml.ScalarNode && strings.HasPrefix(n.Value, "+") {
		v, err := clock.ParseDuration(n.Value[1:])
		if err != nil {
			d.Errorf(n, "at: %v", err)
		}
		st.AtOffset, st.Relative = v, true
		return
	}
	st.At = d.Time(n, "at (an RFC 3339 time, or +DURATION after the start)")
}

func (d *decoder) trigger(v *yaml.Node, st *Step, who func(*yaml.Node) string) {
	if v.Kind == yaml.ScalarNode {
		st.Trigger = d.Str(v, "trigger")
		return
	}
	f, _ := d.Fields(v, "trigger", "name", "who", "data")
	if d.Require(v, "trigger", f, "name") {
		st.Trigger = d.Str(f["name"], "trigger name")
	}
	if x, ok := f["who"]; ok {
		st.Who = who(x)
	}
	if x, ok := f["data"]; ok {
		m, isMap := d.Plain(x).(map[string]any)
		if !isMap {
			d.Errorf(x, "trigger data must be a mapping, got %s", yamlpos.KindName(x))
		}
		st.Data = m
	}
}

var faultFields = []string{"name", "kind", "code", "subcode", "status", "times", "who", "stage", "probability", "latency"}

// fault reads an armed fault: the next matching Send API calls fail. The
// kind is inferred when left out: a code makes a Graph error, a 5xx status
// alone an HTTP 5xx, a latency alone a delay.
func (d *decoder) fault(n *yaml.Node, who func(*yaml.Node) string) *FaultSpec {
	fs := &FaultSpec{Times: 1, Stage: "before", Probability: 1}
	before := len(d.Errs)
	f, _ := d.Fields(n, "fault", faultFields...)
	for k, x := range f {
		switch k {
		case "name":
			fs.Name = d.Str(x, "fault.name")
		case "kind":
			fs.Kind = d.oneOf(x, "fault.kind", faultKinds...)
		case "code":
			fs.Code = d.Integer(x, "fault.code")
		case "subcode":
			fs.Subcode = d.Integer(x, "fault.subcode")
		case "status":
			fs.Status = d.Integer(x, "fault.status")
		case "times":
			fs.Times = int(d.Int64(x, "fault.times"))
			if fs.Times == 0 {
				d.Errorf(x, "fault.times must be 1 or more, or -1 for every matching call, got %d", fs.Times)
			}
		case "who":
			fs.Who = who(x)
		case "stage":
			fs.Stage = d.oneOf(x, "fault.stage", "before", "after")
		case "probability":
			fs.Probability = d.Float(x, "fault.probability")
			if fs.Probability == 0 {
				d.Errorf(x, "fault.probability must be above 0 and at most 1, got %s", x.Value)
			}
		case "latency":
			fs.Latency = d.Duration(x, "fault.latency")
			if fs.Latency == 0 {
				d.Errorf(x, "fault.latency must be positive")
			}
		}
	}
	if fs.Kind == "" {
		switch {
		case fs.Code != 0:
			fs.Kind = string(fakegraph.FaultGraphError)
		case fs.Status >= 500:
			fs.Kind = string(fakegraph.FaultHTTP5xx)
		case fs.Latency > 0 && fs.Status == 0:
			fs.Kind = string(fakegraph.FaultLatency)
		case fs.Status != 0:
			d.Errorf(n, "fault: a %d status needs a Graph error \"code\"", fs.Status)
			return fs
		default:
			d.Errorf(n, "fault needs a \"kind\" (%s), or a Graph error \"code\", an HTTP 5xx \"status\" or a \"latency\"", strings.Join(faultKinds, ", "))
			return fs
		}
	}
	if fakegraph.FaultKind(fs.Kind) == fakegraph.FaultLostResponse {
		fs.Stage = "after"
	}
	if len(d.Errs) > before {
		return fs // a field that could not be read is reported once
	}
	// The one validation fakegraph's control API applies too, each problem
	// reported where its field is.
	for _, p := range fakegraph.CheckFault(fs.graphFault()) {
		field := p.Field
		if field == "error_subcode" {
			field = "subcode"
		}
		at := n
		if x, ok := f[field]; ok {
			at = x
		}
		d.Errorf(at, "fault.%s: %s", field, p.Problem)
	}
	return fs
}

// referralSources are Meta's referral sources a referral step may name.
var referralSources = []string{"ADS", "SHORTLINK", "MESSENGER_CODE", "CUSTOMER_CHAT_PLUGIN", "DISCOVER_TAB"}

// sendContents are the fields a send step's message may come from: exactly one.
var sendContents = []string{"text", "otn_request", "recurring_request", "template", "attachment"}

func (d *decoder) send(n *yaml.Node, who func(*yaml.Node) string) *SendSpec {
	s := &SendSpec{}
	f, _ := d.Fields(n, "send", "to", "user_ref", "token", "recurring_token", "response", "messaging_type", "access_token", "tag", "text",
		"otn_request", "recurring_request", "template", "attachment", "quick_replies", "encoding")
	recipients := 0
	for _, k := range []string{"to", "user_ref", "token", "recurring_token"} {
		if _, ok := f[k]; ok {
			recipients++
		}
	}
	if recipients != 1 && n.Kind == yaml.MappingNode {
		d.Errorf(n, "send needs exactly one of \"to\" (a subscriber), \"user_ref\", \"token\" (one of their tokens) or \"recurring_token\"")
	}
	if x, ok := f["to"]; ok {
		s.To = who(x)
	}
	if x, ok := f["user_ref"]; ok {
		uf, _ := d.Fields(x, "send.user_ref", "who", "value")
		switch {
		case uf["value"] != nil:
			s.UserRefValue = d.Str(uf["value"], "send.user_ref.value")
		case d.Require(x, "send.user_ref", uf, "who"):
			s.UserRefOf = who(uf["who"])
		}
	}
	if x, ok := f["response"]; ok {
		rf, _ := d.Fields(x, "send.response", "recipient_id")
		if d.Require(x, "send.response", rf, "recipient_id") {
			s.Response = d.oneOf(rf["recipient_id"], "send.response.recipient_id", "omitted", "included")
		}
	}
	if x, ok := f["token"]; ok {
		tf, _ := d.Fields(x, "send.token", "who", "topic", "nth", "value")
		if y, ok := tf["value"]; ok {
			s.TokenValue = d.Str(y, "send.token.value")
		} else if d.Require(x, "send.token", tf, "who") {
			s.TokenOf = who(tf["who"])
		}
		if y, ok := tf["topic"]; ok {
			s.TokenTopic = d.Str(y, "topic")
		}
		if y, ok := tf["nth"]; ok {
			s.TokenNth = d.Integer(y, "nth")
		}
	}
	if x, ok := f["recurring_token"]; ok {
		rf, _ := d.Fields(x, "send.recurring_token", "who", "topic")
		if d.Require(x, "send.recurring_token", rf, "who") {
			s.RecurringOf = who(rf["who"])
		}
		if y, ok := rf["topic"]; ok {
			s.RecurringTopic = d.Str(y, "topic")
		}
	}
	if x, ok := f["messaging_type"]; ok {
		s.MessagingType = d.oneOf(x, "send.messaging_type", "RESPONSE", "UPDATE", "MESSAGE_TAG", "none")
	}
	if x, ok := f["access_token"]; ok {
		s.AccessToken = d.Str(x, "send.access_token")
	}
	if x, ok := f["tag"]; ok {
		s.Tag = d.Str(x, "tag")
	}
	if x, ok := f["text"]; ok {
		s.Text = d.Str(x, "text")
	}
	if x, ok := f["encoding"]; ok {
		s.Encoding = d.oneOf(x, "send.encoding", "utf-8", "latin1")
	}
	if x, ok := f["otn_request"]; ok {
		of, _ := d.Fields(x, "send.otn_request", "title", "topic")
		if d.Require(x, "send.otn_request", of, "title", "topic") {
			s.OTNTitle, s.OTNTopic = d.Str(of["title"], "title"), d.Str(of["topic"], "topic")
			s.OTNRequest = true
		}
	}
	if x, ok := f["recurring_request"]; ok {
		rf, _ := d.Fields(x, "send.recurring_request", "title", "topic", "timezone")
		if d.Require(x, "send.recurring_request", rf, "topic") {
			s.RecurringRequest = &RecurringRequestSpec{Topic: d.Str(rf["topic"], "topic")}
			if y, ok := rf["title"]; ok {
				s.RecurringRequest.Title = d.Str(y, "title")
			}
			if y, ok := rf["timezone"]; ok {
				s.RecurringRequest.Timezone = d.Str(y, "timezone")
			}
		}
	}
	if x, ok := f["template"]; ok {
		m, isMap := d.Plain(x).(map[string]any)
		if !isMap || m["template_type"] == nil {
			d.Errorf(x, "send.template must be a mapping with a template_type (button, generic, media, ...), got %s", yamlpos.KindName(x))
		}
		s.Template = m
	}
	if x, ok := f["attachment"]; ok {
		af, _ := d.Fields(x, "send.attachment", "type", "url")
		if d.Require(x, "send.attachment", af, "type", "url") {
			s.Attachment = map[string]any{"type": d.oneOf(af["type"], "send.attachment.type", "image", "audio", "video", "file"),
				"payload": map[string]any{"url": d.Str(af["url"], "url")}}
		}
	}
	if x, ok := f["quick_replies"]; ok {
		if x.Kind != yaml.SequenceNode {
			d.Errorf(x, "send.quick_replies must be a list of {title, payload}, got %s", yamlpos.KindName(x))
		}
		for _, q := range x.Content {
			qf, _ := d.Fields(q, "send.quick_replies", "title", "payload")
			if d.Require(q, "send.quick_replies", qf, "title", "payload") {
				s.QuickReplies = append(s.QuickReplies, map[string]any{"content_type": "text",
					"title": d.Str(qf["title"], "title"), "payload": d.Str(qf["payload"], "payload")})
			}
		}
		if _, hasText := f["text"]; !hasText {
			d.Errorf(x, "send.quick_replies go with a \"text\"")
		}
	}
	contents := 0
	for _, k := range sendContents {
		if _, ok := f[k]; ok {
			contents++
		}
	}
	if contents != 1 && n.Kind == yaml.MappingNode {
		d.Errorf(n, "send needs exactly one of %s", strings.Join(quoteAll(sendContents), ", "))
	}
	return s
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// oneOf reads a string that must be one of choices.
func (d *decoder) oneOf(n *yaml.Node, what string, choices ...string) string {
	v := d.Str(n, what)
	if v != "" && !slices.Contains(choices, v) {
		d.Hintf(n, yamlpos.Suggest(v, choices), "%s: unknown value %q", what, v)
	}
	return v
}

func suggestAlias(a string, aliases map[string]*SubscriberSpec) string {
	list := make([]string, 0, len(aliases))
	for k := range aliases {
		list = append(list, k)
	}
	if len(list) == 0 {
		return "declare subscribers under \"subscribers:\""
	}
	return yamlpos.Suggest(a, list)
}

// describeStep names a step for messages: its kind and, if any, who.
func describeStep(st *Step) string {
	if st.Who != "" {
		return fmt.Sprintf("%s %s", st.Kind, st.Who)
	}
	return string(st.Kind)
}
