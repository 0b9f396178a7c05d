// Command otnsim is a testing simulator and compliance harness for Facebook
// Messenger One-Time Notifications. Run "otnsim help" for usage.
package main

import (
	"fmt"
	"io"
	"os"
)

// Exit codes, as Go CLIs conventionally use them.
const (
	exitPass   = 0 // everything passed
	exitFailed = 1 // an assertion failed
	exitUsage  = 2 // bad usage or bad input
)

const usage = `otnsim: a testing simulator and compliance harness for Messenger One-Time Notifications.

Usage:
  otnsim <command> [flags] [arguments]

Commands:
  run       run scenario files against the reference bot on a simulated clock
  validate  check scenario files without running them
  version   print the version
  help      show help for a command

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
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return runCmd(rest, stdout, stderr)
	case "validate":
		return validateCmd(rest, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "otnsim", version)
		return exitPass
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			return run([]string{rest[0], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return exitPass
	default:
		fmt.Fprintf(stderr, "otnsim: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}
