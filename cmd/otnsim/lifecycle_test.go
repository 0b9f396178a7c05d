package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/proctree"
)

// The reproducers of a bot that outlives otnsim: a command that puts the
// bot in the background, a signal to otnsim mid-run, a reader of its
// output that goes away. Each must leave no process of the bot running.
var _ = Describe("otnsim leaves no bot process running", Ordered, func() {
	var bin, hang, clean string
	BeforeAll(func() {
		if runtime.GOOS != "linux" {
			Skip("finding a bot's processes by their environment needs Linux's /proc")
		}
		bin, hang, clean = buildOtnsim(), buildBot("hang-trigger"), buildBot("clean")
	})

	// marker returns an environment entry unique to the spec; the bot's
	// commands are run with it exported, so that the spec finds them all.
	marker := func() string {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		return "OTNSIM_LEAK_TEST=" + hex.EncodeToString(b)
	}
	running := func(m string) func() []int {
		return func() []int {
			pids, ok := proctree.Marked(m)
			Expect(ok).To(BeTrue())
			return pids
		}
	}
	expectGone := func(m string) {
		Eventually(running(m)).WithTimeout(30*time.Second).WithPolling(50*time.Millisecond).Should(BeEmpty(), "processes of the bot still running")
	}
	// start runs otnsim with args, its stdout going to stdout.
	start := func(stdout *os.File, errOut *bytes.Buffer, args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = stdout, errOut
		if stdout == nil {
			cmd.Stdout = GinkgoWriter
		}
		Expect(cmd.Start()).To(Succeed())
		return cmd
	}
	// exitCode waits for cmd to end and returns its exit status.
	exitCode := func(cmd *exec.Cmd) int {
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		Eventually(done).WithTimeout(60 * time.Second).Should(Receive(&err))
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		Expect(err).NotTo(HaveOccurred())
		return 0
	}

	It("passes a bot the command put in the background, and ends it (the shell exits first)", func() {
		m := marker()
		var errOut bytes.Buffer
		cmd := start(nil, &errOut, "check", "--bot-cmd", "export "+m+"; "+clean+" >/dev/null 2>&1 &", "--settle", "0")
		Expect(exitCode(cmd)).To(Equal(0), errOut.String())
		expectGone(m)
	})

	// A bot with a child in its group and one in a session of its own
	// (setsid, when installed), hung on its first trigger: otnsim cannot
	// end by itself.
	hungBot := func(m string) string {
		escape := ""
		if _, err := exec.LookPath("setsid"); err == nil {
			escape = "setsid sleep 300 & "
		} else {
			GinkgoWriter.Println("setsid (util-linux) is not installed: no descendant leaves the bot's group")
		}
		return "export " + m + "; " + escape + "sleep 301 & exec " + hang
	}

	for _, tc := range []struct {
		command string
		sig     syscall.Signal
	}{
		{"check", syscall.SIGINT}, {"check", syscall.SIGTERM}, {"check", syscall.SIGHUP},
		{"run", syscall.SIGINT}, {"run", syscall.SIGTERM},
	} {
		It("forwards "+tc.sig.String()+" to the bot of otnsim "+tc.command+" mid-run, ends its whole tree, writes its report and exits 128+signal", func() {
			m := marker()
			r, w, err := os.Pipe()
			Expect(err).NotTo(HaveOccurred())
			defer r.Close()
			var errOut bytes.Buffer
			report := filepath.Join(GinkgoT().TempDir(), "report.json")
			args := []string{tc.command, "--bot-cmd", hungBot(m), "--bot-procs", "1", "--step-timeout", "10m", "--json", report}
			if tc.command == "run" {
				args = append(args, "../../scenarios/compliance")
			}
			cmd := start(w, &errOut, args...)
			_ = w.Close()
			want := 2
			if _, err := exec.LookPath("setsid"); err == nil {
				want = 3
			}
			Eventually(running(m)).WithTimeout(30*time.Second).Should(HaveLen(want), errOut.String)
			if tc.command == "check" { // its header comes once the bot answered the handshake
				line := make([]byte, len("otnsim check:"))
				_, err := r.Read(line)
				Expect(err).NotTo(HaveOccurred())
				Expect(string(line)).To(Equal("otnsim check:"))
			}
			Expect(cmd.Process.Signal(tc.sig)).To(Succeed())
			Expect(exitCode(cmd)).To(Equal(128+int(tc.sig)), errOut.String())
			expectGone(m)
			b, err := os.ReadFile(report)
			Expect(err).NotTo(HaveOccurred(), "the report is written all the same")
			Expect(string(b)).To(ContainSubstring(`"error": {`), "with the reason the run could not go on")
		})
	}

	for _, command := range []string{"check", "run"} {
		It("ends the bot and exits 141 when the reader of otnsim "+command+"'s output has gone", func() {
			m := marker()
			started := filepath.Join(GinkgoT().TempDir(), "started")
			r, w, err := os.Pipe()
			Expect(err).NotTo(HaveOccurred())
			Expect(r.Close()).To(Succeed()) // the reader is gone before the first line
			var errOut bytes.Buffer
			args := []string{command, "--bot-cmd", "export " + m + "; echo started >> " + started + "; sleep 301 & exec " + clean, "--settle", "0", "--bot-procs", "1"}
			if command == "run" {
				args = append(args, "../../scenarios/compliance")
			}
			cmd := start(w, &errOut, args...)
			_ = w.Close()
			Expect(exitCode(cmd)).To(Equal(141), errOut.String())
			b, err := os.ReadFile(started)
			Expect(err).NotTo(HaveOccurred(), "the bot was started before otnsim wrote")
			Expect(strings.TrimSpace(string(b))).To(Equal("started"))
			expectGone(m)
		})
	}
})
