package scenarios

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

// into decodes n into v, led by v's type and its fields' yaml tags, and
// reports every mistake with its position. Only the fields present in the
// file are set, so v may carry defaults. Durations take otnsim's units
// (clock.ParseDuration) and times RFC 3339.
func (d *decoder) into(n *yaml.Node, v reflect.Value, what string) {
	switch v.Type() {
	case durationType:
		v.SetInt(int64(d.duration(n, what)))
		return
	case timeType:
		v.Set(reflect.ValueOf(d.timestamp(n, what)))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.into(n, v.Elem(), what)
	case reflect.Struct:
		names, index := yamlFields(v.Type())
		vals, _ := d.fields(n, what, names...)
		for _, name := range names {
			if x, ok := vals[name]; ok {
				d.into(x, v.FieldByIndex(index[name]), what+"."+name)
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorf(n, "%s must be a list, got %s", what, kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.into(c, s.Index(i), what+"["+strconv.Itoa(i)+"]")
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode || v.Type().Key().Kind() != reflect.String {
			d.errorf(n, "%s must be a mapping, got %s", what, kindName(n))
			return
		}
		m := reflect.MakeMap(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			elem := reflect.New(v.Type().Elem()).Elem()
			d.into(n.Content[i+1], elem, what+"."+n.Content[i].Value)
			m.SetMapIndex(reflect.ValueOf(n.Content[i].Value).Convert(v.Type().Key()), elem)
		}
		v.Set(m)
	case reflect.Bool:
		v.SetBool(d.boolean(n, what))
	case reflect.String:
		v.SetString(d.str(n, what))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(d.int64(n, what))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(d.integer(n, what)))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(d.float(n, what))
	case reflect.Interface:
		v.Set(reflect.ValueOf(d.plain(n)))
	default:
		d.errorf(n, "%s: cannot be set from a scenario file", what)
	}
}

// yamlFields lists a struct's yaml field names (exported fields with a yaml
// tag, embedded structs flattened) and where each lives.
func yamlFields(t reflect.Type) ([]string, map[string][]int) {
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
