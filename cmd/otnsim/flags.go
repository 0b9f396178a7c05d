package main

// Command-line parsing shared by every otnsim command.
//
// otnsim keeps the standard library's flag package rather than a framework
// such as cobra: it has a handful of commands, each already a FlagSet, and
// what users expect of a modern CLI (flags after arguments, help on stdout,
// one-line errors with a suggestion, completion scripts) takes one helper
// here, not a dependency and a rewrite. Every command creates its FlagSet
// with newFlagSet and parses it with parseArgs.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// newFlagSet returns the FlagSet of otnsim command name. Its Usage prints
// help (the command's text, then its flags) to the set's output, stderr.
func newFlagSet(name, help string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), help)
		printFlags(fs.Output(), fs)
	}
	return fs
}

// parseArgs parses args into fs as kubectl, gh and go do:
//
//   - flags may come before, between or after the positional arguments;
//     "--" ends the flags, and -name works as well as --name;
//   - -h, -help and --help print the help to stdout and return flag.ErrHelp
//     (the command then exits 0);
//   - a bad flag prints one line, with the nearest flag name when there is
//     one, and a pointer to --help, to stderr, and returns an error that
//     is already reported (the command then exits 2).
func parseArgs(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	stderr, usage := fs.Output(), fs.Usage
	ordered, err := reorder(fs, args)
	if err == nil {
		// The flag package prints its own message and the whole usage on
		// an error; silence both and print one line below instead.
		fs.SetOutput(io.Discard)
		fs.Usage = func() {}
		err = fs.Parse(ordered)
		fs.SetOutput(stderr)
		fs.Usage = usage
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		usage()
		fs.SetOutput(stderr)
		return flag.ErrHelp
	}
	fmt.Fprintf(stderr, "otnsim %s: %s\n", fs.Name(), flagMessage(err))
	usageHint(fs)
	return reportedError{err}
}

// usageHint prints the line that points at a command's help, after an
// error line, to the FlagSet's output (stderr).
func usageHint(fs *flag.FlagSet) {
	fmt.Fprintf(fs.Output(), "Run 'otnsim %s --help' for usage.\n", fs.Name())
}

// reportedError is a usage error parseArgs has already printed.
type reportedError struct{ err error }

func (e reportedError) Error() string { return e.err.Error() }
func (e reportedError) Unwrap() error { return e.err }

// isReported reports whether err was printed by parseArgs already.
func isReported(err error) bool {
	var r reportedError
	return errors.As(err, &r)
}

// reorder moves the flags in args (with their values) ahead of the
// positional arguments, which follow a "--", so that the flag package,
// which stops at the first non-flag, sees them all. It reports an unknown
// flag and a flag missing its value itself, in otnsim's words, unless help
// is asked for too: then help wins.
func reorder(fs *flag.FlagSet, args []string) ([]string, error) {
	var flags, positional []string
	var bad error // the first unknown flag or flag without its value
	help := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name, _ := strings.CutPrefix(a[1:], "-") // -name or --name
		name, _, hasValue := strings.Cut(name, "=")
		if name == "" || name[0] == '-' || name[0] == '=' {
			continue // bad syntax: the flag package says so
		}
		f := fs.Lookup(name)
		if f == nil {
			if name == "h" || name == "help" {
				help = true // the flag package answers with flag.ErrHelp
			} else if bad == nil {
				bad = unknownFlagError{name: name, suggestion: nearest(name, flagNames(fs))}
			}
			continue
		}
		if hasValue || isBoolFlag(f) {
			continue
		}
		if i+1 == len(args) {
			if bad == nil {
				bad = fmt.Errorf("flag %s needs an argument", dashed(name))
			}
			break
		}
		i++
		flags = append(flags, args[i])
	}
	if help {
		return []string{"--help"}, nil
	}
	if bad != nil {
		return nil, bad
	}
	return append(append(flags, "--"), positional...), nil
}

// unknownFlagError is a flag the command does not define.
type unknownFlagError struct{ name, suggestion string }

func (e unknownFlagError) Error() string {
	msg := "unknown flag " + dashed(e.name)
	if e.suggestion != "" {
		msg += " (did you mean " + dashed(e.suggestion) + "?)"
	}
	return msg
}

// flagValueError matches the flag package's messages about a bad value.
var flagValueError = regexp.MustCompile(`^invalid (boolean )?value (".*") for flag -([^:]+): `)

// flagMessage words a parse error for the one line otnsim prints.
func flagMessage(err error) string {
	msg := err.Error()
	if m := flagValueError.FindStringSubmatch(msg); m != nil {
		return "invalid value " + m[2] + " for " + dashed(m[3]) + ": " + msg[len(m[0]):]
	}
	return msg
}

// dashed renders a flag name as the help and the examples write it: -v for
// a one-letter name, --name otherwise.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// isBoolFlag reports whether f is a flag that takes no value (-v, --json).
func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// flagNames lists the names fs defines, sorted.
func flagNames(fs *flag.FlagSet) []string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return names
}

// printFlags prints fs's flags as flag.PrintDefaults does, but spelt the
// way the examples spell them (--seed, -v).
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		kind, usage := flag.UnquoteUsage(f)
		line := "  " + dashed(f.Name)
		if kind != "" {
			line += " " + kind
		}
		usage = strings.ReplaceAll(usage, "\n", "\n    \t")
		if !isZeroDefault(f) {
			if kind == "string" {
				usage += fmt.Sprintf(" (default %q)", f.DefValue)
			} else {
				usage += fmt.Sprintf(" (default %v)", f.DefValue)
			}
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", line, usage)
	})
}

// isZeroDefault reports whether f's default is its type's zero value, which
// help leaves unsaid.
func isZeroDefault(f *flag.Flag) bool {
	switch f.DefValue {
	case "", "0", "false", "0s":
		return true
	}
	return false
}

// nearest returns the candidate closest to word by edit distance when it
// is close enough to be a typo (one edit per three letters, at least one),
// else the one candidate that starts with word, else "".
func nearest(word string, candidates []string) string {
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	best, bestDist := "", max(1, len(word)/3)+1
	for _, c := range sorted {
		if d := editDistance(word, c); d < bestDist && d < len(word) {
			best, bestDist = c, d
		}
	}
	if best != "" {
		return best
	}
	var prefixed []string
	for _, c := range sorted {
		if len(word) >= 2 && strings.HasPrefix(c, word) {
			prefixed = append(prefixed, c)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, the fewest
// inserted, deleted or substituted bytes that turn one into the other,
// counting a swap of two adjacent bytes (zhs, zsh) as one edit too.
func editDistance(a, b string) int {
	// d[i][j] is the distance between a[:i] and b[:j]
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
