package intercept

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Timeouts of the proxy's connections.
const (
	headerTimeout      = 10 * time.Second // a request's header, and a tunnel's first bytes and TLS handshake
	dialTimeout        = 10 * time.Second // a pass-through connection to the real host
	idleTimeout        = 5 * time.Minute  // a kept-alive connection between two requests
	maxRefusalsKept    = 1000
	tlsHandshakeRecord = 0x16 // the first byte of a TLS handshake record
)

// Options configure one proxy.
type Options struct {
	// Addr is where the proxy listens: a loopback host:port. Empty means a
	// free port on 127.0.0.1. Any other interface is refused.
	Addr string
	// Graph serves the requests the proxy routes: those to GraphHosts
	// (with an Authority) and those to Local.
	Graph http.Handler
	// Authority mints the Graph hosts' certificates. Nil is watch mode:
	// the proxy routes nothing to Graph, refuses the Graph hosts and
	// records each attempt, so that a bot that bypasses fakegraph is seen
	// and named.
	Authority *Authority
	// Local is fakegraph's own host:port: a bot that sends its calls to
	// OTNSIM_GRAPH_URL through the proxy reaches Graph all the same.
	Local string
	// PassThrough lets requests to hosts other than the Graph hosts through
	// to the real network; without it they are refused. The Graph hosts
	// never pass through.
	PassThrough bool
	// Upstream, when set, names the proxy that passed-through requests go
	// by (http.ProxyFromEnvironment: otnsim's own HTTPS_PROXY), nil for a
	// direct connection. Only http:// proxies are spoken to.
	Upstream func(*http.Request) (*url.URL, error)
	// OnRefuse, when set, is told of every refused request, as it happens.
	OnRefuse func(Refusal)
	// Logf, when set, gets one line per refused request or failed handshake.
	Logf func(format string, args ...any)
}

// Refusal is one request the proxy did not serve.
type Refusal struct {
	Method string // CONNECT, or the method of a plain-HTTP proxy request
	Target string // host:port
	// Graph: the target is one of GraphHosts, refused because the proxy
	// does not intercept them (watch mode), or its TLS handshake failed.
	Graph  bool
	Reason string
}

// String describes the refusal in one line.
func (r Refusal) String() string {
	return fmt.Sprintf("%s %s: %s", r.Method, r.Target, r.Reason)
}

// Proxy is an HTTP proxy on loopback that answers the Graph hosts itself:
// CONNECT tunnels get TLS with a certificate its Authority mints, and the
// requests inside them, like plain-HTTP proxy requests, go to Options.Graph.
type Proxy struct {
	o       Options
	ln      net.Listener
	outer   *http.Server // the proxy protocol: CONNECT and absolute-form requests
	inner   *http.Server // requests inside the Graph tunnels
	tunnels *connQueue
	passer  *httputil.ReverseProxy

	served atomic.Int64

	mu       sync.Mutex
	conns    map[net.Conn]struct{} // hijacked connections not yet handed on
	refusals []Refusal
	refused  int
	closed   bool
}

// Listen starts a proxy.
func Listen(o Options) (*Proxy, error) {
	if o.Graph == nil {
		return nil, errors.New("intercept: a proxy needs a Graph handler")
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return nil, fmt.Errorf("intercept: proxy address %q: %w", o.Addr, err)
	}
	if !isLoopbackHost(normalHost(host)) {
		return nil, fmt.Errorf("intercept: proxy address %q: the proxy listens on loopback only (127.0.0.1, ::1, localhost)", o.Addr)
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("intercept: proxy: %w", err)
	}
	if ta, ok := ln.Addr().(*net.TCPAddr); !ok || !ta.IP.IsLoopback() {
		_ = ln.Close()
		return nil, fmt.Errorf("intercept: proxy address %q resolved to %s, not a loopback address", o.Addr, ln.Addr())
	}
	quiet := log.New(io.Discard, "", 0)
	p := &Proxy{o: o, ln: ln, tunnels: newConnQueue(ln.Addr()), conns: map[net.Conn]struct{}{}}
	p.outer = &http.Server{Handler: p, ReadHeaderTimeout: headerTimeout, IdleTimeout: idleTimeout, ErrorLog: quiet}
	p.inner = &http.Server{Handler: http.HandlerFunc(p.serveGraph), ReadHeaderTimeout: headerTimeout, IdleTimeout: idleTimeout, ErrorLog: quiet}
	p.passer = &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.Out.Host = pr.In.URL.Host },
		Transport: &http.Transport{Proxy: o.Upstream, DialContext: (&net.Dialer{Timeout: dialTimeout}).DialContext},
		ErrorLog:  quiet,
	}
	go func() { _ = p.outer.Serve(ln) }()
	go func() { _ = p.inner.Serve(p.tunnels) }()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL is the proxy's URL, as HTTPS_PROXY takes it.
func (p *Proxy) URL() string { return "http://" + p.Addr() }

// Intercepting reports whether the proxy routes the Graph hosts (it has
// an Authority) rather than refusing them.
func (p *Proxy) Intercepting() bool { return p.o.Authority != nil }

// Served returns how many requests the proxy passed to Graph.
func (p *Proxy) Served() int { return int(p.served.Load()) }

// Refusals returns the requests refused so far (the first
// maxRefusalsKept of them) and how many there were in all.
func (p *Proxy) Refusals() ([]Refusal, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Refusal(nil), p.refusals...), p.refused
}

// Close stops the proxy and ends its connections.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	conns := p.conns
	p.conns = map[net.Conn]struct{}{}
	p.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
	err := p.outer.Close()
	_ = p.inner.Close()
	_ = p.tunnels.Close()
	return err
}

// ServeHTTP speaks the proxy protocol.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodConnect:
		p.connect(w, r)
	case r.URL.IsAbs():
		p.forward(w, r)
	default:
		http.Error(w, "otnsim intercept: this is an HTTP proxy; send it CONNECT host:port, or a request with an absolute URL", http.StatusBadRequest)
	}
}

// routes reports whether the proxy serves host:port itself, with Graph.
func (p *Proxy) routes(host, port string) bool {
	return IsGraphHost(host) && p.o.Authority != nil || p.o.Local != "" && net.JoinHostPort(host, port) == p.o.Local
}

// connect answers CONNECT: a tunnel into Graph, a pass-through tunnel, or
// a refusal.
func (p *Proxy) connect(w http.ResponseWriter, r *http.Request) {
	host, port := splitTarget(r.Host, "443")
	target := net.JoinHostPort(host, port)
	switch {
	case p.routes(host, port):
		conn, br, ok := p.hijack(w)
		if !ok {
			return
		}
		go p.graphTunnel(conn, br, host, target)
	case p.o.PassThrough && !IsGraphHost(host):
		p.passTunnel(w, r, target)
	default:
		p.refuse(w, r.Method, host, target)
	}
}

// hijack takes the connection over and tells the client its tunnel is open.
func (p *Proxy) hijack(w http.ResponseWriter) (net.Conn, *bufio.Reader, bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "otnsim intercept: cannot open a tunnel on this connection", http.StatusInternalServerError)
		return nil, nil, false
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, false
	}
	if !p.track(conn) {
		_ = conn.Close()
		return nil, nil, false
	}
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		p.untrack(conn)
		_ = conn.Close()
		return nil, nil, false
	}
	return conn, brw.Reader, true
}

// graphTunnel serves a tunnel to a Graph host: TLS with a minted
// certificate when the client starts a handshake, plain HTTP otherwise
// (which serves well-formed requests and answers garbage with 400).
func (p *Proxy) graphTunnel(conn net.Conn, br *bufio.Reader, host, target string) {
	defer p.untrack(conn)
	c := &bufferedConn{Conn: conn, r: br}
	_ = conn.SetReadDeadline(time.Now().Add(headerTimeout))
	first, err := br.Peek(1)
	if err != nil {
		_ = conn.Close()
		return
	}
	if first[0] != tlsHandshakeRecord {
		_ = conn.SetReadDeadline(time.Time{})
		p.tunnels.push(c)
		return
	}
	if p.o.Authority == nil || !IsGraphHost(host) {
		p.record(Refusal{Method: http.MethodConnect, Target: target, Reason: "TLS to a plain-HTTP address"})
		_ = conn.Close()
		return
	}
	tc := tls.Server(c, &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			sni := normalHost(hello.ServerName)
			if sni == "" {
				sni = host
			}
			if sni != host {
				return nil, fmt.Errorf("the TLS server name %q is not the CONNECT target %q", hello.ServerName, host)
			}
			return p.o.Authority.Leaf(sni)
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), headerTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		p.record(Refusal{Method: http.MethodConnect, Target: target, Graph: true, Reason: "TLS handshake failed: " + err.Error()})
		_ = conn.Close()
		return
	}
	_ = conn.SetReadDeadline(time.Time{})
	p.tunnels.push(tc)
}

// dialOut connects to target on the real network, through the upstream
// proxy when there is one.
func (p *Proxy) dialOut(ctx context.Context, target string) (net.Conn, error) {
	d := net.Dialer{Timeout: dialTimeout}
	var via *url.URL
	if p.o.Upstream != nil {
		var err error
		if via, err = p.o.Upstream(&http.Request{Method: http.MethodConnect, URL: &url.URL{Scheme: "https", Host: target}}); err != nil {
			return nil, fmt.Errorf("the upstream proxy: %w", err)
		}
	}
	if via == nil {
		return d.DialContext(ctx, "tcp", target)
	}
	if via.Scheme != "http" {
		return nil, fmt.Errorf("the upstream proxy %s: only http:// proxies are supported", via.Redacted())
	}
	host, port := splitTarget(via.Host, "80")
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(dialTimeout))
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: target}, Host: target, Header: http.Header{}}
	if u := via.User; u != nil {
		pw, _ := u.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)))
	}
	br := bufio.NewReader(conn)
	resp, err := writeAndRead(conn, br, req)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("the upstream proxy %s: %w", via.Redacted(), err)
	}
	if resp.StatusCode != http.StatusOK {
		_ = conn.Close()
		return nil, fmt.Errorf("the upstream proxy %s answered CONNECT with %s", via.Redacted(), resp.Status)
	}
	_ = conn.SetDeadline(time.Time{})
	return &bufferedConn{Conn: conn, r: br}, nil
}

// writeAndRead sends a CONNECT request and reads the answer's header.
func writeAndRead(conn net.Conn, br *bufio.Reader, req *http.Request) (*http.Response, error) {
	if err := req.Write(conn); err != nil {
		return nil, err
	}
	return http.ReadResponse(br, req)
}

// passTunnel connects the client to target on the real network.
func (p *Proxy) passTunnel(w http.ResponseWriter, r *http.Request, target string) {
	up, err := p.dialOut(r.Context(), target)
	if err != nil {
		http.Error(w, fmt.Sprintf("otnsim intercept: cannot reach %s: %v", target, err), http.StatusBadGateway)
		return
	}
	conn, br, ok := p.hijack(w)
	if !ok {
		_ = up.Close()
		return
	}
	if !p.track(up) {
		_ = up.Close()
		_ = conn.Close()
		return
	}
	go func() {
		defer p.untrack(conn)
		defer p.untrack(up)
		done := make(chan struct{}, 2)
		go func() { _, _ = io.Copy(up, br); done <- struct{}{} }()
		go func() { _, _ = io.Copy(conn, up); done <- struct{}{} }()
		<-done
		_ = up.Close()
		_ = conn.Close()
		<-done
	}()
}

// forward answers a plain-HTTP proxy request (absolute-form URL).
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request) {
	// An https:// URL sent as a plain proxy request (as some Node clients
	// do) is served like its CONNECT tunnel would be.
	def := map[string]string{"http": "80", "https": "443"}[r.URL.Scheme]
	if def == "" {
		http.Error(w, "otnsim intercept: only http:// and https:// URLs are proxied", http.StatusBadRequest)
		return
	}
	host, port := splitTarget(r.URL.Host, def)
	target := net.JoinHostPort(host, port)
	r.Header.Del("Proxy-Connection")
	r.Header.Del("Proxy-Authorization")
	switch {
	case p.routes(host, port):
		p.serveGraph(w, r)
	case p.o.PassThrough && !IsGraphHost(host):
		p.passer.ServeHTTP(w, r)
	default:
		p.refuse(w, r.Method, host, target)
	}
}

// serveGraph hands a routed request to Graph.
func (p *Proxy) serveGraph(w http.ResponseWriter, r *http.Request) {
	p.served.Add(1)
	p.o.Graph.ServeHTTP(w, r)
}

// refuse answers 403 with a body that says why, and records the refusal.
func (p *Proxy) refuse(w http.ResponseWriter, method, host, target string) {
	ref := Refusal{Method: method, Target: target, Graph: IsGraphHost(host)}
	if ref.Graph {
		ref.Reason = "the real Graph API, which this run does not intercept (the bot should call OTNSIM_GRAPH_URL, or run otnsim with --intercept)"
	} else {
		ref.Reason = "not a Graph API host, and this run lets no other host through (--pass-through does)"
	}
	p.record(ref)
	w.Header().Set("X-Otnsim-Refused", "1")
	http.Error(w, "otnsim intercept: refused "+ref.String(), http.StatusForbidden)
}

// record files a refusal and tells whoever wants to know.
func (p *Proxy) record(ref Refusal) {
	p.mu.Lock()
	p.refused++
	if len(p.refusals) < maxRefusalsKept {
		p.refusals = append(p.refusals, ref)
	}
	p.mu.Unlock()
	if p.o.Logf != nil {
		p.o.Logf("otnsim intercept: refused %s", ref)
	}
	if p.o.OnRefuse != nil {
		p.o.OnRefuse(ref)
	}
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// bufferedConn reads what the proxy protocol's reader buffered first.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// connQueue is a net.Listener whose connections are the tunnels the proxy
// opened, for the inner server.
type connQueue struct {
	addr   net.Addr
	ch     chan net.Conn
	done   chan struct{}
	closed sync.Once
}

func newConnQueue(addr net.Addr) *connQueue {
	return &connQueue{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

// push hands c to the inner server, or closes it once the queue is closed.
func (q *connQueue) push(c net.Conn) {
	select {
	case q.ch <- c:
	case <-q.done:
		_ = c.Close()
	}
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.closed.Do(func() { close(q.done) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return q.addr }
