package external_test

import (
	"crypto/rand"
	"encoding/hex"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/external"
	"github.com/otnsim/otnsim/internal/proctree"
)

// leakMarker returns an environment entry unique to the spec, to put in
// front of the commands a bot's shell runs so that the spec can find them.
func leakMarker() string {
	if runtime.GOOS != "linux" {
		Skip("finding a bot's processes by their environment needs Linux's /proc")
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "OTNSIM_LEAK_TEST=" + hex.EncodeToString(b)
}

// running returns the processes that carry marker.
func running(marker string) func() []int {
	return func() []int {
		pids, ok := proctree.Marked(marker)
		Expect(ok).To(BeTrue())
		return pids
	}
}

// expectGone waits, generously, until no process carries marker.
func expectGone(marker string) {
	Eventually(running(marker)).WithTimeout(30*time.Second).WithPolling(50*time.Millisecond).Should(BeEmpty(), "processes of the bot still running")
}

var _ = Describe("the bot's process tree", func() {
	It("takes a bot the shell put in the background for the bot, and ends it when the shell exited first", func() {
		m := leakMarker()
		h, err := external.Start(external.Config{Command: m + " " + crasher + " >/dev/null 2>&1 &", StartTimeout: 30 * time.Second})
		Expect(err).NotTo(HaveOccurred(), "a backgrounded bot that answers the handshake is running")
		Expect(running(m)()).To(HaveLen(1))
		h.Stop()
		expectGone(m)
	})

	It("ends a backgrounded command that never listens, once the start timeout passed", func() {
		m := leakMarker()
		_, err := external.Start(external.Config{Command: m + " sleep 300 >/dev/null 2>&1 &", StartTimeout: 500 * time.Millisecond})
		Expect(botErr(err).Kind).To(Equal(external.NeverReady), "the shell exited but its tree runs on")
		expectGone(m)
	})

	It("ends a descendant that left the bot's process group", func() {
		if _, err := exec.LookPath("setsid"); err != nil {
			Skip("setsid (util-linux) is not installed: cannot start a process in a session of its own")
		}
		m := leakMarker()
		h, err := external.Start(external.Config{Command: m + " setsid sleep 300 & exec " + crasher, StartTimeout: 30 * time.Second})
		Expect(err).NotTo(HaveOccurred())
		Eventually(running(m)).WithTimeout(30 * time.Second).Should(HaveLen(1))
		pid := running(m)()[0]
		pgid, err := syscall.Getpgid(pid)
		Expect(err).NotTo(HaveOccurred())
		Expect(pgid).To(Equal(pid), "setsid made it the leader of its own group")
		h.Stop()
		expectGone(m)
	})

	It("sends SIGKILL to what ignores SIGTERM, after the grace period", func() {
		m := leakMarker()
		const grace = 300 * time.Millisecond
		h, err := external.Start(external.Config{Command: "trap '' TERM; " + m + " sleep 300 & exec " + crasher, StartTimeout: 30 * time.Second, StopGrace: grace})
		Expect(err).NotTo(HaveOccurred())
		Eventually(running(m)).WithTimeout(30 * time.Second).Should(HaveLen(1))
		began := time.Now()
		h.Stop()
		Expect(time.Since(began)).To(BeNumerically(">=", grace), "SIGTERM alone could not end it")
		expectGone(m)
	})

	It("ends every bot at once on StopAll, with the signal given, and starts none after", func() {
		DeferCleanup(external.Reopen)
		m := leakMarker()
		// The shell's background job ignores SIGINT (POSIX sh does that
		// without job control): it is ended by SIGKILL after the grace.
		cfg := external.Config{Command: m + " sh -c 'trap \"echo got INT; exit 0\" INT; " + crasher + " & wait'", StartTimeout: 30 * time.Second, StopGrace: 300 * time.Millisecond}
		a, err := external.Start(cfg)
		Expect(err).NotTo(HaveOccurred())
		defer a.Stop()
		b, err := external.Start(cfg)
		Expect(err).NotTo(HaveOccurred())
		defer b.Stop()
		Eventually(running(m)).WithTimeout(30 * time.Second).Should(HaveLen(4))
		external.StopAll(syscall.SIGINT)
		expectGone(m)
		Expect(a.Output()).To(ContainSubstring("got INT"), "the signal was forwarded, not replaced by SIGTERM")
		_, err = external.Start(cfg)
		Expect(err).To(MatchError(external.ErrStopping))
	})
})
