package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/otnsim/otnsim/load/report"
)

const reportUsage = `Usage: otnsim report merge [--json OUT] REPORT.json...
       otnsim report show REPORT.json

merge combines the --json reports of "otnsim load --shard i/N" runs into
one: counters, findings and violations add up, Send API latency histograms
merge exactly, wall time is the longest shard's and memory the largest.
It refuses reports of different runs (seed, population, days, profile or
engine) and a shard given twice, and notes when shards are missing.
show prints one report's summary.

Examples:
  otnsim report merge shard-*.json
  otnsim report merge --json total.json shard-0.json shard-1.json shard-2.json shard-3.json
  otnsim report show total.json

Exit status: 0 no invariant broken, 1 an invariant was broken, 2 usage or input error.

Flags:
`

func init() {
	commands["report"] = command{summary: "merge or show load run reports (report merge A.json B.json ...)", run: reportCmd,
		flags: func(fs *flag.FlagSet) { defineReportFlags(fs) },
		words: func() []string { return []string{"merge", "show"} }}
}

// defineReportFlags defines otnsim report's flags on fs.
func defineReportFlags(fs *flag.FlagSet) (jsonPath *string) {
	return fs.String("json", "", "write the merged report as JSON to this file")
}

func reportCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("report", reportUsage, stderr)
	jsonPath := defineReportFlags(fs)
	if err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	sub, files := fs.Arg(0), fs.Args()
	if sub != "merge" && sub != "show" {
		switch s := nearest(sub, []string{"merge", "show"}); {
		case sub == "":
			fmt.Fprintln(stderr, "otnsim report: want a subcommand: merge or show")
		case s != "":
			fmt.Fprintf(stderr, "otnsim report: unknown subcommand %q (did you mean %s?)\n", sub, s)
		default:
			fmt.Fprintf(stderr, "otnsim report: unknown subcommand %q: want merge or show\n", sub)
		}
		usageHint(fs)
		return exitUsage
	}
	files = files[1:]
	if len(files) == 0 || (sub == "show" && len(files) != 1) {
		fmt.Fprintf(stderr, "otnsim report %s: give report files\n", sub)
		usageHint(fs)
		return exitUsage
	}
	var reps []*report.Report
	for _, path := range files {
		r, err := report.ReadFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "otnsim report: %v\n", err)
			return exitUsage
		}
		reps = append(reps, r)
	}
	out := reps[0]
	if sub == "merge" {
		var err error
		if out, err = report.Merge(reps...); err != nil {
			fmt.Fprintf(stderr, "otnsim report merge: %v\n", err)
			return exitUsage
		}
	}
	out.WriteSummary(stdout)
	if *jsonPath != "" {
		if err := out.WriteFile(*jsonPath); err != nil {
			fmt.Fprintf(stderr, "otnsim report: %v\n", err)
			return exitUsage
		}
	}
	if !out.Passed() {
		return exitFailed
	}
	return exitPass
}
