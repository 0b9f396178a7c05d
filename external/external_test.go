package external_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/external"
	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/sim"
)

// stubBot is an in-process bot reached over loopback (the --bot-url way).
// onPost answers webhook events and triggers.
func stubBot(onPost http.HandlerFunc) *httptest.Server {
	page := fakegraph.DefaultPage()
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			if r.URL.Query().Get("hub.verify_token") != page.VerifyToken {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			_, _ = io.WriteString(w, r.URL.Query().Get("hub.challenge"))
			return
		}
		onPost(w, r)
	}))
}

func startURL(bot *httptest.Server, cfg external.Config) *external.Harness {
	cfg.URL = bot.URL
	cfg.GraphAddr = "127.0.0.1:0"
	h, err := external.Start(cfg)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(h.Stop)
	return h
}

func botErr(err error) *external.BotError {
	be, ok := external.AsBotError(err)
	Expect(ok).To(BeTrue(), "want a *BotError, got %v", err)
	return be
}

func textTo(graphURL, psid, text string) {
	body := `{"recipient":{"id":"` + psid + `"},"messaging_type":"UPDATE","message":{"text":"` + text + `"}}`
	resp, err := http.Post(graphURL+"/v19.0/me/messages?access_token="+url.QueryEscape(fakegraph.DefaultPage().AccessToken), "application/json", strings.NewReader(body))
	if err == nil {
		_ = resp.Body.Close()
	}
}

var _ = Describe("the external bot harness", func() {
	It("hands the bot the contract's environment", func() {
		h, err := external.Start(external.Config{Command: `printf 'g=%s p=%s t=%s s=%s v=%s port=%s\n' "$OTNSIM_GRAPH_URL" "$OTNSIM_PAGE_ID" "$OTNSIM_PAGE_ACCESS_TOKEN" "$OTNSIM_APP_SECRET" "$OTNSIM_VERIFY_TOKEN" "$PORT"; exec ` + crasher, StartTimeout: 10 * time.Second})
		Expect(err).NotTo(HaveOccurred())
		defer h.Stop()
		p := fakegraph.DefaultPage()
		Expect(h.Output()).To(MatchRegexp(`g=http://127\.0\.0\.1:\d+ p=` + p.ID + ` t=` + p.AccessToken + ` s=` + p.AppSecret + ` v=` + p.VerifyToken + ` port=\d+`))
		Expect(h.GraphURL()).To(HavePrefix("http://127.0.0.1:"))
	})

	It("reports a bot that never listens as an input error with its output, within the start timeout", func() {
		began := time.Now()
		_, err := external.Start(external.Config{Command: "echo warming up; exec sleep 30", StartTimeout: 300 * time.Millisecond})
		be := botErr(err)
		Expect(be.Kind).To(Equal(external.NeverReady))
		Expect(be.Output).To(ContainSubstring("warming up"))
		Expect(be.Report()).To(ContainSubstring("  | warming up"))
		Expect(time.Since(began)).To(BeNumerically("<", 5*time.Second), "stopping the bot must not wait for it")
	})

	It("reports a bot that exits before listening, with its exit status and output", func() {
		_, err := external.Start(external.Config{Command: "echo 'missing OTNSIM_APP_SECRET' >&2; exit 3"})
		be := botErr(err)
		Expect(be.Kind).To(Equal(external.Crashed))
		Expect(be.Msg).To(ContainSubstring("exited with status 3"))
		Expect(be.Output).To(ContainSubstring("missing OTNSIM_APP_SECRET"))
	})

	It("reports a bot that crashes mid-run, and stops the world at once", func() {
		h, err := external.Start(external.Config{Command: crasher, Settle: -1})
		Expect(err).NotTo(HaveOccurred())
		defer h.Stop()
		w, err := sim.NewWorld(sim.Options{Seed: 1, Bot: h.Factory(), PSID: h.NextPSID})
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Trigger("tick", nil)).NotTo(Succeed())
		be := botErr(h.Err())
		Expect(be.Kind).To(Equal(external.Crashed))
		Expect(be.Output).To(ContainSubstring("crasher: panic: nil map write"))
		_, err = sim.NewWorld(sim.Options{Seed: 2, Bot: h.Factory()})
		Expect(err).To(HaveOccurred(), "no world is built on a dead bot")
	})

	It("reports a bot that answers 500", func() {
		bot := stubBot(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "database is down", 500) })
		defer bot.Close()
		h := startURL(bot, external.Config{Settle: -1})
		w, err := sim.NewWorld(sim.Options{Seed: 1, Bot: h.Factory()})
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Trigger("tick", nil)).NotTo(Succeed())
		be := botErr(h.Err())
		Expect(be.Kind).To(Equal(external.ServerError))
		Expect(be.Msg).To(ContainSubstring("HTTP 500: database is down"))
	})

	It("reports a bot that hangs, after the step timeout", func() {
		release := make(chan struct{})
		bot := stubBot(func(w http.ResponseWriter, r *http.Request) { <-release })
		defer bot.Close()
		defer close(release)
		h := startURL(bot, external.Config{Settle: -1, StepTimeout: 200 * time.Millisecond})
		w, err := sim.NewWorld(sim.Options{Seed: 1, Bot: h.Factory()})
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Trigger("tick", nil)).NotTo(Succeed())
		Expect(botErr(h.Err()).Kind).To(Equal(external.Hung))
	})

	It("reports a bot that never stops calling the Graph API", func() {
		// The bot keeps two calls going; the world's Graph answers each one
		// only once the next has come in. So a call is always in flight from
		// the first on, however slow the machine, and the step can only end
		// at the step timeout.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var graphURL string
		bot := stubBot(func(w http.ResponseWriter, r *http.Request) {
			wg.Go(func() {
				slots := make(chan struct{}, 2)
				for {
					select {
					case <-stop:
						return
					case slots <- struct{}{}:
						wg.Go(func() {
							textTo(graphURL, "1", "again")
							<-slots
						})
					}
				}
			})
		})
		defer bot.Close()
		h := startURL(bot, external.Config{Settle: 250 * time.Millisecond, StepTimeout: 2 * time.Second})
		graphURL = h.GraphURL()
		relay := &handOver{stop: stop}
		factory := h.Factory()
		w, err := sim.NewWorld(sim.Options{Seed: 1, Bot: func(env sim.BotEnv) (http.Handler, error) {
			env.Graph = relay.wrap(env.Graph)
			return factory(env)
		}})
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Trigger("tick", nil)).NotTo(Succeed())
		close(stop)
		wg.Wait()
		be := botErr(h.Err())
		Expect(be.Kind).To(Equal(external.Hung))
		Expect(be.Msg).To(MatchRegexp(`kept calling the Graph API \([1-9] call\(s\) in flight\)`))
		Expect(relay.calls()).To(BeNumerically(">=", 1))
	})

	It("settles: a Send API call made after the bot answered lands before the step ends", func() {
		var graphURL string
		var psid string
		bot := stubBot(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			if r.URL.Path == "/webhook" { // not on the tick before the world's first event
				go textTo(graphURL, psid, "sent after answering")
			}
		})
		defer bot.Close()
		// The call must start within --settle of the answer: a second is
		// far more than a loaded machine takes to schedule it.
		h := startURL(bot, external.Config{Settle: time.Second})
		graphURL = h.GraphURL()
		w, err := sim.NewWorld(sim.Options{Seed: 1, Bot: h.Factory(), PSID: h.NextPSID})
		Expect(err).NotTo(HaveOccurred())
		ana, err := w.AddSubscriber(sim.SubscriberSpec{Alias: "ana"})
		Expect(err).NotTo(HaveOccurred())
		psid = ana.PSID
		Expect(psid).To(HavePrefix("79"))
		Expect(w.Say(ana, "hello")).To(Succeed())
		calls := w.Graph.Ledger().CallsFor(ana.PSID)
		Expect(calls).To(HaveLen(1))
		Expect(calls[0].OK).To(BeTrue())
		Expect(calls[0].Text).To(Equal("sent after answering"))
	})

	It("gives every subscriber a PSID no earlier world of the run used", func() {
		bot := stubBot(func(w http.ResponseWriter, r *http.Request) {})
		defer bot.Close()
		h := startURL(bot, external.Config{Settle: -1})
		seen := map[string]bool{}
		for i := 0; i < 3; i++ {
			w, err := sim.NewWorld(sim.Options{Seed: 7, Bot: h.Factory(), PSID: h.NextPSID})
			Expect(err).NotTo(HaveOccurred())
			s, err := w.AddSubscriber(sim.SubscriberSpec{Alias: "ana"})
			Expect(err).NotTo(HaveOccurred())
			Expect(seen).NotTo(HaveKey(s.PSID))
			seen[s.PSID] = true
		}
	})

	It("passes the bot's refusals of probe events back without judging them", func() {
		bot := stubBot(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) })
		defer bot.Close()
		h := startURL(bot, external.Config{Settle: -1})
		status, err := h.Deliver(http.Header{}, bytes.Repeat([]byte("x"), 10))
		Expect(err).NotTo(HaveOccurred())
		Expect(status).To(Equal(http.StatusForbidden))
		Expect(h.Err()).NotTo(HaveOccurred())
	})

	It("refuses a configuration naming both a command and a URL, or neither", func() {
		_, err := external.Start(external.Config{Command: "true", URL: "http://127.0.0.1:1"})
		Expect(err).To(MatchError(ContainSubstring("exactly one")))
		_, err = external.Start(external.Config{})
		Expect(err).To(HaveOccurred())
	})

	It("sends a tick at the world's time before its first event, so a bot learns that time went back", func() {
		var mu sync.Mutex
		var got []string
		bot := stubBot(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			got = append(got, r.Method+" "+r.URL.Path+" "+string(body))
			mu.Unlock()
		})
		defer bot.Close()
		h := startURL(bot, external.Config{Settle: -1})
		start := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
		w, err := sim.NewWorld(sim.Options{Seed: 1, Start: start, Bot: h.Factory(), PSID: h.NextPSID})
		Expect(err).NotTo(HaveOccurred())
		ana, err := w.AddSubscriber(sim.SubscriberSpec{Alias: "ana"})
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Say(ana, "hello")).To(Succeed())
		Expect(w.Say(ana, "again")).To(Succeed())
		mu.Lock()
		defer mu.Unlock()
		var posts []string
		for _, g := range got {
			if strings.HasPrefix(g, "POST ") {
				posts = append(posts, g)
			}
		}
		Expect(posts).To(HaveLen(3))
		Expect(posts[0]).To(HavePrefix("POST /otnsim/trigger "))
		Expect(posts[0]).To(ContainSubstring(`"trigger":"tick"`))
		Expect(posts[0]).To(ContainSubstring(`"now":"2025-03-01T08:00:00Z"`))
		Expect(posts[1]).To(HavePrefix("POST /webhook "))
		Expect(posts[2]).To(HavePrefix("POST /webhook "))
	})
})

// handOver answers each Graph call only once the next one has come in (or
// stop is closed): a bot that keeps calling has a call in flight at every
// moment.
type handOver struct {
	stop <-chan struct{}
	mu   sync.Mutex
	held chan struct{} // releases the call held now
	n    int
}

func (o *handOver) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mine := make(chan struct{})
		o.mu.Lock()
		if o.held != nil {
			close(o.held)
		}
		o.held = mine
		o.n++
		o.mu.Unlock()
		next.ServeHTTP(w, r)
		select {
		case <-mine:
		case <-o.stop:
		case <-r.Context().Done():
		}
	})
}

func (o *handOver) calls() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n
}
