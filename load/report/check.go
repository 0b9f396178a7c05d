package report

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
)

// MaxReportBytes is the largest report file ReadFile reads.
const MaxReportBytes = 32 << 20

// ErrBadReport is wrapped by the errors of a report whose numbers no run
// could have written: a negative or overflowing count, a bad shard.
var ErrBadReport = errors.New("not a report a run could have written")

// Check refuses a report that no otnsim run could have written: negative
// counters, findings or violations, more subscribers than the population,
// shards other than i/N with 0 <= i < N, latency histograms that do not
// decode. ReadFile applies it to every report it reads.
func (r *Report) Check() error {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	eachCounter(&r.Counters, func(name string, v *int64) {
		if *v < 0 {
			bad("counters.%s is negative (%d)", name, *v)
		}
	})
	for rule, n := range r.Findings {
		if n < 0 {
			bad("findings_by_rule.%s is negative (%d)", rule, n)
		}
	}
	switch {
	case r.ViolationCount < 0:
		bad("violation_count is negative (%d)", r.ViolationCount)
	case r.ViolationCount < int64(len(r.Violations)):
		bad("violation_count %d is below the %d violations listed", r.ViolationCount, len(r.Violations))
	}
	if r.Population < 0 || r.Subscribers < 0 || r.Subscribers > r.Population {
		bad("subscribers %d of a population of %d", r.Subscribers, r.Population)
	}
	if !(r.Days >= 0) || math.IsInf(r.Days, 0) {
		bad("days %v is not a count of days", r.Days)
	}
	for _, s := range r.Shards {
		if _, _, err := parseShard(s); err != nil {
			bad("%v", err)
		}
	}
	for name, l := range map[string]*Latency{"send_latency": r.Latency, "webhook_latency": r.WebhookLatency} {
		if l == nil {
			continue
		}
		if _, err := l.Histogram(); err != nil {
			bad("%s: %v", name, err)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %w", strings.Join(problems, "; "), ErrBadReport)
	}
	return nil
}

// eachCounter calls f with every counter of c, by its JSON name.
func eachCounter(c *Counters, f func(name string, v *int64)) {
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		f(name, v.Field(i).Addr().Interface().(*int64))
	}
}

// addInt64 adds b to *a, or reports what would overflow.
func addInt64(a *int64, b int64, what string) error {
	if (b > 0 && *a > math.MaxInt64-b) || (b < 0 && *a < math.MinInt64-b) {
		return fmt.Errorf("%s overflows adding %d to %d: %w", what, b, *a, ErrBadReport)
	}
	*a += b
	return nil
}

// addChecked adds o's counters to c, refusing a sum that overflows; c is
// unchanged then.
func (c *Counters) addChecked(o Counters) error {
	sum := *c
	ov := reflect.ValueOf(&o).Elem()
	var err error
	i := 0
	eachCounter(&sum, func(name string, v *int64) {
		if err == nil {
			err = addInt64(v, ov.Field(i).Int(), "counters."+name)
		}
		i++
	})
	if err != nil {
		return err
	}
	*c = sum
	return nil
}
