// Package inputfile reads the files otnsim takes as input (scenarios, load
// profiles, bot configurations, reports) with a cap on their size, so that
// a huge or endless file (a FIFO, /dev/zero) is refused instead of read.
package inputfile

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxYAMLBytes is the largest YAML input file (scenario, profile, bot
// configuration) otnsim reads: far above any real one.
const MaxYAMLBytes = 4 << 20

// ErrTooBig is wrapped by Read's error for a file over its limit.
var ErrTooBig = errors.New("file too big")

// Read returns the contents of path, or an error wrapping ErrTooBig when it
// holds more than limit bytes; it never reads more than limit+1.
func Read(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: over %d bytes, more than otnsim reads: %w", path, limit, ErrTooBig)
	}
	return b, nil
}
