// Command otnsim is a testing simulator and compliance harness for Facebook
// Messenger One-Time Notifications. Run "otnsim help" for usage.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Exit codes, as Go CLIs conventionally use them.
const (
	exitPass   = 0 // everything passed
	exitFailed = 1 // an assertion failed
	exitUsage  = 2 // bad usage or bad input
)

// command is one otnsim subcommand. Each lives in its own file and
// registers itself in commands from an init function.
type command struct {
	summary string // one line for the command list
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands maps subcommand names to their implementations.
var commands = map[string]command{}

// usage renders the top-level help with the registered commands.
func usage() string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(usageHead)
	for _, n := range names {
		fmt.Fprintf(&b, "  %-9s %s\n", n, commands[n].summary)
	}
	b.WriteString("  version   print the version\n  help      show help for a command\n")
	b.WriteString(usageTail)
	return b.String()
}

const usageHead = `otnsim: a testing simulator and compliance harness for Messenger One-Time Notifications.

Usage:
  otnsim <command> [flags] [arguments]

Commands:
`

const usageTail = `
Examples:
  otnsim run scenarios/
  otnsim run -v scenarios/window scenarios/optin/restock-story.yaml
  otnsim validate scenarios/

Exit status: 0 all passed, 1 an assertion failed, 2 usage or input error.
Run "otnsim help <command>" for a command's flags.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	if c, ok := commands[cmd]; ok {
		return c.run(rest, stdout, stderr)
	}
	switch cmd {
	case "version", "--version":
		fmt.Fprintln(stdout, "otnsim", version)
		return exitPass
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			return run([]string{rest[0], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage())
		return exitPass
	default:
		fmt.Fprintf(stderr, "otnsim: unknown command %q\n\n%s", cmd, usage())
		return exitUsage
	}
}
