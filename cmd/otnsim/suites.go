package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/load/report"
	"github.com/otnsim/otnsim/scenarios"
)

const scenariosUsage = `Usage: otnsim scenarios list
       otnsim scenarios export DIR

The scenario suites built into the binary, one family per folder (the
compliance suite that otnsim check plays among them). "list" prints each
family with its number of scenarios and the rules it exercises; "export"
writes the files under DIR (DIR/compliance/idle-guard.yaml, ...), to read,
copy or change. Reports name an embedded file "embedded:compliance/x.yaml";
"otnsim run embedded:compliance" runs it without exporting.

Examples:
  otnsim scenarios list
  otnsim scenarios export ./otnsim-suites && otnsim run ./otnsim-suites/compliance

Flags:
`

func init() {
	commands["scenarios"] = command{summary: "list or export the scenario suites built into the binary", run: scenariosCmd,
		words: func() []string { return []string{"list", "export"} }}
}

func scenariosCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("scenarios", scenariosUsage, stderr)
	if err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	switch sub := fs.Arg(0); {
	case sub == "list" && fs.NArg() == 1:
		return listSuites(stdout, stderr)
	case sub == "export" && fs.NArg() == 2:
		n, err := scenarios.Export(fs.Arg(1))
		if err != nil {
			fmt.Fprintln(stderr, "otnsim scenarios:", err)
			return exitUsage
		}
		fmt.Fprintf(stdout, "wrote %d scenario files under %s\n", n, fs.Arg(1))
		return exitPass
	default:
		fmt.Fprintln(stderr, "otnsim scenarios: want \"list\" or \"export DIR\"")
		usageHint(fs)
		return exitUsage
	}
}

func listSuites(stdout, stderr io.Writer) int {
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SUITE\tSCENARIOS\tRULES")
	for _, name := range scenarios.EmbeddedSuites() {
		scs, err := scenarios.LoadEmbedded(name)
		if err != nil {
			fmt.Fprintln(stderr, "otnsim scenarios:", err)
			return exitUsage
		}
		seen := map[string]bool{}
		var ids []string
		for _, sc := range scs {
			for _, id := range compliance.RulesOf(sc) {
				if !seen[id] {
					seen[id] = true
					ids = append(ids, id)
				}
			}
		}
		sort.Strings(ids)
		fmt.Fprintf(tw, "%s%s\t%d\t%s\n", scenarios.EmbeddedPrefix, name, len(scs), strings.Join(ids, " "))
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintln(stderr, "otnsim scenarios:", err)
		return exitUsage
	}
	return exitPass
}

const schemaUsage = `Usage: otnsim schema [scenario|report|check|load]

Prints a JSON Schema: "scenario" (the default) describes scenario files, for
editors that complete and check YAML (for example the YAML language server's
"# yaml-language-server: $schema=..." comment); "report", "check" and "load"
describe the JSON reports of otnsim run, check and load (and report merge).

Examples:
  otnsim schema > otnsim-scenario.schema.json
  otnsim schema check > otnsim-check.schema.json

Flags:
`

func init() {
	commands["schema"] = command{summary: "print the JSON Schema of scenario files or of run, check and load reports", run: schemaCmd,
		words: func() []string { return []string{"scenario", "report", "check", "load"} }}
}

func schemaCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("schema", schemaUsage, stderr)
	if err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	var doc []byte
	switch fs.Arg(0) {
	case "", "scenario":
		doc = scenarios.Schema()
	case "report", "run":
		doc = scenarios.ReportSchema()
	case "check":
		doc = compliance.ReportSchema()
	case "load":
		doc = report.Schema()
	default:
		fmt.Fprintf(stderr, "otnsim schema: unknown schema %q (want scenario, report, check or load)\n", fs.Arg(0))
		return exitUsage
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "otnsim schema: unexpected argument %q\n", fs.Arg(1))
		return exitUsage
	}
	if _, err := stdout.Write(doc); err != nil {
		fmt.Fprintln(stderr, "otnsim schema:", err)
		return exitUsage
	}
	return exitPass
}
