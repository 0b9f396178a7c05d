package scenarios

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/sim/clock"
)

// Format writes sc back as a scenario file that Parse reads to the same
// scenario: top-level sections in the usual order, one step per line in
// flow style, durations in the largest units that fit ("1d", "5m",
// "1y"), and only the settings, thresholds and policy fields that differ
// from their defaults. Repeats and generate entries come back expanded;
// a table scenario is written as its first case (format each of
// sc.Expand() for all of them).
func Format(sc *Scenario) ([]byte, error) {
	if len(sc.Cases) > 0 {
		sc = sc.Cases[0]
	}
	root := mapping(false)
	add(root, "name", str(sc.Name))
	if sc.Description != "" {
		d := str(sc.Description)
		if foldable(sc.Description) {
			d.Style = yaml.FoldedStyle
		}
		add(root, "description", d)
	}
	if len(sc.Tags) > 0 {
		add(root, "tags", strList(sc.Tags))
	}
	if sc.Seed != 0 {
		add(root, "seed", scalar(strconv.FormatInt(sc.Seed, 10), "!!int"))
	}
	if !sc.Start.IsZero() {
		add(root, "start", timeNode(sc.Start))
	}
	if w := worldNode(sc.World); w != nil {
		add(root, "world", w)
	}
	if b, err := botNode(sc.Bot); err != nil {
		return nil, err
	} else if b != nil {
		add(root, "bot", b)
	}
	if c, err := diffNode(reflect.ValueOf(sc.Checks), reflect.ValueOf(findings.DefaultOptions())); err != nil {
		return nil, fmt.Errorf("format checks: %w", err)
	} else if c != nil {
		c.Style = yaml.FlowStyle
		add(root, "checks", c)
	}
	if len(sc.Subscribers) > 0 {
		subs := &yaml.Node{Kind: yaml.SequenceNode}
		for _, s := range sc.Subscribers {
			subs.Content = append(subs.Content, subscriberNode(s))
		}
		add(root, "subscribers", subs)
	}
	steps := &yaml.Node{Kind: yaml.SequenceNode}
	for i := range sc.Steps {
		n, err := stepNode(&sc.Steps[i])
		if err != nil {
			return nil, fmt.Errorf("format step %d (%s): %w", i+1, sc.Steps[i].Kind, err)
		}
		steps.Content = append(steps.Content, n)
	}
	add(root, "steps", steps)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("format scenario: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("format scenario: %w", err)
	}
	return b.Bytes(), nil
}

// foldable reports whether s reads well, and reads back the same, as a
// folded block: a long line of plain text, with a line break at most at its
// end (yaml's emitter folds lines that start with a space wrongly).
func foldable(s string) bool {
	body := strings.TrimSuffix(s, "\n")
	return len(body) > 60 && !strings.ContainsAny(body, "\n\t\r") && strings.TrimSpace(body) == body
}

func mapping(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, str(key), v)
}

func scalar(v, tag string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v} }

func str(s string) *yaml.Node { return scalar(s, "!!str") }

func intNode(v int) *yaml.Node { return scalar(strconv.Itoa(v), "!!int") }

func boolNode(v bool) *yaml.Node { return scalar(strconv.FormatBool(v), "!!bool") }

// floatNode writes a number plainly: the decoder reads "-8" as a float
// where it wants one.
func floatNode(v float64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatFloat(v, 'g', -1, 64)}
}

func durationNode(d time.Duration) *yaml.Node { return str(clock.FormatDuration(d)) }

func timeNode(t time.Time) *yaml.Node { return str(t.UTC().Format(time.RFC3339Nano)) }

func strList(ss []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range ss {
		n.Content = append(n.Content, str(s))
	}
	return n
}

// plainNode encodes a plain value (trigger data, a template).
func plainNode(v any) (*yaml.Node, error) {
	n := &yaml.Node{}
	if err := n.Encode(v); err != nil {
		return nil, err
	}
	return n, nil
}

func worldNode(w WorldSpec) *yaml.Node {
	n := mapping(false)
	if w.PageCountry != "" {
		add(n, "page_country", str(w.PageCountry))
	}
	if len(w.AdminCountries) > 0 {
		add(n, "admin_countries", strList(w.AdminCountries))
	}
	if !w.OTNPermission {
		add(n, "otn_permission", boolNode(false))
	}
	if !w.PlatformDate.IsZero() {
		add(n, "platform_date", timeNode(w.PlatformDate))
	}
	if s, _ := diffNode(reflect.ValueOf(w.Settings), reflect.ValueOf(fakegraph.DefaultSettings())); s != nil {
		add(n, "settings", s)
	}
	if len(n.Content) == 0 {
		return nil
	}
	return n
}

// botNode writes the bot section: the preset, and what differs from it.
func botNode(s reference.Setup) (*yaml.Node, error) {
	base := reference.Setup{Preset: s.Preset}
	var err error
	if base.Policy, err = reference.PresetPolicy(s.Preset); err != nil {
		return nil, fmt.Errorf("format bot: %w", err)
	}
	n, err := diffNode(reflect.ValueOf(s), reflect.ValueOf(base))
	if err != nil {
		return nil, fmt.Errorf("format bot: %w", err)
	}
	if s.Preset != "" {
		if n == nil {
			n = mapping(false)
		}
		n.Content = append([]*yaml.Node{str("preset"), str(s.Preset)}, n.Content...)
	}
	return n, nil
}

// diffNode encodes v by its yaml field names, leaving out what equals def:
// nil when nothing differs. Structs nest; anything else differing is
// written whole.
func diffNode(v, def reflect.Value) (*yaml.Node, error) {
	if def.IsValid() && reflect.DeepEqual(v.Interface(), def.Interface()) {
		return nil, nil
	}
	switch v.Type() {
	case durationType:
		return durationNode(time.Duration(v.Int())), nil
	case timeType:
		return timeNode(v.Interface().(time.Time)), nil
	}
	switch v.Kind() {
	case reflect.Struct:
		n := mapping(false)
		for _, f := range reflect.VisibleFields(v.Type()) {
			tag, ok := f.Tag.Lookup("yaml")
			name, _, _ := strings.Cut(tag, ",")
			if !ok || name == "-" || !f.IsExported() || f.Anonymous {
				continue
			}
			var d reflect.Value
			if def.IsValid() {
				d = def.FieldByIndex(f.Index)
			} else {
				d = reflect.Zero(f.Type)
			}
			c, err := diffNode(v.FieldByIndex(f.Index), d)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if c != nil {
				add(n, name, c)
			}
		}
		if len(n.Content) == 0 && def.IsValid() {
			return nil, nil
		}
		if len(n.Content) <= 8 && flat(n) {
			n.Style = yaml.FlowStyle
		}
		return n, nil
	case reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for i := range v.Len() {
			c, err := diffNode(v.Index(i), reflect.Value{})
			if err != nil {
				return nil, err
			}
			if c == nil {
				c = mapping(true)
			}
			n.Content = append(n.Content, c)
		}
		if scalars(n) {
			n.Style = yaml.FlowStyle
		}
		return n, nil
	case reflect.Map:
		n := mapping(false)
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		for _, k := range keys {
			c, err := diffNode(v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key())), reflect.Value{})
			if err != nil {
				return nil, err
			}
			if c == nil {
				c = str("")
			}
			add(n, k, c)
		}
		return n, nil
	case reflect.Pointer:
		if v.IsNil() {
			return nil, nil
		}
		return diffNode(v.Elem(), reflect.Value{})
	case reflect.String:
		return str(v.String()), nil
	case reflect.Bool:
		return boolNode(v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return scalar(strconv.FormatInt(v.Int(), 10), "!!int"), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return scalar(strconv.FormatUint(v.Uint(), 10), "!!int"), nil
	case reflect.Float32, reflect.Float64:
		return floatNode(v.Float()), nil
	case reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		return plainNode(v.Interface())
	}
	return nil, fmt.Errorf("cannot write a %s", v.Type())
}

// scalars reports whether n holds scalars only.
func scalars(n *yaml.Node) bool {
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return false
		}
	}
	return true
}

// flat reports whether n holds scalars only (or flow collections), so that
// it reads well on one line.
func flat(n *yaml.Node) bool {
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode && c.Style != yaml.FlowStyle {
			return false
		}
	}
	return true
}

func subscriberNode(s SubscriberSpec) *yaml.Node {
	n := mapping(true)
	add(n, "alias", str(s.Alias))
	if s.Name != "" {
		add(n, "name", str(s.Name))
	}
	if s.Region != "" {
		add(n, "region", str(s.Region))
	}
	if s.Locale != "" {
		add(n, "locale", str(s.Locale))
	}
	if s.Timezone != nil {
		add(n, "timezone", floatNode(*s.Timezone))
	}
	if s.Zone != "" {
		add(n, "timezone", str(s.Zone))
	}
	if s.UserRef != "" {
		add(n, "user_ref", str(s.UserRef))
	}
	return n
}

// stepNode writes one step as a one-key mapping, its value in flow style.
func stepNode(st *Step) (*yaml.Node, error) {
	v, err := stepValue(st)
	if err != nil {
		return nil, err
	}
	n := mapping(false)
	add(n, string(st.Kind), v)
	return n, nil
}

func stepValue(st *Step) (*yaml.Node, error) {
	m := mapping(true)
	set := func(k, v string) {
		if v != "" {
			add(m, k, str(v))
		}
	}
	if _, user := userSteps[st.Kind]; user {
		set("who", st.Who)
		switch st.Kind {
		case StepSay, StepReply:
			add(m, "text", str(st.Text))
		case StepQuickReply:
			add(m, "text", str(st.Text))
			add(m, "payload", str(st.Payload))
		case StepPostback:
			add(m, "payload", str(st.Payload))
			set("title", st.Title)
		case StepNotifyMe, StepRecurringOptIn, StepRecurringStop, StepRecurringResume:
			add(m, "topic", str(st.Topic))
		case StepReact:
			set("emoji", st.Emoji)
		case StepReferral:
			set("ref", st.Ref)
			set("source", st.Source)
			set("ad_id", st.AdID)
		}
		return m, nil
	}
	switch st.Kind {
	case StepAdvance:
		return durationNode(st.Duration), nil
	case StepAt:
		if st.Relative {
			return str("+" + clock.FormatDuration(st.AtOffset)), nil
		}
		return timeNode(st.At), nil
	case StepTrigger:
		if st.Who == "" && st.Data == nil {
			return str(st.Trigger), nil
		}
		add(m, "name", str(st.Trigger))
		set("who", st.Who)
		if st.Data != nil {
			d, err := plainNode(st.Data)
			if err != nil {
				return nil, err
			}
			d.Style = yaml.FlowStyle
			add(m, "data", d)
		}
		return m, nil
	case StepFault:
		return faultNode(st.Fault), nil
	case StepSend:
		return sendNode(st.Send)
	case StepExpect:
		return expectNode(st.Expect), nil
	}
	return nil, fmt.Errorf("a %q step cannot be written", st.Kind)
}

func faultNode(f *FaultSpec) *yaml.Node {
	m := mapping(true)
	if f == nil {
		return m
	}
	if f.Name != "" {
		add(m, "name", str(f.Name))
	}
	if f.Kind != inferredFaultKind(f) {
		add(m, "kind", str(f.Kind))
	}
	if f.Code != 0 {
		add(m, "code", intNode(f.Code))
	}
	if f.Subcode != 0 {
		add(m, "subcode", intNode(f.Subcode))
	}
	if f.Status != 0 {
		add(m, "status", intNode(f.Status))
	}
	if f.Times != 1 {
		add(m, "times", intNode(f.Times))
	}
	if f.Who != "" {
		add(m, "who", str(f.Who))
	}
	if f.Stage != "before" && f.Kind != string(fakegraph.FaultLostResponse) {
		add(m, "stage", str(f.Stage))
	}
	if f.Probability != 1 {
		add(m, "probability", floatNode(f.Probability))
	}
	if f.Latency != 0 {
		add(m, "latency", durationNode(f.Latency))
	}
	return m
}

// inferredFaultKind is the kind the parser gives a fault without "kind".
func inferredFaultKind(f *FaultSpec) string {
	switch {
	case f.Code != 0:
		return string(fakegraph.FaultGraphError)
	case f.Status >= 500:
		return string(fakegraph.FaultHTTP5xx)
	case f.Latency > 0 && f.Status == 0:
		return string(fakegraph.FaultLatency)
	}
	return ""
}

func sendNode(s *SendSpec) (*yaml.Node, error) {
	m := mapping(true)
	if s == nil {
		return m, nil
	}
	switch {
	case s.To != "":
		add(m, "to", str(s.To))
	case s.RecurringOf != "":
		r := mapping(true)
		add(r, "who", str(s.RecurringOf))
		if s.RecurringTopic != "" {
			add(r, "topic", str(s.RecurringTopic))
		}
		add(m, "recurring_token", r)
	case s.UserRefOf != "" || s.UserRefValue != "":
		r := mapping(true)
		if s.UserRefValue != "" {
			add(r, "value", str(s.UserRefValue))
		} else {
			add(r, "who", str(s.UserRefOf))
		}
		add(m, "user_ref", r)
	default:
		t := mapping(true)
		if s.TokenValue != "" {
			add(t, "value", str(s.TokenValue))
		} else {
			add(t, "who", str(s.TokenOf))
		}
		if s.TokenTopic != "" {
			add(t, "topic", str(s.TokenTopic))
		}
		if s.TokenNth != 0 {
			add(t, "nth", intNode(s.TokenNth))
		}
		add(m, "token", t)
	}
	if s.Response != "" {
		r := mapping(true)
		add(r, "recipient_id", str(s.Response))
		add(m, "response", r)
	}
	if s.MessagingType != "" {
		add(m, "messaging_type", str(s.MessagingType))
	}
	if s.AccessToken != "" {
		add(m, "access_token", str(s.AccessToken))
	}
	if s.Tag != "" {
		add(m, "tag", str(s.Tag))
	}
	switch {
	case s.OTNRequest:
		r := mapping(true)
		add(r, "title", str(s.OTNTitle))
		add(r, "topic", str(s.OTNTopic))
		add(m, "otn_request", r)
	case s.RecurringRequest != nil:
		r := mapping(true)
		if s.RecurringRequest.Title != "" {
			add(r, "title", str(s.RecurringRequest.Title))
		}
		add(r, "topic", str(s.RecurringRequest.Topic))
		if s.RecurringRequest.Timezone != "" {
			add(r, "timezone", str(s.RecurringRequest.Timezone))
		}
		add(m, "recurring_request", r)
	case s.Template != nil:
		t, err := plainNode(s.Template)
		if err != nil {
			return nil, err
		}
		add(m, "template", t)
	case s.Attachment != nil:
		a := mapping(true)
		typ, _ := s.Attachment["type"].(string)
		add(a, "type", str(typ))
		url := ""
		if p, ok := s.Attachment["payload"].(map[string]any); ok {
			url, _ = p["url"].(string)
		}
		add(a, "url", str(url))
		add(m, "attachment", a)
	default:
		add(m, "text", str(s.Text))
	}
	if len(s.QuickReplies) > 0 {
		qs := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, q := range s.QuickReplies {
			qm := mapping(true)
			title, _ := q["title"].(string)
			payload, _ := q["payload"].(string)
			add(qm, "title", str(title))
			add(qm, "payload", str(payload))
			qs.Content = append(qs.Content, qm)
		}
		add(m, "quick_replies", qs)
	}
	if s.Encoding != "" {
		add(m, "encoding", str(s.Encoding))
	}
	return m, nil
}

// expectNode writes an expect step's expectations, grouped by kind in the
// order the parser reads them; a kind with several becomes a list.
func expectNode(es []Expectation) *yaml.Node {
	m := mapping(false)
	for _, kind := range expectKinds {
		var items []*yaml.Node
		for _, e := range es {
			if string(e.Kind) == kind {
				items = append(items, expectation(e))
			}
		}
		switch len(items) {
		case 0:
		case 1:
			add(m, kind, items[0])
		default:
			add(m, kind, &yaml.Node{Kind: yaml.SequenceNode, Content: items})
		}
	}
	return m
}

func expectation(e Expectation) *yaml.Node {
	m := mapping(true)
	set := func(k, v string) {
		if v != "" {
			add(m, k, str(v))
		}
	}
	set("who", e.Who)
	set("topic", e.Topic)
	set("timezone", e.Zone)
	set("via", e.Via)
	set("what", e.What)
	if e.Code != 0 {
		add(m, "code", intNode(e.Code))
	}
	if e.Sub != 0 {
		add(m, "subcode", intNode(e.Sub))
	}
	set("rule", e.Rule)
	if e.Open != nil {
		add(m, "open", boolNode(*e.Open))
	}
	for _, k := range countFields[e.Kind] {
		if v, ok := e.Counts[k]; ok {
			add(m, k, intNode(v))
		}
	}
	return m
}
