package httpserver_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/httpserver"
	"github.com/otnsim/otnsim/sim/clock"
)

func TestHTTPServer(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "httpserver Suite")
}

// short renders 5m0s as 5m, 30s as 30s.
func short(d time.Duration) string { return clock.FormatDuration(d) }

var _ = Describe("New", func() {
	It("sets every timeout", func() {
		h := http.NotFoundHandler()
		s := httpserver.New(h)
		Expect(s.ReadHeaderTimeout).To(Equal(httpserver.ReadHeaderTimeout))
		Expect(s.ReadTimeout).To(Equal(httpserver.ReadTimeout))
		Expect(s.WriteTimeout).To(Equal(httpserver.WriteTimeout))
		Expect(s.IdleTimeout).To(Equal(httpserver.IdleTimeout))
		Expect(httpserver.Timeouts).To(Equal(fmt.Sprintf("%s for the headers, %s for the whole request, %s for the answer, %s idle between requests",
			short(httpserver.ReadHeaderTimeout), short(httpserver.ReadTimeout), short(httpserver.WriteTimeout), short(httpserver.IdleTimeout))))
		for _, d := range []any{s.ReadHeaderTimeout, s.ReadTimeout, s.WriteTimeout, s.IdleTimeout} {
			Expect(d).To(BeNumerically(">", 0))
		}
	})

	// Issue 17: a slow body held a connection of otnsim serve or otnsim bot
	// for 40 s and more. The timeout is shortened here so the spec is quick;
	// the connection must end well inside a generous deadline.
	It("drops a connection whose body never arrives", func() {
		s := httpserver.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
		}))
		s.ReadTimeout = 200 * time.Millisecond
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		go func() { _ = s.Serve(ln) }()
		DeferCleanup(s.Close)
		c, err := net.Dial("tcp", ln.Addr().String())
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		_, err = c.Write([]byte("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.SetReadDeadline(time.Now().Add(30 * time.Second))).To(Succeed())
		_, err = io.ReadAll(c) // returns when the server closes the connection
		Expect(err).NotTo(HaveOccurred(), "the server closed the connection before the 30 s deadline")
	})
})
