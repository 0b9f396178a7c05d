package load

import (
	"bytes"
	"container/heap"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/internal/loopback"
	"github.com/otnsim/otnsim/load/profile"
	"github.com/otnsim/otnsim/sim"
	"github.com/otnsim/otnsim/sim/clock"
)

// benchSizes are the population sizes of BenchmarkLoadRun; set
// OTNSIM_BENCH_SUBSCRIBERS=10000,100000,1000000 for the full sweep.
func benchSizes() []int {
	spec := os.Getenv("OTNSIM_BENCH_SUBSCRIBERS")
	if spec == "" {
		spec = "10000,100000"
	}
	var out []int
	for _, f := range strings.Split(spec, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// BenchmarkLoadRun is the whole in-process load run, 30 virtual days, with
// the default profile. ns/subscriber should stay flat as the population grows.
func BenchmarkLoadRun(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var events int64
			for i := 0; i < b.N; i++ {
				r, err := Run(NewOptions(n, 30, 1))
				if err != nil || !r.Passed() {
					b.Fatalf("run: %v %v", err, r.Violations)
				}
				events = r.Counters.Events
			}
			per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(per/float64(n), "ns/subscriber")
			b.ReportMetric(float64(events)*1e9/per, "events/s")
		})
	}
}

// BenchmarkLoadRunHTTP is the load run over loopback HTTP; it reports Send
// API calls per second.
func BenchmarkLoadRunHTTP(b *testing.B) {
	b.ReportAllocs()
	var calls int64
	for i := 0; i < b.N; i++ {
		o := NewOptions(5000, 30, 1)
		o.Engine = HTTP
		r, err := Run(o)
		if err != nil || !r.Passed() {
			b.Fatalf("run: %v", err)
		}
		calls = r.Counters.SendCalls
	}
	b.ReportMetric(float64(calls)*float64(b.N)/b.Elapsed().Seconds(), "sends/s")
}

// BenchmarkLoadRunHTTPStorm is the --http run of the campaign-storm
// profile (hourly broadcasts, one virtual day): mostly the bot's own Send
// API calls, back to back, so sends/s is the loopback throughput.
func BenchmarkLoadRunHTTPStorm(b *testing.B) {
	p, err := profile.Load("profiles/campaign-storm.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var calls int64
	for i := 0; i < b.N; i++ {
		o := NewOptions(5000, 1, 1)
		o.Engine, o.Profile, o.ProfileName = HTTP, p, "campaign-storm"
		r, err := Run(o)
		if err != nil || !r.Passed() {
			b.Fatalf("run: %v", err)
		}
		calls = r.Counters.SendCalls
	}
	b.ReportMetric(float64(calls)*float64(b.N)/b.Elapsed().Seconds(), "sends/s")
}

// benchWorld is one in-process world with a single subscriber.
func benchWorld(b *testing.B) *world {
	o := NewOptions(1, 30, 1)
	if err := o.check(); err != nil {
		b.Fatal(err)
	}
	w, err := newWorld(&o, 0, 1, sim.ReferenceBot(o.Profile.Bot), nil)
	if err != nil {
		b.Fatal(err)
	}
	w.pop.person(0, &w.subs[0])
	w.psids[0] = psidOf(0)
	w.index[w.psids[0]] = 0
	if err := w.graph.AddUser(fakegraph.User{PSID: w.psids[0]}); err != nil {
		b.Fatal(err)
	}
	return w
}

// BenchmarkReferenceDispatch is one subscriber message through fakegraph's
// webhook, the reference bot's dispatch and its Send API answer (an OTN
// request), all in process.
func BenchmarkReferenceDispatch(b *testing.B) {
	w := benchWorld(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.graph.UserMessage(w.psids[0], "Is the Red Lipstick back in stock?"); err != nil {
			b.Fatal(err)
		}
		w.drain()
	}
}

// BenchmarkGraphSend is one Send API call through the engine's in-process
// transport and observer into fakegraph (rate limits off: the clock stands
// still, as in a load run between two actions).
func BenchmarkGraphSend(b *testing.B) {
	o := NewOptions(1, 30, 1)
	if err := o.check(); err != nil {
		b.Fatal(err)
	}
	clk := clock.NewVirtual(o.Profile.Start)
	set := fakegraph.DefaultSettings()
	set.RateLimit.Disabled = true
	graph := fakegraph.New(fakegraph.Config{Clock: clk, Settings: set, Seed: 1})
	psid := psidOf(0)
	if err := graph.AddUser(fakegraph.User{PSID: psid}); err != nil {
		b.Fatal(err)
	}
	if _, err := graph.UserMessage(psid, "hi"); err != nil {
		b.Fatal(err)
	}
	obs := &observer{clk: clk, next: graph}
	client := &http.Client{Transport: sim.HandlerTransport(obs)}
	url := fakegraph.DefaultGraphURL + "/v19.0/me/messages?access_token=" + fakegraph.DefaultPage().AccessToken
	body := []byte(`{"recipient":{"id":"` + psid + `"},"messaging_type":"UPDATE","message":{"text":"hello"}}`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatalf("send: %v", err)
		}
		if resp.StatusCode != 200 {
			msg, _ := io.ReadAll(resp.Body)
			b.Fatalf("send %d: HTTP %d: %s", i, resp.StatusCode, msg)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		if i%1024 == 1023 {
			obs.take()
		}
	}
}

// BenchmarkActionQueue is one subscriber action scheduled and taken from the
// engine's heap of next-action times (100,000 subscribers queued).
func BenchmarkActionQueue(b *testing.B) {
	var h actionHeap
	for i := range 100000 {
		heap.Push(&h, entry{at: int64(i*7919) % 1000003, sub: int32(i)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := heap.Pop(&h).(entry)
		e.at += 1000003
		heap.Push(&h, e)
	}
}

// BenchmarkSubscriberGeneration is one subscriber drawn from the seed and
// index (gofakeit names, region, timezone, rate).
func BenchmarkSubscriberGeneration(b *testing.B) {
	o := NewOptions(1, 30, 1)
	if err := o.check(); err != nil {
		b.Fatal(err)
	}
	pop := newPopulation(1, o.Profile)
	var s subscriber
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		pop.person(i, &s)
	}
}

// BenchmarkHTTPSendParallel is fakegraph's Send API alone over loopback:
// many keep-alive clients posting in-window messages at once. It bounds
// what the --http engine can reach, which also carries every webhook.
func BenchmarkHTTPSendParallel(b *testing.B) {
	w := benchWorld(b)
	if _, err := w.graph.UserMessage(w.psids[0], "hi"); err != nil {
		b.Fatal(err)
	}
	tr := loopback.NewTransport(256)
	srv, base, err := loopback.Serve(w.graph)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	url := base + "/v19.0/me/messages?access_token=" + fakegraph.DefaultPage().AccessToken
	body := []byte(`{"recipient":{"id":"` + w.psids[0] + `"},"messaging_type":"UPDATE","message":{"text":"hello"}}`)
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
}
