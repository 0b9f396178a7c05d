package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/otnsim/otnsim/htmlreport"
	"github.com/otnsim/otnsim/internal/reportdoc"
	"github.com/otnsim/otnsim/load/report"
)

const reportUsage = `Usage: otnsim report merge [--json OUT] [--allow-partial] REPORT.json...
       otnsim report show REPORT.json
       otnsim report html [--out FILE] REPORT.json...

merge combines the --json reports of "otnsim load --shard i/N" runs into
one: counters, findings and violations add up, Send API latency histograms
merge exactly, wall time is the longest shard's and memory the largest.
It refuses reports of different runs (seed, population, days, profile or
engine) or of different splits, a shard given twice, and a report that
holds an error (a shard that could not be run). Each shard records its
i/N: merge fails when a shard of the split is missing (shard-0 of 2 given
alone), and lists it in the merged report's missing_shards, unless
--allow-partial. It reads reports of format version 2 and 1, and writes 2;
a merge it refuses still writes --json, with the error.
show prints one report's summary.
html renders a saved --json report of otnsim run, otnsim check or otnsim
load (a merged one too; several load shards are merged first) as one
self-contained HTML page, to --out or to stdout: the verdicts, the evidence
of each failure and the lifelines of its subscribers (see "HTML reports"
in README.md). It exits 0 once the page is written, whatever the verdict.

Examples:
  otnsim report merge shard-*.json
  otnsim report merge --json total.json shard-0.json shard-1.json shard-2.json shard-3.json
  otnsim report merge --allow-partial --json some.json shard-0.json shard-2.json
  otnsim report show total.json
  otnsim report html --out report.html report.json
  otnsim report html --out load.html shard-*.json

Exit status: 0 no invariant broken, 1 an invariant was broken or (merge,
without --allow-partial) a shard is missing, 2 usage or input error.

Flags:
`

func init() {
	commands["report"] = command{summary: "merge or show load run reports, or draw any report as HTML (report html R.json)", run: reportCmd,
		flags: func(fs *flag.FlagSet) { defineReportFlags(fs) },
		words: func() []string { return []string{"merge", "show", "html"} }}
}

// defineReportFlags defines otnsim report's flags on fs.
func defineReportFlags(fs *flag.FlagSet) (jsonPath *string, partial *bool, htmlOut *string) {
	return fs.String("json", "", "write the merged report as JSON to this file"),
		fs.Bool("allow-partial", false, "merge: pass even when shards of the split are missing"),
		fs.String("out", "", "html: write the page to this `FILE` (default: stdout)")
}

func reportCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("report", reportUsage, stderr)
	jsonPath, partial, htmlOut := defineReportFlags(fs)
	if err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	sub, files := fs.Arg(0), fs.Args()
	if sub != "merge" && sub != "show" && sub != "html" {
		switch s := nearest(sub, []string{"merge", "show", "html"}); {
		case sub == "":
			fmt.Fprintln(stderr, "otnsim report: want a subcommand: merge, show or html")
		case s != "":
			fmt.Fprintf(stderr, "otnsim report: unknown subcommand %q (did you mean %s?)\n", sub, s)
		default:
			fmt.Fprintf(stderr, "otnsim report: unknown subcommand %q: want merge, show or html\n", sub)
		}
		usageHint(fs)
		return exitUsage
	}
	files = files[1:]
	if sub == "html" {
		return reportHTML(files, *htmlOut, stdout, stderr, fs)
	}
	began := time.Now()
	var reps []*report.Report
	// abort writes the --json report of a merge refused: exit 2.
	abort := func(e *report.Error) int {
		if *jsonPath == "" || sub != "merge" {
			return exitUsage
		}
		rep := &report.Report{Version: report.FormatVersion, Tool: "otnsim " + version, Started: began, Error: e, Findings: map[string]int64{}}
		if len(reps) > 0 {
			first := reps[0]
			rep.Engine, rep.Profile, rep.Seed, rep.Population, rep.Days, rep.Bot = first.Engine, first.Profile, first.Seed, first.Population, first.Days, first.Bot
		}
		if err := rep.WriteFile(*jsonPath); err != nil {
			fmt.Fprintf(stderr, "otnsim report: %v\n", err)
		}
		return exitUsage
	}
	if len(files) == 0 || (sub == "show" && len(files) != 1) {
		fmt.Fprintf(stderr, "otnsim report %s: give report files\n", sub)
		usageHint(fs)
		return abort(errorText(reportdoc.KindUsage, "give report files"))
	}
	for _, path := range files {
		r, err := report.ReadFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "otnsim report: %v\n", err)
			return abort(errorOf(reportdoc.KindInput, err))
		}
		reps = append(reps, r)
	}
	out := reps[0]
	missing := false
	if sub == "merge" {
		var err error
		if out, err = report.Merge(reps...); err != nil {
			fmt.Fprintf(stderr, "otnsim report merge: %v\n", err)
			return abort(errorOf(reportdoc.KindInput, err))
		}
		out.Tool = "otnsim " + version
		missing = !out.Complete() && !*partial
	}
	out.WriteSummary(stdout)
	if *jsonPath != "" {
		if err := out.WriteFile(*jsonPath); err != nil {
			fmt.Fprintf(stderr, "otnsim report: %v\n", err)
			return exitUsage
		}
	}
	if missing {
		what := fmt.Sprintf("the reports cover %d of %d subscribers", out.Subscribers, out.Population)
		if len(out.MissingShards) > 0 {
			what = fmt.Sprintf("%d of %d shards missing (%s)", len(out.MissingShards), len(out.MissingShards)+len(out.Shards), strings.Join(out.MissingShards, ", "))
		}
		fmt.Fprintf(stderr, "otnsim report merge: %s; give every shard, or --allow-partial to pass without them\n", what)
		return exitFailed
	}
	if !out.Passed() {
		return exitFailed
	}
	return exitPass
}

// reportHTML is otnsim report html: it renders one saved JSON report, or
// merges several load reports and renders the merge.
func reportHTML(files []string, out string, stdout, stderr io.Writer, fs *flag.FlagSet) int {
	if len(files) == 0 {
		fmt.Fprintln(stderr, "otnsim report html: give a report file")
		usageHint(fs)
		return exitUsage
	}
	var src []byte
	if len(files) == 1 {
		b, err := os.ReadFile(files[0])
		if err != nil {
			fmt.Fprintf(stderr, "otnsim report html: %v\n", err)
			return exitUsage
		}
		src = b
	} else {
		reps := make([]*report.Report, 0, len(files))
		for _, path := range files {
			r, err := report.ReadFile(path)
			if err != nil {
				fmt.Fprintf(stderr, "otnsim report html: %v (several files must be load reports to merge)\n", err)
				return exitUsage
			}
			reps = append(reps, r)
		}
		merged, err := report.Merge(reps...)
		if err != nil {
			fmt.Fprintf(stderr, "otnsim report html: %v\n", err)
			return exitUsage
		}
		if src, err = merged.MarshalJSON(); err != nil {
			fmt.Fprintf(stderr, "otnsim report html: %v\n", err)
			return exitUsage
		}
	}
	var buf bytes.Buffer
	if err := htmlreport.Render(&buf, src); err != nil {
		fmt.Fprintf(stderr, "otnsim report html: %s: %v\n", strings.Join(files, ", "), err)
		return exitUsage
	}
	if out == "" {
		_, _ = stdout.Write(buf.Bytes())
		return exitPass
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		fmt.Fprintf(stderr, "otnsim report html: %v\n", err)
		return exitUsage
	}
	return exitPass
}
