package fakegraph_test

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/sim/clock"
)

// Issue 17's reproducers for the clock, reset and token values.
var _ = Describe("the clock's range, reset and token values", func() {
	var e *env
	BeforeEach(func() { e = newEnv() })

	It("refuses an advance past the clock's range with a 400, and moves nothing", func() {
		for _, body := range []string{`{"by":"292y292y1y"}`, `{"by":"290y"}`, `{"to":"9999-12-31T00:00:00Z"}`, `{"to":"2263-01-01T00:00:00Z"}`} {
			r := e.raw("POST", ctl+"clock/advance", "application/json", []byte(body))
			Expect(r.Status).To(Equal(400), body+": "+string(r.Raw))
			Expect(e.clock.Now()).To(Equal(epoch), body)
		}
		r := e.raw("POST", ctl+"clock/advance", "application/json", []byte(`{"to":"2262-01-01T00:00:00Z"}`))
		Expect(r.Status).To(Equal(200), string(r.Raw))
		Expect(e.clock.Now()).To(Equal(clock.Latest))
	})

	It("answers the ledger with a whole JSON body at the end of the range", func() {
		tok := e.optIn("111", "t")
		e.clock.Advance(math.MaxInt64) // clamped at clock.Latest
		Expect(e.clock.Now()).To(Equal(clock.Latest))
		Expect(e.send(tokenSend(tok, "x")).Status).To(Equal(400), "expired by then")
		r := e.raw("GET", ctl+"ledger", "", nil)
		Expect(r.Status).To(Equal(200))
		Expect(r.Body).To(HaveKey("tokens"))
	})

	It("answers a value it cannot encode with a Graph error 500, not a 200 with an empty body", func() {
		rec := httptest.NewRecorder()
		fakegraph.WriteJSON(rec, 200, map[string]any{"at": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)})
		Expect(rec.Code).To(Equal(500))
		var env struct {
			Error struct {
				Message string `json:"message"`
				Code    int    `json:"code"`
			} `json:"error"`
		}
		Expect(json.Unmarshal(rec.Body.Bytes(), &env)).To(Succeed())
		Expect(env.Error.Code).To(Equal(1))
		Expect(env.Error.Message).To(ContainSubstring("could not encode"))
	})

	It("puts the clock back at its start on reset, and never issues a token value twice", func() {
		before := e.optIn("111", "t")
		e.clock.Advance(48 * time.Hour)
		r := e.raw("POST", ctl+"reset", "application/json", nil)
		Expect(r.Status).To(Equal(200))
		Expect(e.clock.Now()).To(Equal(epoch))
		Expect(e.graph.AddUser(fakegraph.User{PSID: "111", Region: "US"})).To(Succeed())
		after := e.optIn("111", "t")
		Expect(after).NotTo(Equal(before), "the same value again would make a stale token valid")
		Expect(e.send(tokenSend(before, "x")).Status).To(Equal(400), "the token from before the reset stays dead")
		Expect(e.send(tokenSend(after, "x")).Status).To(Equal(200))
	})

	It("issues the same tokens for the same seed, and others with a nonce", func() {
		issue := func(nonce uint64) string {
			g := fakegraph.New(fakegraph.Config{Clock: clock.NewVirtual(epoch), Seed: 7, Nonce: nonce})
			o := &env{clock: e.clock, graph: g, client: &http.Client{Transport: g.MockTransport()}}
			Expect(g.AddUser(fakegraph.User{PSID: "111"})).To(Succeed())
			return o.optIn("111", "t")
		}
		Expect(issue(0)).To(Equal(issue(0)))
		Expect(issue(0)).NotTo(Equal(issue(99)))
	})
})

// Issue 17: the loopback control API took a text/plain POST from any
// Origin or Host (CSRF and DNS rebinding).
var _ = Describe("the control API of a loopback server without a key", func() {
	call := func(g *fakegraph.Server, host, origin string, hdr ...string) int {
		req := httptest.NewRequest("POST", "http://"+host+"/otnsim/v1/clock/advance", strings.NewReader(`{"by":"1h"}`))
		req.Host = host
		req.Header.Set("Content-Type", "text/plain")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		return rec.Code
	}

	It("answers only its own loopback names, and pages of its own origin", func() {
		g := fakegraph.New(fakegraph.Config{Clock: clock.NewVirtual(epoch), LoopbackAddr: "127.0.0.1:8787"})
		Expect(call(g, "127.0.0.1:8787", "")).To(Equal(200))
		Expect(call(g, "localhost:8787", "")).To(Equal(200))
		Expect(call(g, "127.0.0.1:8787", "http://localhost:8787")).To(Equal(200))
		Expect(call(g, "evil.example:8787", "")).To(Equal(403), "a rebound DNS name")
		Expect(call(g, "127.0.0.1:9999", "")).To(Equal(403), "another port")
		Expect(call(g, "127.0.0.1:8787", "http://evil.example")).To(Equal(403), "another site's page")
		Expect(call(g, "127.0.0.1:8787", "null")).To(Equal(403), "a sandboxed page")
		Expect(call(g, "127.0.0.1:8787", "https://127.0.0.1:8787")).To(Equal(403), "another scheme")
		Expect(g.Now()).To(Equal(epoch.Add(3*time.Hour)), "only the three allowed calls moved the clock")
	})

	It("takes any Host and Origin with the control key, and checks nothing in process", func() {
		g := fakegraph.New(fakegraph.Config{Clock: clock.NewVirtual(epoch), ControlKey: "k"})
		Expect(call(g, "evil.example:8787", "http://evil.example")).To(Equal(401))
		Expect(call(g, "evil.example:8787", "http://evil.example", "Authorization", "Bearer k")).To(Equal(200))
		open := fakegraph.New(fakegraph.Config{Clock: clock.NewVirtual(epoch)})
		Expect(call(open, "graph.facebook.com", "")).To(Equal(200))
	})
})
