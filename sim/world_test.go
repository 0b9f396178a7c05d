package sim_test

import (
	"io"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/sim"
)

// echoBot answers the handshake and accepts everything else.
func echoBot(env sim.BotEnv) (http.Handler, error) {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			if r.URL.Query().Get("hub.verify_token") != env.VerifyToken {
				w.WriteHeader(403)
				return
			}
			_, _ = io.WriteString(w, r.URL.Query().Get("hub.challenge"))
		}
	}), nil
}

var _ = Describe("World", func() {
	It("generates the same subscribers from the same seed", func() {
		gen := func(seed int64) []sim.Subscriber {
			w, err := sim.NewWorld(sim.Options{Seed: seed, Bot: echoBot})
			Expect(err).NotTo(HaveOccurred())
			var out []sim.Subscriber
			for i := 0; i < 20; i++ {
				s, err := w.AddSubscriber(sim.SubscriberSpec{})
				if err != nil {
					continue // a generated alias can repeat; the PSIDs still must match
				}
				out = append(out, *s)
			}
			return out
		}
		a, b, c := gen(1), gen(1), gen(2)
		Expect(a).To(Equal(b))
		Expect(a).NotTo(Equal(c))
		for _, s := range a {
			Expect(s.PSID).To(MatchRegexp(`^7\d{15}$`))
			Expect(s.FirstName).NotTo(BeEmpty())
			Expect(s.Locale).To(MatchRegexp(`^[a-z]{2}_[A-Z]{2}$`))
			Expect(sim.KnownRegion(s.Region)).To(BeTrue())
		}
	})

	It("honours what a spec fixes and derives locale and timezone from the region", func() {
		w, err := sim.NewWorld(sim.Options{Seed: 1, Bot: echoBot})
		Expect(err).NotTo(HaveOccurred())
		s, err := w.AddSubscriber(sim.SubscriberSpec{Alias: "kenji", Region: "jp", Name: "Kenji Sato"})
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Region).To(Equal("JP"))
		Expect(s.Locale).To(Equal("ja_JP"))
		Expect(s.Timezone).To(Equal(9.0))
		Expect(s.Zone).To(Equal("Asia/Tokyo"), "the country's main IANA zone")
		chi, err := w.AddSubscriber(sim.SubscriberSpec{Alias: "cal", Region: "US", Zone: "America/Chicago"})
		Expect(err).NotTo(HaveOccurred())
		Expect(chi.Zone).To(Equal("America/Chicago"))
		Expect(chi.Timezone).To(Equal(-6.0), "its standard time")
		tz := 5.5
		fixed, err := w.AddSubscriber(sim.SubscriberSpec{Alias: "fix", Region: "IN", Timezone: &tz})
		Expect(err).NotTo(HaveOccurred())
		Expect(fixed.Zone).To(BeEmpty(), "a fixed offset has no zone")
		_, err = w.AddSubscriber(sim.SubscriberSpec{Alias: "bad", Region: "DE", Zone: "America/Chicago"})
		Expect(err).To(MatchError(ContainSubstring("not a time zone of DE")))
		Expect(s.FirstName).To(Equal("Kenji"))
		_, err = w.AddSubscriber(sim.SubscriberSpec{Alias: "kenji"})
		Expect(err).To(MatchError(ContainSubstring("declared twice")))
		_, err = w.AddSubscriber(sim.SubscriberSpec{Alias: "x", Region: "ZZ"})
		Expect(err).To(MatchError(ContainSubstring("unknown region")))
	})

	It("refuses a bot that fails the verification handshake", func() {
		_, err := sim.NewWorld(sim.Options{Bot: func(sim.BotEnv) (http.Handler, error) {
			return http.NotFoundHandler(), nil
		}})
		Expect(err).To(MatchError(ContainSubstring("verification handshake")))
	})

	It("starts at the given time and advances only on request", func() {
		start := time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)
		w, err := sim.NewWorld(sim.Options{Start: start, Bot: echoBot})
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Clock.Now()).To(Equal(start))
		w.Advance(365 * 24 * time.Hour)
		Expect(w.Clock.Now()).To(Equal(start.Add(365 * 24 * time.Hour)))
	})

	It("delivers a user's message to the bot and opens the window", func() {
		w, err := sim.NewWorld(sim.Options{Seed: 3, Bot: echoBot})
		Expect(err).NotTo(HaveOccurred())
		s, _ := w.AddSubscriber(sim.SubscriberSpec{Alias: "ana"})
		Expect(w.Say(s, "hello")).To(Succeed())
		Expect(w.Graph.WindowOpen(s.PSID)).To(BeTrue())
	})
})
