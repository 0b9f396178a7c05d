package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/platform"
)

// served is one `otnsim serve` running on a loopback port.
type served struct {
	base   string
	out    *gbytes.Buffer
	cancel context.CancelFunc
	exit   chan int
}

func startServe(args ...string) *served {
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{out: gbytes.NewBuffer(), cancel: cancel, exit: make(chan int, 1)}
	ready := make(chan string, 1)
	go func() {
		s.exit <- serve(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), s.out, s.out, func(a string) { ready <- a })
	}()
	select {
	case a := <-ready:
		s.base = "http://" + a
	case code := <-s.exit:
		Fail("serve exited early with " + string(rune('0'+code)) + ": " + string(s.out.Contents()))
	}
	DeferCleanup(func() {
		s.cancel()
		Eventually(s.exit).Should(Receive(Equal(0)))
	})
	return s
}

// call makes one HTTP call and decodes the JSON answer.
func (s *served) call(method, path, body string, hdr ...string) (int, map[string]any) {
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	Expect(json.Unmarshal(raw, &out)).To(Succeed(), string(raw))
	return resp.StatusCode, out
}

// get makes one HTTP GET and returns the status and the body as text.
func (s *served) get(path string, hdr ...string) (int, string) {
	req, err := http.NewRequest("GET", s.base+path, nil)
	Expect(err).NotTo(HaveOccurred())
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func errCode(body map[string]any) float64 {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(float64)
	return c
}

// recorder is a bot's webhook endpoint that keeps what it receives.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
	sigs   []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodGet {
		// The verification handshake on start: not an event.
		_, _ = w.Write([]byte(req.URL.Query().Get("hub.challenge")))
		return
	}
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies = append(r.bodies, b)
	r.sigs = append(r.sigs, req.Header.Get("X-Hub-Signature-256"))
	r.mu.Unlock()
}

var _ = Describe("otnsim serve", func() {
	send := "/v19.0/me/messages?access_token=" + fakegraph.DefaultPage().AccessToken

	It("carries a whole OTN life over a real loopback listener, driven by HTTP alone", func() {
		bot := &recorder{}
		hook := httptest.NewServer(bot)
		defer hook.Close()
		s := startServe("--webhook", hook.URL+"/webhook", "--start", "2026-01-05T09:00:00Z")
		Eventually(s.out).Should(gbytes.Say(`OTNSIM_PAGE_ACCESS_TOKEN=EAAotnsimPAGEtoken`))

		st, body := s.call("POST", "/otnsim/v1/users", `{"psid":"111","region":"US"}`)
		Expect(st).To(Equal(200))
		Expect(body["first_name"]).NotTo(BeEmpty())
		st, body = s.call("POST", "/otnsim/v1/users/111/message", `{"text":"Is the lipstick back?"}`)
		Expect(st).To(Equal(200))
		Expect(body["webhook"]).To(HaveKeyWithValue("result", "delivered"))

		st, _ = s.call("POST", send, `{"recipient":{"id":"111"},"messaging_type":"RESPONSE","message":{"attachment":{"type":"template","payload":{"template_type":"one_time_notif_req","title":"Back in stock","payload":"restock:red"}}}}`)
		Expect(st).To(Equal(200))
		st, body = s.call("POST", "/otnsim/v1/users/111/notify-me", `{"payload":"restock:red"}`)
		Expect(st).To(Equal(200))
		token := body["token"].(string)
		bot.mu.Lock()
		Expect(bot.bodies).To(HaveLen(2))
		Expect(string(bot.bodies[1])).To(ContainSubstring(`"one_time_notif_token":"` + token + `"`))
		want, _ := platform.Sign(fakegraph.DefaultPage().AppSecret, bot.bodies[1])
		Expect(bot.sigs[1]).To(Equal(want))
		bot.mu.Unlock()

		st, body = s.call("POST", "/otnsim/v1/clock/advance", `{"by":"30d"}`)
		Expect(st).To(Equal(200))
		Expect(body["now"]).To(Equal("2026-02-04T09:00:00Z"))
		st, body = s.call("POST", send, `{"recipient":{"id":"111"},"messaging_type":"RESPONSE","message":{"text":"closed window"}}`)
		Expect(st).To(Equal(400))
		Expect(errCode(body)).To(Equal(10.0))

		tokenSend := `{"recipient":{"one_time_notif_token":"` + token + `"},"message":{"text":"It is back!"}}`
		st, body = s.call("POST", send, tokenSend)
		Expect(st).To(Equal(200))
		Expect(body["recipient_id"]).To(Equal("111"))
		st, body = s.call("POST", send, tokenSend)
		Expect(st).To(Equal(400))
		Expect(errCode(body)).To(Equal(100.0))

		st, body = s.call("GET", "/otnsim/v1/ledger?psid=111", "")
		Expect(st).To(Equal(200))
		toks := body["tokens"].([]any)
		Expect(toks).To(HaveLen(1))
		Expect(toks[0]).To(HaveKeyWithValue("state", "consumed"))
		Expect(toks[0].(map[string]any)["rejected_uses"]).To(HaveLen(1))
	})

	It("answers 409 to advancing a wall clock and reports the mode", func() {
		s := startServe("--clock", "wall")
		st, body := s.call("GET", "/otnsim/v1/clock", "")
		Expect(st).To(Equal(200))
		Expect(body["mode"]).To(Equal("wall"))
		st, _ = s.call("POST", "/otnsim/v1/clock/advance", `{"by":"1h"}`)
		Expect(st).To(Equal(409))
	})

	It("guards the control API with the control key when one is given", func() {
		s := startServe("--control-key", "k3y")
		st, _ := s.call("GET", "/otnsim/v1/clock", "")
		Expect(st).To(Equal(401))
		st, _ = s.call("GET", "/otnsim/v1/clock", "", "Authorization", "Bearer k3y")
		Expect(st).To(Equal(200))
	})

	It("refuses, without a key, a cross-site page and a rebound DNS name; the key lets them in", func() {
		s := startServe()
		st, _ := s.call("POST", "/otnsim/v1/clock/advance", `{"by":"1h"}`, "Origin", "http://evil.example", "Content-Type", "text/plain")
		Expect(st).To(Equal(403))
		req, err := http.NewRequest("GET", s.base+"/otnsim/v1/clock", nil)
		Expect(err).NotTo(HaveOccurred())
		req.Host = "rebound.example" + s.base[strings.LastIndex(s.base, ":"):]
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(403))
		st, _ = s.call("GET", "/otnsim/v1/clock", "", "Origin", strings.Replace(s.base, "127.0.0.1", "localhost", 1))
		Expect(st).To(Equal(200), "a page of the server's own origin")
		k := startServe("--control-key", "k3y")
		st, _ = k.call("GET", "/otnsim/v1/clock", "", "Origin", "http://evil.example", "Authorization", "Bearer k3y")
		Expect(st).To(Equal(200))
	})

	It("puts the clock back at --start on reset and issues other tokens after it", func() {
		s := startServe("--start", "2026-01-05T09:00:00Z")
		optIn := func() string {
			st, _ := s.call("POST", "/otnsim/v1/users", `{"psid":"111"}`)
			Expect(st).To(Equal(200))
			st, _ = s.call("POST", "/otnsim/v1/users/111/message", `{"text":"hi"}`)
			Expect(st).To(Equal(200))
			st, _ = s.call("POST", "/v19.0/me/messages?access_token="+fakegraph.DefaultPage().AccessToken, `{"recipient":{"id":"111"},"messaging_type":"RESPONSE","message":{"attachment":{"type":"template","payload":{"template_type":"one_time_notif_req","title":"Back in stock","payload":"t"}}}}`)
			Expect(st).To(Equal(200))
			st, body := s.call("POST", "/otnsim/v1/users/111/notify-me", `{"payload":"t"}`)
			Expect(st).To(Equal(200))
			return body["token"].(string)
		}
		before := optIn()
		st, _ := s.call("POST", "/otnsim/v1/clock/advance", `{"by":"3d"}`)
		Expect(st).To(Equal(200))
		st, _ = s.call("POST", "/otnsim/v1/reset", "")
		Expect(st).To(Equal(200))
		_, body := s.call("GET", "/otnsim/v1/clock", "")
		Expect(body["now"]).To(Equal("2026-01-05T09:00:00Z"))
		Expect(optIn()).NotTo(Equal(before))
	})

	It("arms faults through the control API, including a response lost after the token was spent", func() {
		s := startServe()
		s.call("POST", "/otnsim/v1/users", `{"psid":"111"}`)
		s.call("POST", "/otnsim/v1/users/111/message", `{"text":"hi"}`)
		st, _ := s.call("POST", "/otnsim/v1/faults", `{"kind":"graph_error","code":2,"times":2}`)
		Expect(st).To(Equal(200))
		msg := `{"recipient":{"id":"111"},"messaging_type":"RESPONSE","message":{"text":"x"}}`
		for i := 0; i < 2; i++ {
			st, body := s.call("POST", send, msg)
			Expect(st).To(Equal(400))
			Expect(errCode(body)).To(Equal(2.0))
			Expect(body["error"]).To(HaveKeyWithValue("is_transient", true))
		}
		st, _ = s.call("POST", send, msg)
		Expect(st).To(Equal(200))

		s.call("POST", send, `{"recipient":{"id":"111"},"messaging_type":"RESPONSE","message":{"attachment":{"type":"template","payload":{"template_type":"one_time_notif_req","title":"T","payload":"p"}}}}`)
		_, body := s.call("POST", "/otnsim/v1/users/111/notify-me", `{"payload":"p"}`)
		s.call("POST", "/otnsim/v1/faults", `{"kind":"lost_response"}`)
		req, _ := http.NewRequest("POST", s.base+send, bytes.NewBufferString(`{"recipient":{"one_time_notif_token":"`+body["token"].(string)+`"},"message":{"text":"x"}}`))
		req.Header.Set("Content-Type", "application/json")
		_, err := http.DefaultClient.Do(req)
		Expect(err).To(HaveOccurred())
		_, led := s.call("GET", "/otnsim/v1/ledger?psid=111", "")
		Expect(led["tokens"].([]any)[0]).To(HaveKeyWithValue("state", "consumed"))
	})

	It("answers /healthz and /readyz, and serves Prometheus metrics on /metrics", func() {
		s := startServe()
		Eventually(s.out).Should(gbytes.Say(`metrics: +http://127\.0\.0\.1:\d+/metrics`))
		st, body := s.call("GET", "/healthz", "")
		Expect(st).To(Equal(200))
		Expect(body).To(Equal(map[string]any{"status": "ok"}))
		st, body = s.call("GET", "/readyz", "")
		Expect(st).To(Equal(200))
		Expect(body).To(Equal(map[string]any{"status": "ok"}))

		s.call("POST", "/otnsim/v1/users", `{"psid":"111"}`)
		s.call("POST", "/otnsim/v1/users/111/message", `{"text":"hi"}`)
		st, _ = s.call("POST", send, `{"recipient":{"id":"111"},"messaging_type":"RESPONSE","message":{"text":"hello"}}`)
		Expect(st).To(Equal(200))
		st, metrics := s.get("/metrics")
		Expect(st).To(Equal(200))
		Expect(metrics).To(ContainSubstring(`otnsim_send_calls_total{rule="",verdict="ok"} 1`))
		Expect(metrics).To(ContainSubstring(`otnsim_graph_request_duration_seconds_bucket{route="send",le="+Inf"} 1`))
		Expect(metrics).To(ContainSubstring("go_goroutines "))
		Expect(metrics).To(ContainSubstring("process_start_time_seconds "))
	})

	It("keeps /healthz open but guards /metrics with the control key", func() {
		s := startServe("--control-key", "k3y")
		st, _ := s.call("GET", "/healthz", "")
		Expect(st).To(Equal(200))
		st, body := s.call("GET", "/metrics", "")
		Expect(st).To(Equal(401))
		Expect(body["error"]).To(HaveKeyWithValue("type", "OTNSimException"))
		st, _ = s.get("/metrics", "Authorization", "Bearer k3y")
		Expect(st).To(Equal(200))
	})

	It("lists the control calls at /otnsim/v1/ and reads and patches the settings under their scenario-file names", func() {
		s := startServe()
		st, body := s.call("GET", "/otnsim/v1/", "")
		Expect(st).To(Equal(200))
		Expect(body["calls"]).To(ContainElement(And(HaveKeyWithValue("method", "PATCH"), HaveKeyWithValue("path", "/otnsim/v1/settings"))))

		st, body = s.call("GET", "/otnsim/v1/settings", "")
		Expect(st).To(Equal(200))
		Expect(body["webhook"]).To(HaveKeyWithValue("timeout", "5s"))
		Expect(body["rate_limit"]).To(HaveKeyWithValue("disabled", false))

		st, body = s.call("PATCH", "/otnsim/v1/settings", `{"rate_limit":{"disabled":true},"webhook":{"timeout":"1.5s"}}`)
		Expect(st).To(Equal(200))
		Expect(body["rate_limit"]).To(HaveKeyWithValue("disabled", true))
		Expect(body["webhook"]).To(HaveKeyWithValue("timeout", "1.5s"))

		st, body = s.call("PATCH", "/otnsim/v1/settings", `{"rate_limit":{"disabled":1}}`)
		Expect(st).To(Equal(400))
		Expect(body["error"]).To(HaveKeyWithValue("message", "settings: rate_limit.disabled must be true or false, got 1"))
		_, body = s.call("GET", "/otnsim/v1/settings", "")
		Expect(body["rate_limit"]).To(HaveKeyWithValue("disabled", true), "a refused patch changes nothing")
	})

	It("refuses to bind off loopback without a control key, and shows help", func() {
		var out, errOut bytes.Buffer
		Expect(serve(context.Background(), []string{"--addr", "0.0.0.0:0"}, &out, &errOut, nil)).To(Equal(exitUsage))
		Expect(errOut.String()).To(ContainSubstring("--control-key"))
		code, help, _ := otnsim("serve", "--help")
		Expect(code).To(Equal(0))
		Expect(help).To(ContainSubstring("Examples:"))
		code, _, _ = otnsim("serve", "--clock", "sundial")
		Expect(code).To(Equal(exitUsage))
	})
})
