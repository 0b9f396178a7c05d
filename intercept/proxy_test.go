package intercept_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/intercept"
)

// seen is what the fake Graph handler saw of a request.
type seen struct {
	Host string `json:"host"`
	Path string `json:"path"`
	TLS  bool   `json:"tls"`
}

// echoGraph answers every request with what it saw of it.
var echoGraph = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_ = json.NewEncoder(w).Encode(seen{Host: r.Host, Path: r.URL.Path, TLS: r.TLS != nil})
})

// proxyClient sends through p, trusting roots.
func proxyClient(p *intercept.Proxy, roots *x509.CertPool) *http.Client {
	u, err := url.Parse(p.URL())
	Expect(err).NotTo(HaveOccurred())
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		Proxy: http.ProxyURL(u), TLSClientConfig: &tls.Config{RootCAs: roots}, DisableKeepAlives: true,
	}}
}

// get fetches u through c and decodes what the Graph handler saw.
func get(c *http.Client, u string) (int, seen, string) {
	resp, err := c.Get(u)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	var s seen
	_ = json.Unmarshal(body, &s)
	return resp.StatusCode, s, string(body)
}

// connect opens a CONNECT tunnel to target and returns the connection,
// its reader and the proxy's status line.
func connect(p *intercept.Proxy, target string) (net.Conn, *bufio.Reader, string) {
	conn, err := net.DialTimeout("tcp", p.Addr(), 10*time.Second)
	Expect(err).NotTo(HaveOccurred())
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	_, err = fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	Expect(err).NotTo(HaveOccurred())
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	Expect(err).NotTo(HaveOccurred())
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return conn, br, resp.Status + " " + string(body)
	}
	return conn, br, resp.Status
}

var _ = Describe("Proxy", func() {
	var (
		a    *intercept.Authority
		p    *intercept.Proxy
		refs chan intercept.Refusal
	)
	start := func(o intercept.Options) {
		o.Graph = echoGraph
		o.OnRefuse = func(r intercept.Refusal) { refs <- r }
		var err error
		p, err = intercept.Listen(o)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(p.Close)
	}
	BeforeEach(func() {
		var err error
		a, err = intercept.NewAuthority(time.Hour)
		Expect(err).NotTo(HaveOccurred())
		refs = make(chan intercept.Refusal, 1000)
	})

	It("serves every Graph host over TLS with a certificate the authority signed", func() {
		start(intercept.Options{Authority: a})
		c := proxyClient(p, a.Pool())
		for _, host := range intercept.GraphHosts {
			code, s, body := get(c, "https://"+host+"/v19.0/me/messages")
			Expect(code).To(Equal(http.StatusOK), body)
			Expect(s).To(Equal(seen{Host: host, Path: "/v19.0/me/messages", TLS: true}))
		}
		Expect(p.Served()).To(Equal(len(intercept.GraphHosts)))
		Expect(p.Intercepting()).To(BeTrue())
		Expect(refs).To(BeEmpty())
	})

	It("serves plain-HTTP proxy requests to the Graph hosts and to fakegraph's own address", func() {
		start(intercept.Options{Authority: a, Local: "127.0.0.1:8787"})
		c := proxyClient(p, nil)
		code, s, _ := get(c, "http://graph.facebook.com/v19.0/me")
		Expect(code).To(Equal(http.StatusOK))
		Expect(s).To(Equal(seen{Host: "graph.facebook.com", Path: "/v19.0/me"}))
		code, s, _ = get(c, "http://127.0.0.1:8787/v19.0/me")
		Expect(code).To(Equal(http.StatusOK))
		Expect(s.Path).To(Equal("/v19.0/me"))
		conn, err := net.Dial("tcp", p.Addr())
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close()
		_, err = io.WriteString(conn, "GET https://graph.facebook.com/v19.0/abs HTTP/1.1\r\nHost: graph.facebook.com\r\n\r\n")
		Expect(err).NotTo(HaveOccurred())
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(json.NewDecoder(resp.Body).Decode(&s)).To(Succeed())
		Expect(s.Path).To(Equal("/v19.0/abs"), "an https:// URL sent in the clear, as some Node clients do")
	})

	It("refuses other hosts with 403 and a body that says why, and records them", func() {
		start(intercept.Options{Authority: a})
		conn, _, status := connect(p, "example.com:443")
		defer conn.Close()
		Expect(status).To(HavePrefix("403"))
		Expect(status).To(ContainSubstring("refused CONNECT example.com:443: not a Graph API host"))
		Expect(status).To(ContainSubstring("--pass-through"))
		code, _, body := get(proxyClient(p, nil), "http://example.com/x")
		Expect(code).To(Equal(http.StatusForbidden))
		Expect(body).To(ContainSubstring("refused GET example.com:80"))
		Eventually(refs).Should(HaveLen(2))
		r := <-refs
		Expect(r.Graph).To(BeFalse())
		Expect(r.Target).To(Equal("example.com:443"))
		got, n := p.Refusals()
		Expect(got).To(HaveLen(2))
		Expect(n).To(Equal(2))
		Expect(p.Served()).To(BeZero())
	})

	It("in watch mode refuses the Graph hosts too, and flags them as Graph", func() {
		start(intercept.Options{})
		conn, _, status := connect(p, "graph.facebook.com:443")
		defer conn.Close()
		Expect(status).To(HavePrefix("403"))
		Expect(status).To(ContainSubstring("the real Graph API, which this run does not intercept"))
		code, _, _ := get(proxyClient(p, nil), "http://graph.facebook.com/v19.0/me/messages")
		Expect(code).To(Equal(http.StatusForbidden))
		Eventually(refs).Should(HaveLen(2))
		Expect((<-refs).Graph).To(BeTrue())
		Expect(p.Intercepting()).To(BeFalse())
		Expect(p.Served()).To(BeZero())
	})

	It("lets other hosts through with PassThrough, but never the Graph hosts", func() {
		upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "upstream "+r.URL.Path)
		}))
		defer upstream.Close()
		start(intercept.Options{PassThrough: true})
		target := strings.TrimPrefix(upstream.URL, "http://")
		code, _, body := get(proxyClient(p, nil), upstream.URL+"/plain")
		Expect(code).To(Equal(http.StatusOK))
		Expect(body).To(Equal("upstream /plain"))
		conn, br, status := connect(p, target)
		defer conn.Close()
		Expect(status).To(HavePrefix("200"))
		_, err := io.WriteString(conn, "GET /tunnel HTTP/1.1\r\nHost: x\r\n\r\n")
		Expect(err).NotTo(HaveOccurred())
		resp, err := http.ReadResponse(br, nil)
		Expect(err).NotTo(HaveOccurred())
		b, _ := io.ReadAll(resp.Body)
		Expect(string(b)).To(Equal("upstream /tunnel"))
		graph, _, status := connect(p, "graph.facebook.com:443")
		defer graph.Close()
		Expect(status).To(HavePrefix("403"))
	})

	It("passes through by way of an upstream proxy when given one", func() {
		upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "upstream "+r.URL.Path)
		}))
		defer upstream.Close()
		outer, err := intercept.Listen(intercept.Options{Graph: echoGraph, PassThrough: true})
		Expect(err).NotTo(HaveOccurred())
		defer outer.Close()
		via, err := url.Parse(outer.URL())
		Expect(err).NotTo(HaveOccurred())
		start(intercept.Options{PassThrough: true, Upstream: http.ProxyURL(via)})
		conn, br, status := connect(p, strings.TrimPrefix(upstream.URL, "http://"))
		defer conn.Close()
		Expect(status).To(HavePrefix("200"))
		_, err = io.WriteString(conn, "GET /chained HTTP/1.1\r\nHost: x\r\n\r\n")
		Expect(err).NotTo(HaveOccurred())
		resp, err := http.ReadResponse(br, nil)
		Expect(err).NotTo(HaveOccurred())
		b, _ := io.ReadAll(resp.Body)
		Expect(string(b)).To(Equal("upstream /chained"))
		code, _, body := get(proxyClient(p, nil), upstream.URL+"/plain")
		Expect(code).To(Equal(http.StatusOK))
		Expect(body).To(Equal("upstream /plain"))
		// A host the upstream proxy cannot reach: its refusal is passed on.
		bad, _, status := connect(p, "no-such-host.invalid:443")
		defer bad.Close()
		Expect(status).To(HavePrefix("502"))
		Expect(status).To(ContainSubstring("the upstream proxy"))
	})

	It("answers garbage after CONNECT with 400 and keeps serving", func() {
		start(intercept.Options{Authority: a})
		conn, br, status := connect(p, "graph.facebook.com:443")
		defer conn.Close()
		Expect(status).To(HavePrefix("200"))
		_, err := io.WriteString(conn, "\x00\x01 this is not TLS nor HTTP\r\n\r\n")
		Expect(err).NotTo(HaveOccurred())
		resp, err := http.ReadResponse(br, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
		code, _, _ := get(proxyClient(p, a.Pool()), "https://graph.facebook.com/after")
		Expect(code).To(Equal(http.StatusOK))
	})

	It("fails the handshake of a client that names another server, or does not trust the authority", func() {
		start(intercept.Options{Authority: a})
		conn, _, status := connect(p, "graph.facebook.com:443")
		defer conn.Close()
		Expect(status).To(HavePrefix("200"))
		tc := tls.Client(conn, &tls.Config{ServerName: "evil.example", RootCAs: a.Pool()})
		Expect(tc.Handshake()).NotTo(Succeed())
		var r intercept.Refusal
		Eventually(refs).Should(Receive(&r))
		Expect(r.Graph).To(BeTrue())
		Expect(r.Reason).To(ContainSubstring(`the TLS server name "evil.example" is not the CONNECT target "graph.facebook.com"`))

		_, err := proxyClient(p, x509.NewCertPool()).Get("https://graph.facebook.com/v19.0/me")
		Expect(err).To(MatchError(ContainSubstring("certificate")))
		Eventually(refs).Should(Receive(&r))
		Expect(r.Reason).To(ContainSubstring("remote error"))
		Expect(p.Served()).To(BeZero())
	})

	It("serves 200 connections at once", func() {
		start(intercept.Options{Authority: a})
		const n = 200
		// Each request is a connection of its own; a shared session cache
		// spares the race detector most of the handshakes' signatures.
		c := proxyClient(p, a.Pool())
		c.Transport.(*http.Transport).TLSClientConfig.ClientSessionCache = tls.NewLRUClientSessionCache(8)
		_, _, _ = get(c, "https://graph.facebook.com/warm")
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer GinkgoRecover()
				host := intercept.GraphHosts[i%len(intercept.GraphHosts)]
				resp, err := c.Get(fmt.Sprintf("https://%s/n/%d", host, i))
				if err != nil {
					errs <- err
					return
				}
				defer resp.Body.Close()
				var s seen
				if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || s.Path != fmt.Sprintf("/n/%d", i) || s.Host != host {
					errs <- fmt.Errorf("request %d: %+v %v", i, s, err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		Expect(errs).To(BeEmpty())
		Expect(p.Served()).To(Equal(n + 1))
	})

	It("listens on loopback only", func() {
		for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "example.com:0"} {
			_, err := intercept.Listen(intercept.Options{Addr: addr, Graph: echoGraph})
			Expect(err).To(MatchError(ContainSubstring("loopback")), addr)
		}
		start(intercept.Options{Authority: a})
		host, _, err := net.SplitHostPort(p.Addr())
		Expect(err).NotTo(HaveOccurred())
		Expect(net.ParseIP(host).IsLoopback()).To(BeTrue())
	})

	It("answers a request that is not a proxy request with 400", func() {
		start(intercept.Options{Authority: a})
		resp, err := http.Get(p.URL() + "/v19.0/me")
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
	})

	It("ends its open tunnels on Close", func() {
		start(intercept.Options{Authority: a})
		conn, br, status := connect(p, "graph.facebook.com:443")
		defer conn.Close()
		Expect(status).To(HavePrefix("200"))
		Expect(p.Close()).To(Succeed())
		_, err := br.ReadByte()
		Expect(err).To(HaveOccurred())
	})
})
