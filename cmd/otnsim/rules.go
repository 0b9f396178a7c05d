package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/scenarios"
)

const rulesUsage = `Usage: otnsim rules [--json] [ID...]

Lists the rule catalogue otnsim judges bots by: each rule's stable id, who
enforces it (platform: Meta refuses the call; practice: the call succeeds but
the bot misbehaved; security: how the bot treats webhooks), its severity, and
the rule in a sentence. Scenario files name these ids in expectations and
tags; reports and findings carry them. With IDs, explains each rule: its
source, severity, what it rests on that Meta does not document, the
embedded scenarios that exercise it, and how to fix a failure.

Examples:
  otnsim rules
  otnsim rules OTN-IDLE
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
	// Assumption and Fix: see rules.Rule.
	Assumption string `json:"assumption,omitempty"`
	Fix        string `json:"fix"`
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
	all := rules.All()
	if fs.NArg() > 0 {
		all = all[:0:0]
		for _, id := range fs.Args() {
			r, ok := rules.Lookup(id)
			if !ok {
				fmt.Fprintf(stderr, "otnsim rules: %q is no rule of the catalogue%s\n", id, closestRule(id))
				return exitUsage
			}
			all = append(all, r)
		}
		if !*asJSON {
			return explainRules(stdout, stderr, all)
		}
	}
	if *asJSON {
		rows := make([]ruleRow, len(all))
		for i, r := range all {
			rows[i] = ruleRow{ID: r.ID, Kind: string(r.Kind), Severity: string(r.Severity), Text: r.Text, Source: r.Source,
				Assumption: r.Assumption, Fix: r.Fix}
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

// explainRules prints each rule in full, with the embedded scenarios that
// exercise it.
func explainRules(stdout, stderr io.Writer, rs []rules.Rule) int {
	suite, err := scenarios.LoadEmbedded("")
	if err != nil {
		fmt.Fprintln(stderr, "otnsim rules:", err)
		return exitUsage
	}
	for i, r := range rs {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "%s (%s, %s)\n  %s\n  source: %s\n", r.ID, r.Kind, r.Severity, r.Text, r.Source)
		if r.Assumption != "" {
			fmt.Fprintf(stdout, "  assumed: %s; fakegraph's reading is switchable in its fidelity settings\n", r.Assumption)
		}
		var by []string
		seen := map[string]bool{}
		for _, sc := range suite {
			for _, id := range compliance.RulesOf(sc) {
				if id == r.ID && !seen[sc.File] {
					seen[sc.File] = true
					by = append(by, sc.File)
				}
			}
		}
		if r.Kind == rules.Security {
			by = append(by, "otnsim check's security probes")
		}
		fmt.Fprintf(stdout, "  exercised by:\n")
		for _, f := range by {
			fmt.Fprintf(stdout, "    %s\n", f)
		}
		fmt.Fprintf(stdout, "  to fix a failure: %s\n", r.Fix)
		fmt.Fprintf(stdout, "  check just this rule: otnsim check --rule %s --bot-cmd CMD\n", r.ID)
	}
	return exitPass
}

// closestRule suggests the rule id nearest to id, if any is near.
func closestRule(id string) string {
	up := strings.ToUpper(id)
	for _, r := range rules.All() {
		if strings.Contains(r.ID, up) || strings.Contains(up, r.ID) {
			return fmt.Sprintf(" (did you mean %s?)", r.ID)
		}
	}
	return " (otnsim rules lists them)"
}
