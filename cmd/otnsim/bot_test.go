package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/sim/clock"
)

// The test binary doubles as the standalone bot: with OTNSIM_BOT_CHILD=1 it
// runs "otnsim bot" (configured by the environment) instead of the tests,
// so the restart test can kill a real process without a separate build.
func init() {
	if os.Getenv("OTNSIM_BOT_CHILD") == "1" {
		os.Exit(run([]string{"bot"}, os.Stdout, os.Stderr))
	}
}

// botProcess is "otnsim bot" running as a child process.
type botProcess struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

func startBot(graphURL, db string, page fakegraph.Page) *botProcess {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(),
		"OTNSIM_BOT_CHILD=1", "PORT=0", "OTNSIM_BOT_DB="+db,
		"OTNSIM_GRAPH_URL="+graphURL, "OTNSIM_PAGE_ID="+page.ID, "OTNSIM_PAGE_ACCESS_TOKEN="+page.AccessToken,
		"OTNSIM_APP_SECRET="+page.AppSecret, "OTNSIM_VERIFY_TOKEN="+page.VerifyToken)
	cmd.Stderr = GinkgoWriter
	out, err := cmd.StdoutPipe()
	Expect(err).NotTo(HaveOccurred())
	Expect(cmd.Start()).To(Succeed())
	line, err := bufio.NewReader(out).ReadString('\n')
	Expect(err).NotTo(HaveOccurred(), "bot printed: %q", line)
	fields := strings.Fields(line)
	Expect(len(fields)).To(BeNumerically(">=", 5), line)
	p := &botProcess{cmd: cmd, url: fields[4], done: make(chan struct{})}
	go func() { _, _ = io.Copy(io.Discard, out); _ = cmd.Wait(); close(p.done) }()
	// Readiness: Meta's verification handshake, a bounded number of tries.
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {page.VerifyToken}, "hub.challenge": {"4711"}}
	ready := false
	for i := 0; i < 100 && !ready; i++ {
		resp, err := http.Get(p.url + "/webhook?" + q.Encode())
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			ready = resp.StatusCode == 200 && string(body) == "4711"
		}
	}
	Expect(ready).To(BeTrue(), "the bot never answered the handshake")
	return p
}

func (p *botProcess) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

func (p *botProcess) trigger(clk clock.Clock, name string, data map[string]any) error {
	body, _ := json.Marshal(map[string]any{"trigger": name, "data": data, "now": clk.Now().UTC().Format(time.RFC3339Nano)})
	resp, err := http.Post(p.url+"/otnsim/trigger", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("trigger %s: HTTP %d: %s", name, resp.StatusCode, msg)
	}
	return nil
}

// killableMeta is Meta's side for the restart tests, on a virtual clock:
// fakegraph, whose webhooks reach whichever bot process runs now (the URL
// in botURL).
func killableMeta(seed uint64) (*clock.Virtual, fakegraph.Page, *fakegraph.Server, *atomic.Value) {
	clk := clock.NewVirtual(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	page := fakegraph.DefaultPage()
	botURL := &atomic.Value{}
	botURL.Store("http://127.0.0.1:1")
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target, _ := url.Parse(botURL.Load().(string))
		httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
	}))
	DeferCleanup(hook.Close)
	graph := fakegraph.New(fakegraph.Config{Page: page, Clock: clk, Seed: seed, Webhook: fakegraph.Webhook{URL: hook.URL + "/webhook"}})
	return clk, page, graph, botURL
}

// campaign returns the bot's one campaign.
func (p *botProcess) campaign() reference.CampaignStatus {
	resp, err := http.Get(p.url + "/reference/v1/campaigns")
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	var cs []reference.CampaignStatus
	Expect(json.NewDecoder(resp.Body).Decode(&cs)).To(Succeed())
	Expect(cs).To(HaveLen(1))
	return cs[0]
}

var _ = Describe("otnsim bot", func() {
	It("prints help with examples and exits 0", func() {
		code, out, _ := otnsim("bot", "--help")
		Expect(code).To(Equal(0))
		Expect(out).To(ContainSubstring("Examples:"))
		Expect(out).To(ContainSubstring("OTNSIM_GRAPH_URL"))
	})

	It("exits 2 on a bad flag, an unknown preset or a bad config file", func() {
		code, _, _ := otnsim("bot", "--nope")
		Expect(code).To(Equal(2))
		code, _, errOut := otnsim("bot", "--preset", "sloppy")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring(`unknown preset "sloppy"`))
		cfg := filepath.Join(GinkgoT().TempDir(), "bot.yaml")
		Expect(os.WriteFile(cfg, []byte("policy:\n  idle_after: soon\n"), 0o600)).To(Succeed())
		code, _, errOut = otnsim("bot", "--config", cfg)
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("bot.yaml:2:15"))
	})

	It("refuses to start without a Graph API URL rather than target the real one silently", func() {
		GinkgoT().Setenv("OTNSIM_GRAPH_URL", "")
		code, out, errOut := otnsim("bot", "--addr", "127.0.0.1:0")
		Expect(code).To(Equal(exitUsage))
		Expect(out).To(BeEmpty())
		Expect(strings.Count(errOut, "\n")).To(Equal(1), errOut)
		Expect(errOut).To(HavePrefix("otnsim bot: no Graph API URL: give --graph-url (or OTNSIM_GRAPH_URL)"))
		Expect(errOut).To(ContainSubstring("--real-graph"))

		code, _, errOut = otnsim("bot", "--addr", "127.0.0.1:0", "--real-graph", "--graph-url", "http://127.0.0.1:8787")
		Expect(code).To(Equal(exitUsage))
		Expect(errOut).To(ContainSubstring("give one or the other"))
	})

	It("targets the real Graph API only when told to", func() {
		u, err := botGraphURL("", true)
		Expect(err).NotTo(HaveOccurred())
		Expect(u).To(Equal("https://graph.facebook.com"))
		u, err = botGraphURL("https://graph.facebook.com", false)
		Expect(err).NotTo(HaveOccurred())
		Expect(u).To(Equal("https://graph.facebook.com"))
		u, err = botGraphURL("https://graph.facebook.com/", true)
		Expect(err).NotTo(HaveOccurred())
		Expect(u).To(Equal("https://graph.facebook.com/"))
		u, err = botGraphURL("http://127.0.0.1:8787", false)
		Expect(err).NotTo(HaveOccurred())
		Expect(u).To(Equal("http://127.0.0.1:8787"))
		_, err = botGraphURL("  ", false)
		Expect(err).To(HaveOccurred())
	})

	It("is killed mid-campaign and restarted on its SQLite store: no token lost, none spent twice, the lost answer reconciled", func() {
		const subscribers, killAt = 6, 3
		clk, page, graph, botURL := killableMeta(3)

		// Meta's side, with a crash armed: on the killAt-th token send Meta
		// acts, then the bot dies before it reads the answer.
		var tokenSends atomic.Int32
		var mu sync.Mutex
		var crash func()
		graphSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			mu.Lock()
			c := crash
			mu.Unlock()
			if c != nil && bytes.Contains(body, []byte("one_time_notif_token")) && tokenSends.Add(1) == killAt {
				graph.ServeHTTP(httptest.NewRecorder(), r)
				c()
				panic(http.ErrAbortHandler)
			}
			graph.ServeHTTP(w, r)
		}))
		defer graphSrv.Close()

		db := filepath.Join(GinkgoT().TempDir(), "bot.db")
		bot := startBot(graphSrv.URL, db, page)
		botURL.Store(bot.url)
		var psids []string
		for i := 0; i < subscribers; i++ {
			psid := fmt.Sprintf("2000%d", i)
			psids = append(psids, psid)
			Expect(graph.AddUser(fakegraph.User{PSID: psid})).To(Succeed())
			d, err := graph.UserMessage(psid, "Is the red lipstick back?")
			Expect(err).NotTo(HaveOccurred())
			Expect(d.Status).To(Equal(200))
			_, d, err = graph.NotifyMe(psid, "restock:red-lipstick")
			Expect(err).NotTo(HaveOccurred())
			Expect(d.Status).To(Equal(200))
		}
		clk.Advance(48 * time.Hour)

		mu.Lock()
		crash = bot.kill
		mu.Unlock()
		err := bot.trigger(clk, "otn.notify", map[string]any{"topic": "restock:red-lipstick", "text": "Red Lipstick is back!"})
		Expect(err).To(HaveOccurred(), "the bot should have died mid-campaign")
		mu.Lock()
		crash = nil
		mu.Unlock()
		led := graph.Ledger()
		consumed := 0
		for _, t := range led.Tokens {
			if t.State == fakegraph.TokenConsumed {
				consumed++
			}
		}
		Expect(consumed).To(Equal(killAt), "tokens spent before the crash")

		bot = startBot(graphSrv.URL, db, page)
		defer bot.kill()
		botURL.Store(bot.url)
		clk.Advance(time.Minute)
		Expect(bot.trigger(clk, "tick", nil)).To(Succeed())

		// The send whose answer the bot never read is made again with the
		// same token on restart: Meta's refusal (already used) tells the
		// bot that it was delivered.
		led = graph.Ledger()
		resent := 0
		for _, psid := range psids {
			toks := led.TokensFor(psid, "restock:red-lipstick")
			Expect(toks).To(HaveLen(1))
			Expect(toks[0].State).To(Equal(fakegraph.TokenConsumed), psid)
			for _, r := range toks[0].Rejected {
				Expect(r.Reason).To(ContainSubstring("already been used"))
				resent++
			}
		}
		Expect(resent).To(Equal(1))
		refused := 0
		for _, c := range led.Calls {
			if !c.OK {
				refused++
				Expect(c.Rule).To(Equal("OTN-TOKEN-ONCE"), c.Describe())
			}
		}
		Expect(refused).To(Equal(1))

		c := bot.campaign()
		Expect(c.State).To(Equal(reference.CampaignDone))
		Expect(c.Delivered).To(Equal(subscribers))
		Expect(c.ViaToken).To(Equal(subscribers))
		Expect(c.Uncertain).To(BeZero())
	})

	It("survives repeated kill -9s mid-campaign, before and after Meta acts: every token spent exactly once, none uncertain", func() {
		const subscribers = 30
		topic := "restock:red-lipstick"
		clk, page, graph, botURL := killableMeta(5)

		// The kills, by the token send (first sends and resends together)
		// they strike: "before" kills the bot as its call arrives, which
		// Meta never sees (the bot claimed the token and died); "after"
		// lets Meta act first (the bot dies before it reads the answer).
		plan := map[int32]string{}
		for n := int32(2); n <= subscribers; n += 3 {
			plan[n] = map[bool]string{true: "before", false: "after"}[n%2 == 0]
		}
		var tokenSends, kills atomic.Int32
		var mu sync.Mutex
		var current *botProcess
		graphSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if bytes.Contains(body, []byte("one_time_notif_token")) {
				if when, ok := plan[tokenSends.Add(1)]; ok {
					if when == "after" {
						graph.ServeHTTP(httptest.NewRecorder(), r)
					}
					mu.Lock()
					current.kill()
					mu.Unlock()
					kills.Add(1)
					panic(http.ErrAbortHandler)
				}
			}
			graph.ServeHTTP(w, r)
		}))
		defer graphSrv.Close()

		var psids []string
		for i := range subscribers {
			psid := fmt.Sprintf("3000%02d", i)
			psids = append(psids, psid)
			Expect(graph.AddUser(fakegraph.User{PSID: psid})).To(Succeed())
		}
		db := filepath.Join(GinkgoT().TempDir(), "bot.db")
		restart := func() *botProcess {
			mu.Lock()
			defer mu.Unlock()
			current = startBot(graphSrv.URL, db, page)
			botURL.Store(current.url)
			return current
		}
		bot := restart()
		for _, psid := range psids {
			d, err := graph.UserMessage(psid, "Is the red lipstick back?")
			Expect(err).NotTo(HaveOccurred())
			Expect(d.Status).To(Equal(200))
			_, d, err = graph.NotifyMe(psid, topic)
			Expect(err).NotTo(HaveOccurred())
			Expect(d.Status).To(Equal(200))
		}
		clk.Advance(48 * time.Hour)

		err := bot.trigger(clk, "otn.notify", map[string]any{"topic": topic, "text": "Red Lipstick is back!"})
		for round := 0; ; round++ {
			Expect(round).To(BeNumerically("<", 10*len(plan)), "the campaign never finished")
			if err != nil { // killed: restart on the same file
				<-bot.done
				bot = restart()
			} else if bot.campaign().State == reference.CampaignDone {
				break
			}
			clk.Advance(time.Minute)
			err = bot.trigger(clk, "tick", nil)
		}
		defer bot.kill()
		Expect(kills.Load()).To(Equal(int32(len(plan))), "every planned kill struck")

		led := graph.Ledger()
		for _, psid := range psids {
			toks := led.TokensFor(psid, topic)
			Expect(toks).To(HaveLen(1))
			Expect(toks[0].State).To(Equal(fakegraph.TokenConsumed), "%s: a token left unspent at Meta", psid)
			for _, r := range toks[0].Rejected {
				Expect(r.Reason).To(ContainSubstring("already been used"), psid)
			}
		}
		delivered := map[string]int{}
		for _, c := range led.Calls {
			if c.OK && c.TokenSeq != 0 {
				delivered[c.PSID]++
			}
		}
		for _, psid := range psids {
			Expect(delivered[psid]).To(Equal(1), "%s: notifications delivered", psid)
		}
		c := bot.campaign()
		Expect(c.Delivered).To(Equal(subscribers))
		Expect(c.ViaToken).To(Equal(subscribers))
		Expect(c.Uncertain).To(BeZero())
		Expect(c.Failed).To(BeZero())
		Expect(c.Pending).To(BeZero())
	})
})
