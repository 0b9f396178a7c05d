package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// shipped holds the scenario suites that ship with otnsim, one folder per
// family, so that installed binaries carry them.
//
//go:embed */*.yaml
var shipped embed.FS

// Shipped returns the scenario suites that ship with otnsim (embedded in the
// binary), one folder per family: LoadFS(Shipped(), ".") loads them all.
func Shipped() fs.FS { return shipped }

// isScenario reports whether a file name looks like a scenario file.
func isScenario(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// Load parses every scenario file under paths (files, or folders walked
// recursively, leaving out testdata), in lexical order; a table scenario yields one Scenario per
// case. It returns every mistake in every file,
// not only the first; err is an ErrorList when files are malformed.
func Load(paths ...string) ([]*Scenario, error) {
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("load scenarios: %w", err)
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && skipDir(d.Name()) {
				return filepath.SkipDir
			}
			if !d.IsDir() && isScenario(d.Name()) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load scenarios: %w", err)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("load scenarios: no *.yaml files under %s", strings.Join(paths, ", "))
	}
	sort.Strings(files)
	return parseAll(files, os.ReadFile)
}

// skipDir reports folders a walk leaves out, as the go tool does: testdata,
// and names starting with "." or "_".
func skipDir(name string) bool {
	return name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// LoadFS parses every scenario file in fsys under root.
func LoadFS(fsys fs.FS, root string) ([]*Scenario, error) {
	var files []string
	err := fs.WalkDir(fsys, root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && skipDir(d.Name()) {
			return fs.SkipDir
		}
		if !d.IsDir() && isScenario(d.Name()) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load scenarios: %w", err)
	}
	sort.Strings(files)
	return parseAll(files, func(name string) ([]byte, error) { return fs.ReadFile(fsys, name) })
}

func parseAll(files []string, read func(string) ([]byte, error)) ([]*Scenario, error) {
	var out []*Scenario
	var all ErrorList
	for _, f := range files {
		src, err := read(f)
		if err != nil {
			return nil, fmt.Errorf("load scenarios: %w", err)
		}
		sc, err := Parse(f, src)
		var list ErrorList
		switch {
		case errors.As(err, &list):
			all = append(all, list...)
		case err != nil:
			return nil, err
		default:
			out = append(out, sc.Expand()...)
		}
	}
	if len(all) > 0 {
		return out, all
	}
	return out, nil
}
