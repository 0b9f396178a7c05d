// Package scenarios holds otnsim's scenario language: the YAML format, its
// loader (which reports mistakes as file:line:col), the runner that plays a
// scenario in a fresh simulated world, the reports CI systems read, and the
// shipped scenario suites, embedded in the binary.
package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/internal/inputfile"
	"github.com/otnsim/otnsim/internal/yamlpos"
	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/sim"
	"github.com/otnsim/otnsim/sim/clock"
)

// MaxFileBytes is the largest scenario file otnsim reads.
const MaxFileBytes = inputfile.MaxYAMLBytes

// Parse reads one scenario from src; name is used in positions. A table
// scenario (with "cases:") comes back with Cases set.
func Parse(name string, src []byte) (*Scenario, error) {
	if len(src) > MaxFileBytes {
		return nil, ErrorList{{Pos: Pos{File: name, Line: 1, Col: 1}, Msg: fmt.Sprintf("the file is %d bytes, over the %d a scenario file may have; split it", len(src), MaxFileBytes)}}
	}
	d := newDecoder(name)
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, ErrorList{{Pos: Pos{File: name, Line: 1, Col: 1}, Msg: "empty scenario file"}}
		}
		return nil, ErrorList{yamlpos.SyntaxError(name, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.Errorf(&extra, "a scenario file holds one document; found another")
	}
	if len(root.Content) == 0 {
		return nil, ErrorList{{Pos: Pos{File: name, Line: 1, Col: 1}, Msg: "empty scenario file"}}
	}
	sc := d.document(root.Content[0])
	if len(d.Errs) > 0 {
		return nil, d.Errs.Sorted()
	}
	return sc, nil
}

// ParseFile reads and parses one scenario file.
func ParseFile(path string) (*Scenario, error) {
	src, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return Parse(path, src)
}

// readFile reads a scenario file of at most MaxFileBytes.
func readFile(path string) ([]byte, error) { return inputfile.Read(path, MaxFileBytes) }

var topFields = []string{
	"name", "description", "tags", "seed", "start", "world", "bot", "checks",
	"subscribers", "steps", "cases",
}

// document reads the top level: a plain scenario, or a table of cases.
func (d *decoder) document(n *yaml.Node) *Scenario {
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "a scenario is a mapping with name, steps and more, got %s", yamlpos.KindName(n))
		return &Scenario{File: d.File}
	}
	var casesNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "cases" {
			casesNode = n.Content[i+1]
		}
	}
	if casesNode == nil {
		return d.scenario(d.substitute(n, nil))
	}
	cases := d.cases(casesNode)
	var table *Scenario
	for _, c := range cases {
		if d.limitHit {
			break // every case would be refused the same way
		}
		sc := d.scenario(d.substitute(n, c.vars))
		if table == nil {
			table = &Scenario{}
			*table = *sc
		}
		sc.Case = c.name
		sc.Name = fmt.Sprintf("%s [%s]", sc.Name, c.name)
		table.Cases = append(table.Cases, sc)
	}
	if table == nil {
		return &Scenario{File: d.File}
	}
	return table
}

func (d *decoder) scenario(n *yaml.Node) *Scenario {
	sc := &Scenario{
		File:   d.File,
		World:  WorldSpec{OTNPermission: true, Settings: fakegraph.DefaultSettings()},
		Bot:    reference.Setup{Policy: reference.DefaultPolicy()},
		Checks: findings.DefaultOptions(),
	}
	f, _ := d.Fields(n, "the scenario", topFields...)
	d.Require(n, "the scenario", f, "name", "steps")
	if v, ok := f["name"]; ok {
		sc.Name = d.Str(v, "name")
	}
	if v, ok := f["description"]; ok {
		sc.Description = d.Str(v, "description")
	}
	if v, ok := f["tags"]; ok {
		sc.Tags = d.Strings(v, "tags")
	}
	if v, ok := f["seed"]; ok {
		sc.Seed = d.Int64(v, "seed")
	}
	if v, ok := f["start"]; ok {
		before := len(d.Errs)
		sc.Start = d.Time(v, "start")
		if err := clock.CheckTime(sc.Start); err != nil && len(d.Errs) == before {
			d.Errorf(v, "start: %v", err)
		}
	}
	if v, ok := f["world"]; ok {
		d.world(v, &sc.World)
	}
	if v, ok := f["bot"]; ok {
		d.Into(v, reflect.ValueOf(&sc.Bot).Elem(), "bot") // presets: reference.Setup.UnmarshalYAMLPos
	}
	if v, ok := f["checks"]; ok {
		d.Into(v, reflect.ValueOf(&sc.Checks).Elem(), "checks")
	}
	aliases := map[string]*SubscriberSpec{}
	if v, ok := f["subscribers"]; ok {
		sc.Subscribers = d.subscribers(v)
		for i := range sc.Subscribers {
			aliases[sc.Subscribers[i].Alias] = &sc.Subscribers[i]
		}
	}
	if v, ok := f["steps"]; ok {
		start := sc.Start
		if start.IsZero() {
			start = sim.DefaultStart()
		}
		var now time.Time
		if clock.CheckTime(start) == nil {
			now = start
		}
		sc.Steps = d.steps(v, &stepScope{aliases: aliases, order: sc.Subscribers, start: start, now: now})
	}
	return sc
}
