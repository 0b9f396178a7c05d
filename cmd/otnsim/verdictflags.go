package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/otnsim/otnsim/findings"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/sim/clock"
)

// verdictFlags are the flags that decide how findings become an exit
// status: --fail-on, and (for check and load) the practice rules'
// thresholds.
type verdictFlags struct {
	failOn         *string
	idleAfter      durationValue
	throttleMax    *int
	throttleWindow durationValue
	thresholds     bool
}

// durationValue is a flag in otnsim's duration syntax (ms, s, m, h, d, w, y).
type durationValue struct {
	d   time.Duration
	set bool
}

func (v *durationValue) String() string {
	if !v.set {
		return ""
	}
	return v.d.String()
}

func (v *durationValue) Set(s string) error {
	d, err := clock.ParseDuration(s)
	if err != nil {
		return err
	}
	if d < 0 {
		return fmt.Errorf("negative duration %q", s)
	}
	v.d, v.set = d, true
	return nil
}

// addVerdictFlags defines --fail-on on fs, and the thresholds when
// thresholds is true.
func addVerdictFlags(fs *flag.FlagSet, thresholds bool) *verdictFlags {
	v := &verdictFlags{thresholds: thresholds}
	v.failOn = fs.String("fail-on", "failure", "least severity of a broken rule that fails the run: failure, warning or info")
	if thresholds {
		def := findings.DefaultOptions()
		fs.Var(&v.idleAfter, "idle-after", fmt.Sprintf("OTN-IDLE: how long a subscriber must have been quiet before a notification (default %s; 0 switches the check off)", def.IdleAfter))
		v.throttleMax = fs.Int("throttle-max", -1, fmt.Sprintf("OTN-REQ-THROTTLE: most OTN requests to one subscriber within --throttle-window (default %d; 0 switches the check off)", def.ThrottleMax))
		fs.Var(&v.throttleWindow, "throttle-window", fmt.Sprintf("OTN-REQ-THROTTLE: the span --throttle-max counts over (default %s)", def.ThrottleWindow))
	}
	return v
}

// level parses --fail-on.
func (v *verdictFlags) level() (rules.Severity, error) {
	l, err := rules.ParseSeverity(*v.failOn)
	if err != nil {
		return "", fmt.Errorf("--fail-on: %w", err)
	}
	return l, nil
}

// checks returns the practice thresholds the command line sets over base,
// or nil when it sets none.
func (v *verdictFlags) checks(base findings.Options) *findings.Options {
	if !v.thresholds || (!v.idleAfter.set && *v.throttleMax < 0 && !v.throttleWindow.set) {
		return nil
	}
	o := base
	if v.idleAfter.set {
		o.IdleAfter = v.idleAfter.d
	}
	if *v.throttleMax >= 0 {
		o.ThrottleMax = *v.throttleMax
	}
	if v.throttleWindow.set {
		o.ThrottleWindow = v.throttleWindow.d
	}
	return &o
}
