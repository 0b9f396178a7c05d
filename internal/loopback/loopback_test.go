package loopback

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("loopback HTTP", func() {
	var (
		tr     *Transport
		srv    *Server
		base   string
		client *http.Client
	)
	BeforeEach(func() {
		tr = NewTransport(4)
		mux := http.NewServeMux()
		mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Method", r.Method)
			_, _ = w.Write([]byte(r.URL.RawQuery + ":" + string(b)))
		})
		mux.HandleFunc("/status", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
		mux.HandleFunc("/empty", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
		mux.HandleFunc("/drop", func(w http.ResponseWriter, _ *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			Expect(err).NotTo(HaveOccurred())
			_ = conn.Close()
		})
		mux.HandleFunc("/abort", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
		var err error
		srv, base, err = Serve(mux)
		Expect(err).NotTo(HaveOccurred())
		client = &http.Client{Transport: tr}
		DeferCleanup(func() { srv.Close(); tr.CloseIdleConnections() })
	})

	idle := func() int {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		n := 0
		for _, l := range tr.idle {
			n += len(l)
		}
		return n
	}

	It("carries requests and answers, and keeps the connection alive", func() {
		for i := range 5 {
			resp, err := client.Post(base+"/echo?n="+string(rune('0'+i)), "text/plain", strings.NewReader("hello"))
			Expect(err).NotTo(HaveOccurred())
			b, err := io.ReadAll(resp.Body)
			Expect(err).NotTo(HaveOccurred())
			Expect(resp.Body.Close()).To(Succeed())
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			Expect(string(b)).To(Equal("n=" + string(rune('0'+i)) + ":hello"))
			Expect(resp.Header.Get("X-Method")).To(Equal("POST"))
			Expect(resp.Header.Get("Content-Type")).To(HavePrefix("text/plain"))
			Expect(idle()).To(Equal(1))
		}
	})

	It("passes status codes and empty answers through", func() {
		resp, err := client.Get(base + "/status")
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.StatusCode).To(Equal(http.StatusTeapot))
		Expect(resp.Body.Close()).To(Succeed())
		resp, err = client.Get(base + "/empty")
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.StatusCode).To(Equal(http.StatusNoContent))
		Expect(resp.Body.Close()).To(Succeed())
		Expect(idle()).To(Equal(1))
	})

	It("keeps a connection whose answer was closed unread", func() {
		resp, err := client.Post(base+"/echo", "text/plain", strings.NewReader("unread"))
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.Body.Close()).To(Succeed())
		Expect(idle()).To(Equal(1))
	})

	It("reports a dropped connection or an aborted handler as an error", func() {
		_, err := client.Post(base+"/drop", "text/plain", strings.NewReader("x"))
		Expect(err).To(HaveOccurred())
		_, err = client.Post(base+"/abort", "text/plain", strings.NewReader("x"))
		Expect(err).To(HaveOccurred())
		resp, err := client.Get(base + "/status")
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.Body.Close()).To(Succeed())
	})

	It("answers a malformed request with 400 and refuses anything but plain http", func() {
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close()
		_, err = conn.Write([]byte("NOT HTTP\r\n\r\n"))
		Expect(err).NotTo(HaveOccurred())
		b, _ := io.ReadAll(conn)
		Expect(string(b)).To(HavePrefix("HTTP/1.1 400"))
		_, err = client.Get("https://127.0.0.1:1/")
		Expect(err).To(MatchError(ContainSubstring("plain http only")))
	})

	It("refuses requests once closed", func() {
		srv.Close()
		tr.CloseIdleConnections()
		_, err := client.Get(base + "/status")
		Expect(err).To(MatchError(ContainSubstring("closed")))
	})
})

// Issue 17: every server otnsim runs bounds a connection's idle time, its
// request's read and its answer's write. The timeouts are shortened here;
// the server must let go of the connection well inside a generous deadline.
var _ = Describe("loopback server timeouts", func() {
	short := timeouts{idle: 100 * time.Millisecond, read: 100 * time.Millisecond, write: 100 * time.Millisecond}
	open := func(srv *Server) int {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return len(srv.conns)
	}
	start := func(h http.Handler) (*Server, net.Conn) {
		srv, base, err := serve(h, short)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Close)
		c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(c.Close)
		return srv, c
	}
	// closedUnanswered waits for the server to close c without a byte of
	// answer and to forget it.
	closedUnanswered := func(srv *Server, c net.Conn) {
		Expect(c.SetReadDeadline(time.Now().Add(10 * time.Second))).To(Succeed())
		b, err := io.ReadAll(c) // returns when the server closes the connection
		Expect(err).NotTo(HaveOccurred(), "the server closed the connection before the 10 s deadline")
		Expect(b).To(BeEmpty())
		Eventually(func() int { return open(srv) }, 10*time.Second).Should(BeZero())
	}
	readAll := func() http.Handler {
		return http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { _, _ = io.ReadAll(r.Body) })
	}

	It("drops a connection that stays idle", func() {
		srv, c := start(readAll())
		closedUnanswered(srv, c)
	})

	It("drops a connection whose body never arrives, without answering it", func() {
		srv, c := start(readAll())
		_, err := c.Write([]byte("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"))
		Expect(err).NotTo(HaveOccurred())
		closedUnanswered(srv, c)
	})

	It("drops a connection whose client never reads the answer", func() {
		big := bytes.Repeat([]byte("x"), 32<<20)
		handled := make(chan struct{})
		srv, c := start(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(big); close(handled) }))
		_, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		Expect(err).NotTo(HaveOccurred())
		Eventually(handled, 10*time.Second).Should(BeClosed()) // so the connection is being served
		Eventually(func() int { return open(srv) }, 10*time.Second).Should(BeZero())
	})
})
