package loopback

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/otnsim/otnsim/internal/httpserver"
)

// Server serves a handler over HTTP/1.1 keep-alive connections on a
// loopback listener: one goroutine per connection
// reads a request, runs the handler with a buffered response and writes the
// answer with its Content-Length. net/http's server adds a background read,
// a cancellable context and a second buffer per request, which on a
// loopback load run cost as much as the handlers' work. A connection gets
// the same bounds as every other otnsim server (package httpserver): idle
// between requests, reading a request, writing its answer.
type Server struct {
	ln net.Listener
	h  http.Handler
	t  timeouts

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// Serve serves h on a fresh loopback port until Close and returns the
// server with its base URL ("http://127.0.0.1:PORT").
func Serve(h http.Handler) (*Server, string, error) {
	return serve(h, timeouts{idle: httpserver.IdleTimeout, read: httpserver.ReadTimeout, write: httpserver.WriteTimeout})
}

// timeouts bounds a connection's phases: waiting for the next request,
// reading one (headers and body), and writing its answer.
type timeouts struct{ idle, read, write time.Duration }

func serve(h http.Handler, t timeouts) (*Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("listen on loopback: %w", err)
	}
	s := &Server{ln: ln, h: h, t: t, conns: map[net.Conn]struct{}{}}
	go s.serve()
	return s, "http://" + ln.Addr().String(), nil
}

// serve accepts connections until the listener closes.
func (s *Server) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		if !s.track(c, true) {
			_ = c.Close()
			return
		}
		go s.serveConn(c)
	}
}

func (s *Server) track(c net.Conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.closed {
			return false
		}
		s.conns[c] = struct{}{}
		return true
	}
	delete(s.conns, c)
	return true
}

// Close stops accepting and closes every connection.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	conns := s.conns
	s.conns = map[net.Conn]struct{}{}
	s.mu.Unlock()
	_ = s.ln.Close()
	for c := range conns {
		_ = c.Close()
	}
}

func (s *Server) serveConn(c net.Conn) {
	br := bufio.NewReaderSize(c, 4096)
	bw := bufio.NewWriterSize(c, 4096)
	rw := &leanResponse{header: http.Header{}}
	hijacked := false
	remote := c.RemoteAddr().String()
	defer func() {
		if !hijacked {
			s.track(c, false)
			_ = c.Close()
		}
	}()
	for {
		// Idle until the next request's first byte, then a bounded read.
		if c.SetReadDeadline(time.Now().Add(s.t.idle)) != nil {
			return
		}
		if _, err := br.Peek(1); err != nil {
			return
		}
		if c.SetReadDeadline(time.Now().Add(s.t.read)) != nil {
			return
		}
		req, err := http.ReadRequest(br)
		if err != nil {
			var ne net.Error
			if !errors.Is(err, io.EOF) && !(errors.As(err, &ne) && ne.Timeout()) {
				_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
			}
			return
		}
		req.RemoteAddr = remote
		rw.reset(c, br, bw)
		if !s.run(rw, req) {
			return
		}
		if rw.hijacked {
			hijacked = true
			s.track(c, false)
			return
		}
		// What the handler left of the body goes, so the next request starts clean.
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return
		}
		_ = req.Body.Close()
		keep := !req.Close
		if c.SetWriteDeadline(time.Now().Add(s.t.write)) != nil {
			return
		}
		if err := rw.writeTo(bw, req, keep); err != nil || bw.Flush() != nil || !keep {
			return
		}
	}
}

// run calls the handler; a panic (http.ErrAbortHandler included) drops the
// connection, as net/http does.
func (s *Server) run(rw *leanResponse, req *http.Request) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
		}
	}()
	s.h.ServeHTTP(rw, req)
	return true
}

// leanResponse buffers one response.
type leanResponse struct {
	header   http.Header
	status   int
	wrote    bool
	body     bytes.Buffer
	hijacked bool
	conn     net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
}

func (r *leanResponse) reset(c net.Conn, br *bufio.Reader, bw *bufio.Writer) {
	clear(r.header)
	r.status, r.wrote, r.hijacked = http.StatusOK, false, false
	r.body.Reset()
	r.conn, r.br, r.bw = c, br, bw
}

func (r *leanResponse) Header() http.Header { return r.header }

func (r *leanResponse) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}

func (r *leanResponse) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}

// Hijack hands the connection to the handler (fakegraph's dropped-connection
// fault closes it).
func (r *leanResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	r.hijacked = true
	return r.conn, bufio.NewReadWriter(r.br, r.bw), nil
}

func (r *leanResponse) writeTo(bw *bufio.Writer, req *http.Request, keep bool) error {
	bodyAllowed := r.status >= 200 && r.status != http.StatusNoContent && r.status != http.StatusNotModified
	if bodyAllowed && r.body.Len() > 0 && r.header.Get("Content-Type") == "" {
		r.header.Set("Content-Type", http.DetectContentType(r.body.Bytes()))
	}
	r.header.Del("Content-Length")
	r.header.Del("Transfer-Encoding")
	if !keep {
		r.header.Set("Connection", "close")
	}
	var num [20]byte
	_, _ = bw.WriteString("HTTP/1.1 ")
	_, _ = bw.Write(strconv.AppendInt(num[:0], int64(r.status), 10))
	_ = bw.WriteByte(' ')
	_, _ = bw.WriteString(http.StatusText(r.status))
	_, _ = bw.WriteString("\r\n")
	if err := r.header.Write(bw); err != nil {
		return err
	}
	if bodyAllowed {
		_, _ = bw.WriteString("Content-Length: ")
		_, _ = bw.Write(strconv.AppendInt(num[:0], int64(r.body.Len()), 10))
		_, _ = bw.WriteString("\r\n")
	}
	_, _ = bw.WriteString("\r\n")
	if bodyAllowed && req.Method != http.MethodHead {
		_, err := bw.Write(r.body.Bytes())
		return err
	}
	return nil
}
