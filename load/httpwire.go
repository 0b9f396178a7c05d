package load

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/otnsim/otnsim/internal/httpbody"
	"github.com/otnsim/otnsim/load/report"
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
