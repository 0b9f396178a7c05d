package fakegraph_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	dto "github.com/prometheus/client_model/go"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/rules"
)

const ctl = "https://graph.facebook.com/otnsim/v1/"

// graphError checks r is a Graph error envelope with the given status and
// returns its message.
func graphError(r response, status int) string {
	Expect(r.Status).To(Equal(status), string(r.Raw))
	e, ok := r.Body["error"].(map[string]any)
	Expect(ok).To(BeTrue(), "not a Graph error envelope: %s", r.Raw)
	Expect(e).To(HaveKey("message"))
	Expect(e).To(HaveKey("type"))
	Expect(e).To(HaveKey("code"))
	Expect(e).To(HaveKey("fbtrace_id"))
	return e["message"].(string)
}

// metric finds one sample of name whose labels include want; nil if none.
func metric(g *fakegraph.Server, name string, want map[string]string) *dto.Metric {
	families, err := g.MetricsRegistry().Gather()
	Expect(err).NotTo(HaveOccurred())
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if have[k] != v {
					continue next
				}
			}
			return m
		}
	}
	return nil
}

// value is a counter's or gauge's value; 0 when the sample does not exist.
func value(g *fakegraph.Server, name string, labels ...string) float64 {
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	m := metric(g, name, want)
	switch {
	case m == nil:
		return 0
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	Fail(name + " is neither a counter nor a gauge")
	return 0
}

var _ = Describe("fakegraph as a service", func() {
	var e *env
	BeforeEach(func() { e = newEnv() })

	Describe("health", func() {
		It("answers GET /healthz and /readyz with 200 {\"status\":\"ok\"}, not as a Graph node", func() {
			for _, p := range []string{"healthz", "readyz", "healthz/"} {
				r := e.raw("GET", "https://graph.facebook.com/"+p, "", nil)
				Expect(r.Status).To(Equal(200), p)
				Expect(r.Body).To(Equal(map[string]any{"status": "ok"}), p)
			}
		})

		It("needs no control key, even on a server that has one", func() {
			g := fakegraph.New(fakegraph.Config{Clock: e0Clock(), ControlKey: "k3y"})
			srv := httptest.NewServer(g)
			defer srv.Close()
			resp, err := http.Get(srv.URL + "/healthz")
			Expect(err).NotTo(HaveOccurred())
			defer resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(200))
		})

		It("refuses other methods with 405 in the Graph envelope", func() {
			r := e.raw("POST", "https://graph.facebook.com/healthz", "application/json", []byte("{}"))
			Expect(graphError(r, 405)).To(ContainSubstring("GET and HEAD"))
		})
	})

	Describe("metrics", func() {
		It("counts Send API calls by verdict and rule, with every rule's series present from the start", func() {
			for _, id := range rules.IDs() {
				Expect(metric(e.graph, "otnsim_send_calls_total", map[string]string{"verdict": "refused", "rule": id})).NotTo(BeNil(), id)
			}
			Expect(value(e.graph, "otnsim_send_calls_total", "verdict", "ok")).To(Equal(0.0))
			_, err := e.graph.UserMessage("111", "hi")
			Expect(err).NotTo(HaveOccurred())
			Expect(e.send(text("111", "hello")).Status).To(Equal(200))
			Expect(e.send(text("222", "closed window")).code()).To(Equal(10))
			Expect(e.send(text("222", "closed window")).code()).To(Equal(10))
			Expect(e.graph.ArmFault(fakegraph.Fault{Kind: fakegraph.FaultGraphError, Code: 2})).To(Succeed())
			Expect(e.send(text("111", "struck")).code()).To(Equal(2))

			Expect(value(e.graph, "otnsim_send_calls_total", "verdict", "ok", "rule", "")).To(Equal(1.0))
			Expect(value(e.graph, "otnsim_send_calls_total", "verdict", "refused", "rule", rules.Win24h)).To(Equal(2.0))
			Expect(value(e.graph, "otnsim_send_calls_total", "verdict", "fault", "rule", "")).To(Equal(1.0))
		})

		It("counts calls made in process (Server.Send) as well as over HTTP, but times only HTTP ones", func() {
			_, _ = e.graph.UserMessage("111", "hi")
			_, err := e.graph.Send(&fakegraph.SendRequest{Recipient: fakegraph.Recipient{ID: "111"}, MessagingType: "RESPONSE",
				Message: &fakegraph.Message{Text: "in process"}})
			Expect(err).NotTo(HaveOccurred())
			Expect(e.send(text("111", "over HTTP")).Status).To(Equal(200))
			Expect(e.do("GET", graphBase+"111"+tokenQS(), nil).Status).To(Equal(200))
			Expect(value(e.graph, "otnsim_send_calls_total", "verdict", "ok")).To(Equal(2.0))
			h := metric(e.graph, "otnsim_graph_request_duration_seconds", map[string]string{"route": "send"}).GetHistogram()
			Expect(h.GetSampleCount()).To(Equal(uint64(1)))
			Expect(h.GetSampleSum()).To(BeNumerically(">", 0))
			Expect(metric(e.graph, "otnsim_graph_request_duration_seconds", map[string]string{"route": "profile"}).GetHistogram().GetSampleCount()).To(Equal(uint64(1)))
			// control calls are not Graph calls
			e.do("GET", ctl+"clock", nil)
			Expect(metric(e.graph, "otnsim_graph_request_duration_seconds", map[string]string{"route": "unsupported"}).GetHistogram().GetSampleCount()).To(BeZero())
		})

		It("reports tokens by state as of the scrape, and counts those issued and consumed", func() {
			tok := e.optIn("111", "restock")
			e.optIn("222", "restock")
			Expect(value(e.graph, "otnsim_tokens", "state", "active")).To(Equal(2.0))
			Expect(e.send(tokenSend(tok, "back!")).Status).To(Equal(200))
			e.clock.Advance(400 * 24 * time.Hour)
			Expect(value(e.graph, "otnsim_tokens", "state", "active")).To(Equal(0.0))
			Expect(value(e.graph, "otnsim_tokens", "state", "consumed")).To(Equal(1.0))
			Expect(value(e.graph, "otnsim_tokens", "state", "expired")).To(Equal(1.0))
			Expect(value(e.graph, "otnsim_tokens_issued_total")).To(Equal(2.0))
			Expect(value(e.graph, "otnsim_tokens_consumed_total")).To(Equal(1.0))

			e.graph.Reset()
			Expect(value(e.graph, "otnsim_tokens", "state", "consumed")).To(Equal(0.0), "the gauges follow the ledger")
			Expect(value(e.graph, "otnsim_tokens_issued_total")).To(Equal(2.0), "the counters never go back")
		})

		It("counts webhook deliveries by result and their retries", func() {
			e.hook.mu.Lock()
			e.hook.status = 500
			e.hook.mu.Unlock()
			_, err := e.graph.UserMessage("111", "hi")
			Expect(err).NotTo(HaveOccurred())
			Expect(value(e.graph, "otnsim_webhook_deliveries_total", "result", "bot_error")).To(Equal(1.0))
			e.hook.mu.Lock()
			e.hook.status = 200
			e.hook.mu.Unlock()
			e.clock.Advance(5 * time.Second) // the first retry's back-off
			Expect(value(e.graph, "otnsim_webhook_deliveries_total", "result", "delivered")).To(Equal(1.0))
			Expect(value(e.graph, "otnsim_webhook_retries_total")).To(Equal(1.0))
			Expect(value(e.graph, "otnsim_webhook_deliveries_total", "result", "failed")).To(Equal(0.0))
		})

		It("serves them on GET /metrics in Prometheus' text format, prefixed otnsim_", func() {
			_, _ = e.graph.UserMessage("111", "hi")
			Expect(e.send(text("111", "hello")).Status).To(Equal(200))
			r := e.raw("GET", "https://graph.facebook.com/metrics", "", nil)
			Expect(r.Status).To(Equal(200))
			body := string(r.Raw)
			Expect(body).To(ContainSubstring(`otnsim_send_calls_total{rule="",verdict="ok"} 1`))
			Expect(body).To(ContainSubstring(`otnsim_graph_request_duration_seconds_count{route="send"} 1`))
			Expect(body).To(ContainSubstring(`otnsim_tokens{state="active"} 0`))
			Expect(body).To(ContainSubstring(`otnsim_clock_seconds 1.7676036e+09`))
			for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
				name := strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE ")
				Expect(name).To(HavePrefix("otnsim_"), line)
			}
		})

		It("needs the control key on /metrics when the server has one", func() {
			g := fakegraph.New(fakegraph.Config{Clock: e0Clock(), ControlKey: "k3y"})
			c := &http.Client{Transport: g.MockTransport()}
			resp, err := c.Get("https://graph.facebook.com/metrics")
			Expect(err).NotTo(HaveOccurred())
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var body map[string]any
			Expect(json.Unmarshal(raw, &body)).To(Succeed())
			Expect(graphError(response{Status: resp.StatusCode, Body: body, Raw: raw}, 401)).To(ContainSubstring("control key"))
			req, _ := http.NewRequest("GET", "https://graph.facebook.com/metrics", nil)
			req.Header.Set("Authorization", "Bearer k3y")
			resp, err = c.Do(req)
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(200))
		})

		It("keeps a registry per server, so that servers in one process never clash", func() {
			a := fakegraph.New(fakegraph.Config{Clock: e0Clock()})
			b := fakegraph.New(fakegraph.Config{Clock: e0Clock()})
			Expect(a.AddUser(fakegraph.User{PSID: "1"})).To(Succeed())
			_, _ = a.UserMessage("1", "hi")
			_, err := a.Send(&fakegraph.SendRequest{Recipient: fakegraph.Recipient{ID: "1"}, MessagingType: "RESPONSE", Message: &fakegraph.Message{Text: "x"}})
			Expect(err).NotTo(HaveOccurred())
			Expect(value(a, "otnsim_send_calls_total", "verdict", "ok")).To(Equal(1.0))
			Expect(value(b, "otnsim_send_calls_total", "verdict", "ok")).To(Equal(0.0))
			Expect(a.MetricsRegistry()).NotTo(BeIdenticalTo(b.MetricsRegistry()))
		})
	})

	Describe("the control API's index", func() {
		It("lists every control call with its method, path and what it does", func() {
			r := e.do("GET", ctl, nil)
			Expect(r.Status).To(Equal(200))
			calls := r.Body["calls"].([]any)
			Expect(calls).To(ContainElement(HaveKeyWithValue("path", "/otnsim/v1/settings")))
			Expect(calls).To(ContainElement(And(HaveKeyWithValue("method", "PATCH"), HaveKeyWithValue("path", "/otnsim/v1/settings"))))
			Expect(calls).To(ContainElement(And(HaveKeyWithValue("method", "POST"), HaveKeyWithValue("path", "/otnsim/v1/users/{psid}/notify-me"))))
			for _, c := range calls {
				Expect(c.(map[string]any)["description"]).NotTo(BeEmpty())
			}
			Expect(r.Body["service"]).To(ContainElement(HaveKeyWithValue("path", "/metrics")))
			Expect(e.do("GET", strings.TrimSuffix(ctl, "/"), nil).Status).To(Equal(200), "with or without the slash")
		})

		It("lists only calls the router answers, and the router answers only calls it lists", func() {
			calls := e.do("GET", ctl, nil).Body["calls"].([]any)
			for _, c := range calls {
				m := c.(map[string]any)
				method, path := m["method"].(string), strings.ReplaceAll(m["path"].(string), "{psid}", "111")
				body := "{}"
				if method == "PATCH" {
					body = `{"webhook":{"retries":3}}`
				}
				r := e.raw(method, "https://graph.facebook.com"+path, "application/json", []byte(body))
				if r.Status >= 400 {
					Expect(graphError(r, r.Status)).NotTo(ContainSubstring("no control call"), method+" "+path)
					Expect(r.Status).NotTo(Equal(405), method+" "+path)
				}
			}
			Expect(graphError(e.do("POST", ctl+"users/111/wave", nil), 404)).To(ContainSubstring("GET /otnsim/v1/ lists them"))
		})

		It("answers a known path with the wrong method with 405, naming the methods it takes", func() {
			r := e.raw("PUT", ctl+"faults", "application/json", []byte("{}"))
			Expect(graphError(r, 405)).To(ContainSubstring("POST and GET and DELETE"))
		})
	})

	Describe("settings over the control API", func() {
		It("shows them under the names of a scenario file's world.settings, durations in otnsim's syntax", func() {
			r := e.do("GET", ctl+"settings", nil)
			Expect(r.Status).To(Equal(200))
			Expect(r.Body).To(HaveKey("rate_limit"))
			Expect(r.Body).NotTo(HaveKey("RateLimit"))
			Expect(r.Body).To(HaveKeyWithValue("request_spam_window", "1d"))
			Expect(r.Body).To(HaveKeyWithValue("platform_date", BeNil()))
			Expect(r.Body).To(HaveKeyWithValue("retired_tags_date", "2026-04-27T00:00:00Z"))
			Expect(r.Body["rate_limit"]).To(HaveKeyWithValue("thread_window", "1s"))
			Expect(r.Body["webhook"]).To(HaveKeyWithValue("timeout", "5s"))
			Expect(r.Body["region"]).To(HaveKeyWithValue("japan", []any{"JP"}))
			Expect(string(r.Raw)).To(HavePrefix(`{"platform_date":null,"recipient_id_on_token_send":true,`), "in declaration order")
		})

		It("takes back what it shows unchanged", func() {
			before := e.do("GET", ctl+"settings", nil).Raw
			r := e.raw("PATCH", ctl+"settings", "application/json", before)
			Expect(r.Status).To(Equal(200), string(r.Raw))
			Expect(r.Raw).To(Equal(before))
			Expect(e.graph.Settings()).To(Equal(fakegraph.DefaultSettings()))
		})

		It("merges a patch over the settings in effect and applies it to the next call", func() {
			r := e.raw("PATCH", ctl+"settings", "application/json", []byte(`{"rate_limit":{"per_page_per_second":1},"webhook":{"backoff":"2d"},"platform_date":"2020-06-01T00:00:00Z"}`))
			Expect(r.Status).To(Equal(200), string(r.Raw))
			Expect(r.Body["rate_limit"]).To(HaveKeyWithValue("per_page_per_second", 1.0))
			Expect(r.Body["rate_limit"]).To(HaveKeyWithValue("media_per_second", 10.0), "untouched fields stay")
			Expect(r.Body["webhook"]).To(HaveKeyWithValue("backoff", "2d"))
			set := e.graph.Settings()
			Expect(set.RateLimit.PerPagePerSecond).To(Equal(1))
			Expect(set.Webhook.Backoff).To(Equal(48 * time.Hour))
			Expect(set.PlatformDate).To(Equal(time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC)))

			_, _ = e.graph.UserMessage("111", "hi")
			Expect(e.send(text("111", "one")).Status).To(Equal(200))
			second := e.send(text("111", "two"))
			Expect(second.code()).To(Equal(32))
			Expect(e.lastCall().Rule).To(Equal(rules.SendRate))

			r = e.raw("PATCH", ctl+"settings", "application/json", []byte(`{"rate_limit":null,"platform_date":null}`))
			Expect(r.Status).To(Equal(200), string(r.Raw))
			Expect(e.graph.Settings().RateLimit).To(Equal(fakegraph.DefaultSettings().RateLimit), "null puts a field back to its default")
			Expect(e.graph.Settings().PlatformDate.IsZero()).To(BeTrue())
			Expect(e.graph.Settings().Webhook.Backoff).To(Equal(48*time.Hour), "what the patch does not name stays")
		})

		DescribeTable("refuses a bad patch with a Graph-shaped 400 naming the field, and changes nothing",
			func(patch, msg string) {
				before := e.graph.Settings()
				r := e.raw("PATCH", ctl+"settings", "application/json", []byte(patch))
				Expect(graphError(r, 400)).To(ContainSubstring(msg))
				Expect(r.Body["error"]).To(HaveKeyWithValue("type", "OTNSimException"))
				Expect(e.graph.Settings()).To(Equal(before))
			},
			Entry("a Go field name", `{"RateLimit":{"Disabled":true}}`, `unknown field "RateLimit" in the settings`),
			Entry("a misspelt field, with a hint", `{"rate_limit":{"per_page_per_secnd":5}}`, `unknown field "per_page_per_secnd" in rate_limit (did you mean "per_page_per_second"?)`),
			Entry("a number for a duration", `{"webhook":{"timeout":5}}`, `webhook.timeout must be a duration string like "24h" or "30d", got 5`),
			Entry("a bad duration", `{"request_spam_window":"soon"}`, `request_spam_window: bad duration "soon"`),
			Entry("a string for a number", `{"rate_limit":{"per_page_per_second":"fast"}}`, `rate_limit.per_page_per_second must be a whole number, got "fast"`),
			Entry("a fraction for a whole number", `{"token_length":48.5}`, `token_length must be a whole number, got 48.5`),
			Entry("a string for a switch", `{"rate_limit":{"disabled":"true"}}`, `rate_limit.disabled must be true or false, got "true"`),
			Entry("a bad time", `{"platform_date":"2020-06-01"}`, `platform_date must be an RFC 3339 time`),
			Entry("a value out of range", `{"error_status":200}`, `error_status must be an HTTP error status (400 to 599), got 200`),
			Entry("a rate above 1", `{"webhook":{"duplicate_rate":1.5}}`, `webhook.duplicate_rate must be between 0 and 1, got 1.5`),
			Entry("a bad country", `{"region":{"europe":["de"]}}`, `region.europe[0] must be a two-letter upper-case country code like DE, got "de"`),
			Entry("one good field and one bad", `{"rate_limit":{"disabled":true},"token_length":-1}`, `token_length must be 8 to 1024 bytes, got -1`),
			Entry("not an object", `[1,2]`, `the body must be a JSON object of settings, got [1,2]`),
			Entry("malformed JSON", `{"rate_limit":`, `malformed JSON body`),
			Entry("an empty body", ``, `the body must be a JSON object of settings`),
		)

		It("names every bad field of one patch", func() {
			r := e.raw("PATCH", ctl+"settings", "application/json", []byte(`{"token_length":"x","webhook":{"retries":99}}`))
			msg := graphError(r, 400)
			Expect(msg).To(ContainSubstring("token_length must be a whole number"))
			r = e.raw("PATCH", ctl+"settings", "application/json", []byte(`{"token_length":4,"webhook":{"retries":99}}`))
			msg = graphError(r, 400)
			Expect(msg).To(ContainSubstring("token_length must be 8 to 1024 bytes, got 4"))
			Expect(msg).To(ContainSubstring("webhook.retries must be 0 to 20, got 99"))
		})

		It("needs the control key like every control call", func() {
			g := fakegraph.New(fakegraph.Config{Clock: e0Clock(), ControlKey: "k3y"})
			req, _ := http.NewRequest("PATCH", ctl+"settings", strings.NewReader(`{"rate_limit":{"disabled":true}}`))
			rec := httptest.NewRecorder()
			g.ServeHTTP(rec, req)
			Expect(rec.Code).To(Equal(401))
			Expect(g.Settings().RateLimit.Disabled).To(BeFalse())
		})

		It("applies each patch whole while calls are being judged", func() {
			_, _ = e.graph.UserMessage("111", "hi")
			var wg sync.WaitGroup
			stop := make(chan struct{})
			for i := 0; i < 2; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer GinkgoRecover()
					for {
						select {
						case <-stop:
							return
						default:
						}
						_, _ = e.graph.Send(&fakegraph.SendRequest{Recipient: fakegraph.Recipient{ID: "111"}, MessagingType: "RESPONSE", Message: &fakegraph.Message{Text: "x"}})
					}
				}()
			}
			for i := 0; i < 50; i++ {
				status := 400 + i%2*100 // 400 and 500 in turn
				r := e.raw("PATCH", ctl+"settings", "application/json", []byte(`{"error_status":`+itoa(status)+`,"rate_limit":{"disabled":`+map[bool]string{true: "true", false: "false"}[i%2 == 0]+`}}`))
				Expect(r.Status).To(Equal(200), string(r.Raw))
			}
			close(stop)
			wg.Wait()
			set := e.graph.Settings()
			Expect(set.ErrorStatus).To(Equal(500))
			Expect(set.RateLimit.Disabled).To(BeFalse())
		})
	})

	Describe("Settings.Validate and PatchSettings", func() {
		It("accepts the defaults", func() {
			Expect(fakegraph.DefaultSettings().Validate()).To(Succeed())
		})

		It("merges in Go as over HTTP", func() {
			set, err := fakegraph.PatchSettings(fakegraph.DefaultSettings(), []byte(`{"region":{"japan":["JP","KR"]}}`))
			Expect(err).NotTo(HaveOccurred())
			Expect(set.Region.Japan).To(Equal([]string{"JP", "KR"}))
			Expect(set.Region.Europe).To(Equal(fakegraph.DefaultSettings().Region.Europe))
			Expect(e.graph.UpdateSettings(set)).To(Succeed())
			Expect(e.graph.Settings().Region.Japan).To(ConsistOf("JP", "KR"))
			set.ErrorStatus = 0
			Expect(e.graph.UpdateSettings(set)).To(MatchError(ContainSubstring("error_status")))
		})
	})
})
