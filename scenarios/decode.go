package scenarios

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/otnsim/otnsim/sim/clock"
)

// Pos is a position in a scenario file.
type Pos struct {
	File string
	Line int
	Col  int
}

// String renders the position as file:line:col.
func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Error is a mistake in a scenario file, at a position.
type Error struct {
	Pos  Pos
	Msg  string
	Hint string // e.g. "did you mean \"notify_me\"?"
}

// Error renders file:line:col: message (hint).
func (e *Error) Error() string {
	if e.Hint != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Pos, e.Msg, e.Hint)
	}
	return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
}

// ErrorList is every mistake found in one or more files, in file order.
type ErrorList []*Error

// Error renders one error per line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// decoder walks a YAML node tree, converting values and collecting errors
// with positions rather than stopping at the first.
type decoder struct {
	file string
	errs ErrorList
	// quiet holds positions already blamed for an unknown variable; later
	// errors there would only repeat the cause.
	quiet map[Pos]bool
}

func (d *decoder) pos(n *yaml.Node) Pos { return Pos{File: d.file, Line: n.Line, Col: n.Column} }

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.hintf(n, "", format, args...)
}

func (d *decoder) hintf(n *yaml.Node, hint, format string, args ...any) {
	if d.quiet[d.pos(n)] {
		return
	}
	d.errs = append(d.errs, &Error{Pos: d.pos(n), Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// varError reports an unknown variable and quiets its position.
func (d *decoder) varError(n *yaml.Node, hint, name string) {
	d.hintf(n, hint, "unknown variable ${%s}", name)
	if d.quiet == nil {
		d.quiet = map[Pos]bool{}
	}
	d.quiet[d.pos(n)] = true
}

// fields reads a mapping whose keys must be among allowed. It reports
// unknown and duplicate keys and returns key -> value node, plus the key nodes.
func (d *decoder) fields(n *yaml.Node, what string, allowed ...string) (map[string]*yaml.Node, map[string]*yaml.Node) {
	vals, keys := map[string]*yaml.Node{}, map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping, got %s", what, kindName(n))
		return vals, keys
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !contains(allowed, k.Value) {
			d.hintf(k, suggest(k.Value, allowed), "unknown field %q in %s", k.Value, what)
			continue
		}
		if _, dup := vals[k.Value]; dup {
			d.errorf(k, "field %q appears twice in %s", k.Value, what)
			continue
		}
		vals[k.Value], keys[k.Value] = v, k
	}
	return vals, keys
}

// require reports every field of want that is missing from vals.
func (d *decoder) require(n *yaml.Node, what string, vals map[string]*yaml.Node, want ...string) bool {
	ok := true
	for _, w := range want {
		if _, has := vals[w]; !has {
			d.errorf(n, "%s needs field %q", what, w)
			ok = false
		}
	}
	return ok
}

func (d *decoder) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorf(n, "%s must be a string, got %s", what, kindName(n))
		return ""
	}
	return n.Value
}

func (d *decoder) integer(n *yaml.Node, what string) int {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%s must be a whole number, got %s", what, kindName(n))
		return 0
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil || v < 0 {
		d.errorf(n, "%s must be a whole number ≥ 0, got %q", what, n.Value)
		return 0
	}
	return v
}

func (d *decoder) int64(n *yaml.Node, what string) int64 {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%s must be a number, got %s", what, kindName(n))
		return 0
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		d.errorf(n, "%s must be a number, got %q", what, n.Value)
	}
	return v
}

func (d *decoder) float(n *yaml.Node, what string) float64 {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%s must be a number, got %s", what, kindName(n))
		return 0
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil {
		d.errorf(n, "%s must be a number, got %q", what, n.Value)
	}
	return v
}

func (d *decoder) boolean(n *yaml.Node, what string) bool {
	if n.Kind == yaml.ScalarNode {
		switch n.Value {
		case "true", "yes", "on":
			return true
		case "false", "no", "off":
			return false
		}
	}
	d.errorf(n, "%s must be true or false, got %q", what, n.Value)
	return false
}

func (d *decoder) duration(n *yaml.Node, what string) time.Duration {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%s must be a duration like 48h or 1y, got %s", what, kindName(n))
		return 0
	}
	v, err := clock.ParseDuration(n.Value)
	if err != nil {
		d.errorf(n, "%s: %v", what, err)
	}
	return v
}

func (d *decoder) timestamp(n *yaml.Node, what string) time.Time {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%s must be an RFC 3339 time, got %s", what, kindName(n))
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, n.Value)
	if err != nil {
		d.errorf(n, "%s must be an RFC 3339 time like 2026-01-05T09:00:00Z, got %q", what, n.Value)
	}
	return t.UTC()
}

func (d *decoder) strings(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode {
		return []string{d.str(n, what)}
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list of strings, got %s", what, kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, d.str(c, what))
	}
	return out
}

// oneOrMany returns n's items if it is a sequence, or n itself.
func oneOrMany(n *yaml.Node) []*yaml.Node {
	if n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return []*yaml.Node{n}
}

// plain converts a YAML node to plain Go values (for trigger data).
func (d *decoder) plain(n *yaml.Node) any {
	var v any
	if err := n.Decode(&v); err != nil {
		d.errorf(n, "cannot read value: %v", err)
		return nil
	}
	return normalise(v)
}

// normalise turns map[string]any trees from yaml into JSON-friendly values.
func normalise(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalise(x)
		}
		return t
	case []any:
		for i, x := range t {
			t[i] = normalise(x)
		}
		return t
	}
	return v
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "nothing"
	}
	return fmt.Sprintf("%q", n.Value)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// suggest names the closest allowed word to got, or lists the choices.
func suggest(got string, allowed []string) string {
	best, bestD := "", 1<<30
	for _, a := range allowed {
		if dist := levenshtein(strings.ToLower(got), strings.ToLower(a)); dist < bestD {
			best, bestD = a, dist
		}
	}
	if best != "" && bestD <= max(2, len(got)/3) {
		return fmt.Sprintf("did you mean %q?", best)
	}
	sorted := append([]string(nil), allowed...)
	sort.Strings(sorted)
	if len(sorted) > 12 {
		return "expected one of: " + strings.Join(sorted[:12], ", ") + fmt.Sprintf(" and %d more", len(sorted)-12)
	}
	return "expected one of: " + strings.Join(sorted, ", ")
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// yamlError turns a YAML syntax error into a positioned Error.
func yamlError(file string, err error) *Error {
	msg := err.Error()
	line := 1
	// go-yaml reports "yaml: line N: message".
	var n int
	if _, scanErr := fmt.Sscanf(msg, "yaml: line %d:", &n); scanErr == nil {
		line = n
		if i := strings.IndexByte(msg, ':'); i >= 0 {
			rest := msg[i+1:]
			if j := strings.IndexByte(rest, ':'); j >= 0 {
				msg = rest[j+1:]
			}
		}
	}
	return &Error{Pos: Pos{File: file, Line: line, Col: 1}, Msg: "invalid YAML:" + msg}
}
