package scenarios

import (
	_ "embed" // the JSON Schemas ship in the binary
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/internal/yamlpos"
	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/rules"
)

//go:embed schema.json
var schemaJSON []byte

//go:embed report.schema.json
var reportSchemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of the scenario format, for
// editors that complete and check scenario files. Each call returns a fresh
// copy.
func Schema() []byte { return slices.Clone(schemaJSON) }

// ReportSchema returns the JSON Schema of the JSON report (version
// ReportSchemaVersion). Each call returns a fresh copy.
func ReportSchema() []byte { return slices.Clone(reportSchemaJSON) }

// BotSchema returns the JSON Schema of the "bot:" section, derived from
// reference.Setup's yaml-tagged fields, so that new policy knobs appear in
// the schema as they appear in scenario files. It is what schema.json's
// $defs.bot holds.
func BotSchema() map[string]any {
	s := typeSchema(reflect.TypeOf(reference.Setup{}))
	props := s["properties"].(map[string]any)
	props["preset"] = map[string]any{"enum": anySlice(reference.PresetNames())}
	return s
}

// SettingsSchema returns the JSON Schema of world.settings, derived from
// fakegraph.Settings' yaml-tagged fields; schema.json's $defs.settings holds it.
func SettingsSchema() map[string]any {
	return typeSchema(reflect.TypeOf(fakegraph.Settings{}))
}

// RuleSchema returns the JSON Schema of a rule id: the catalogue's ids
// (package rules); schema.json's $defs.rule holds it.
func RuleSchema() map[string]any {
	return map[string]any{"type": "string", "enum": anySlice(rules.IDs()), "description": "A rule id of the catalogue (rules/rules.go)."}
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	timeType     = reflect.TypeOf(time.Time{})
)

// typeSchema describes a Go type as the positioned decoder reads it.
func typeSchema(t reflect.Type) map[string]any {
	switch t {
	case durationType:
		return map[string]any{"$ref": "#/$defs/duration"}
	case timeType:
		return map[string]any{"$ref": "#/$defs/time"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeSchema(t.Elem())
	case reflect.Struct:
		names, index := yamlpos.FieldNames(t)
		props := map[string]any{}
		for _, n := range names {
			props[n] = typeSchema(t.FieldByIndex(index[n]).Type)
		}
		return map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": typeSchema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": typeSchema(t.Elem())}
	case reflect.Bool:
		return orVar(map[string]any{"type": "boolean"})
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return orVar(map[string]any{"type": "integer"})
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return orVar(map[string]any{"type": "integer", "minimum": 0})
	case reflect.Float32, reflect.Float64:
		return orVar(map[string]any{"type": "number"})
	}
	return map[string]any{"description": "any value (" + strings.ToLower(t.Kind().String()) + ")"}
}

// orVar also accepts a table variable (${name}) where a scalar goes.
func orVar(s map[string]any) map[string]any {
	return map[string]any{"anyOf": []any{s, map[string]any{"$ref": "#/$defs/var"}}}
}
