package sim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/sim"
)

// recordingBot answers the handshake, keeps every webhook body, and on a
// message "send" posts one Send API call to the sender.
type recordingBot struct {
	mu     sync.Mutex
	bodies []string
	status int
}

func (b *recordingBot) factory(env sim.BotEnv) (http.Handler, error) {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			_, _ = io.WriteString(w, r.URL.Query().Get("hub.challenge"))
			return
		}
		raw, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.bodies = append(b.bodies, string(raw))
		status := b.status
		b.mu.Unlock()
		if status != 0 {
			w.WriteHeader(status)
			return
		}
		var env2 struct {
			Entry []struct {
				Messaging []struct {
					Sender  struct{ ID string }
					Message *struct{ Text string }
				}
			}
		}
		_ = json.Unmarshal(raw, &env2)
		for _, e := range env2.Entry {
			for _, m := range e.Messaging {
				if m.Message != nil && m.Message.Text == "send" {
					body := `{"recipient":{"id":"` + m.Sender.ID + `"},"messaging_type":"RESPONSE","message":{"text":"ok"}}`
					resp, err := env.Client.Post(env.GraphURL+"/v19.0/me/messages?access_token="+env.PageAccessToken, "application/json", strings.NewReader(body))
					if err == nil {
						_ = resp.Body.Close()
					}
				}
			}
		}
	}), nil
}

func (b *recordingBot) received() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.bodies...)
}

var _ = Describe("World deliveries", func() {
	newWorld := func(bot *recordingBot, set fakegraph.Settings) (*sim.World, *sim.Subscriber) {
		w, err := sim.NewWorld(sim.Options{Seed: 5, Bot: bot.factory, Settings: set})
		Expect(err).NotTo(HaveOccurred())
		s, err := w.AddSubscriber(sim.SubscriberSpec{Alias: "ana", Region: "US"})
		Expect(err).NotTo(HaveOccurred())
		return w, s
	}

	It("carries a quick reply's payload and a reaction, both opening the window", func() {
		bot := &recordingBot{}
		w, s := newWorld(bot, fakegraph.Settings{})
		Expect(w.QuickReply(s, "Yes", "WANTS_NEWS")).To(Succeed())
		Expect(bot.received()[0]).To(ContainSubstring(`"quick_reply":{"payload":"WANTS_NEWS"}`))
		w.Advance(25 * time.Hour)
		Expect(w.Graph.WindowOpen(s.PSID)).To(BeFalse())
		Expect(w.React(s, "👍")).To(Succeed())
		Expect(bot.received()[1]).To(ContainSubstring(`"reaction":"like"`))
		Expect(w.Graph.WindowOpen(s.PSID)).To(BeTrue())
	})

	It("does not fail a step whose delivery the settings duplicate or hold back", func() {
		set := fakegraph.DefaultSettings()
		set.Webhook.DuplicateRate = 1
		bot := &recordingBot{}
		w, s := newWorld(bot, set)
		Expect(w.Say(s, "hi")).To(Succeed())
		Expect(bot.received()).To(HaveLen(2))

		set = fakegraph.DefaultSettings()
		set.Webhook.ReorderRate = 1
		bot = &recordingBot{}
		w, s = newWorld(bot, set)
		Expect(w.Say(s, "hi")).To(Succeed())
		Expect(bot.received()).To(BeEmpty())
		w.Advance(set.Webhook.ReorderDelay - time.Millisecond)
		Expect(bot.received()).To(BeEmpty())
		w.Advance(time.Millisecond)
		Expect(bot.received()).To(HaveLen(1))
	})

	It("still fails a step the bot answered with an error", func() {
		bot := &recordingBot{status: http.StatusInternalServerError}
		w, s := newWorld(bot, fakegraph.Settings{})
		Expect(w.Say(s, "hi")).To(MatchError(ContainSubstring("bot answered HTTP 500")))
	})

	It("lets a delayed Send API answer take virtual time, then runs what came due meanwhile", func() {
		bot := &recordingBot{}
		w, s := newWorld(bot, fakegraph.Settings{})
		Expect(w.Graph.ArmFault(fakegraph.Fault{Kind: fakegraph.FaultLatency, Latency: 3 * time.Second})).To(Succeed())
		fired := time.Time{}
		w.Clock.AfterFunc(time.Second, func() { fired = w.Clock.Now() })
		start := w.Clock.Now()
		Expect(w.Say(s, "send")).To(Succeed())
		led := w.Graph.Ledger()
		Expect(led.Calls).To(HaveLen(1))
		Expect(led.Calls[0].At).To(Equal(start.Add(3 * time.Second)))
		Expect(w.Clock.Now()).To(Equal(start.Add(3 * time.Second)))
		Expect(fired).To(Equal(start.Add(3*time.Second)), "the timer due during the wait ran once the call was over")
	})
})
