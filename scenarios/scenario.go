// Package scenarios holds otnsim's scenario language: the YAML format, its
// loader (which reports mistakes as file:line:col), the runner that plays a
// scenario in a fresh simulated world, and the shipped scenario suites,
// embedded in the binary.
package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/otnsim/otnsim/reference"
)

// Scenario is one parsed scenario file.
type Scenario struct {
	File        string
	Name        string
	Description string
	Tags        []string
	Seed        int64
	Start       time.Time // zero means the simulator's default
	Page        PageSpec
	Bot         reference.Setup // the reference bot's preset, policy and shop
	Subscribers []SubscriberSpec
	Steps       []Step
}

// PageSpec configures the page.
type PageSpec struct {
	OTNApproved bool
}

// SubscriberSpec declares one subscriber.
type SubscriberSpec struct {
	Pos    Pos
	Alias  string
	Name   string
	Region string
	Locale string
}

// StepKind names what a step does.
type StepKind string

// Step kinds.
const (
	StepSay      StepKind = "say"
	StepPostback StepKind = "postback"
	StepNotifyMe StepKind = "notify_me"
	StepBlock    StepKind = "block"
	StepUnblock  StepKind = "unblock"
	StepAdvance  StepKind = "advance"
	StepAt       StepKind = "at"
	StepTrigger  StepKind = "trigger"
	StepSend     StepKind = "send"
	StepExpect   StepKind = "expect"
)

var stepKinds = []string{
	string(StepSay), string(StepPostback), string(StepNotifyMe), string(StepBlock), string(StepUnblock),
	string(StepAdvance), string(StepAt), string(StepTrigger), string(StepSend), string(StepExpect),
}

// Step is one line of a scenario's story.
type Step struct {
	Pos  Pos
	Kind StepKind

	Who     string // subscriber alias
	Text    string
	Topic   string // notify_me
	Title   string // postback
	Payload string // postback

	Duration time.Duration // advance
	At       time.Time     // at

	Trigger string         // trigger name
	Data    map[string]any // trigger data; with Who set, data.psid is their PSID

	Send *SendSpec // send

	Expect []Expectation // expect
}

// SendSpec is a Send API call the harness makes itself, playing a careless bot.
type SendSpec struct {
	To            string // alias, for recipient.id
	TokenOf       string // alias whose token to use
	TokenTopic    string
	TokenNth      int // 1 = first token issued to them for the topic; 0 = latest
	MessagingType string
	Tag           string
	Text          string
	OTNTitle      string // when set, send an OTN request with this title
	OTNTopic      string
}

// ExpectKind names what an expectation checks.
type ExpectKind string

// Expectation kinds.
const (
	ExpectTokens    ExpectKind = "tokens"
	ExpectDelivered ExpectKind = "delivered"
	ExpectErrors    ExpectKind = "errors"
	ExpectWindow    ExpectKind = "window"
)

var expectKinds = []string{string(ExpectTokens), string(ExpectDelivered), string(ExpectErrors), string(ExpectWindow)}

// Expectation is one check against the ledger. Counts holds the fields the
// file set; unset fields are not checked.
type Expectation struct {
	Pos    Pos
	Kind   ExpectKind
	Who    string
	Topic  string
	Via    string // delivered: id, token, tag
	What   string // delivered: message, otn_request
	Code   int    // errors
	Sub    int    // errors: error_subcode
	Rule   string // errors
	Open   *bool  // window
	Counts map[string]int
}

// Parse reads one scenario from src; name is used in positions.
func Parse(name string, src []byte) (*Scenario, error) {
	d := &decoder{file: name}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, ErrorList{{Pos: Pos{File: name, Line: 1, Col: 1}, Msg: "empty scenario file"}}
		}
		return nil, ErrorList{yamlError(name, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.errorf(&extra, "a scenario file holds one document; found another")
	}
	sc := d.scenario(root.Content[0])
	sc.File = name
	if len(d.errs) > 0 {
		sort.SliceStable(d.errs, func(i, j int) bool {
			a, b := d.errs[i].Pos, d.errs[j].Pos
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Col < b.Col
		})
		return nil, d.errs
	}
	return sc, nil
}

// ParseFile reads and parses one scenario file.
func ParseFile(path string) (*Scenario, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return Parse(path, src)
}

var topFields = []string{"name", "description", "tags", "seed", "start", "page", "bot", "subscribers", "steps"}

func (d *decoder) scenario(n *yaml.Node) *Scenario {
	sc := &Scenario{Page: PageSpec{OTNApproved: true}, Bot: reference.Setup{Policy: reference.DefaultPolicy()}}
	f, _ := d.fields(n, "the scenario", topFields...)
	d.require(n, "the scenario", f, "name", "steps")
	if v, ok := f["name"]; ok {
		sc.Name = d.str(v, "name")
	}
	if v, ok := f["description"]; ok {
		sc.Description = d.str(v, "description")
	}
	if v, ok := f["tags"]; ok {
		sc.Tags = d.strings(v, "tags")
	}
	if v, ok := f["seed"]; ok {
		sc.Seed = d.int64(v, "seed")
	}
	if v, ok := f["start"]; ok {
		sc.Start = d.timestamp(v, "start")
	}
	if v, ok := f["page"]; ok {
		pf, _ := d.fields(v, "page", "otn_approved")
		if x, ok := pf["otn_approved"]; ok {
			sc.Page.OTNApproved = d.boolean(x, "page.otn_approved")
		}
	}
	if v, ok := f["bot"]; ok {
		d.bot(v, &sc.Bot)
	}
	aliases := map[string]bool{}
	if v, ok := f["subscribers"]; ok {
		if v.Kind != yaml.SequenceNode {
			d.errorf(v, "subscribers must be a list, got %s", kindName(v))
		}
		for _, c := range v.Content {
			s := d.subscriber(c)
			if aliases[s.Alias] {
				d.errorf(c, "subscriber %q declared twice", s.Alias)
			}
			aliases[s.Alias] = true
			sc.Subscribers = append(sc.Subscribers, s)
		}
	}
	if v, ok := f["steps"]; ok {
		if v.Kind != yaml.SequenceNode {
			d.errorf(v, "steps must be a list, got %s", kindName(v))
		}
		for _, c := range v.Content {
			if st, ok := d.step(c, aliases); ok {
				sc.Steps = append(sc.Steps, st)
			}
		}
	}
	return sc
}

// bot reads the bot section into a reference.Setup: the preset first, then
// every other field over it.
func (d *decoder) bot(n *yaml.Node, b *reference.Setup) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value != "preset" {
				continue
			}
			name := d.str(n.Content[i+1], "bot.preset")
			p, ok := reference.Presets()[name]
			if !ok {
				d.hintf(n.Content[i+1], suggest(name, presetNames()), "unknown bot preset %q", name)
			}
			b.Preset, b.Policy = name, p
		}
	}
	d.into(n, reflect.ValueOf(b).Elem(), "bot")
}

func presetNames() []string {
	var out []string
	for k := range reference.Presets() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (d *decoder) subscriber(n *yaml.Node) SubscriberSpec {
	s := SubscriberSpec{Pos: d.pos(n)}
	f, _ := d.fields(n, "a subscriber", "alias", "name", "region", "locale")
	d.require(n, "a subscriber", f, "alias")
	for k, v := range f {
		val := d.str(v, k)
		switch k {
		case "alias":
			s.Alias = val
		case "name":
			s.Name = val
		case "region":
			s.Region = val
		case "locale":
			s.Locale = val
		}
	}
	return s
}

// step reads one step: a mapping with exactly one key, the step kind.
func (d *decoder) step(n *yaml.Node, aliases map[string]bool) (Step, bool) {
	st := Step{Pos: d.pos(n)}
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		d.errorf(n, "a step is a mapping with exactly one key, the step's name (one of %v)", stepKinds)
		return st, false
	}
	k, v := n.Content[0], n.Content[1]
	if !contains(stepKinds, k.Value) {
		d.hintf(k, suggest(k.Value, stepKinds), "unknown step %q", k.Value)
		return st, false
	}
	st.Kind = StepKind(k.Value)
	before := len(d.errs)
	who := func(x *yaml.Node) string {
		a := d.str(x, "who")
		if a != "" && !aliases[a] {
			d.hintf(x, suggestAlias(a, aliases), "unknown subscriber %q", a)
		}
		return a
	}
	switch st.Kind {
	case StepSay:
		f, _ := d.fields(v, "say", "who", "text")
		if d.require(v, "say", f, "who", "text") {
			st.Who, st.Text = who(f["who"]), d.str(f["text"], "text")
		}
	case StepPostback:
		f, _ := d.fields(v, "postback", "who", "payload", "title")
		if d.require(v, "postback", f, "who", "payload") {
			st.Who, st.Payload = who(f["who"]), d.str(f["payload"], "payload")
		}
		if x, ok := f["title"]; ok {
			st.Title = d.str(x, "title")
		}
	case StepNotifyMe:
		f, _ := d.fields(v, "notify_me", "who", "topic")
		if d.require(v, "notify_me", f, "who", "topic") {
			st.Who, st.Topic = who(f["who"]), d.str(f["topic"], "topic")
		}
	case StepBlock, StepUnblock:
		f, _ := d.fields(v, string(st.Kind), "who")
		if d.require(v, string(st.Kind), f, "who") {
			st.Who = who(f["who"])
		}
	case StepAdvance:
		st.Duration = d.duration(v, "advance")
	case StepAt:
		st.At = d.timestamp(v, "at")
	case StepTrigger:
		if v.Kind == yaml.ScalarNode {
			st.Trigger = d.str(v, "trigger")
			break
		}
		f, _ := d.fields(v, "trigger", "name", "who", "data")
		if d.require(v, "trigger", f, "name") {
			st.Trigger = d.str(f["name"], "trigger name")
		}
		if x, ok := f["who"]; ok {
			st.Who = who(x)
		}
		if x, ok := f["data"]; ok {
			m, isMap := d.plain(x).(map[string]any)
			if !isMap {
				d.errorf(x, "trigger data must be a mapping, got %s", kindName(x))
			}
			st.Data = m
		}
	case StepSend:
		st.Send = d.send(v, who)
	case StepExpect:
		st.Expect = d.expect(v, who)
	}
	return st, len(d.errs) == before
}

func (d *decoder) send(n *yaml.Node, who func(*yaml.Node) string) *SendSpec {
	s := &SendSpec{}
	f, _ := d.fields(n, "send", "to", "token", "messaging_type", "tag", "text", "otn_request")
	_, hasTo := f["to"]
	_, hasTok := f["token"]
	if hasTo == hasTok {
		d.errorf(n, "send needs exactly one of \"to\" (a subscriber) or \"token\" (one of their tokens)")
	}
	if x, ok := f["to"]; ok {
		s.To = who(x)
	}
	if x, ok := f["token"]; ok {
		tf, _ := d.fields(x, "send.token", "who", "topic", "nth")
		if d.require(x, "send.token", tf, "who") {
			s.TokenOf = who(tf["who"])
		}
		if y, ok := tf["topic"]; ok {
			s.TokenTopic = d.str(y, "topic")
		}
		if y, ok := tf["nth"]; ok {
			s.TokenNth = d.integer(y, "nth")
		}
	}
	if x, ok := f["messaging_type"]; ok {
		s.MessagingType = d.str(x, "messaging_type")
	}
	if x, ok := f["tag"]; ok {
		s.Tag = d.str(x, "tag")
	}
	if x, ok := f["text"]; ok {
		s.Text = d.str(x, "text")
	}
	if x, ok := f["otn_request"]; ok {
		of, _ := d.fields(x, "send.otn_request", "title", "topic")
		if d.require(x, "send.otn_request", of, "title", "topic") {
			s.OTNTitle, s.OTNTopic = d.str(of["title"], "title"), d.str(of["topic"], "topic")
		}
	}
	if s.Text == "" && s.OTNTopic == "" {
		d.errorf(n, "send needs \"text\" or \"otn_request\"")
	}
	return s
}

var countFields = map[ExpectKind][]string{
	ExpectTokens:    {"issued", "active", "consumed", "expired", "rejected_uses"},
	ExpectDelivered: {"count"},
	ExpectErrors:    {"count"},
	ExpectWindow:    nil,
}

func (d *decoder) expect(n *yaml.Node, who func(*yaml.Node) string) []Expectation {
	var out []Expectation
	f, keys := d.fields(n, "expect", expectKinds...)
	if len(f) == 0 && len(d.errs) == 0 {
		d.errorf(n, "expect needs at least one of %v", expectKinds)
	}
	for _, kind := range expectKinds {
		v, ok := f[kind]
		if !ok {
			continue
		}
		for _, item := range oneOrMany(v) {
			e := Expectation{Pos: d.pos(keys[kind]), Kind: ExpectKind(kind), Counts: map[string]int{}}
			if item.Kind == yaml.MappingNode {
				e.Pos = d.pos(item)
			}
			allowed := []string{"who"}
			switch e.Kind {
			case ExpectTokens:
				allowed = append(allowed, "topic")
			case ExpectDelivered:
				allowed = append(allowed, "via", "what")
			case ExpectErrors:
				allowed = append(allowed, "code", "subcode", "rule")
			case ExpectWindow:
				allowed = append(allowed, "open")
			}
			allowed = append(allowed, countFields[e.Kind]...)
			ef, _ := d.fields(item, "expect."+kind, allowed...)
			for k, x := range ef {
				switch k {
				case "who":
					e.Who = who(x)
				case "topic":
					e.Topic = d.str(x, k)
				case "via":
					e.Via = d.str(x, k)
					if !contains([]string{"id", "token", "tag"}, e.Via) {
						d.hintf(x, suggest(e.Via, []string{"id", "token", "tag"}), "unknown delivery route %q", e.Via)
					}
				case "what":
					e.What = d.str(x, k)
					if !contains([]string{"message", "otn_request"}, e.What) {
						d.hintf(x, suggest(e.What, []string{"message", "otn_request"}), "unknown message kind %q", e.What)
					}
				case "code":
					e.Code = d.integer(x, k)
				case "subcode":
					e.Sub = d.integer(x, k)
				case "rule":
					e.Rule = d.str(x, k)
				case "open":
					b := d.boolean(x, k)
					e.Open = &b
				default:
					e.Counts[k] = d.integer(x, k)
				}
			}
			if e.Kind == ExpectWindow {
				d.require(item, "expect.window", ef, "who", "open")
			} else if e.Kind != ExpectTokens {
				d.require(item, "expect."+kind, ef, "count")
			} else if len(e.Counts) == 0 {
				d.errorf(item, "expect.tokens needs at least one of %v", countFields[ExpectTokens])
			}
			out = append(out, e)
		}
	}
	return out
}

func suggestAlias(a string, aliases map[string]bool) string {
	list := make([]string, 0, len(aliases))
	for k := range aliases {
		list = append(list, k)
	}
	if len(list) == 0 {
		return "declare subscribers under \"subscribers:\""
	}
	return suggest(a, list)
}

// yamlError turns a YAML syntax error into a positioned Error.
func yamlError(file string, err error) *Error {
	msg := err.Error()
	line := 1
	// go-yaml reports "yaml: line N: message".
	var n int
	if _, scanErr := fmt.Sscanf(msg, "yaml: line %d:", &n); scanErr == nil {
		line = n
		if i := bytes.IndexByte([]byte(msg), ':'); i >= 0 {
			rest := msg[i+1:]
			if j := bytes.IndexByte([]byte(rest), ':'); j >= 0 {
				msg = rest[j+1:]
			}
		}
	}
	return &Error{Pos: Pos{File: file, Line: line, Col: 1}, Msg: "invalid YAML:" + msg}
}
