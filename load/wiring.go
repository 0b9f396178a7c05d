package load

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/reference"
)

// inProcess wires the bot and fakegraph by direct handler calls: no sockets,
// no goroutines.
type inProcess struct{ bot *reference.Bot }

func wireInProcess(w *world) (wiring, error) {
	botClient := &http.Client{Transport: handlerTransport{h: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.bot.ServeHTTP(rw, r)
	})}}
	w.graph = fakegraph.New(fakegraph.Config{
		Clock:   w.clk,
		Seed:    subscriberSeed(w.opts.Seed, w.base),
		Webhook: fakegraph.Webhook{URL: "http://bot.otnsim.invalid/webhook", Client: botClient},
	})
	w.obs.next = w.opts.wrapGraph(w.graph)
	bot, err := reference.New(w.botConfig(fakegraph.DefaultGraphURL, &http.Client{Transport: handlerTransport{h: w.obs}}))
	if err != nil {
		return nil, err
	}
	w.bot = bot
	return inProcess{bot: w.bot}, nil
}

func (p inProcess) trigger(name string, data json.RawMessage) error { return p.bot.Trigger(name, data) }
func (inProcess) close()                                            {}

// handlerTransport answers a client's requests by calling a handler in
// process, with a lighter recorder than httptest's.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil {
		req.Body = http.NoBody
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
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
