// Package yamlpos decodes YAML node trees into Go values, led by the values'
// types and their fields' yaml tags, and reports every mistake at its
// file:line:col with a hint ("did you mean ...?") instead of stopping at the
// first. Scenario files, load profiles and `otnsim bot --config` files all
// decode with it, so a field reads the same in each: durations in otnsim's
// units (clock.ParseDuration), times in RFC 3339.
package yamlpos

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/otnsim/otnsim/sim/clock"
)

// Pos is a position in a file.
type Pos struct {
	File string
	Line int
	Col  int
}

// String renders the position as file:line:col.
func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Error is a mistake in a file, at a position.
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

// ErrorList is every mistake found in one or more files.
type ErrorList []*Error

// Error renders one error per line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Sorted returns l in file order without repeats (a mistake inside a part
// decoded more than once is found once per pass). It reorders l in place.
func (l ErrorList) Sorted() ErrorList {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	out := l[:0]
	seen := map[string]bool{}
	for _, e := range l {
		if k := e.Error(); !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}

// SyntaxError turns a YAML syntax error into a positioned Error.
func SyntaxError(file string, err error) *Error {
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

// Document reads the one YAML document src holds and returns its top node,
// or nil when src holds no document (empty, or only comments). A syntax
// error, or a second document, is an error.
func Document(file string, src []byte) (*yaml.Node, ErrorList) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, ErrorList{SyntaxError(file, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, ErrorList{{Pos: Pos{File: file, Line: extra.Line, Col: extra.Column}, Msg: "the file holds one YAML document; found another"}}
	}
	if len(root.Content) == 0 {
		return nil, nil
	}
	return root.Content[0], nil
}

// Decoder walks YAML nodes, converting values and collecting errors with
// positions rather than stopping at the first.
type Decoder struct {
	// File names the file in positions.
	File string
	// Top names the document's top level in messages, where what is ""
	// ("the profile"); "the document" if empty.
	Top string
	// Errs are the mistakes found so far, in the order found.
	Errs ErrorList
	// quiet holds positions already blamed for a mistake whose follow-ups
	// would only repeat the cause.
	quiet map[Pos]bool
}

// Pos is n's position.
func (d *Decoder) Pos(n *yaml.Node) Pos { return Pos{File: d.File, Line: n.Line, Col: n.Column} }

// Errorf reports a mistake at n.
func (d *Decoder) Errorf(n *yaml.Node, format string, args ...any) {
	d.Hintf(n, "", format, args...)
}

// Hintf reports a mistake at n with a hint, unless n's position is quiet.
func (d *Decoder) Hintf(n *yaml.Node, hint, format string, args ...any) {
	if d.quiet[d.Pos(n)] {
		return
	}
	d.Errs = append(d.Errs, &Error{Pos: d.Pos(n), Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// Quiet drops every later mistake reported at n's position: the one
// already reported there is their cause.
func (d *Decoder) Quiet(n *yaml.Node) {
	if d.quiet == nil {
		d.quiet = map[Pos]bool{}
	}
	d.quiet[d.Pos(n)] = true
}

// Err returns the mistakes in file order, or nil if there are none.
func (d *Decoder) Err() error {
	if len(d.Errs) == 0 {
		return nil
	}
	return d.Errs.Sorted()
}

// Fields reads a mapping whose keys must be among allowed. It reports
// unknown and duplicate keys and returns key -> value node, plus the key nodes.
func (d *Decoder) Fields(n *yaml.Node, what string, allowed ...string) (map[string]*yaml.Node, map[string]*yaml.Node) {
	vals, keys := map[string]*yaml.Node{}, map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "%s must be a mapping, got %s", what, KindName(n))
		return vals, keys
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(allowed, k.Value) {
			d.Hintf(k, Suggest(k.Value, allowed), "unknown field %q in %s", k.Value, what)
			continue
		}
		if _, dup := vals[k.Value]; dup {
			d.Errorf(k, "field %q appears twice in %s", k.Value, what)
			continue
		}
		vals[k.Value], keys[k.Value] = v, k
	}
	return vals, keys
}

// Mapping reads a mapping with any keys, reporting duplicates.
func (d *Decoder) Mapping(n *yaml.Node, what string) (map[string]*yaml.Node, map[string]*yaml.Node) {
	vals, keys := map[string]*yaml.Node{}, map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "%s must be a mapping, got %s", what, KindName(n))
		return vals, keys
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if _, dup := vals[k.Value]; dup {
			d.Errorf(k, "field %q appears twice in %s", k.Value, what)
			continue
		}
		vals[k.Value], keys[k.Value] = n.Content[i+1], k
	}
	return vals, keys
}

// Require reports every field of want that is missing from vals.
func (d *Decoder) Require(n *yaml.Node, what string, vals map[string]*yaml.Node, want ...string) bool {
	ok := true
	for _, w := range want {
		if _, has := vals[w]; !has {
			d.Errorf(n, "%s needs field %q", what, w)
			ok = false
		}
	}
	return ok
}

// Str reads a string.
func (d *Decoder) Str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.Errorf(n, "%s must be a string, got %s", what, KindName(n))
		return ""
	}
	return n.Value
}

// Integer reads a whole number ≥ 0.
func (d *Decoder) Integer(n *yaml.Node, what string) int {
	if n.Kind != yaml.ScalarNode {
		d.Errorf(n, "%s must be a whole number, got %s", what, KindName(n))
		return 0
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil || v < 0 {
		d.Errorf(n, "%s must be a whole number ≥ 0, got %q", what, n.Value)
		return 0
	}
	return v
}

// Int64 reads a whole number.
func (d *Decoder) Int64(n *yaml.Node, what string) int64 {
	if n.Kind != yaml.ScalarNode {
		d.Errorf(n, "%s must be a number, got %s", what, KindName(n))
		return 0
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		d.Errorf(n, "%s must be a number, got %q", what, n.Value)
	}
	return v
}

// Float reads a finite number.
func (d *Decoder) Float(n *yaml.Node, what string) float64 {
	if n.Kind != yaml.ScalarNode {
		d.Errorf(n, "%s must be a number, got %s", what, KindName(n))
		return 0
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		d.Errorf(n, "%s must be a number, got %q", what, n.Value)
		return 0
	}
	return v
}

// Bool reads true or false (or yes/no, on/off).
func (d *Decoder) Bool(n *yaml.Node, what string) bool {
	if n.Kind == yaml.ScalarNode {
		switch n.Value {
		case "true", "yes", "on":
			return true
		case "false", "no", "off":
			return false
		}
	}
	d.Errorf(n, "%s must be true or false, got %q", what, n.Value)
	return false
}

// Duration reads a duration in otnsim's units (clock.ParseDuration).
func (d *Decoder) Duration(n *yaml.Node, what string) time.Duration {
	if n.Kind != yaml.ScalarNode {
		d.Errorf(n, "%s must be a duration like 48h or 1y, got %s", what, KindName(n))
		return 0
	}
	v, err := clock.ParseDuration(n.Value)
	if err != nil {
		d.Errorf(n, "%s: %v", what, err)
	}
	return v
}

// Time reads an RFC 3339 time, in UTC.
func (d *Decoder) Time(n *yaml.Node, what string) time.Time {
	if n.Kind != yaml.ScalarNode {
		d.Errorf(n, "%s must be an RFC 3339 time, got %s", what, KindName(n))
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, n.Value)
	if err != nil {
		d.Errorf(n, "%s must be an RFC 3339 time like 2026-01-05T09:00:00Z, got %q", what, n.Value)
	}
	return t.UTC()
}

// Strings reads a list of strings, or one string as a list of one.
func (d *Decoder) Strings(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode {
		return []string{d.Str(n, what)}
	}
	if n.Kind != yaml.SequenceNode {
		d.Errorf(n, "%s must be a list of strings, got %s", what, KindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, d.Str(c, what))
	}
	return out
}

// Plain converts n to plain Go values: maps, lists, strings, numbers.
func (d *Decoder) Plain(n *yaml.Node) any {
	var v any
	if err := n.Decode(&v); err != nil {
		d.Errorf(n, "cannot read value: %v", err)
		return nil
	}
	return v
}

// KindName describes n for messages: "a mapping", "a list", "nothing", or
// the scalar's text, quoted.
func KindName(n *yaml.Node) string {
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

// Suggest names the closest allowed word to got, or lists the choices.
func Suggest(got string, allowed []string) string {
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
