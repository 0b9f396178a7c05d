package scenarios

import (
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/otnsim/otnsim/internal/yamlpos"
)

// varRE matches a variable reference: ${name}.
var varRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// repeatVars are the variables a repeat binds; a table's cases may not
// define them, and the table's substitution leaves them alone.
var repeatVars = []string{"who", "i"}

// caseSpec is one row of a table scenario.
type caseSpec struct {
	name string
	vars map[string]*yaml.Node
}

// cases reads "cases:": a list of {name, vars}.
func (d *decoder) cases(n *yaml.Node) []caseSpec {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.Errorf(n, "cases must be a non-empty list of {name, vars}, got %s", yamlpos.KindName(n))
		return nil
	}
	var out []caseSpec
	names := map[string]bool{}
	for _, c := range n.Content {
		f, _ := d.Fields(c, "a case", "name", "vars")
		if !d.Require(c, "a case", f, "name") {
			continue
		}
		cs := caseSpec{name: d.Str(f["name"], "case name"), vars: map[string]*yaml.Node{}}
		if names[cs.name] {
			d.Errorf(f["name"], "case %q appears twice", cs.name)
		}
		names[cs.name] = true
		if v, ok := f["vars"]; ok {
			vals, keys := d.Mapping(v, "case vars")
			for k, x := range vals {
				if !varRE.MatchString("${" + k + "}") {
					d.Errorf(keys[k], "variable name %q must be letters, digits and _", k)
				}
				if slices.Contains(repeatVars, k) {
					d.Errorf(keys[k], "variable %q is bound by repeat; choose another name", k)
				}
				if x.Kind != yaml.ScalarNode {
					d.Errorf(x, "variable %q must be a single value, got %s", k, yamlpos.KindName(x))
				}
				cs.vars[k] = x
			}
		}
		out = append(out, cs)
	}
	return out
}

// substitute returns a copy of n with ${name} replaced by the case's
// variables, leaving out the "cases" section. An unknown variable is an error.
func (d *decoder) substitute(n *yaml.Node, vars map[string]*yaml.Node) *yaml.Node {
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	lookup := func(at *yaml.Node, name string) (*yaml.Node, bool) {
		if v, ok := vars[name]; ok {
			return v, true
		}
		if slices.Contains(repeatVars, name) {
			return nil, false
		}
		if len(names) == 0 {
			d.varError(at, "define variables in a table: cases: [{name: ..., vars: {"+name+": ...}}]", name)
		} else {
			d.varError(at, yamlpos.Suggest(name, names), name)
		}
		return nil, false
	}
	out := clone(n, lookup)
	if out.Kind == yaml.MappingNode {
		kept := out.Content[:0]
		for i := 0; i+1 < len(out.Content); i += 2 {
			if out.Content[i].Value != "cases" {
				kept = append(kept, out.Content[i], out.Content[i+1])
			}
		}
		out.Content = kept
	}
	return out
}

// bind returns a copy of n with a repeat's variables replaced.
func bind(n *yaml.Node, vars map[string]string) *yaml.Node {
	return clone(n, func(_ *yaml.Node, name string) (*yaml.Node, bool) {
		v, ok := vars[name]
		if !ok {
			return nil, false
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}, true
	})
}

// clone deep-copies n, replacing variable references in scalars. A scalar
// that is exactly one reference takes the value's type too (a number stays
// a number); otherwise the values are spliced into the text.
func clone(n *yaml.Node, lookup func(at *yaml.Node, name string) (*yaml.Node, bool)) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	if n.Kind == yaml.AliasNode {
		return &c // shared, not expanded: anchors may not nest variables
	}
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		if m := varRE.FindStringSubmatch(n.Value); m != nil && m[0] == n.Value {
			if v, ok := lookup(n, m[1]); ok {
				c.Value, c.Tag, c.Style = v.Value, v.Tag, 0
			}
			return &c
		}
		c.Value = varRE.ReplaceAllStringFunc(n.Value, func(ref string) string {
			if v, ok := lookup(n, ref[2:len(ref)-1]); ok {
				return v.Value
			}
			return ref
		})
		if c.Value != n.Value {
			c.Tag = "!!str"
		}
		return &c
	}
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, x := range n.Content {
			c.Content[i] = clone(x, lookup)
		}
	}
	return &c
}
