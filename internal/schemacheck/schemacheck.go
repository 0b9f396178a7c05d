// Package schemacheck validates otnsim's JSON reports against the JSON
// Schemas that ship with them (draft 2020-12, formats asserted): the tests
// of otnsim run, check, load and report merge share it. Report picks the
// schema by the report's own schema field.
package schemacheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/load/report"
	"github.com/otnsim/otnsim/scenarios"
)

// Schemas maps each report's schema field to its JSON Schema.
func Schemas() map[string][]byte {
	return map[string][]byte{
		scenarios.ReportSchemaID: scenarios.ReportSchema(),
		compliance.SchemaID:      compliance.ReportSchema(),
		report.SchemaID:          report.Schema(),
	}
}

// Compile compiles a JSON Schema, asserting formats (date-time).
func Compile(id string, src []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", id, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", id, err)
	}
	return c.Compile(id)
}

// Report validates one JSON report against the schema its schema field
// names.
func Report(doc []byte) error {
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(doc, &head); err != nil {
		return fmt.Errorf("not a JSON report: %w", err)
	}
	src, ok := Schemas()[head.Schema]
	if !ok {
		return fmt.Errorf("report of unknown schema %q", head.Schema)
	}
	sch, err := Compile(head.Schema+".json", src)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not a JSON report: %w", err)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("%s report: %w", head.Schema, err)
	}
	return nil
}

// File validates the JSON report at path (Report).
func File(path string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := Report(doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
