package external

import "time"

// settle waits until the bot's Graph calls go quiet: none in flight and none
// started or ended for cfg.Settle, bounded by cfg.StepTimeout. A bot still
// busy past the bound, or whose process died, is recorded as fatal.
func (h *Harness) settle() error {
	deadline := time.Now().Add(h.cfg.StepTimeout)
	var died <-chan struct{}
	if h.proc != nil {
		died = h.proc.done
	}
	for {
		n, last, changed := h.graph.state()
		now := time.Now()
		quietFor := now.Sub(last)
		if n == 0 && quietFor >= h.cfg.Settle {
			return nil
		}
		if !now.Before(deadline) {
			return h.fail(botErrorf(Hung, "the bot kept calling the Graph API (%d call(s) in flight) past the step timeout (%s)", n, h.cfg.StepTimeout))
		}
		wait := deadline.Sub(now)
		if n == 0 && h.cfg.Settle-quietFor < wait {
			wait = h.cfg.Settle - quietFor
		}
		t := time.NewTimer(wait)
		select {
		case <-changed:
		case <-t.C:
		case <-died:
			t.Stop()
			_, how := h.proc.exited()
			return h.fail(botErrorf(Crashed, "the bot's process %s", how))
		}
		t.Stop()
	}
}
