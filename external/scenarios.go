package external

import (
	"github.com/otnsim/otnsim/scenarios"
	"github.com/otnsim/otnsim/sim"
)

// RunOptions returns the scenario runner's options for playing scenarios
// against the external bot: its factory, fresh PSIDs, and a tick trigger
// after every clock advance. Run scenarios one at a time, and check Err
// after each: a bot that could not be run on makes every later verdict
// meaningless.
func (h *Harness) RunOptions(seed int64) scenarios.RunOptions {
	factory := h.Factory()
	return scenarios.RunOptions{
		Seed:      seed,
		Bot:       func(*scenarios.Scenario) sim.BotFactory { return factory },
		PSID:      h.NextPSID,
		AfterStep: h.afterStep,
	}
}

func (h *Harness) afterStep(w *sim.World, st *scenarios.Step) error {
	if err := h.Err(); err != nil {
		return err
	}
	switch st.Kind {
	case scenarios.StepAdvance, scenarios.StepAt:
		return h.Tick(w)
	}
	return nil
}
