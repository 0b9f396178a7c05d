package scenarios_test

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/otnsim/otnsim/scenarios"
)

// FuzzParse checks that the parser never panics and that every error it
// reports has a position inside the file.
func FuzzParse(f *testing.F) {
	_ = fs.WalkDir(scenarios.Shipped(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(scenarios.Shipped(), p)
			f.Add(b)
		}
		return nil
	})
	f.Add([]byte("name: x\nsteps:\n  - sya: 1\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		_, err := scenarios.Parse("f.yaml", src)
		var list scenarios.ErrorList
		if err == nil {
			return
		}
		if !errors.As(err, &list) {
			t.Fatalf("error is not an ErrorList: %v", err)
		}
		lines := strings.Count(string(src), "\n") + 2
		for _, e := range list {
			if e.Pos.Line < 1 || e.Pos.Line > lines || e.Pos.Col < 1 {
				t.Fatalf("error outside the file: %v", e)
			}
		}
	})
}

// FuzzFormat checks that every scenario the parser accepts is written back
// by Format as a file that parses to the same scenario.
func FuzzFormat(f *testing.F) {
	_ = fs.WalkDir(scenarios.Shipped(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(scenarios.Shipped(), p)
			f.Add(b)
		}
		return nil
	})
	f.Fuzz(func(t *testing.T, src []byte) {
		sc, err := scenarios.Parse("f.yaml", src)
		if err != nil {
			return
		}
		for _, c := range sc.Expand() {
			out, err := scenarios.Format(c)
			if err != nil {
				t.Fatalf("Format: %v", err)
			}
			back, err := scenarios.Parse("f.yaml", out)
			if err != nil {
				t.Fatalf("Format wrote a file that does not parse: %v\n%s", err, out)
			}
			if want, got := comparable(c), comparable(back); !reflect.DeepEqual(got, want) {
				t.Fatalf("the round trip changed the scenario:\n%s\nwant %#v\ngot  %#v", out, want, got)
			}
		}
	})
}
