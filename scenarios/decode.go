package scenarios

import (
	"go.yaml.in/yaml/v3"

	"github.com/otnsim/otnsim/internal/yamlpos"
)

// Pos is a position in a scenario file.
type Pos = yamlpos.Pos

// Error is a mistake in a scenario file, at a position; Error() renders
// file:line:col: message (hint).
type Error = yamlpos.Error

// ErrorList is every mistake found in one or more files, in file order,
// one per line.
type ErrorList = yamlpos.ErrorList

// decoder reads a scenario file: the positioned decoder load profiles and
// bot configurations share (yamlpos), plus the scenario language's parts.
type decoder struct {
	*yamlpos.Decoder
	expanded  int  // steps expanded so far in the file, every case together
	generated int  // subscribers generated so far in the file
	limitHit  bool // MaxExpandedSteps was passed (reported once)
}

func newDecoder(file string) *decoder { return &decoder{Decoder: &yamlpos.Decoder{File: file}} }

// varError reports an unknown variable and quiets its position.
func (d *decoder) varError(n *yaml.Node, hint, name string) {
	d.Hintf(n, hint, "unknown variable ${%s}", name)
	d.Quiet(n)
}

// oneOrMany returns n's items if it is a sequence, or n itself.
func oneOrMany(n *yaml.Node) []*yaml.Node {
	if n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return []*yaml.Node{n}
}
