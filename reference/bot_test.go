package reference_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/platform"
	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/sim"
)

// newWorld wires the reference bot with policy into a fresh world with one subscriber.
func newWorld(policy reference.Policy) (*sim.World, *sim.Subscriber) {
	w, err := sim.NewWorld(sim.Options{Seed: 5, Bot: func(env sim.BotEnv) (http.Handler, error) {
		return reference.New(reference.Config{
			GraphURL: env.GraphURL, PageID: env.PageID, PageAccessToken: env.PageAccessToken,
			AppSecret: env.AppSecret, VerifyToken: env.VerifyToken, Client: env.Client, Clock: env.Clock,
			Setup: reference.Setup{Policy: policy},
		})
	}})
	Expect(err).NotTo(HaveOccurred())
	s, err := w.AddSubscriber(sim.SubscriberSpec{Alias: "ana"})
	Expect(err).NotTo(HaveOccurred())
	return w, s
}

func okCalls(w *sim.World, psid string, kind fakegraph.CallKind, rk fakegraph.RecipientKind) int {
	n := 0
	for _, c := range w.Graph.Ledger().CallsFor(psid) {
		if c.OK && c.Kind == kind && (rk == "" || c.RecipientKind == rk) {
			n++
		}
	}
	return n
}

var _ = Describe("the reference bot", func() {
	Describe("webhook security", func() {
		var bot *reference.Bot
		BeforeEach(func() {
			var err error
			bot, err = reference.New(reference.Config{AppSecret: "s3cret", VerifyToken: "vt", GraphURL: "http://graph.invalid"})
			Expect(err).NotTo(HaveOccurred())
		})

		It("answers the verification handshake only with the right verify token", func() {
			rec := httptest.NewRecorder()
			bot.ServeHTTP(rec, httptest.NewRequest("GET", "/webhook?"+url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"vt"}, "hub.challenge": {"42"}}.Encode(), nil))
			Expect(rec.Code).To(Equal(200))
			Expect(rec.Body.String()).To(Equal("42"))
			rec = httptest.NewRecorder()
			bot.ServeHTTP(rec, httptest.NewRequest("GET", "/webhook?"+url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"wrong"}, "hub.challenge": {"42"}}.Encode(), nil))
			Expect(rec.Code).To(Equal(403))
		})

		It("refuses events with a missing or wrong signature", func() {
			body := `{"object":"page","entry":[]}`
			for _, sig := range []string{"", "sha256=00", "sha1=abc"} {
				req := httptest.NewRequest("POST", "/webhook", strings.NewReader(body))
				if sig != "" {
					req.Header.Set("X-Hub-Signature-256", sig)
				}
				rec := httptest.NewRecorder()
				bot.ServeHTTP(rec, req)
				Expect(rec.Code).To(Equal(403), "signature %q", sig)
			}
			good, _ := platform.Sign("s3cret", []byte(body))
			req := httptest.NewRequest("POST", "/webhook", strings.NewReader(body))
			req.Header.Set("X-Hub-Signature-256", good)
			rec := httptest.NewRecorder()
			bot.ServeHTTP(rec, req)
			Expect(rec.Code).To(Equal(200))
		})
	})

	It("asks for an OTN when a subscriber asks about an out-of-stock product", func() {
		w, s := newWorld(reference.DefaultPolicy())
		Expect(w.Say(s, "Is the red lipstick back?")).To(Succeed())
		calls := w.Graph.Ledger().CallsFor(s.PSID)
		Expect(calls).To(HaveLen(1))
		Expect(calls[0].Kind).To(Equal(fakegraph.KindOTNRequest))
		Expect(calls[0].Topic).To(Equal("restock:red-lipstick"))
		Expect(calls[0].OK).To(BeTrue())
	})

	It("answers normally about a product in stock", func() {
		w, s := newWorld(reference.DefaultPolicy())
		Expect(w.Say(s, "do you have the canvas tote?")).To(Succeed())
		Expect(okCalls(w, s.PSID, fakegraph.KindMessage, fakegraph.RecipientPSID)).To(Equal(1))
	})

	It("notifies through the token outside the window, once", func() {
		w, s := newWorld(reference.DefaultPolicy())
		Expect(w.Say(s, "red lipstick?")).To(Succeed())
		_, err := w.NotifyMe(s, "restock:red-lipstick")
		Expect(err).NotTo(HaveOccurred())
		w.Advance(48 * time.Hour)
		Expect(w.Trigger("restock", map[string]any{"product": "red-lipstick"})).To(Succeed())
		Expect(w.Trigger("otn.notify", map[string]any{"topic": "restock:red-lipstick", "text": "again"})).To(Succeed())
		Expect(okCalls(w, s.PSID, fakegraph.KindMessage, fakegraph.RecipientToken)).To(Equal(1))
		for _, c := range w.Graph.Ledger().Calls {
			Expect(c.OK).To(BeTrue(), c.Describe())
		}
	})

	It("sends normally inside the window and keeps the token", func() {
		w, s := newWorld(reference.DefaultPolicy())
		Expect(w.Say(s, "red lipstick?")).To(Succeed())
		_, _ = w.NotifyMe(s, "restock:red-lipstick")
		w.Advance(23*time.Hour + 59*time.Minute + 59*time.Second + 999*time.Millisecond)
		Expect(w.Trigger("restock", map[string]any{"product": "red-lipstick"})).To(Succeed())
		Expect(okCalls(w, s.PSID, fakegraph.KindMessage, fakegraph.RecipientPSID)).To(Equal(1))
		Expect(w.Graph.Ledger().TokensFor(s.PSID, "")[0].State).To(Equal(fakegraph.TokenActive))
	})

	It("waits until the subscriber has been idle for 5 minutes", func() {
		w, s := newWorld(reference.DefaultPolicy())
		Expect(w.Say(s, "red lipstick?")).To(Succeed())
		_, _ = w.NotifyMe(s, "restock:red-lipstick")
		Expect(w.Trigger("restock", map[string]any{"product": "red-lipstick"})).To(Succeed())
		w.Advance(5*time.Minute - time.Millisecond)
		Expect(okCalls(w, s.PSID, fakegraph.KindMessage, "")).To(Equal(0))
		w.Advance(time.Millisecond)
		Expect(okCalls(w, s.PSID, fakegraph.KindMessage, "")).To(Equal(1))
	})

	It("never uses a token a year old", func() {
		w, s := newWorld(reference.DefaultPolicy())
		Expect(w.Say(s, "red lipstick?")).To(Succeed())
		_, _ = w.NotifyMe(s, "restock:red-lipstick")
		w.Advance(platform.TokenLifetime)
		Expect(w.Trigger("restock", map[string]any{"product": "red-lipstick"})).To(Succeed())
		Expect(w.Graph.Ledger().CallsFor(s.PSID)).To(HaveLen(1)) // only the request
	})

	It("does not ask outside the window, unless told to misbehave", func() {
		w, s := newWorld(reference.DefaultPolicy())
		Expect(w.Say(s, "hi")).To(Succeed())
		w.Advance(24 * time.Hour)
		Expect(w.Trigger("otn.request", map[string]any{"psid": s.PSID, "topic": "news"})).To(Succeed())
		Expect(w.Graph.Ledger().CallsFor(s.PSID)).To(BeEmpty())

		p := reference.DefaultPolicy()
		p.AskOutsideWindow = true
		w, s = newWorld(p)
		Expect(w.Say(s, "hi")).To(Succeed())
		w.Advance(24 * time.Hour)
		Expect(w.Trigger("otn.request", map[string]any{"psid": s.PSID, "topic": "news"})).To(Succeed())
		calls := w.Graph.Ledger().CallsFor(s.PSID)
		Expect(calls).To(HaveLen(1))
		Expect(calls[0].Subcode).To(Equal(2018278))
	})

	It("broadcasts only to open windows", func() {
		w, s := newWorld(reference.DefaultPolicy())
		t, err := w.AddSubscriber(sim.SubscriberSpec{Alias: "ben"})
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Say(s, "hi")).To(Succeed())
		w.Advance(20 * time.Hour)
		Expect(w.Say(t, "hi")).To(Succeed())
		w.Advance(5 * time.Hour)
		Expect(w.Trigger("broadcast", map[string]any{"text": "sale"})).To(Succeed())
		Expect(w.Graph.Ledger().CallsFor(s.PSID)).To(BeEmpty())
		Expect(okCalls(w, t.PSID, fakegraph.KindMessage, fakegraph.RecipientPSID)).To(Equal(1))
	})

	// worldAt wires the reference bot under policy into a world that starts
	// at start with the given fakegraph settings and one US subscriber.
	worldAt := func(start time.Time, set fakegraph.Settings, policy reference.Policy) (*sim.World, *sim.Subscriber) {
		w, err := sim.NewWorld(sim.Options{Seed: 9, Start: start, Settings: set, Bot: func(env sim.BotEnv) (http.Handler, error) {
			return reference.New(reference.Config{GraphURL: env.GraphURL, PageID: env.PageID, PageAccessToken: env.PageAccessToken,
				AppSecret: env.AppSecret, VerifyToken: env.VerifyToken, Client: env.Client, Clock: env.Clock,
				Setup: reference.Setup{Policy: policy}})
		}})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(w.Close)
		s, err := w.AddSubscriber(sim.SubscriberSpec{Alias: "ada", Region: "US"})
		Expect(err).NotTo(HaveOccurred())
		return w, s
	}

	It("counts a referral as activity, and keeps the window of the first message after an ad 7 days from 2026-09-28", func() {
		for _, tc := range []struct {
			start time.Time
			sent  int
		}{{time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC), 1}, {time.Date(2026, 9, 20, 9, 0, 0, 0, time.UTC), 0}} {
			w, s := worldAt(tc.start, fakegraph.DefaultSettings(), reference.DefaultPolicy())
			_, err := w.Graph.Referral(s.PSID, fakegraph.Referral{AdID: "1"})
			Expect(err).NotTo(HaveOccurred())
			w.Flush()
			Expect(w.Say(s, "hi")).To(Succeed())
			w.Advance(3 * 24 * time.Hour)
			Expect(w.Trigger("broadcast", map[string]any{"text": "sale"})).To(Succeed())
			Expect(okCalls(w, s.PSID, fakegraph.KindMessage, fakegraph.RecipientPSID)).To(Equal(tc.sent), tc.start.String())
			Expect(refused(w)).To(BeEmpty())
		}
		w, s := worldAt(time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC), fakegraph.DefaultSettings(), reference.DefaultPolicy())
		_, err := w.Graph.Referral(s.PSID, fakegraph.Referral{Ref: "qr"})
		Expect(err).NotTo(HaveOccurred())
		w.Flush()
		w.Advance(time.Hour)
		Expect(w.Trigger("broadcast", map[string]any{"text": "sale"})).To(Succeed())
		Expect(okCalls(w, s.PSID, fakegraph.KindMessage, fakegraph.RecipientPSID)).To(Equal(1), "an m.me referral opens the window")
	})

	It("sends appsecret_proof on every Graph call under its policy, as Require App Secret needs", func() {
		set := fakegraph.DefaultSettings()
		set.RequireAppSecretProof = true
		for _, proof := range []bool{true, false} {
			p := reference.DefaultPolicy()
			p.AppSecretProof = proof
			w, s := worldAt(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), set, p)
			Expect(w.Say(s, "hi")).To(Succeed())
			Expect(w.Trigger("broadcast", map[string]any{"text": "sale"})).To(Succeed())
			if proof {
				Expect(okCalls(w, s.PSID, fakegraph.KindMessage, fakegraph.RecipientPSID)).To(Equal(1))
				Expect(refused(w)).To(BeEmpty())
			} else {
				Expect(refused(w)).To(ContainElement(ContainSubstring("100")))
			}
		}
	})

	It("refuses unknown triggers and bad data", func() {
		w, _ := newWorld(reference.DefaultPolicy())
		Expect(w.Trigger("nope", nil)).To(MatchError(ContainSubstring("unknown trigger")))
		Expect(w.Trigger("otn.notify", map[string]any{"topic": 3})).To(HaveOccurred())
	})
})
