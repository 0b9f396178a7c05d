package loopback

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Transport is a lean HTTP/1.1 client for loopback servers: plain-text
// keep-alive connections to loopback servers, each request written and its
// response read on the caller's goroutine. net/http's Transport spends two
// goroutines and several channel hand-offs on every round trip, which on a
// loopback load run costs more than the handlers; the bytes on the wire are
// the same (requests go out through http.Request.Write and responses come
// back through http.ReadResponse).
type Transport struct {
	mu     sync.Mutex
	idle   map[string][]*leanConn // by host:port
	closed bool
	// maxIdle is the most idle connections kept per host.
	maxIdle int
	// timeout bounds a round trip whose request carries no deadline: the
	// connection's own deadline does what http.Client.Timeout would, without
	// a context and a timer per request.
	timeout time.Duration
}

type leanConn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

func NewTransport(maxIdle int) *Transport {
	return &Transport{idle: map[string][]*leanConn{}, maxIdle: maxIdle, timeout: time.Minute}
}

// ErrClosed is returned for requests after the transport was closed.
var ErrClosed = errors.New("loopback transport closed")

// RoundTrip sends req on an idle connection to its host, or a new one.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil || req.URL.Scheme != "http" {
		closeBody(req)
		return nil, fmt.Errorf("loopback transport speaks plain http only, not %q", req.URL)
	}
	addr := req.URL.Host
	if req.URL.Port() == "" {
		addr = net.JoinHostPort(req.URL.Hostname(), "80")
	}
	for attempt := 0; ; attempt++ {
		lc, reused, err := t.conn(addr)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		resp, err := t.exchange(addr, lc, req)
		if err == nil {
			return resp, nil
		}
		_ = lc.c.Close()
		// As net/http does: a request that is safe to repeat gets one more
		// try when a kept-alive connection turned out to be dead.
		if !reused || attempt > 0 || !replayable(req) {
			return nil, err
		}
		if req.GetBody != nil {
			body, gerr := req.GetBody()
			if gerr != nil {
				return nil, err
			}
			req.Body = body
		}
	}
}

func replayable(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	}
	return false
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// exchange writes req and reads the response head; the body stays on the
// connection until the caller reads or closes it.
func (t *Transport) exchange(addr string, lc *leanConn, req *http.Request) (*http.Response, error) {
	deadline, ok := req.Context().Deadline()
	if !ok {
		deadline = time.Now().Add(t.timeout)
	}
	if err := lc.c.SetDeadline(deadline); err != nil {
		closeBody(req)
		return nil, fmt.Errorf("load: set deadline: %w", err)
	}
	if err := req.Write(lc.bw); err != nil {
		return nil, fmt.Errorf("load: write request: %w", err)
	}
	if err := lc.bw.Flush(); err != nil {
		return nil, fmt.Errorf("load: write request: %w", err)
	}
	resp, err := http.ReadResponse(lc.br, req)
	if err != nil {
		if cerr := req.Context().Err(); cerr != nil {
			return nil, fmt.Errorf("load: read response: %w", cerr)
		}
		return nil, fmt.Errorf("load: read response: %w", err)
	}
	keep := !resp.Close && !req.Close
	if resp.Body == http.NoBody || resp.ContentLength == 0 {
		t.release(addr, lc, keep)
		return resp, nil
	}
	resp.Body = &leanBody{rc: resp.Body, t: t, lc: lc, key: addr, keep: keep}
	return resp, nil
}

func (t *Transport) conn(addr string) (*leanConn, bool, error) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, false, ErrClosed
	}
	if l := t.idle[addr]; len(l) > 0 {
		lc := l[len(l)-1]
		t.idle[addr] = l[:len(l)-1]
		t.mu.Unlock()
		return lc, true, nil
	}
	t.mu.Unlock()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, false, fmt.Errorf("load: dial %s: %w", addr, err)
	}
	return &leanConn{c: c, br: bufio.NewReaderSize(c, 4096), bw: bufio.NewWriterSize(c, 4096)}, false, nil
}

// release returns lc to the idle list, or closes it.
func (t *Transport) release(key string, lc *leanConn, keep bool) {
	if keep {
		t.mu.Lock()
		if !t.closed && len(t.idle[key]) < t.maxIdle {
			t.idle[key] = append(t.idle[key], lc)
			t.mu.Unlock()
			return
		}
		t.mu.Unlock()
	}
	_ = lc.c.Close()
}

// CloseIdleConnections closes every idle connection and refuses new requests.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle, t.closed = map[string][]*leanConn{}, true
	t.mu.Unlock()
	for _, l := range idle {
		for _, lc := range l {
			_ = lc.c.Close()
		}
	}
}

// leanBody hands its connection back once the body has been read to the end.
type leanBody struct {
	rc   io.ReadCloser
	t    *Transport
	lc   *leanConn
	key  string
	keep bool
	done bool
}

func (b *leanBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.finish(true)
	} else if err != nil {
		b.finish(false)
	}
	return n, err
}

// Close drains a small unread rest so the connection can be kept.
func (b *leanBody) Close() error {
	if b.done {
		return nil
	}
	_, err := io.Copy(io.Discard, io.LimitReader(b.rc, 64<<10))
	if err == nil {
		var one [1]byte
		if _, err = b.rc.Read(one[:]); err == io.EOF {
			b.finish(true)
			return nil
		}
	}
	b.finish(false)
	return nil
}

func (b *leanBody) finish(ok bool) {
	b.done = true
	_ = b.rc.Close()
	b.t.release(b.key, b.lc, ok && b.keep)
}
