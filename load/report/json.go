package report

import (
	"bytes"
	_ "embed" // the report's JSON Schema ships in the binary
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/otnsim/otnsim/internal/reportdoc"
)

//go:embed report.schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of the JSON report,
// version FormatVersion. Each call returns a fresh copy.
func Schema() []byte { return slices.Clone(schemaJSON) }

// Summary is the JSON report's summary: the subscribers covered, the
// events played, the invariant violations and the findings (of every rule
// and severity).
type Summary struct {
	Subscribers int   `json:"subscribers"`
	Events      int64 `json:"events"`
	Violations  int64 `json:"violations"`
	Findings    int64 `json:"findings"`
}

// Summary counts the report for its JSON header.
func (r *Report) Summary() Summary {
	s := Summary{Subscribers: r.Subscribers, Events: r.Counters.Events, Violations: r.ViolationCount}
	for _, n := range r.Findings {
		s.Findings += n
	}
	return s
}

// body is Report without its methods, so that the JSON shapes can embed it:
// its fields follow the header, in their order.
type body Report

// header is the JSON report's header, in the order every otnsim report
// writes it.
type header struct {
	Schema    string  `json:"schema"`
	Version   int     `json:"version"`
	Tool      string  `json:"tool"`
	StartedAt string  `json:"started_at"`
	ElapsedMS float64 `json:"elapsed_ms"`
	Summary   Summary `json:"summary"`
	Error     *Error  `json:"error,omitempty"`
}

// wire is the JSON report of version 2.
type wire struct {
	header
	*body
	// ShardsElapsedMS adds up every shard's wall time.
	ShardsElapsedMS float64 `json:"shards_elapsed_ms"`
}

// MarshalJSON writes the report in the shape of
// load/report/report.schema.json, version FormatVersion.
func (r *Report) MarshalJSON() ([]byte, error) {
	b := body(*r)
	if b.Findings == nil {
		b.Findings = map[string]int64{}
	}
	w := wire{
		header: header{Schema: SchemaID, Version: FormatVersion, Tool: reportdoc.Tool(r.Tool),
			StartedAt: reportdoc.StartedAt(r.Started), ElapsedMS: reportdoc.Milliseconds(r.elapsed()),
			Summary: r.Summary(), Error: r.Error},
		body:            &b,
		ShardsElapsedMS: reportdoc.Milliseconds(time.Duration(r.ShardSeconds * float64(time.Second))),
	}
	return json.Marshal(w)
}

// MarshalIndent is MarshalJSON, indented, with a final newline: the file
// WriteFile writes.
func (r *Report) MarshalIndent() ([]byte, error) {
	raw, err := r.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// UnmarshalJSON reads a report of version 2, or of version 1 (no header;
// wall_seconds and shard_seconds).
func (r *Report) UnmarshalJSON(src []byte) error {
	var in struct {
		wire
		// Version 1.
		WallSeconds  float64 `json:"wall_seconds"`
		ShardSeconds float64 `json:"shard_seconds"`
	}
	var out Report
	in.body = (*body)(&out)
	if err := json.Unmarshal(src, &in); err != nil {
		return err
	}
	switch {
	case in.header.Version == 1 && in.Schema == "":
		out.WallSeconds, out.ShardSeconds = in.WallSeconds, in.ShardSeconds
	case in.Schema != SchemaID:
		return fmt.Errorf("schema %q, want %q (a report of otnsim load or otnsim report merge)", in.Schema, SchemaID)
	case in.header.Version != FormatVersion:
		return fmt.Errorf("format version %d, want %d (or 1)", in.header.Version, FormatVersion)
	default:
		out.WallSeconds = reportdoc.Duration(in.ElapsedMS).Seconds()
		out.ShardSeconds = reportdoc.Duration(in.ShardsElapsedMS).Seconds()
		out.Tool, out.Error = in.header.Tool, in.header.Error
		if in.StartedAt != "" {
			t, err := time.Parse(time.RFC3339Nano, in.StartedAt)
			if err != nil {
				return fmt.Errorf("started_at: %w", err)
			}
			out.Started = t
		}
	}
	out.Version = in.header.Version
	*r = out
	return nil
}
