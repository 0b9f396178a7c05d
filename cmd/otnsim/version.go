package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// version is otnsim's version: what the build stamps with
//
//	go build -ldflags "-X main.version=v1.2.3" ./cmd/otnsim
//
// (make build stamps git describe), else, from init, what the Go toolchain
// recorded in the binary (see buildVersion). Every report's tool field is
// "otnsim " + version. It must stay a plain string variable, without an
// initialiser, for -X to set it.
var version string

func init() {
	if version == "" {
		info, _ := debug.ReadBuildInfo()
		version = buildVersion(info)
	}
}

// buildVersion is the version of an unstamped binary: the main module's
// version (a tag with "go install ...@v1.2.3", or the pseudo-version Go
// derives from the checkout: v0.0.0-20260102150405-abcdef123456+dirty), else
// "dev", with the commit and "-dirty" when the toolchain recorded them.
func buildVersion(info *debug.BuildInfo) string {
	if info == nil {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	v := "dev"
	rev, modified := vcs(info)
	if rev != "" {
		v += "-" + rev
	}
	if modified {
		v += "-dirty"
	}
	return v
}

// vcs returns the short commit and whether the tree was modified, as the
// Go toolchain recorded them (go build in a checkout; not go run or go test).
func vcs(info *debug.BuildInfo) (rev string, modified bool) {
	if info == nil {
		return "", false
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
			if len(rev) > 12 {
				rev = rev[:12]
			}
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	return rev, modified
}

// versionLine is what otnsim version prints: the version, then the
// commit, whether the tree was modified, the Go version and the platform.
func versionLine(info *debug.BuildInfo) string {
	var details []string
	rev, modified := vcs(info)
	if rev != "" {
		details = append(details, "commit "+rev)
	}
	if modified {
		details = append(details, "modified")
	}
	goVersion := runtime.Version()
	if info != nil && info.GoVersion != "" {
		goVersion = info.GoVersion
	}
	details = append(details, goVersion+" "+runtime.GOOS+"/"+runtime.GOARCH)
	return fmt.Sprintf("otnsim %s (%s)", version, strings.Join(details, ", "))
}

const versionUsage = `Usage: otnsim version
       otnsim --version

Prints otnsim's version, then in brackets the commit it was built from, and
whether the tree was modified, when the build recorded them, and the Go
version and platform:

  otnsim v1.2.3 (commit 0123456789ab, go1.26.8 linux/amd64)

A release build is stamped with -ldflags "-X main.version=..." (make build
stamps git describe); an unstamped one reports the version Go recorded.
`

func init() {
	commands["version"] = command{summary: "print the version", run: versionCmd}
}

func versionCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", versionUsage, stderr)
	if err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "otnsim version: unexpected argument %q\n", fs.Arg(0))
		usageHint(fs)
		return exitUsage
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprintln(stdout, versionLine(info))
	return exitPass
}
