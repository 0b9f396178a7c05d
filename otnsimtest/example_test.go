package otnsimtest_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/onsi/gomega"

	"github.com/otnsim/otnsim/otnsimtest"
	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/sim"
)

// newReferenceBot builds otnsim's reference bot with the standard page
// credentials, the real Graph API URL and client, as a bot under test is
// built in production.
func newReferenceBot(client *http.Client) *reference.Bot {
	page := otnsimtest.DefaultPage()
	bot, err := reference.New(reference.Config{
		GraphURL:        otnsimtest.GraphURL,
		PageID:          page.ID,
		PageAccessToken: page.AccessToken,
		AppSecret:       page.AppSecret,
		VerifyToken:     page.VerifyToken,
		Client:          client,
		// The bot takes the time from webhooks and triggers, never from the wall clock.
		Clock: reference.NewHarnessClock(time.Time{}),
		Setup: reference.Setup{Policy: reference.DefaultPolicy()},
	})
	if err != nil {
		panic(err)
	}
	return bot
}

// TestBot in a bot's own test file: one subtest per rule of the catalogue.
func ExampleTestBot() {
	testMyBot := func(t *testing.T) { // func TestMyBot(t *testing.T) in mybot_test.go
		client := &http.Client{Timeout: 10 * time.Second}
		bot := newReferenceBot(client)
		defer bot.Close()
		otnsimtest.TestBot(t, bot, otnsimtest.WithClient(client))
	}
	_ = testMyBot
}

// Check gives the whole report, for tests that judge it themselves.
func ExampleCheck() {
	client := &http.Client{}
	bot := newReferenceBot(client)
	defer bot.Close()
	rep, err := otnsimtest.Check(bot, otnsimtest.WithClient(client), otnsimtest.WithRun("token"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, row := range rep.Rows {
		switch row.Rule {
		case rules.TokenOnce, rules.HookSignature, rules.Idle:
			fmt.Println(row.Rule, row.Verdict)
		}
	}
	// Output:
	// HOOK-SIGNATURE pass
	// OTN-IDLE not exercised
	// OTN-TOKEN-ONCE pass
}

// playWorld plays a subscriber who opts in to restock news and, two days
// later, gets the one notification the token allows.
func playWorld() *sim.World {
	w, err := sim.NewWorld(sim.Options{Seed: 1, Bot: func(env sim.BotEnv) (http.Handler, error) {
		return reference.New(reference.Config{
			GraphURL: env.GraphURL, PageID: env.PageID, PageAccessToken: env.PageAccessToken,
			AppSecret: env.AppSecret, VerifyToken: env.VerifyToken, Client: env.Client, Clock: env.Clock,
			Setup: reference.Setup{Policy: reference.DefaultPolicy()},
		})
	}})
	if err != nil {
		panic(err)
	}
	ana, _ := w.AddSubscriber(sim.SubscriberSpec{Alias: "ana"})
	must(w.Say(ana, "hello"))
	must(w.Trigger("otn.request", map[string]any{"psid": ana.PSID, "topic": "restock", "title": "Back in stock"}))
	_, err = w.NotifyMe(ana, "restock")
	must(err)
	w.Advance(48 * time.Hour)
	must(w.Trigger("otn.notify", map[string]any{"topic": "restock", "text": "It is back!"}))
	return w
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// The matchers judge a world's ledger: in a Ginkgo spec,
// Expect(w).To(otnsimtest.HaveConsumedToken("ana", "restock")).
func ExampleHaveConsumedToken() {
	w := playWorld()
	g := gomega.NewGomega(func(message string, _ ...int) { fmt.Println(message) })
	fmt.Println(g.Expect(w).To(otnsimtest.HaveConsumedToken("ana", "restock")))
	fmt.Println(g.Expect(w).NotTo(otnsimtest.HaveActiveToken("ana", "restock")))
	// Output:
	// true
	// true
}

// A failing matcher names expected versus actual and prints the
// subscriber's timeline in virtual time.
func ExampleHaveDelivered() {
	w := playWorld()
	g := gomega.NewGomega(func(message string, _ ...int) { fmt.Println(message) })
	g.Expect(w).To(otnsimtest.HaveDelivered("ana", 1))
	// Output:
	// Expected ana (PSID 7779185060412984) to have been delivered 1 message(s)
	//     actual: 2 delivered:
	//         2026-01-05T09:00:00.000Z  send otn_request to id RESPONSE topic "restock" (window open) -> ok
	//         2026-01-07T09:00:00.000Z  send message to one_time_notif_token #1 topic "restock" (window closed) -> ok
	//     timeline of ana (PSID 7779185060412984):
	//       2026-01-05T09:00:00.000Z  event #1  message "hello" (window opens until 2026-01-06T09:00:00Z)
	//       2026-01-05T09:00:00.000Z  event #2  webhook delivered, bot answered 200
	//       2026-01-05T09:00:00.000Z  event #3  trigger otn.request topic "restock"
	//       2026-01-05T09:00:00.000Z  call #1  send otn_request to id RESPONSE topic "restock" (window open) -> ok
	//       2026-01-05T09:00:00.000Z  event #4  notify_me "restock": token #1 issued, expires 2027-01-05T09:00:00Z
	//       2026-01-05T09:00:00.000Z  event #5  webhook delivered, bot answered 200
	//       2026-01-06T09:00:00.000Z  window closes
	//       2026-01-07T09:00:00.000Z  event #6  trigger otn.notify topic "restock"
	//       2026-01-07T09:00:00.000Z  call #2  send message to one_time_notif_token #1 topic "restock" (window closed) -> ok
}

// HaveFinding looks for a rule's findings (package findings) for one
// subscriber, or for anyone.
func ExampleHaveFinding() {
	w := playWorld()
	g := gomega.NewGomega(func(message string, _ ...int) { fmt.Println(message) })
	fmt.Println(g.Expect(w).NotTo(otnsimtest.HaveFinding(rules.InWindowKeep, "ana")))
	fmt.Println(g.Expect(w).NotTo(otnsimtest.HaveFinding(rules.Idle, "")))
	// Output:
	// true
	// true
}
