package scenarios_test

import (
	"testing"

	"github.com/otnsim/otnsim/scenarios"
)

// BenchmarkShippedSuite runs every shipped scenario once per iteration,
// serially.
func BenchmarkShippedSuite(b *testing.B) {
	all, err := scenarios.LoadFS(scenarios.Shipped(), ".")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, sc := range all {
			if res := scenarios.Run(sc, scenarios.RunOptions{}); !res.Passed {
				b.Fatalf("%s failed: %+v", sc.File, res.Failure)
			}
		}
	}
}

// BenchmarkShippedSuiteParallel runs the shipped suite as otnsim run does:
// loading and parsing included, scenarios in parallel, one per CPU.
func BenchmarkShippedSuiteParallel(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		all, err := scenarios.LoadFS(scenarios.Shipped(), ".")
		if err != nil {
			b.Fatal(err)
		}
		for _, res := range scenarios.RunAll(all, scenarios.RunOptions{}, nil) {
			if !res.Passed {
				b.Fatalf("%s failed: %+v", res.File, res.Failure)
			}
		}
	}
}
