package sim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// HandlerTransport returns a RoundTripper that answers each request by
// calling h in the caller's goroutine: no sockets, no goroutines. It is how
// a Direct world's fakegraph and bot reach each other.
func HandlerTransport(h http.Handler) http.RoundTripper { return handlerTransport{h: h} }

type handlerTransport struct{ h http.Handler }

// ErrDropped is what a HandlerTransport returns when the handler drops the
// connection (panics with http.ErrAbortHandler, as fakegraph's drop fault
// does), the way a client sees a connection closed without an answer.
var ErrDropped = errors.New("connection closed before an answer")

func (t handlerTransport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	if req.Body == nil {
		req.Body = http.NoBody
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				panic(p)
			}
			resp, err = nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, ErrDropped)
		}
	}()
	t.h.ServeHTTP(rec, req)
	return &http.Response{
		Status:        http.StatusText(rec.status),
		StatusCode:    rec.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.header,
		Body:          io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		ContentLength: int64(rec.body.Len()),
		Request:       req,
	}, nil
}

// recorder is a lighter http.ResponseWriter than httptest's.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
