package fakegraph_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/sim/clock"
)

// BenchmarkSendWithToken measures an in-process Send API call that spends a
// one-time notification token (issuing the token is not timed).
func BenchmarkSendWithToken(b *testing.B) {
	c := clock.NewVirtual(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	set := fakegraph.DefaultSettings()
	set.RateLimit.Disabled = true // every call happens at one virtual instant
	g := fakegraph.New(fakegraph.Config{Clock: c, Seed: 1, Settings: set})
	_ = g.AddUser(fakegraph.User{PSID: "111"})
	_, _ = g.UserMessage("111", "hi")
	url := "https://graph.facebook.com/v19.0/me/messages?access_token=" + fakegraph.DefaultPage().AccessToken
	reqBody := []byte(`{"recipient":{"id":"111"},"messaging_type":"RESPONSE","message":{"attachment":{"type":"template","payload":{"template_type":"one_time_notif_req","title":"Back in stock","payload":"t"}}}}`)
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, httptest.NewRequest("POST", url, bytes.NewReader(reqBody)))
	tokens := make([]string, b.N)
	for i := range tokens {
		tok, _, err := g.NotifyMe("111", "t")
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = tok
	}
	bodies := make([][]byte, b.N)
	for i, t := range tokens {
		bodies[i] = []byte(fmt.Sprintf(`{"recipient":{"one_time_notif_token":%q},"message":{"text":"Back in stock!"}}`, t))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, url, bytes.NewReader(bodies[i])))
		if rec.Code != 200 {
			b.Fatalf("send: %d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkSendLoopback measures Send API throughput over real loopback HTTP
// (keep-alive connections, parallel clients); it reports calls/s.
func BenchmarkSendLoopback(b *testing.B) {
	c := clock.NewVirtual(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	set := fakegraph.DefaultSettings()
	set.RateLimit.Disabled = true
	g := fakegraph.New(fakegraph.Config{Clock: c, Seed: 1, Settings: set})
	_ = g.AddUser(fakegraph.User{PSID: "111"})
	_, _ = g.UserMessage("111", "hi")
	srv := httptest.NewServer(g)
	defer srv.Close()
	url := srv.URL + "/v19.0/me/messages?access_token=" + fakegraph.DefaultPage().AccessToken
	body := []byte(`{"recipient":{"id":"111"},"messaging_type":"RESPONSE","message":{"text":"Back in stock!"}}`)
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
}

// BenchmarkSendLoopbackRaw measures the server's Send API throughput over
// loopback with a lean load generator (pre-built HTTP/1.1 requests on
// keep-alive connections, as wrk or hey would send them), so the figure is
// not dominated by net/http's client; it reports calls/s.
func BenchmarkSendLoopbackRaw(b *testing.B) {
	c := clock.NewVirtual(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	set := fakegraph.DefaultSettings()
	set.RateLimit.Disabled = true
	g := fakegraph.New(fakegraph.Config{Clock: c, Seed: 1, Settings: set})
	_ = g.AddUser(fakegraph.User{PSID: "111"})
	_, _ = g.UserMessage("111", "hi")
	srv := httptest.NewServer(g)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	body := `{"recipient":{"id":"111"},"messaging_type":"RESPONSE","message":{"text":"Back in stock!"}}`
	req := []byte("POST /v19.0/me/messages?access_token=" + fakegraph.DefaultPage().AccessToken + " HTTP/1.1\r\nHost: " + host +
		"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close()
		br := bufio.NewReaderSize(conn, 4096)
		for pb.Next() {
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
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
}

// BenchmarkNew measures making a Server: scenario runs and the fuzz test
// make one per world, so its metrics must cost nothing until scraped.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = fakegraph.New(fakegraph.Config{Seed: 1})
	}
}
