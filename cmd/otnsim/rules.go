package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/otnsim/otnsim/rules"
)

const rulesUsage = `Usage: otnsim rules [--json]

Lists the rule catalogue otnsim judges bots by: each rule's stable id, who
enforces it (platform: Meta refuses the call; practice: the call succeeds but
the bot misbehaved; security: how the bot treats webhooks), its severity, and
the rule in a sentence. Scenario files name these ids in expectations and
tags; reports and findings carry them.

Examples:
  otnsim rules
  otnsim rules --json | jq -r '.[].id'

Flags:
`

func init() {
	commands["rules"] = command{summary: "list the rule catalogue (ids, kinds, severities)", run: rulesCmd,
		flags: func(fs *flag.FlagSet) { defineRulesFlags(fs) }}
}

// defineRulesFlags defines otnsim rules's flags on fs.
func defineRulesFlags(fs *flag.FlagSet) (asJSON *bool) {
	return fs.Bool("json", false, "print the catalogue as a JSON array")
}

// ruleRow is one rule in --json output.
type ruleRow struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Severity string `json:"severity"`
	Text     string `json:"text"`
	Source   string `json:"source"`
}

func rulesCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("rules", rulesUsage, stderr)
	asJSON := defineRulesFlags(fs)
	if err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "otnsim rules: unexpected argument %q\n", fs.Arg(0))
		usageHint(fs)
		return exitUsage
	}
	all := rules.All()
	if *asJSON {
		rows := make([]ruleRow, len(all))
		for i, r := range all {
			rows[i] = ruleRow{ID: r.ID, Kind: string(r.Kind), Severity: string(r.Severity), Text: r.Text, Source: r.Source}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			fmt.Fprintf(stderr, "otnsim rules: %v\n", err)
			return exitUsage
		}
		return exitPass
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSEVERITY\tRULE")
	for _, r := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.Severity, r.Text)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "otnsim rules: %v\n", err)
		return exitUsage
	}
	return exitPass
}
