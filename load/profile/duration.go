package profile

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/otnsim/otnsim/internal/yamlpos"
	"github.com/otnsim/otnsim/sim/clock"
)

// Duration is a span of virtual time written as in scenario files: ms, s,
// m, h, d, w and y units, e.g. "2d15h" or "90s".
type Duration time.Duration

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: duration: %w", n.Line, err)
	}
	v, err := clock.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// UnmarshalYAMLPos reads a duration for the positioned decoder Parse uses.
func (d *Duration) UnmarshalYAMLPos(dec *yamlpos.Decoder, n *yaml.Node, what string) {
	*d = Duration(dec.Duration(n, what))
}

// MarshalYAML writes the duration in Go's notation.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
