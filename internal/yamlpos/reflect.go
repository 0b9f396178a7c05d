package yamlpos

import (
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	durationType = reflect.TypeOf(time.Duration(0))
	timeType     = reflect.TypeOf(time.Time{})
)

// Unmarshaler is a type that reads itself from a node, reporting its
// mistakes through d: Into calls it instead of decoding the type's fields.
// what names the value in messages ("bot", "campaigns[2].first").
type Unmarshaler interface {
	UnmarshalYAMLPos(d *Decoder, n *yaml.Node, what string)
}

// Into decodes n into v, led by v's type and its fields' yaml tags, and
// reports every mistake with its position. Only the fields present in the
// file are set, so v may carry defaults; lists and maps are replaced whole.
// Durations take otnsim's units (clock.ParseDuration), times RFC 3339, and
// a type that implements Unmarshaler decodes itself. what names v in
// messages; "" is the top level (see Decoder.Top).
func (d *Decoder) Into(n *yaml.Node, v reflect.Value, what string) {
	if v.CanAddr() {
		if u, ok := v.Addr().Interface().(Unmarshaler); ok {
			u.UnmarshalYAMLPos(d, n, what)
			return
		}
	}
	switch v.Type() {
	case durationType:
		v.SetInt(int64(d.Duration(n, d.label(what))))
		return
	case timeType:
		v.Set(reflect.ValueOf(d.Time(n, d.label(what))))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.Into(n, v.Elem(), what)
	case reflect.Struct:
		d.IntoFields(n, v, what)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.Errorf(n, "%s must be a list, got %s", d.label(what), KindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.Into(c, s.Index(i), what+"["+strconv.Itoa(i)+"]")
		}
		v.Set(s)
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			d.Errorf(n, "%s: cannot be set from a file", d.label(what))
			return
		}
		vals, keys := d.Mapping(n, d.label(what))
		if n.Kind != yaml.MappingNode {
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(vals))
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if keys[k.Value] != k {
				continue // a repeated key, reported
			}
			elem := reflect.New(v.Type().Elem()).Elem()
			d.Into(vals[k.Value], elem, join(what, k.Value))
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
		}
		v.Set(m)
	case reflect.Bool:
		v.SetBool(d.Bool(n, d.label(what)))
	case reflect.String:
		v.SetString(d.Str(n, d.label(what)))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x := d.Int64(n, d.label(what))
		if v.OverflowInt(x) {
			d.Errorf(n, "%s: %d is out of range", d.label(what), x)
			return
		}
		v.SetInt(x)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		x := uint64(d.Integer(n, d.label(what)))
		if v.OverflowUint(x) {
			d.Errorf(n, "%s: %d is out of range", d.label(what), x)
			return
		}
		v.SetUint(x)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(d.Float(n, d.label(what)))
	case reflect.Interface:
		if x := d.Plain(n); x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		d.Errorf(n, "%s: cannot be set from a file", d.label(what))
	}
}

// IntoFields decodes the mapping n into the struct v field by field, the
// way Into does, but without calling v's own Unmarshaler: an
// UnmarshalYAMLPos method uses it for the fields it does not handle itself.
func (d *Decoder) IntoFields(n *yaml.Node, v reflect.Value, what string) {
	names, index := FieldNames(v.Type())
	vals, _ := d.Fields(n, d.label(what), names...)
	for _, name := range names {
		if x, ok := vals[name]; ok {
			d.Into(x, v.FieldByIndex(index[name]), join(what, name))
		}
	}
}

// label is what's name in messages.
func (d *Decoder) label(what string) string {
	if what != "" {
		return what
	}
	if d.Top != "" {
		return d.Top
	}
	return "the document"
}

func join(what, name string) string {
	if what == "" {
		return name
	}
	return what + "." + name
}

// FieldNames lists a struct's yaml field names (exported fields with a
// yaml tag, embedded structs flattened) and where each lives.
func FieldNames(t reflect.Type) ([]string, map[string][]int) {
	var names []string
	index := map[string][]int{}
	for _, f := range reflect.VisibleFields(t) {
		tag, ok := f.Tag.Lookup("yaml")
		name, _, _ := strings.Cut(tag, ",")
		if !ok || name == "-" || !f.IsExported() || f.Anonymous {
			continue
		}
		names = append(names, name)
		index[name] = f.Index
	}
	return names, index
}

// Find returns the node path names under root ("regions[2].weight", as
// Into names values), or the deepest node on the way there that the file
// has: where to report a mistake found in the decoded value.
func Find(root *yaml.Node, path string) *yaml.Node {
	n := root
	for path != "" && n != nil {
		var step string
		if strings.HasPrefix(path, "[") {
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return n
			}
			i, err := strconv.Atoi(path[1:end])
			if err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
				return n
			}
			n, path = n.Content[i], strings.TrimPrefix(path[end+1:], ".")
			continue
		}
		step, path = path, ""
		if i := strings.IndexAny(step, ".["); i >= 0 {
			step, path = step[:i], strings.TrimPrefix(step[i:], ".")
		}
		if n.Kind != yaml.MappingNode {
			return n
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == step {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}
