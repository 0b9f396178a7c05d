package proctree_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/proctree"
)

// start runs script in a process group of its own with marker in its
// environment, reaped in the background.
func start(marker, script string) *exec.Cmd {
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Env = append(os.Environ(), marker)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	Expect(cmd.Start()).To(Succeed())
	go func() { _ = cmd.Wait() }()
	DeferCleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	return cmd
}

var _ = Describe("a process tree", func() {
	var marker string
	BeforeEach(func() {
		if runtime.GOOS != "linux" {
			Skip("listing a tree's processes needs Linux's /proc")
		}
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		marker = "PROCTREE_TEST=" + hex.EncodeToString(b)
	})

	It("lists the marked processes and those of the group, and ends them all with one signal", func() {
		cmd := start(marker, "sleep 300 & sleep 301 & wait")
		tree := proctree.Tree{Pgid: cmd.Process.Pid, Marker: marker}
		Eventually(func() []int { pids, _ := tree.Members(); return pids }).WithTimeout(30 * time.Second).Should(HaveLen(3))
		marked, ok := proctree.Marked(marker)
		Expect(ok).To(BeTrue())
		Expect(marked).To(HaveLen(3))
		Expect(tree.Alive()).To(BeTrue())
		tree.Signal(syscall.SIGKILL)
		Eventually(tree.Alive).WithTimeout(30 * time.Second).Should(BeFalse())
	})

	It("finds by its marker a process that left the group", func() {
		if _, err := exec.LookPath("setsid"); err != nil {
			Skip("setsid (util-linux) is not installed")
		}
		cmd := start(marker, "setsid sleep 300 & wait")
		Eventually(func() []int { pids, _ := proctree.Marked(marker); return pids }).WithTimeout(30*time.Second).Should(HaveLen(2), "the shell and the sleep")
		pids, _ := proctree.Marked(marker)
		escaped := pids[0]
		if escaped == cmd.Process.Pid {
			escaped = pids[1]
		}
		pgid, err := syscall.Getpgid(escaped)
		Expect(err).NotTo(HaveOccurred())
		Expect(pgid).To(Equal(escaped), "a group of its own")
		tree := proctree.Tree{Pgid: cmd.Process.Pid, Marker: marker}
		tree.Signal(syscall.SIGKILL)
		Eventually(tree.Alive).WithTimeout(30 * time.Second).Should(BeFalse())
	})

	It("tells a process with work to do from one asleep", func() {
		spin := start(marker, "while :; do :; done")
		sleep := start(marker, "exec sleep 300")
		Eventually(func() bool { return proctree.Busy([]int{spin.Process.Pid}) }).WithTimeout(30 * time.Second).Should(BeTrue())
		Eventually(func() bool { return proctree.Busy([]int{sleep.Process.Pid}) }).WithTimeout(30 * time.Second).Should(BeFalse())
	})
})
