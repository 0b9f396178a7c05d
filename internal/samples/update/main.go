// Command update regenerates the sample outputs of README.md from real
// runs (make docs), or with -check reports the samples that are stale and
// exits 1.
//
// Usage, from the repository root:
//
//	go run ./internal/samples/update [-check] [FILE]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/otnsim/otnsim/internal/samples"
)

func main() {
	check := flag.Bool("check", false, "report stale samples instead of rewriting them (exit 1 when any is)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage: go run ./internal/samples/update [-check] [FILE] (default README.md)")
		flag.PrintDefaults()
	}
	flag.Parse()
	file := "README.md"
	if flag.NArg() > 0 {
		file = flag.Arg(0)
	}
	os.Exit(run(file, *check))
}

func run(file string, check bool) int {
	raw, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	bin, err := os.MkdirTemp("", "otnsim-samples-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(bin)
	if err := samples.BuildTools(".", bin, "docs"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	r := samples.Runner{Dir: filepath.Dir(file), Path: []string{bin}}
	if check {
		stale, err := samples.Check(string(raw), r)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		for _, s := range stale {
			fmt.Printf("%s:%d: stale sample of %s; now:\n%s\n\n", file, s.Line, s.Command, s.Got)
		}
		if len(stale) > 0 {
			fmt.Printf("%d stale samples: run make docs\n", len(stale))
			return 1
		}
		return 0
	}
	doc, err := samples.Update(string(raw), r)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return 0
}
