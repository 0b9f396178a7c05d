package scenarios

import (
	"bytes"
	"errors"
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/otnsim/otnsim/reference"
)

// ParseBotSetup reads a reference bot configuration file: the same fields
// as a scenario's bot section (preset, policy, products, opt_ins, flows,
// campaigns), checked with positions. An empty file is the careful default.
func ParseBotSetup(name string, src []byte) (reference.Setup, error) {
	setup := reference.Setup{Policy: reference.DefaultPolicy()}
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(src)).Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return setup, nil
		}
		return setup, ErrorList{yamlError(name, err)}
	}
	d := &decoder{file: name}
	d.bot(root.Content[0], &setup)
	if len(d.errs) > 0 {
		return setup, d.errs
	}
	return setup, nil
}
