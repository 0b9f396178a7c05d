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
//
// A path "embedded:" names every suite built into the binary, and
// "embedded:DIR" (or "embedded:DIR/FILE.yaml") one of them, as
// LoadEmbedded reads them.
func Load(paths ...string) ([]*Scenario, error) {
	var files []string
	var embedded []*Scenario
	for _, p := range paths {
		if root, ok := strings.CutPrefix(p, EmbeddedPrefix); ok {
			scs, err := LoadEmbedded(root)
			if err != nil {
				return nil, err
			}
			embedded = append(embedded, scs...)
			continue
		}
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
	if len(files) == 0 && len(embedded) > 0 {
		return embedded, nil
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("load scenarios: no *.yaml files under %s", strings.Join(paths, ", "))
	}
	sort.Strings(files)
	out, err := parseAll(files, readFile)
	return append(embedded, out...), err
}

// EmbeddedPrefix marks the scenario files built into the binary: their
// names, in reports and positions, read "embedded:compliance/x.yaml", never
// to be mistaken for a file on disk.
const EmbeddedPrefix = "embedded:"

// LoadEmbedded parses the shipped suites built into the binary under root
// ("" or "." for all, "compliance" for one family, or one file), naming
// each file with EmbeddedPrefix. "otnsim scenarios export" writes them out.
func LoadEmbedded(root string) ([]*Scenario, error) {
	root = strings.Trim(root, "/")
	if root == "" {
		root = "."
	}
	info, err := fs.Stat(shipped, root)
	if err != nil {
		return nil, fmt.Errorf("load scenarios: no embedded suite %q (see otnsim scenarios list): %w", root, err)
	}
	var files []string
	if info.IsDir() {
		err = fs.WalkDir(shipped, root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && isScenario(d.Name()) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load scenarios: %w", err)
		}
	} else {
		files = []string{root}
	}
	sort.Strings(files)
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = EmbeddedPrefix + f
	}
	return parseAll(names, func(name string) ([]byte, error) {
		return fs.ReadFile(shipped, strings.TrimPrefix(name, EmbeddedPrefix))
	})
}

// EmbeddedSuites returns the families built into the binary, sorted.
func EmbeddedSuites() []string {
	entries, _ := fs.ReadDir(shipped, ".")
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// Export writes the suites built into the binary under dir, one folder per
// family, and returns how many files it wrote. Existing files are replaced.
func Export(dir string) (int, error) {
	n := 0
	err := fs.WalkDir(shipped, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(shipped, path)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, src, 0o644); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("export scenarios: %w", err)
	}
	return n, nil
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
