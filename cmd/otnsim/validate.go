package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/otnsim/otnsim/scenarios"
)

const validateUsage = `Usage: otnsim validate PATH...

Parses every *.yaml scenario under each PATH and reports every mistake as
file:line:col: message, without running anything.

Examples:
  otnsim validate scenarios/
  otnsim validate my-scenarios/checkout.yaml

Exit status: 0 all valid, 2 a file is invalid or a PATH is missing.
`

func init() {
	commands["validate"] = command{summary: "check scenario files without running them", run: validateCmd}
}

func validateCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", validateUsage, stderr)
	if err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "otnsim validate: no PATH given")
		usageHint(fs)
		return exitUsage
	}
	all, err := scenarios.Load(fs.Args()...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "ok: %d scenario files valid\n", len(all))
	return exitPass
}
