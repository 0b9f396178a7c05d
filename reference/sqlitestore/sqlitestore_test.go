package sqlitestore_test

import (
	"net/http"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/reference/internal/storetest"
	"github.com/otnsim/otnsim/reference/sqlitestore"
	"github.com/otnsim/otnsim/sim"
)

func open(path string) *sqlitestore.Store {
	st, err := sqlitestore.Open(path)
	Expect(err).NotTo(HaveOccurred())
	return st
}

var _ = Describe("Store", func() {
	storetest.Contract(func() reference.Store { return open(filepath.Join(GinkgoT().TempDir(), "s.db")) })

	It("keeps everything across a reopen", func() {
		path := filepath.Join(GinkgoT().TempDir(), "bot.db")
		st := open(path)
		Expect(st.Update(func(tx reference.Tx) error { return tx.Put("x", "k", map[string]int{"n": 7}) })).To(Succeed())
		Expect(st.Close()).To(Succeed())
		st2 := open(path)
		defer st2.Close()
		var d map[string]int
		Expect(st2.View(func(tx reference.Tx) error { _, err := tx.Get("x", "k", &d); return err })).To(Succeed())
		Expect(d).To(Equal(map[string]int{"n": 7}))
	})

	It("says which file it could not open", func() {
		_, err := sqlitestore.Open(filepath.Join(GinkgoT().TempDir(), "no", "such", "dir", "bot.db"))
		Expect(err).To(MatchError(ContainSubstring("open store")))
	})

	// The process-level test, a bot killed mid-campaign and restarted on its
	// file, is cmd/otnsim's ("otnsim bot --db"); this one keeps to the library.
	It("carries the reference bot's state over to a new bot on the same file", func() {
		path := filepath.Join(GinkgoT().TempDir(), "bot.db")
		var bot *reference.Bot
		w, err := sim.NewWorld(sim.Options{Seed: 3, Bot: func(env sim.BotEnv) (http.Handler, error) {
			var err error
			bot, err = reference.New(reference.Config{
				GraphURL: env.GraphURL, PageID: env.PageID, PageAccessToken: env.PageAccessToken,
				AppSecret: env.AppSecret, VerifyToken: env.VerifyToken, Client: env.Client, Clock: env.Clock,
				Store: open(path), Setup: reference.Setup{Policy: reference.DefaultPolicy()},
			})
			return bot, err
		}})
		Expect(err).NotTo(HaveOccurred())
		ana, err := w.AddSubscriber(sim.SubscriberSpec{Alias: "ana", Region: "US"})
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Say(ana, "Is the red lipstick back?")).To(Succeed())
		_, err = w.NotifyMe(ana, "restock:red-lipstick")
		Expect(err).NotTo(HaveOccurred())
		w.Advance(48 * time.Hour)
		Expect(w.Trigger("otn.notify", map[string]any{"topic": "restock:red-lipstick", "text": "Back in stock!"})).To(Succeed())
		w.Advance(time.Hour)
		before, err := bot.Campaigns()
		Expect(err).NotTo(HaveOccurred())
		Expect(before).To(HaveLen(1))
		Expect(before[0].Delivered).To(Equal(1))
		Expect(before[0].ViaToken).To(Equal(1))
		Expect(bot.Close()).To(Succeed())

		again, err := reference.New(reference.Config{GraphURL: "https://graph.invalid", Store: open(path)})
		Expect(err).NotTo(HaveOccurred())
		defer again.Close()
		after, err := again.Campaigns()
		Expect(err).NotTo(HaveOccurred())
		Expect(after).To(Equal(before))
	})
})
