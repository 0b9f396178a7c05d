package fakegraph_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
)

var _ = Describe("faults", func() {
	var e *env
	BeforeEach(func() {
		e = newEnv()
		_, _ = e.graph.UserMessage("111", "hi")
	})

	It("answers a Graph error N times for matching calls only", func() {
		Expect(e.graph.ArmFault(fakegraph.Fault{Kind: fakegraph.FaultGraphError, Code: 4, Times: 2, PSID: "111"})).To(Succeed())
		_, _ = e.graph.UserMessage("222", "hi")
		Expect(e.send(text("222", "x")).Status).To(Equal(200))
		for i := 0; i < 2; i++ {
			r := e.send(text("111", "x"))
			Expect(r.code()).To(Equal(4))
			Expect(r.transient()).To(BeTrue())
			Expect(e.lastCall().Fault).To(Equal("graph_error"))
		}
		Expect(e.send(text("111", "x")).Status).To(Equal(200))
		Expect(e.graph.Faults()).To(BeEmpty())
	})

	It("answers HTTP 5xx", func() {
		Expect(e.graph.ArmFault(fakegraph.Fault{Kind: fakegraph.FaultHTTP5xx, Status: 503})).To(Succeed())
		r := e.send(text("111", "x"))
		Expect(r.Status).To(Equal(503))
		Expect(r.code()).To(Equal(2))
	})

	It("drops the connection before the call takes effect", func() {
		tok := e.optIn("111", "t")
		Expect(e.graph.ArmFault(fakegraph.Fault{Kind: fakegraph.FaultDrop})).To(Succeed())
		_, err := e.client.Post(graphBase+"me/messages"+tokenQS(), "application/json", strings.NewReader(`{"recipient":{"one_time_notif_token":"`+tok+`"},"message":{"text":"x"}}`))
		Expect(err).To(HaveOccurred())
		Expect(e.graph.Ledger().TokensFor("111", "t")[0].State).To(Equal(fakegraph.TokenActive))
	})

	It("loses the response after the token was spent", func() {
		tok := e.optIn("111", "t")
		Expect(e.graph.ArmFault(fakegraph.Fault{Kind: fakegraph.FaultLostResponse})).To(Succeed())
		_, err := e.client.Post(graphBase+"me/messages"+tokenQS(), "application/json", strings.NewReader(`{"recipient":{"one_time_notif_token":"`+tok+`"},"message":{"text":"x"}}`))
		Expect(err).To(HaveOccurred())
		Expect(e.graph.Ledger().TokensFor("111", "t")[0].State).To(Equal(fakegraph.TokenConsumed))
		Expect(e.lastCall().OK).To(BeTrue())
		Expect(e.lastCall().Fault).To(Equal("lost_response"))
		Expect(e.send(tokenSend(tok, "retry")).code()).To(Equal(100))
	})

	It("answers an error after the call took effect (stage after)", func() {
		tok := e.optIn("111", "t")
		Expect(e.graph.ArmFault(fakegraph.Fault{Kind: fakegraph.FaultHTTP5xx, Stage: fakegraph.StageAfter})).To(Succeed())
		Expect(e.send(tokenSend(tok, "x")).Status).To(Equal(500))
		Expect(e.graph.Ledger().TokensFor("111", "t")[0].State).To(Equal(fakegraph.TokenConsumed))
	})

	It("delays the answer on the virtual clock", func() {
		Expect(e.graph.ArmFault(fakegraph.Fault{Kind: fakegraph.FaultLatency, Latency: 3 * time.Second})).To(Succeed())
		done := make(chan response, 1)
		go func() {
			defer GinkgoRecover()
			done <- e.send(text("111", "x"))
		}()
		Eventually(e.clock.Pending).Should(Equal(1))
		Expect(done).NotTo(Receive())
		e.clock.Advance(3 * time.Second)
		var r response
		Eventually(done).Should(Receive(&r))
		Expect(r.Status).To(Equal(200))
		Expect(e.lastCall().At).To(Equal(epoch.Add(3 * time.Second)))
	})

	It("strikes with a probability under the seed, and rejects bad faults", func() {
		Expect(e.graph.ArmFault(fakegraph.Fault{Kind: fakegraph.FaultGraphError, Code: 2, Times: -1, Probability: 0.5})).To(Succeed())
		hits := 0
		for i := 0; i < 200; i++ {
			e.clock.Advance(time.Second)
			if e.send(text("111", "x")).code() == 2 {
				hits++
			}
		}
		Expect(hits).To(BeNumerically("~", 100, 30))
		Expect(e.graph.ArmFault(fakegraph.Fault{Kind: "meteor"})).NotTo(Succeed())
		Expect(e.graph.ArmFault(fakegraph.Fault{Kind: fakegraph.FaultGraphError})).NotTo(Succeed())
		Expect(e.graph.ArmFault(fakegraph.Fault{Kind: fakegraph.FaultLatency})).NotTo(Succeed())
	})

	// Issue 17: status 1000 or 99 panicked the handler, 101 hung the client,
	// 204 and 304 answered empty bodies. The control API now refuses what a
	// scenario file refuses (fakegraph.CheckFault is the one validation).
	DescribeTable("refuses over the control API a fault a scenario file refuses, with a 400",
		func(body, problem string) {
			r := e.raw("POST", ctl+"faults", "application/json", []byte(body))
			Expect(r.Status).To(Equal(400), string(r.Raw))
			Expect(r.Body["error"]).To(HaveKeyWithValue("message", ContainSubstring(problem)))
			Expect(e.graph.Faults()).To(BeEmpty())
			Expect(e.send(text("111", "x")).Status).To(Equal(200), "no fault armed")
		},
		Entry("status 1000", `{"kind":"graph_error","code":2,"status":1000}`, "status: must be an HTTP error status (400-599), got 1000"),
		Entry("status 99", `{"kind":"graph_error","code":2,"status":99}`, "got 99"),
		Entry("status 101", `{"kind":"http_5xx","status":101}`, "got 101"),
		Entry("status 204", `{"kind":"graph_error","code":2,"status":204}`, "got 204"),
		Entry("status 304", `{"kind":"drop","status":304}`, "got 304"),
		Entry("a 4xx http_5xx", `{"kind":"http_5xx","status":404}`, "needs a 5xx status"),
		Entry("a negative code", `{"kind":"http_5xx","code":-4}`, "code: must not be negative"),
		Entry("no kind", `{"code":2}`, "kind: missing"),
		Entry("a probability over 1", `{"kind":"drop","probability":1.5}`, "probability: 1.5 outside 0..1"),
		Entry("times -2", `{"kind":"drop","times":-2}`, "times: must be -1"),
		Entry("a negative latency", `{"kind":"drop","latency":"-1s"}`, "latency"),
		Entry("several problems at once", `{"kind":"graph_error","status":1000,"stage":"during"}`, "code: a graph_error fault needs a positive Graph error code, got 0; stage: unknown stage \"during\" (before, after); status"),
	)

	It("arms a fault with a status at either end of 400-599 and answers with it", func() {
		for _, st := range []int{400, 599} {
			r := e.raw("POST", ctl+"faults", "application/json", []byte(`{"kind":"graph_error","code":2,"status":`+strconv.Itoa(st)+`}`))
			Expect(r.Status).To(Equal(200), string(r.Raw))
			Expect(e.send(text("111", "x")).Status).To(Equal(st))
		}
	})
})

var _ = Describe("robustness", func() {
	var e *env
	BeforeEach(func() {
		e = newEnv()
		_, _ = e.graph.UserMessage("111", "hi")
	})

	DescribeTable("answers bad input with a Graph envelope and records the refusal",
		func(ct, body string) {
			r := e.raw("POST", graphBase+"me/messages"+tokenQS(), ct, []byte(body))
			Expect(r.Status).To(Equal(400))
			Expect(r.code()).To(Equal(100))
			Expect(r.Body["error"]).To(HaveKey("fbtrace_id"))
		},
		Entry("malformed JSON", "application/json", `{"recipient":{`),
		Entry("JSON of the wrong shape", "application/json", `{"recipient":"111","message":7}`),
		Entry("an array", "application/json", `[1,2]`),
		Entry("XML", "application/xml", `<message/>`),
		Entry("bad form JSON", "application/x-www-form-urlencoded", `recipient={"id":`),
		Entry("multipart without boundary", "multipart/form-data", `x`),
		Entry("empty body", "application/json", ``),
		Entry("over 1 MiB", "application/json", `{"x":"`+strings.Repeat("a", fakegraph.MaxBodyBytes)+`"}`),
	)

	DescribeTable("answers unknown routes and methods with a Graph envelope",
		func(method, path string) {
			r := e.raw(method, "https://graph.facebook.com"+path+tokenQS(), "", nil)
			Expect(r.Status).To(Equal(400))
			Expect(r.code()).To(Equal(100))
		},
		Entry("GET messages", "GET", "/v19.0/me/messages"),
		Entry("PUT messages", "PUT", "/v19.0/me/messages"),
		Entry("another page's messages", "POST", "/v19.0/42/messages"),
		Entry("an unknown edge", "POST", "/v19.0/me/feed"),
		Entry("a bad version", "POST", "/v1x.0/me/messages"),
		Entry("DELETE on a node", "DELETE", "/v19.0/111"),
	)

	It("answers unknown control calls with 404 in the same envelope", func() {
		r := e.raw("GET", "https://graph.facebook.com/otnsim/v1/nope", "", nil)
		Expect(r.Status).To(Equal(404))
		Expect(r.Body).To(HaveKey("error"))
	})

	It("never half-updates state: a refused token send leaves the token active and issues no message", func() {
		tok := e.optIn("111", "t")
		bad := tokenSend(tok, strings.Repeat("x", 2001))
		Expect(e.send(bad).code()).To(Equal(100))
		Expect(e.graph.Ledger().TokensFor("111", "t")[0].State).To(Equal(fakegraph.TokenActive))
		Expect(e.lastCall().MessageID).To(BeEmpty())
	})
})

var _ = Describe("serving three ways", func() {
	It("intercepts the default transport with one call", func() {
		c := e0Clock()
		g := fakegraph.New(fakegraph.Config{Clock: c})
		Expect(g.AddUser(fakegraph.User{PSID: "1"})).To(Succeed())
		_, _ = g.UserMessage("1", "hi")
		restore := g.InterceptDefault()
		defer restore()
		client := &http.Client{} // a bot's own client on the default transport
		resp, err := client.Post("https://graph.facebook.com/v19.0/me/messages?access_token="+fakegraph.DefaultPage().AccessToken,
			"application/json", strings.NewReader(`{"recipient":{"id":"1"},"messaging_type":"RESPONSE","message":{"text":"hi"}}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.StatusCode).To(Equal(200))
		Expect(g.Ledger().Calls).To(HaveLen(1))
	})

	It("serves as an httptest server, control API included", func() {
		g := fakegraph.New(fakegraph.Config{Clock: e0Clock()})
		srv := httptest.NewServer(g)
		defer srv.Close()
		resp, err := http.Post(srv.URL+"/otnsim/v1/users", "application/json", bytes.NewBufferString(`{"psid":"7","region":"de"}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.StatusCode).To(Equal(200))
		u, ok := g.LookupUser("7")
		Expect(ok).To(BeTrue())
		Expect(u.Region).To(Equal("DE"))
		Expect(u.Locale).To(Equal("de_DE"))
		Expect(u.FirstName).NotTo(BeEmpty())
	})
})
