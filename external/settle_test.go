package external_test

import (
	"io"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/external"
	"github.com/otnsim/otnsim/sim"
)

// sayBot answers every webhook event and, at once (before) or after delay
// (after), sends the subscriber psid() one text.
func sayBot(graphURL, psid func() string, after bool, delay time.Duration) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path != "/webhook" {
			return
		}
		if !after {
			textTo(graphURL(), psid(), "sent before answering")
			return
		}
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		go func() {
			time.Sleep(delay)
			textTo(graphURL(), psid(), "sent after answering")
		}()
	}
}

// sayWorld builds a world on h with one subscriber, ana.
func sayWorld(h *external.Harness) (*sim.World, *sim.Subscriber) {
	w, err := sim.NewWorld(sim.Options{Seed: 1, Bot: h.Factory(), PSID: h.NextPSID})
	Expect(err).NotTo(HaveOccurred())
	ana, err := w.AddSubscriber(sim.SubscriberSpec{Alias: "ana"})
	Expect(err).NotTo(HaveOccurred())
	return w, ana
}

var _ = Describe("settling, learned from the bot", func() {
	var h *external.Harness
	var psid string
	graphURL := func() string { return h.GraphURL() }
	who := func() string { return psid }

	It("waits the whole of --settle only until a bot has shown, a few times, that it calls before answering", func() {
		const most = 500 * time.Millisecond
		bot := stubBot(sayBot(graphURL, who, false, 0))
		defer bot.Close()
		h = startURL(bot, external.Config{Settle: most})
		w, ana := sayWorld(h)
		psid = ana.PSID
		began := time.Now()
		Expect(w.Say(ana, "hello")).To(Succeed())
		Expect(time.Since(began)).To(BeNumerically(">=", most), "a bot not yet seen gets the whole quiet period")
		Expect(w.Say(ana, "again")).To(Succeed())
		Expect(w.Say(ana, "and again")).To(Succeed())
		// A step never takes less than the quiet period it waits for: were
		// it still the whole of --settle, none of ten would be quicker.
		fastest := time.Hour
		for range 10 {
			began = time.Now()
			Expect(w.Say(ana, "quick")).To(Succeed())
			fastest = min(fastest, time.Since(began))
		}
		Expect(fastest).To(BeNumerically("<", most), "a bot known to call before answering gets a far shorter quiet period")
		Expect(w.Graph.Ledger().CallsFor(ana.PSID)).To(HaveLen(13))
		Expect(h.LateCalls()).To(BeEmpty())
	})

	It("catches the calls of a bot that answers first and sends afterwards, waiting far less than --settle once it knows the bot", func() {
		const most = time.Second
		bot := stubBot(sayBot(graphURL, who, true, 5*time.Millisecond))
		defer bot.Close()
		h = startURL(bot, external.Config{Settle: most})
		w, ana := sayWorld(h)
		psid = ana.PSID
		began := time.Now()
		for i := range 10 {
			Expect(w.Say(ana, "hello")).To(Succeed())
			Expect(w.Graph.Ledger().CallsFor(ana.PSID)).To(HaveLen(i+1), "the call sent after answering lands in its own step")
		}
		Expect(time.Since(began)).To(BeNumerically("<", 5*most), "ten steps take far less than ten full quiet periods")
		h.Drain(100*time.Millisecond, 2*time.Second)
		Expect(h.LateCalls()).To(BeEmpty())
	})

	It("counts a call made after its step was closed as a late call, naming the step", func() {
		// The bot sends only once the spec has seen the step closed.
		release := make(chan struct{})
		bot := stubBot(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			if r.URL.Path != "/webhook" {
				return
			}
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			go func() {
				<-release
				textTo(graphURL(), psid, "sent after answering")
			}()
		})
		defer bot.Close()
		h = startURL(bot, external.Config{Settle: -1}) // no quiet period at all
		w, ana := sayWorld(h)
		psid = ana.PSID
		h.Step("the say step")
		Expect(w.Say(ana, "hello")).To(Succeed())
		Expect(w.Graph.Ledger().CallsFor(ana.PSID)).To(BeEmpty(), "the step closed before the bot sent")
		close(release)
		Eventually(h.LateCalls).WithTimeout(30 * time.Second).Should(HaveLen(1))
		late := h.LateCalls()
		Expect(late[0].Method).To(Equal(http.MethodPost))
		Expect(late[0].Path).To(Equal("/v19.0/me/messages"))
		Expect(late[0].After).To(Equal("POST /webhook"))
		Expect(late[0].Step).To(Equal("the say step"))
		Expect(late[0].Gap).To(BeNumerically(">", 0))
		Expect(late[0].String()).To(HavePrefix("POST /v19.0/me/messages "))
		Expect(strings.Contains(late[0].String(), "after POST /webhook was closed (the say step)")).To(BeTrue(), late[0].String())
	})

	It("does not take the bot's calls while it starts for late ones", func() {
		bot := stubBot(func(w http.ResponseWriter, r *http.Request) {})
		defer bot.Close()
		h = startURL(bot, external.Config{Settle: -1})
		textTo(h.GraphURL(), "1", "hello from start-up")
		Expect(h.LateCalls()).To(BeEmpty())
	})
})
