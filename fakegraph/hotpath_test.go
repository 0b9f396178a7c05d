package fakegraph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/internal/servebench"
)

// orders returns the ledger orders of every call and event, sorted.
func orders(l fakegraph.Ledger) []int {
	var out []int
	for _, c := range l.Calls {
		out = append(out, c.Order)
	}
	for _, e := range l.Events {
		out = append(out, e.Order)
	}
	sort.Ints(out)
	return out
}

// expectConsistent checks a ledger snapshot: calls and events numbered 1, 2,
// ... in the order recorded, their orders together exactly 1..n.
func expectConsistent(l fakegraph.Ledger) {
	for i, c := range l.Calls {
		ExpectWithOffset(1, c.Seq).To(Equal(i+1), "call seq")
		if i > 0 {
			ExpectWithOffset(1, c.Order).To(BeNumerically(">", l.Calls[i-1].Order), "call order")
		}
	}
	for i, e := range l.Events {
		ExpectWithOffset(1, e.Seq).To(Equal(i+1), "event seq")
		if i > 0 {
			ExpectWithOffset(1, e.Order).To(BeNumerically(">", l.Events[i-1].Order), "event order")
		}
	}
	for i, o := range orders(l) {
		ExpectWithOffset(1, o).To(Equal(i+1), "orders are 1..n without a gap")
	}
}

var _ = Describe("the Send API under load", func() {
	It("spends a token exactly once when 1,000 sends race for it over loopback HTTP", func() {
		e := newEnv(func(s *fakegraph.Settings) { s.RateLimit.Disabled = true })
		tok := e.optIn("111", "t")
		srv := httptest.NewServer(e.graph)
		defer srv.Close()
		tr := &http.Transport{MaxIdleConnsPerHost: 1000}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr}
		body, err := json.Marshal(tokenSend(tok, "race"))
		Expect(err).NotTo(HaveOccurred())
		before := len(e.graph.Ledger().Calls)

		var ok, refused atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < 1000; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer GinkgoRecover()
				<-start
				resp, err := client.Post(srv.URL+"/v19.0/me/messages"+tokenQS(), "application/json", bytes.NewReader(body))
				Expect(err).NotTo(HaveOccurred())
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					ok.Add(1)
				case http.StatusBadRequest:
					refused.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		Expect(ok.Load()).To(Equal(int32(1)))
		Expect(refused.Load()).To(Equal(int32(999)))

		l := e.graph.Ledger()
		expectConsistent(l)
		calls := l.Calls[before:]
		Expect(calls).To(HaveLen(1000))
		accepted := 0
		for i, c := range calls {
			Expect(c.TokenSeq).To(Equal(1))
			if c.OK {
				accepted++
				Expect(i).To(Equal(0), "the call recorded first is the one that spent the token")
			}
		}
		Expect(accepted).To(Equal(1))
		t := l.TokensFor("111", "t")[0]
		Expect(t.State).To(Equal(fakegraph.TokenConsumed))
		Expect(t.Rejected).To(HaveLen(999))
	})

	It("keeps the ledger in recording order across many chunks, and a snapshot taken meanwhile is a prefix of it", func() {
		e := newEnv(func(s *fakegraph.Settings) { s.RateLimit.Disabled = true })
		_, err := e.graph.UserMessage("111", "hi")
		Expect(err).NotTo(HaveOccurred())
		send := func(psid string) {
			_, err := e.graph.Send(&fakegraph.SendRequest{Recipient: fakegraph.Recipient{ID: psid}, MessagingType: "RESPONSE",
				Message: &fakegraph.Message{Text: "x"}})
			_ = err // 222's window is closed: a refusal is recorded too
		}
		var wg sync.WaitGroup
		stop := make(chan struct{})
		snaps := make(chan fakegraph.Ledger, 1000)
		wg.Add(1)
		go func() { // reads the ledger while it grows
			defer wg.Done()
			for {
				select {
				case <-stop:
					close(snaps)
					return
				default:
					snaps <- e.graph.Ledger()
				}
			}
		}()
		var writers sync.WaitGroup
		for w := 0; w < 4; w++ {
			writers.Add(1)
			go func() {
				defer writers.Done()
				defer GinkgoRecover()
				for i := 0; i < 300; i++ {
					switch i % 3 {
					case 0:
						send("111")
					case 1:
						send("222")
					default:
						e.graph.RecordStep("step")
					}
				}
			}()
		}
		writers.Wait()
		close(stop)
		n := 0
		for l := range snaps {
			expectConsistent(l)
			n++
		}
		wg.Wait()
		Expect(n).To(BeNumerically(">", 0))

		l := e.graph.Ledger()
		expectConsistent(l)
		Expect(l.Calls).To(HaveLen(800))
		steps := 0
		for _, ev := range l.Events {
			if ev.Kind == "step" {
				steps++
			}
		}
		Expect(steps).To(Equal(400))
		ok := 0
		for _, c := range l.Calls {
			if c.OK {
				ok++
				Expect(c.PSID).To(Equal("111"))
				Expect(c.MessageID).To(MatchRegexp(`^m_[A-Za-z0-9_-]{32}$`))
			}
		}
		Expect(ok).To(Equal(400))
		e.graph.Reset()
		Expect(e.graph.Ledger().Calls).To(BeNil())
	})

	It("strikes faults armed after calls that found none, and stops when they are spent or cleared", func() {
		e := newEnv()
		_, err := e.graph.UserMessage("111", "hi")
		Expect(err).NotTo(HaveOccurred())
		Expect(e.send(text("111", "a")).Status).To(Equal(200))
		Expect(e.graph.ArmFault(fakegraph.Fault{Kind: fakegraph.FaultGraphError, Code: 2, Times: 2})).To(Succeed())
		Expect(e.send(text("111", "b")).code()).To(Equal(2))
		Expect(e.send(text("111", "c")).code()).To(Equal(2))
		Expect(e.send(text("111", "d")).Status).To(Equal(200))
		Expect(e.graph.ArmFault(fakegraph.Fault{Kind: fakegraph.FaultGraphError, Code: 2, Times: -1})).To(Succeed())
		Expect(e.send(text("111", "e")).code()).To(Equal(2))
		e.graph.ClearFaults()
		Expect(e.send(text("111", "f")).Status).To(Equal(200))
		Expect(e.graph.ArmFault(fakegraph.Fault{Kind: fakegraph.FaultGraphError, Code: 2})).To(Succeed())
		Expect(e.send(text("111", "g")).code()).To(Equal(2))
		Expect(e.send(text("111", "h")).Status).To(Equal(200))
	})

	It("answers the benchmark's send with a body the bare baseline copies byte for byte but for the id", func() {
		g := e0().graph
		_, err := g.UserMessage(servebench.PSID, "hi")
		Expect(err).NotTo(HaveOccurred())
		do := func(h http.Handler) (int, http.Header, string) {
			req := httptest.NewRequest(http.MethodPost, graphBase+servebench.SendPath[len("/v19.0/"):]+tokenQS(), bytes.NewReader([]byte(servebench.SendBody)))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec.Code, rec.Header(), rec.Body.String()
		}
		code, hdr, body := do(g)
		bareCode, bareHdr, bareBody := do(servebench.Bare())
		Expect(code).To(Equal(http.StatusOK), body)
		Expect(bareCode).To(Equal(code))
		Expect(bareHdr).To(Equal(hdr))
		id := regexp.MustCompile(`"m_[A-Za-z0-9_-]{32}"`)
		Expect(id.ReplaceAllString(bareBody, "ID")).To(Equal(id.ReplaceAllString(body, "ID")))
		Expect(bareBody).To(HaveLen(len(body)))
	})

	DescribeTable("reads the page token from the query string as url.ParseQuery does",
		func(query string, want int) {
			r := e0().raw(http.MethodPost, graphBase+"me/messages?"+query, "application/json", []byte(`{"recipient":{"id":"111"},"sender_action":"typing_on"}`))
			Expect(r.code()).To(Equal(want), string(r.Raw))
		},
		Entry("the token", "access_token=EAAotnsimPAGEtoken", 10), // the window is closed: past authorization
		Entry("the first of two tokens", "access_token=EAAotnsimPAGEtoken&access_token=wrong", 10),
		Entry("the first of two tokens, wrong first", "access_token=wrong&access_token=EAAotnsimPAGEtoken", 190),
		Entry("an escaped key", "access%5Ftoken=EAAotnsimPAGEtoken", 10),
		Entry("an escaped value", "access_token=%45AAotnsimPAGEtoken", 10),
		Entry("a plus in the value", "access_token=EAAotnsim+PAGEtoken", 190),
		Entry("a semicolon in the pair (skipped)", "access_token=EAAotnsimPAGEtoken;x", 190),
		Entry("a semicolon elsewhere", "x=1;y=2&access_token=EAAotnsimPAGEtoken", 10),
		Entry("a bad escape elsewhere", "x=%zz&access_token=EAAotnsimPAGEtoken", 10),
		Entry("a key without a value", "access_token&access_token=EAAotnsimPAGEtoken", 190),
		Entry("an empty pair", "&&access_token=EAAotnsimPAGEtoken", 10),
		Entry("a wrong appsecret_proof", "access_token=EAAotnsimPAGEtoken&appsecret_proof=00", 100),
		Entry("the right appsecret_proof", "access_token=EAAotnsimPAGEtoken&appsecret_proof="+
			fakegraph.AppSecretProof(fakegraph.DefaultPage().AppSecret, fakegraph.DefaultPage().AccessToken), 10),
	)
})

// e0 is a fresh env for table entries.
func e0() *env { return newEnv() }
