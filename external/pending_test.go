package external

import (
	"io"
	"net"
	"runtime"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("a call the harness has not read yet", func() {
	It("is seen in the kernel's queues of the Graph listener until it is accepted and read", func() {
		if runtime.GOOS != "linux" {
			Skip("reading the sockets' queues needs Linux's /proc/net/tcp")
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		defer ln.Close()
		port := ln.Addr().(*net.TCPAddr).Port
		Expect(unreadInput(port)).To(BeFalse())

		c, err := net.Dial("tcp", ln.Addr().String())
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		Eventually(func() bool { return unreadInput(port) }).WithTimeout(30*time.Second).Should(BeTrue(), "a connection not accepted")
		server, err := ln.Accept()
		Expect(err).NotTo(HaveOccurred())
		defer server.Close()
		Eventually(func() bool { return unreadInput(port) }).WithTimeout(30 * time.Second).Should(BeFalse())

		_, err = io.WriteString(c, "POST /v19.0/me/messages HTTP/1.1\r\n")
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() bool { return unreadInput(port) }).WithTimeout(30*time.Second).Should(BeTrue(), "bytes not read")
		buf := make([]byte, 64)
		_, err = server.Read(buf)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() bool { return unreadInput(port) }).WithTimeout(30 * time.Second).Should(BeFalse())
	})
})
