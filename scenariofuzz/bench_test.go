package scenariofuzz_test

import (
	"testing"
	"time"

	"github.com/otnsim/otnsim/scenariofuzz"
	"github.com/otnsim/otnsim/shrink"
)

// BenchmarkFuzz plays random scenarios against the reference bot in
// process, one per CPU at a time, as otnsim fuzz does; scenarios/s is the
// figure the fuzzer's speed goal (1,000 a second) is about.
func BenchmarkFuzz(b *testing.B) {
	run := shrink.Reference(0)
	b.ResetTimer()
	began := time.Now()
	out, err := scenariofuzz.Fuzz(run, scenariofuzz.Options{Seed: 1, Max: b.N, For: time.Hour, Parallel: scenariofuzz.DefaultParallel()})
	if err != nil {
		b.Fatal(err)
	}
	if out.Failure != nil {
		b.Fatalf("the reference bot fails %s", out.Failure.Rule)
	}
	b.ReportMetric(float64(out.Played)/time.Since(began).Seconds(), "scenarios/s")
}
