// Command otnsim is a testing simulator and compliance harness for Facebook
// Messenger One-Time Notifications. Run "otnsim help" for usage.
package main

import (
	"errors"
	"flag"
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
	// flags defines the command's flags on a FlagSet, the same function
	// run defines them with, so that completion scripts can list them
	// without running the command; nil for a command without flags.
	flags func(fs *flag.FlagSet)
	// words are what the command's first argument may be (report's
	// subcommands, completion's shells); nil when it takes files.
	words func() []string
}

// commands maps subcommand names to their implementations.
var commands = map[string]command{}

// usage renders the top-level help with the registered commands.
func usage() string {
	var b strings.Builder
	b.WriteString(usageHead)
	for _, n := range commandNames() {
		fmt.Fprintf(&b, "  %-10s %s\n", n, commands[n].summary)
	}
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
  otnsim run scenarios/ --junit junit.xml
  otnsim validate scenarios/

Flags go before or after the arguments; "--" ends them. Help (--help, -h,
"otnsim help <command>") goes to stdout; errors go to stderr.

Exit status: 0 all passed, 1 an assertion failed, 2 usage or input error.
Run "otnsim help <command>" for a command's flags.
`

func main() {
	exit(run(os.Args[1:], stdStream{os.Stdout}, stdStream{os.Stderr}))
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
	case "--version", "-version":
		return versionCmd(rest, stdout, stderr)
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, usage())
		return exitPass
	}
	if strings.HasPrefix(cmd, "-") {
		fmt.Fprintf(stderr, "otnsim: unknown flag %s (the flags come after the command)\n", cmd)
	} else {
		fmt.Fprintf(stderr, "otnsim: %s\n", unknownCommand(cmd))
	}
	fmt.Fprintln(stderr, "Run 'otnsim --help' for usage.")
	return exitUsage
}

// unknownCommand words the error for a command otnsim does not have, with
// the nearest one's name when it looks like a typo.
func unknownCommand(name string) string {
	msg := fmt.Sprintf("unknown command %q", name)
	if s := nearest(name, commandNames()); s != "" {
		msg += " (did you mean " + s + "?)"
	}
	return msg
}

// commandNames lists the registered commands, sorted.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

const helpUsage = `Usage: otnsim help [COMMAND]

Prints the help of COMMAND (the same as "otnsim COMMAND --help"), or without
one otnsim's overview and its commands, to stdout.
`

func init() {
	commands["help"] = command{summary: "show help for a command", run: helpCmd, words: commandNames}
}

func helpCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("help", helpUsage, stderr)
	if err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	switch fs.NArg() {
	case 0:
		fmt.Fprint(stdout, usage())
		return exitPass
	case 1:
		name := fs.Arg(0)
		if name == "help" {
			fs.SetOutput(stdout)
			fs.Usage()
			return exitPass
		}
		if _, ok := commands[name]; !ok {
			fmt.Fprintf(stderr, "otnsim help: %s\n", unknownCommand(name))
			fmt.Fprintln(stderr, "Run 'otnsim --help' for the commands.")
			return exitUsage
		}
		return run([]string{name, "--help"}, stdout, stderr)
	}
	fmt.Fprintln(stderr, "otnsim help: want at most one COMMAND")
	usageHint(fs)
	return exitUsage
}
