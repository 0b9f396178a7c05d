package reference

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/otnsim/otnsim/internal/yamlpos"
)

// presets are the policies PresetPolicy names.
func presets() map[string]Policy {
	flow := DefaultPolicy()
	flow.FlowAskAfter = 12 * time.Hour
	flow.Throttle.PerTopic = 24 * time.Hour

	broadcaster := DefaultPolicy()
	broadcaster.SpendTokenInWindow = true
	broadcaster.Throttle = Throttle{PerTopic: 7 * 24 * time.Hour, PerDay: 1}

	instant := DefaultPolicy()
	instant.IdleAfter = 0
	instant.Throttle = Throttle{}

	return map[string]Policy{
		"careful":      DefaultPolicy(),
		"flow-builder": flow,
		"broadcaster":  broadcaster,
		"instant":      instant,
	}
}

// PresetNames lists the policy presets, sorted: broadcaster, careful,
// flow-builder, instant.
func PresetNames() []string {
	var out []string
	for k := range presets() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// PresetPolicy returns the named preset's policy (see Setup.Preset); ""
// is "careful", DefaultPolicy. An unknown name's error lists the presets.
//
//   - careful: DefaultPolicy.
//   - flow-builder: visual flow builders; a flow's opt-in request is sent
//     12 hours after the flow ends, if the window is still open, and one
//     topic is asked for at most once a day.
//   - broadcaster: campaign tools that always spend the token, even inside
//     the window, and ask at most once per topic a week.
//   - instant: no idle guard, no throttle (each tap still needs a request):
//     a legal but impatient bot.
func PresetPolicy(name string) (Policy, error) {
	if name == "" {
		return DefaultPolicy(), nil
	}
	p, ok := presets()[name]
	if !ok {
		return DefaultPolicy(), fmt.Errorf("unknown preset %q (the presets are %s)", name, strings.Join(PresetNames(), ", "))
	}
	return p, nil
}

// ParseSetup reads a bot setup file: the fields of a scenario's or a load
// profile's bot section (preset, policy, products, opt_ins, flows,
// campaigns). Mistakes come back together, each as file:line:col: message.
// An empty file is the careful default.
func ParseSetup(file string, src []byte) (Setup, error) {
	s := Setup{Policy: DefaultPolicy()}
	n, errs := yamlpos.Document(file, src)
	if errs != nil {
		return s, errs
	}
	if n == nil {
		return s, nil
	}
	d := &yamlpos.Decoder{File: file}
	s.UnmarshalYAMLPos(d, n, "bot")
	return s, d.Err()
}

// UnmarshalYAMLPos reads a bot section for otnsim's positioned decoder
// (scenario files, load profiles, ParseSetup): the preset first, which
// replaces Policy, then every field the section sets over it. Fields it
// leaves out keep s's values.
func (s *Setup) UnmarshalYAMLPos(d *yamlpos.Decoder, n *yaml.Node, what string) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value != "preset" {
				continue
			}
			v := n.Content[i+1]
			name := d.Str(v, what+".preset")
			p, err := PresetPolicy(name)
			if err != nil {
				d.Hintf(v, yamlpos.Suggest(name, PresetNames()), "unknown bot preset %q", name)
			}
			s.Preset, s.Policy = name, p
		}
	}
	d.IntoFields(n, reflect.ValueOf(s).Elem(), what)
}
