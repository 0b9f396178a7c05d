package main

import (
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// oneScenario is a single shipped scenario that passes, quick to run.
const oneScenario = "../../scenarios/idle/impatient-bot-caught.yaml"

// lines splits output into its lines, without the last newline.
func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

var _ = Describe("the command line", func() {
	Describe("flags and arguments in any order", func() {
		It("takes flags after the positional arguments", func() {
			junit := filepath.Join(GinkgoT().TempDir(), "j.xml")
			code, out, errOut := otnsim("run", "testdata/wrong-expectation.yaml", "--junit", junit)
			Expect(code).To(Equal(1), errOut)
			Expect(out).To(ContainSubstring("FAIL  testdata/wrong-expectation.yaml"))
			Expect(junit).To(BeAnExistingFile())
		})

		It("takes flags between arguments, with = or a space, one dash or two", func() {
			js := filepath.Join(GinkgoT().TempDir(), "r.json")
			code, out, errOut := otnsim("run", "-seed", "3", oneScenario, "--color=never", "-v", "--json", js)
			Expect(code).To(Equal(0), errOut)
			Expect(out).To(ContainSubstring("finding "), "-v took effect")
			Expect(js).To(BeAnExistingFile())
		})

		It("keeps a flag's value that starts with a dash as its value", func() {
			code, out, errOut := otnsim("run", "../../scenarios/idle", "--tags", "caught,-slow")
			Expect(code).To(Equal(0), errOut)
			Expect(out).To(ContainSubstring("impatient-bot-caught.yaml"))
		})

		It("stops at --: what follows is an argument even if it looks like a flag", func() {
			code, _, errOut := otnsim("run", "--", "-v")
			Expect(code).To(Equal(2))
			Expect(errOut).To(ContainSubstring("stat -v: no such file"))
		})

		DescribeTable("reorders flags ahead of the arguments",
			func(args, want []string) {
				fs := flag.NewFlagSet("t", flag.ContinueOnError)
				fs.Bool("v", false, "")
				fs.String("junit", "", "")
				fs.Int("seed", 0, "")
				got, err := reorder(fs, args)
				Expect(err).NotTo(HaveOccurred())
				Expect(got).To(Equal(want))
			},
			Entry("flags last", []string{"a", "--junit", "j.xml"}, []string{"--junit", "j.xml", "--", "a"}),
			Entry("a bool flag takes no value", []string{"-v", "a", "b"}, []string{"-v", "--", "a", "b"}),
			Entry("= values", []string{"a", "--seed=4", "b"}, []string{"--seed=4", "--", "a", "b"}),
			Entry("-- ends the flags", []string{"a", "--", "--seed", "4"}, []string{"--", "a", "--seed", "4"}),
			Entry("a lone dash is an argument", []string{"-", "-v"}, []string{"-v", "--", "-"}),
			Entry("help wins", []string{"a", "-v", "--help"}, []string{"--help"}),
			Entry("help wins over a bad flag", []string{"--bogus", "-h"}, []string{"--help"}),
		)
	})

	Describe("help", func() {
		It("goes to stdout and exits 0 for every command, with --help, -h and help CMD", func() {
			for _, name := range commandNames() {
				for _, args := range [][]string{{name, "--help"}, {name, "-h"}, {"help", name}} {
					code, out, errOut := otnsim(args...)
					Expect(code).To(Equal(0), "%v", args)
					Expect(out).To(ContainSubstring("Usage: otnsim "+name), "%v", args)
					Expect(errOut).To(BeEmpty(), "%v", args)
				}
			}
		})

		It("wins wherever it stands among the arguments", func() {
			code, out, errOut := otnsim("run", "no/such/dir", "--help")
			Expect(code).To(Equal(0))
			Expect(out).To(ContainSubstring("Usage: otnsim run"))
			Expect(errOut).To(BeEmpty())
			code, out, _ = otnsim("check", "--adr", "x", "--help")
			Expect(code).To(Equal(0))
			Expect(out).To(ContainSubstring("Usage: otnsim check"))
			code, out, _ = otnsim("report", "merge", "--help")
			Expect(code).To(Equal(0))
			Expect(out).To(ContainSubstring("Usage: otnsim report merge"))
		})

		It("prints the overview to stdout with --help, -h and help", func() {
			for _, arg := range []string{"--help", "-h", "help"} {
				code, out, errOut := otnsim(arg)
				Expect(code).To(Equal(0))
				Expect(out).To(ContainSubstring("Commands:"))
				for _, name := range commandNames() {
					Expect(out).To(ContainSubstring("  "+name+" "), name)
				}
				Expect(errOut).To(BeEmpty())
			}
		})

		It("spells flags as the examples do, and lists every flag a command defines", func() {
			for _, c := range completionCommands() {
				_, out, _ := otnsim(c.name, "--help")
				for _, f := range c.flags {
					Expect(out).To(ContainSubstring("\n  "+f.dashed()), "%s %s", c.name, f.name)
				}
			}
			_, out, _ := otnsim("run", "--help")
			Expect(out).To(ContainSubstring("\n  --junit string\n"))
			Expect(out).To(ContainSubstring("\n  -v\n"))
			Expect(out).To(ContainSubstring(`(default "auto")`))
		})
	})

	Describe("usage errors", func() {
		DescribeTable("print one line and a pointer to the help on stderr, nothing on stdout, and exit 2",
			func(first, pointer string, args ...string) {
				code, out, errOut := otnsim(args...)
				Expect(code).To(Equal(2))
				Expect(out).To(BeEmpty())
				Expect(lines(errOut)).To(Equal([]string{first, pointer}))
			},
			Entry("an unknown flag, with the nearest one", "otnsim serve: unknown flag --adr (did you mean --addr?)",
				"Run 'otnsim serve --help' for usage.", "serve", "--adr", "x"),
			Entry("an unknown flag, nothing near", "otnsim check: unknown flag --frobnicate",
				"Run 'otnsim check --help' for usage.", "check", "--frobnicate"),
			Entry("an unknown flag after the arguments", "otnsim run: unknown flag --junt (did you mean --junit?)",
				"Run 'otnsim run --help' for usage.", "run", oneScenario, "--junt", "j.xml"),
			Entry("a flag missing its value", "otnsim run: flag --json needs an argument",
				"Run 'otnsim run --help' for usage.", "run", oneScenario, "--json"),
			Entry("a bad value", `otnsim load: invalid value "many" for --subscribers: parse error`,
				"Run 'otnsim load --help' for usage.", "load", "--subscribers", "many"),
			Entry("a missing argument", "otnsim validate: no PATH given",
				"Run 'otnsim validate --help' for usage.", "validate"),
			Entry("an unknown command, with the nearest one", `otnsim: unknown command "chek" (did you mean check?)`,
				"Run 'otnsim --help' for usage.", "chek"),
			Entry("an unknown command, nothing near", `otnsim: unknown command "deploy"`,
				"Run 'otnsim --help' for usage.", "deploy"),
			Entry("help for an unknown command", `otnsim help: unknown command "valdiate" (did you mean validate?)`,
				"Run 'otnsim --help' for the commands.", "help", "valdiate"),
			Entry("an unknown report subcommand", `otnsim report: unknown subcommand "mrege" (did you mean merge?)`,
				"Run 'otnsim report --help' for usage.", "report", "mrege", "a.json"),
			Entry("a flag before the command", "otnsim: unknown flag --junit (the flags come after the command)",
				"Run 'otnsim --help' for usage.", "--junit", "j.xml", "run"),
		)

		DescribeTable("suggest a name within a typo's reach",
			func(word string, candidates []string, want string) {
				Expect(nearest(word, candidates)).To(Equal(want))
			},
			Entry("one letter missing", "adr", []string{"addr", "seed"}, "addr"),
			Entry("one letter wrong", "chack", []string{"check", "run"}, "check"),
			Entry("two letters swapped", "zhs", []string{"bash", "zsh", "fish"}, "zsh"),
			Entry("three edits in a long word", "subscriberz-x", []string{"subscribers"}, "subscribers"),
			Entry("too far", "tcsh", []string{"bash", "zsh", "fish"}, ""),
			Entry("a one-letter word matches nothing by distance", "x", []string{"v"}, ""),
			Entry("the one name it starts", "contr", []string{"control-key", "clock"}, "control-key"),
			Entry("no guess between several it starts", "bot", []string{"bot-cmd", "bot-url"}, ""),
		)

		DescribeTable("measure edit distance",
			func(a, b string, want int) {
				Expect(editDistance(a, b)).To(Equal(want))
				Expect(editDistance(b, a)).To(Equal(want))
			},
			Entry("equal", "check", "check", 0),
			Entry("empty", "", "run", 3),
			Entry("insertion", "chek", "check", 1),
			Entry("substitution", "rum", "run", 1),
			Entry("swap", "valdiate", "validate", 1),
			Entry("kitten", "kitten", "sitting", 3),
		)
	})

	Describe("completion", func() {
		script := func(shell string) string {
			code, out, errOut := otnsim("completion", shell)
			Expect(code).To(Equal(0), errOut)
			return out
		}

		It("writes a script for bash, zsh and fish that knows every command and their flags", func() {
			for _, shell := range []string{"bash", "zsh", "fish"} {
				s := script(shell)
				for _, name := range commandNames() {
					Expect(s).To(ContainSubstring(name), "%s: %s", shell, name)
				}
				for _, f := range []string{"junit", "bot-cmd", "subscribers", "control-key", "fail-on"} {
					Expect(s).To(ContainSubstring(f), "%s: --%s", shell, f)
				}
				Expect(s).To(ContainSubstring("merge"), shell)
			}
		})

		It("writes a bash script that bash parses and that completes commands, flags and words", func() {
			bash, err := exec.LookPath("bash")
			if err != nil {
				Skip("no bash")
			}
			path := filepath.Join(GinkgoT().TempDir(), "otnsim.bash")
			Expect(os.WriteFile(path, []byte(script("bash")), 0o600)).To(Succeed())
			out, err := exec.Command(bash, "-n", path).CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), string(out))

			complete := func(words ...string) string {
				prog := `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _otnsim; echo "${COMPREPLY[*]}"`
				out, err := exec.Command(bash, append([]string{"-c", prog, "bash", path}, words...)...).CombinedOutput()
				Expect(err).NotTo(HaveOccurred(), string(out))
				return strings.TrimSpace(string(out))
			}
			Expect(complete("otnsim", "ch")).To(Equal("check"))
			Expect(complete("otnsim", "v")).To(Equal("validate version"))
			Expect(complete("otnsim", "run", "--ju")).To(Equal("--junit"))
			Expect(complete("otnsim", "serve", "--control")).To(Equal("--control-key"))
			Expect(complete("otnsim", "report", "")).To(Equal("merge show html"))
			Expect(complete("otnsim", "report", "merge", "")).To(BeEmpty(), "files, left to bash")
			Expect(complete("otnsim", "completion", "")).To(Equal("bash fish zsh"))
			Expect(complete("otnsim", "run", "--json", "")).To(BeEmpty(), "a flag's value, left to bash")
		})

		DescribeTable("writes scripts the shell itself parses, where it is installed",
			func(shell string) {
				bin, err := exec.LookPath(shell)
				if err != nil {
					Skip("no " + shell)
				}
				path := filepath.Join(GinkgoT().TempDir(), "otnsim."+shell)
				Expect(os.WriteFile(path, []byte(script(shell)), 0o600)).To(Succeed())
				out, err := exec.Command(bin, "-n", path).CombinedOutput()
				Expect(err).NotTo(HaveOccurred(), string(out))
			},
			Entry("zsh", "zsh"),
			Entry("fish", "fish"),
		)

		It("refuses a missing or unknown shell with exit 2", func() {
			code, _, errOut := otnsim("completion")
			Expect(code).To(Equal(2))
			Expect(errOut).To(ContainSubstring("want one shell: bash, zsh or fish"))
			code, _, errOut = otnsim("completion", "tcsh")
			Expect(code).To(Equal(2))
			Expect(errOut).To(ContainSubstring(`unsupported shell "tcsh"`))
		})
	})

	Describe("colour", func() {
		DescribeTable("follows --color, and NO_COLOR for auto",
			func(noColor, mode string, tty, want bool) {
				GinkgoT().Setenv("NO_COLOR", noColor)
				Expect(colorOn(mode, tty)).To(Equal(want))
			},
			Entry("auto on a terminal", "", "auto", true, true),
			Entry("auto off a terminal", "", "auto", false, false),
			Entry("auto on a terminal with NO_COLOR", "1", "auto", true, false),
			Entry("NO_COLOR with any value", "false", "auto", true, false),
			Entry("always wins over NO_COLOR", "1", "always", false, true),
			Entry("never", "", "never", true, false),
		)

		It("colours a run with --color always under NO_COLOR, and not with auto", func() {
			GinkgoT().Setenv("NO_COLOR", "1")
			_, out, _ := otnsim("run", "--color", "always", oneScenario)
			Expect(out).To(ContainSubstring("\x1b[32mPASS"))
			_, out, _ = otnsim("run", oneScenario)
			Expect(out).NotTo(ContainSubstring("\x1b["))
		})
	})

	Describe("version", func() {
		It("prints otnsim and a version that is not empty, with version and --version", func() {
			Expect(version).NotTo(BeEmpty())
			for _, arg := range []string{"version", "--version"} {
				code, out, errOut := otnsim(arg)
				Expect(code).To(Equal(0))
				Expect(out).To(HavePrefix("otnsim " + version + " ("))
				Expect(out).To(ContainSubstring("go1."))
				Expect(errOut).To(BeEmpty())
			}
		})

		It("names the same version in a report's tool field", func() {
			js := filepath.Join(GinkgoT().TempDir(), "r.json")
			code, _, errOut := otnsim("run", "--json", js, oneScenario)
			Expect(code).To(Equal(0), errOut)
			Expect(reportTool(js)).To(Equal("otnsim " + version))
		})

		DescribeTable("derives an unstamped build's version from what the toolchain recorded",
			func(info *debug.BuildInfo, want, line string) {
				Expect(buildVersion(info)).To(Equal(want))
				if line != "" {
					Expect(versionLine(info)).To(ContainSubstring(line))
				}
			},
			Entry("no build information", nil, "dev", ""),
			Entry("go install at a tag", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0", ""),
			Entry("a checkout Go made a pseudo-version of",
				&debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20260102150405-abcdef123456+dirty"}},
				"v0.0.0-20260102150405-abcdef123456+dirty", ""),
			Entry("a devel build with the commit", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
				Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abcdef1234567890abcdef1234567890abcdef12"}, {Key: "vcs.modified", Value: "true"}}},
				"dev-abcdef123456-dirty", "(commit abcdef123456, modified, go1.26.8 "),
			Entry("a devel build without", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev", ""),
		)

		It("prints the version a build stamps with -ldflags -X, in version and in reports, and a version without", func() {
			dir := GinkgoT().TempDir()
			stamped := filepath.Join(dir, "otnsim-stamped")
			build := exec.Command("go", "build", "-ldflags", "-X main.version=v9.9.9-test", "-o", stamped, ".")
			build.Stderr = GinkgoWriter
			Expect(build.Run()).To(Succeed())
			out, err := exec.Command(stamped, "version").Output()
			Expect(err).NotTo(HaveOccurred())
			Expect(string(out)).To(HavePrefix("otnsim v9.9.9-test ("))
			out, err = exec.Command(stamped, "--version").Output()
			Expect(err).NotTo(HaveOccurred())
			Expect(string(out)).To(HavePrefix("otnsim v9.9.9-test ("))
			js := filepath.Join(dir, "r.json")
			Expect(exec.Command(stamped, "run", "--json", js, oneScenario).Run()).To(Succeed())
			Expect(reportTool(js)).To(Equal("otnsim v9.9.9-test"))

			out, err = exec.Command(buildOtnsim(), "version").Output()
			Expect(err).NotTo(HaveOccurred())
			Expect(string(out)).To(MatchRegexp(`^otnsim \S+ \(`))
		})
	})
})

// reportTool reads the tool field of a run's JSON report.
func reportTool(path string) string {
	raw, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var rep struct{ Tool string }
	Expect(json.Unmarshal(raw, &rep)).To(Succeed())
	return rep.Tool
}
