package compliance

import (
	"github.com/otnsim/otnsim/probes"
	"github.com/otnsim/otnsim/scenarios"
	"github.com/otnsim/otnsim/sim"
)

// Target is the bot under test, wherever it runs: an *external.Harness for
// a bot in its own process (any language), an *InProcess for an
// http.Handler in this one.
type Target = probes.Target

// RunOptions returns the scenario runner's options for playing scenarios
// against t: its factory, its page credentials, fresh PSIDs, and a tick
// trigger after every clock advance. Run scenarios one at a time, and check
// t.Err after each: a bot that could not be run on makes every later verdict
// meaningless.
func RunOptions(t Target, seed int64) scenarios.RunOptions {
	factory := t.Factory()
	page := t.Page()
	return scenarios.RunOptions{
		Seed:        seed,
		Bot:         func(*scenarios.Scenario) sim.BotFactory { return factory },
		PSID:        t.NextPSID,
		AfterStep:   func(w *sim.World, st *scenarios.Step) error { return afterStep(t, w, st) },
		Credentials: &page,
	}
}

func afterStep(t Target, w *sim.World, st *scenarios.Step) error {
	if err := t.Err(); err != nil {
		return err
	}
	switch st.Kind {
	case scenarios.StepAdvance, scenarios.StepAt:
		return t.Tick(w)
	}
	return nil
}
