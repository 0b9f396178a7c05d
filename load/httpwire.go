package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/internal/httpbody"
	"github.com/otnsim/otnsim/load/report"
	"github.com/otnsim/otnsim/reference"
)

// histogram is an HDR histogram of Send API round trips, safe for the bot's
// goroutines.
type histogram struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
}

func newHistogram() *histogram { return &histogram{h: report.NewHistogram()} }

func (h *histogram) record(d time.Duration) {
	h.mu.Lock()
	report.RecordDuration(h.h, d)
	h.mu.Unlock()
}

// timed measures each Send API round trip of the bot's client; its other
// Graph calls (the page's privacy flag, the clock) pass through unmeasured.
type timed struct {
	next http.RoundTripper
	h    *histogram
}

func (t timed) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || !strings.HasSuffix(req.URL.Path, "/messages") {
		return t.next.RoundTrip(req)
	}
	began := time.Now()
	resp, err := t.next.RoundTrip(req)
	if err == nil {
		// The call is complete once its body is read; bodies are small.
		b, rerr := httpbody.Read(resp.Body, resp.ContentLength, math.MaxInt64)
		_ = resp.Body.Close()
		if rerr != nil {
			return nil, fmt.Errorf("read send API response: %w", rerr)
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
	}
	t.h.record(time.Since(began))
	return resp, err
}

// loopback serves fakegraph and the bot on loopback listeners; they talk
// over real HTTP.
type loopback struct {
	servers   []*leanServer
	transport *leanTransport
	client    *http.Client
	botURL    string
	now       func() time.Time
	pageID    string
}

func wireHTTP(w *world, h *histogram) (wiring, error) {
	lb := &loopback{transport: newLeanTransport(64)}
	lb.client = &http.Client{Transport: lb.transport} // the transport times out after a minute
	graphURL, err := lb.serve(w.obs)
	if err != nil {
		return nil, err
	}
	botURL, err := lb.serve(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { w.bot.ServeHTTP(rw, r) }))
	if err != nil {
		lb.close()
		return nil, err
	}
	lb.botURL = botURL
	lb.now = w.clk.Now
	w.graph = fakegraph.New(fakegraph.Config{
		Clock:   w.clk,
		Seed:    subscriberSeed(w.opts.Seed, w.base),
		Webhook: fakegraph.Webhook{URL: botURL + "/webhook", Client: lb.client},
	})
	lb.pageID = w.graph.Page().ID
	w.obs.next = w.opts.wrapGraph(w.graph)
	bot, err := reference.New(w.botConfig(graphURL, &http.Client{Transport: timed{next: lb.transport, h: h}}))
	if err != nil {
		lb.close()
		return nil, err
	}
	w.bot = bot
	return lb, nil
}

func (lb *loopback) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listen on loopback: %w", err)
	}
	srv := newLeanServer(ln, h)
	lb.servers = append(lb.servers, srv)
	go srv.serve()
	return "http://" + ln.Addr().String(), nil
}

func (lb *loopback) trigger(name string, data json.RawMessage) error {
	// As the external bot contract has it, less psids: a chunk's thousands
	// of subscribers would only make the body large.
	body, err := json.Marshal(map[string]any{"trigger": name, "data": data,
		"now": lb.now().UTC().Format(time.RFC3339Nano), "page_id": lb.pageID})
	if err != nil {
		return fmt.Errorf("trigger %s: %w", name, err)
	}
	resp, err := lb.client.Post(lb.botURL+"/otnsim/trigger", "application/json", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("trigger %s: %w", name, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("trigger %s: bot answered HTTP %d: %s", name, resp.StatusCode, bytes.TrimSpace(msg))
	}
	return nil
}

func (lb *loopback) close() {
	for _, s := range lb.servers {
		s.close()
	}
	lb.transport.CloseIdleConnections()
}
