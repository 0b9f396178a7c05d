// Command faulty is a test bot for otnsim's compliance checks: the minibot
// with the one fault its first argument names, as in `faulty in-window-spend`.
// An unknown or missing name exits with status 2 and the list of names.
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/otnsim/otnsim/compliance/testdata/bots/minibot"
)

func main() {
	if len(os.Args) == 2 {
		if f, ok := minibot.Named()[os.Args[1]]; ok {
			minibot.Main(f)
			return
		}
	}
	names := make([]string, 0, len(minibot.Named()))
	for name := range minibot.Named() {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(os.Args) >= 2 {
		fmt.Fprintf(os.Stderr, "faulty: unknown fault %q\n", strings.Join(os.Args[1:], " "))
	}
	fmt.Fprintf(os.Stderr, "usage: faulty FAULT\nfaults: %s\n", strings.Join(names, ", "))
	os.Exit(2)
}
