package scenarios

import (
	"go.yaml.in/yaml/v3"

	"github.com/otnsim/otnsim/rules"
)

// countFields are the counts each expectation kind may check.
var countFields = map[ExpectKind][]string{
	ExpectTokens:    {"issued", "active", "consumed", "expired", "rejected_uses"},
	ExpectDelivered: {"count"},
	ExpectErrors:    {"count"},
	ExpectFindings:  {"count"},
	ExpectWindow:    nil,
	ExpectRecurring: {"issued", "active", "stopped", "expired", "sends", "rejected_uses"},
}

// otherFields are the filters each expectation kind takes besides counts.
// For errors and findings, "rule" filters what is counted; for the other
// kinds it only names the rule the expectation judges. Either way a failing
// expectation fails the rule it names.
var otherFields = map[ExpectKind][]string{
	ExpectTokens:    {"who", "topic", "rule"},
	ExpectDelivered: {"who", "via", "what", "topic", "rule"},
	ExpectErrors:    {"who", "code", "subcode", "rule"},
	ExpectFindings:  {"who", "rule"},
	ExpectWindow:    {"who", "open", "rule"},
	ExpectRecurring: {"who", "topic", "timezone", "rule"},
}

// deliveryRoutes are the values of delivered.via; "normal" is "id".
var deliveryRoutes = []string{"id", "normal", "token", "tag", "recurring", "user_ref"}

func (d *decoder) expect(n *yaml.Node, who func(*yaml.Node) string) []Expectation {
	var out []Expectation
	before := len(d.Errs)
	f, keys := d.Fields(n, "expect", expectKinds...)
	if len(f) == 0 && len(d.Errs) == before {
		d.Errorf(n, "expect needs at least one of %v", expectKinds)
	}
	for _, kind := range expectKinds {
		v, ok := f[kind]
		if !ok {
			continue
		}
		for _, item := range oneOrMany(v) {
			e := Expectation{Pos: d.Pos(keys[kind]), Kind: ExpectKind(kind), Counts: map[string]int{}}
			if item.Kind == yaml.MappingNode {
				e.Pos = d.Pos(item)
			}
			allowed := append(append([]string(nil), otherFields[e.Kind]...), countFields[e.Kind]...)
			ef, _ := d.Fields(item, "expect."+kind, allowed...)
			for k, x := range ef {
				switch k {
				case "who":
					e.Who = who(x)
				case "topic":
					e.Topic = d.Str(x, k)
				case "timezone":
					e.Zone = d.Str(x, k)
				case "via":
					e.Via = d.oneOf(x, "via", deliveryRoutes...)
					if e.Via == "normal" {
						e.Via = "id"
					}
				case "what":
					e.What = d.oneOf(x, "what", "message", "otn_request", "recurring_request")
				case "code":
					e.Code = d.Integer(x, k)
				case "subcode":
					e.Sub = d.Integer(x, k)
				case "rule":
					e.Rule = d.oneOf(x, "rule", rules.IDs()...)
				case "open":
					b := d.Bool(x, k)
					e.Open = &b
				default:
					e.Counts[k] = d.Integer(x, k)
				}
			}
			switch e.Kind {
			case ExpectWindow:
				d.Require(item, "expect.window", ef, "who", "open")
			case ExpectTokens, ExpectRecurring:
				if len(e.Counts) == 0 && item.Kind == yaml.MappingNode {
					d.Errorf(item, "expect.%s needs at least one of %v", kind, countFields[e.Kind])
				}
			case ExpectFindings:
				d.Require(item, "expect.findings", ef, "rule")
			default:
				d.Require(item, "expect."+kind, ef, "count")
			}
			out = append(out, e)
		}
	}
	return out
}
