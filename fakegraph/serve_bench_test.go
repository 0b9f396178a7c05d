package fakegraph_test

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/internal/servebench"
	"github.com/otnsim/otnsim/sim/clock"
)

// BenchmarkServeLoopback compares fakegraph with a bare net/http handler
// that answers the same success body without judging anything
// (servebench.Bare), both served over loopback HTTP in this process: 8 and
// 64 keep-alive connections, each a client posting in-window text sends
// to one subscriber as fast as it is answered (rate limits off). Each
// sub-benchmark reports req/s and the 99th percentile latency (p99-ms);
// compare otnsim with bare at the same connection count.
func BenchmarkServeLoopback(b *testing.B) {
	servers := []struct {
		name    string
		handler func() http.Handler
	}{
		{"otnsim", func() http.Handler { return benchGraph() }},
		{"bare", servebench.Bare},
	}
	for _, conns := range []int{8, 64} {
		for _, srv := range servers {
			b.Run(fmt.Sprintf("conns=%d/server=%s", conns, srv.name), func(b *testing.B) {
				benchLoopback(b, srv.handler(), conns)
			})
		}
	}
}

// BenchmarkServeHandler measures the Send API handler alone, with no
// network: one in-window text send through ServeHTTP, beside the bare
// handler for the same request.
func BenchmarkServeHandler(b *testing.B) {
	for _, srv := range []struct {
		name string
		h    http.Handler
	}{{"otnsim", benchGraph()}, {"bare", servebench.Bare()}} {
		b.Run("server="+srv.name, func(b *testing.B) {
			url := "http://127.0.0.1" + servebench.SendPath + "?access_token=" + fakegraph.DefaultPage().AccessToken
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest(http.MethodPost, url, strings.NewReader(servebench.SendBody))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				srv.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("send: %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// benchGraph is a fakegraph whose subscriber servebench.PSID has its window
// open, with the rate limits off (every call comes at one virtual instant).
func benchGraph() *fakegraph.Server {
	set := fakegraph.DefaultSettings()
	set.RateLimit.Disabled = true
	g := fakegraph.New(fakegraph.Config{Clock: clock.NewVirtual(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)), Seed: 1, Settings: set})
	if err := g.AddUser(fakegraph.User{PSID: servebench.PSID}); err != nil {
		panic(err)
	}
	if _, err := g.UserMessage(servebench.PSID, "hi"); err != nil {
		panic(err)
	}
	return g
}

// benchLoopback serves h over loopback and posts b.N sends to it from conns
// connections, each written as wrk would (one pre-built HTTP/1.1 request,
// the answer read before the next), then reports req/s and p99-ms.
func benchLoopback(b *testing.B, h http.Handler, conns int) {
	srv := httptest.NewServer(h)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	req := []byte("POST " + servebench.SendPath + "?access_token=" + fakegraph.DefaultPage().AccessToken + " HTTP/1.1\r\nHost: " + host +
		"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(servebench.SendBody)) + "\r\n\r\n" + servebench.SendBody)
	var next atomic.Int64
	lat := make([][]time.Duration, conns)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", host)
			if err != nil {
				b.Error(err)
				return
			}
			defer conn.Close()
			br := bufio.NewReaderSize(conn, 4096)
			mine := make([]time.Duration, 0, b.N/conns+1)
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if _, err := conn.Write(req); err != nil {
					b.Error(err)
					return
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			lat[c] = mine
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	p99 := all[int(math.Ceil(0.99*float64(len(all))))-1]
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(p99)/float64(time.Millisecond), "p99-ms")
}
