package compliance_test

import (
	"io"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/compliance/testdata/bots/minibot"
	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/scenarios"
)

// quiet discards a bot's log lines.
func quiet(string, ...any) {}

// mini returns the minibot with faults f as an in-process handler for page.
func mini(f minibot.Faults, page fakegraph.Page) http.Handler {
	return minibot.New(f, minibot.Config{GraphURL: fakegraph.DefaultGraphURL, AccessToken: page.AccessToken,
		AppSecret: page.AppSecret, VerifyToken: page.VerifyToken, Logf: quiet})
}

// checkIn runs the shipped compliance suite against a bot in this process.
func checkIn(bot http.Handler, cfg compliance.InProcessConfig) *compliance.Report {
	suite, err := scenarios.LoadFS(scenarios.Shipped(), "compliance")
	Expect(err).NotTo(HaveOccurred())
	ip, err := compliance.NewInProcess(bot, cfg)
	Expect(err).NotTo(HaveOccurred())
	defer ip.Close()
	rep, err := compliance.Check(ip, "in process", suite, 0)
	Expect(err).NotTo(HaveOccurred())
	return rep
}

// stubTransport answers every request 204 and counts them.
type stubTransport struct{ hosts []string }

func (s *stubTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	s.hosts = append(s.hosts, r.URL.Host)
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
}

// routed serves bot under other routes: webhook at /fb/hook, triggers at /sim/trigger.
func routed(bot http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fb/hook":
			r.URL.Path = "/webhook"
		case "/sim/trigger":
			r.URL.Path = "/otnsim/trigger"
		default:
			http.NotFound(w, r)
			return
		}
		bot.ServeHTTP(w, r)
	})
}

var _ = Describe("compliance.Check on a bot in this process", func() {
	page := fakegraph.DefaultPage()

	It("passes the minibot through http.DefaultTransport on every rule, and restores the transport", func() {
		before := http.DefaultTransport
		rep := checkIn(mini(minibot.Faults{}, page), compliance.InProcessConfig{})
		Expect(rep.Rows).To(HaveLen(len(rules.All())))
		Expect(verdicts(rep, compliance.Fail)).To(BeEmpty())
		Expect(verdicts(rep, compliance.NotExercised)).To(BeEmpty())
		Expect(http.DefaultTransport).To(BeIdenticalTo(before))
	})

	DescribeTable("catches each faulty minibot by the expected rules and no others, as over HTTP",
		func(f minibot.Faults, want ...string) {
			rep := checkIn(mini(f, page), compliance.InProcessConfig{})
			Expect(verdicts(rep, compliance.Fail)).To(ConsistOf(want))
		},
		Entry("reuses spent tokens", minibot.Faults{ReuseTokens: true}, rules.TokenOnce),
		Entry("promotes outside the window", minibot.Faults{PromoteOutsideWindow: true}, rules.Win24h),
		Entry("skips signature checks", minibot.Faults{SkipSignature: true}, rules.HookSignature),
		Entry("asks outside the window", minibot.Faults{AskOutsideWindow: true}, rules.ReqWindow),
		Entry("ignores idleness", minibot.Faults{IgnoreIdle: true}, rules.Idle),
	)

	It("passes the reference bot through its own client, whose transport it restores", func() {
		stub := &stubTransport{}
		client := &http.Client{Transport: stub}
		bot, err := reference.New(reference.Config{
			GraphURL: fakegraph.DefaultGraphURL, PageID: page.ID, PageAccessToken: page.AccessToken,
			AppSecret: page.AppSecret, VerifyToken: page.VerifyToken, Client: client,
			Clock: reference.NewHarnessClock(time.Time{}), Setup: reference.Setup{Policy: reference.DefaultPolicy()},
		})
		Expect(err).NotTo(HaveOccurred())
		defer bot.Close()
		rep := checkIn(bot, compliance.InProcessConfig{Client: client})
		Expect(verdicts(rep, compliance.Fail)).To(BeEmpty())
		Expect(verdicts(rep, compliance.NotExercised)).To(BeEmpty())
		Expect(client.Transport).To(BeIdenticalTo(stub))
		Expect(stub.hosts).To(BeEmpty(), "every call went to fakegraph")
	})

	It("routes only Graph API hosts to fakegraph; other hosts reach the client's own transport", func() {
		stub := &stubTransport{}
		client := &http.Client{Transport: stub}
		ip, err := compliance.NewInProcess(mini(minibot.Faults{}, page), compliance.InProcessConfig{Client: client})
		Expect(err).NotTo(HaveOccurred())
		defer ip.Close()
		resp, err := client.Get("https://example.com/elsewhere")
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.StatusCode).To(Equal(http.StatusNoContent))
		resp, err = client.Get("https://graph.facebook.com/v19.0/me")
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.StatusCode).To(Equal(http.StatusServiceUnavailable), "no world is running yet")
		body, _ := io.ReadAll(resp.Body)
		Expect(string(body)).To(ContainSubstring("no simulation is running"))
		Expect(stub.hosts).To(Equal([]string{"example.com"}))
		Expect(ip.GraphCallsSince(0)).To(HaveLen(1))
	})

	It("hands every world the bot's own credentials and reaches it at its own routes", func() {
		mine := fakegraph.Page{ID: "2000000000002", AccessToken: "EAAmine", AppSecret: "my-secret", VerifyToken: "my-verify"}
		rep := checkIn(routed(mini(minibot.Faults{}, mine)), compliance.InProcessConfig{Page: mine, WebhookPath: "/fb/hook", TriggerPath: "/sim/trigger"})
		Expect(verdicts(rep, compliance.Fail)).To(BeEmpty())
		Expect(verdicts(rep, compliance.NotExercised)).To(BeEmpty())
	})

	It("refuses a bot that does not answer the handshake with the page's verify token", func() {
		wrong := page
		wrong.VerifyToken = "something-else"
		_, err := compliance.NewInProcess(mini(minibot.Faults{}, wrong), compliance.InProcessConfig{})
		Expect(err).To(MatchError(ContainSubstring("verification handshake with HTTP 403")))
	})

	It("stops at a bot that panics, with the panic and its stack, and gives no verdict", func() {
		inner := mini(minibot.Faults{}, page)
		bot := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Path == "/webhook" {
				var m map[string]int
				m["boom"]++ // nil map write
			}
			inner.ServeHTTP(w, r)
		})
		suite, err := scenarios.LoadFS(scenarios.Shipped(), "compliance")
		Expect(err).NotTo(HaveOccurred())
		ip, err := compliance.NewInProcess(bot, compliance.InProcessConfig{})
		Expect(err).NotTo(HaveOccurred())
		defer ip.Close()
		rep, err := compliance.Check(ip, "panics", suite, 0)
		Expect(rep).To(BeNil())
		Expect(err).To(MatchError(ContainSubstring("POST /webhook panicked: assignment to entry in nil map")))
		Expect(err.Error()).To(ContainSubstring("inprocess_test.go"), "the stack names the panicking line")
		Expect(ip.Err()).To(Equal(err))
	})

	It("stops at a bot that answers 5xx", func() {
		inner := mini(minibot.Faults{}, page)
		bot := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/trigger") {
				http.Error(w, "database is down", http.StatusInternalServerError)
				return
			}
			inner.ServeHTTP(w, r)
		})
		ip, err := compliance.NewInProcess(bot, compliance.InProcessConfig{})
		Expect(err).NotTo(HaveOccurred())
		defer ip.Close()
		suite, err := scenarios.LoadFS(scenarios.Shipped(), "compliance")
		Expect(err).NotTo(HaveOccurred())
		_, err = compliance.Check(ip, "5xx", suite, 0)
		Expect(err).To(MatchError(MatchRegexp(`POST /otnsim/trigger .*answered HTTP 500: database is down`)))
	})
})
