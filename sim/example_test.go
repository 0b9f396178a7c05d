package sim_test

import (
	"fmt"
	"time"

	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/sim"
)

// A world wires a virtual clock, fakegraph and a bot; here the reference
// bot, with one subscriber who asks for a restock notification and gets it
// a year minus a day later, with the token.
func ExampleNewWorld() {
	w, err := sim.NewWorld(sim.Options{Seed: 7, Bot: sim.ReferenceBot(reference.Setup{})})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	ana, _ := w.AddSubscriber(sim.SubscriberSpec{Alias: "ana", Region: "US"})
	_ = w.Say(ana, "Is the Red Lipstick back in stock?") // the bot answers with an OTN request
	_, _ = w.NotifyMe(ana, "restock:red-lipstick")
	w.Advance(364 * 24 * time.Hour)
	_ = w.Trigger("restock", map[string]any{"product": "red-lipstick"})
	for _, t := range w.Graph.Ledger().TokensFor(ana.PSID, "restock:red-lipstick") {
		fmt.Println(t.Topic, t.State)
	}
	// Output: restock:red-lipstick consumed
}

// The same world over loopback TCP: fakegraph and the bot talk real
// HTTP/1.1; Close releases the listeners.
func ExampleOptions_loopback() {
	w, err := sim.NewWorld(sim.Options{Seed: 7, Bot: sim.ReferenceBot(reference.Setup{}), Transport: sim.Loopback})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	ana, _ := w.AddSubscriber(sim.SubscriberSpec{Alias: "ana"})
	fmt.Println(w.Say(ana, "hello"), w.Graph.WindowOpen(ana.PSID))
	// Output: <nil> true
}
