package shrink_test

import (
	"testing"

	"github.com/otnsim/otnsim/scenarios"
	"github.com/otnsim/otnsim/shrink"
)

// BenchmarkShrink30Days shrinks a 30-day single-subscriber life that otnsim
// load --extract wrote, against the reference bot in process; the goal is
// under 2 s an operation.
func BenchmarkShrink30Days(b *testing.B) {
	sc, err := scenarios.ParseFile(thirtyDays)
	if err != nil {
		b.Fatal(err)
	}
	run := shrink.Reference(0)
	var st shrink.Stats
	for b.Loop() {
		if _, st, err = shrink.Shrink(sc, run, shrink.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Tried), "candidates/op")
}
