package scenarios_test

import (
	"testing"

	"github.com/otnsim/otnsim/scenarios"
)

// BenchmarkShippedSuite runs every shipped scenario once per iteration.
func BenchmarkShippedSuite(b *testing.B) {
	all, err := scenarios.LoadFS(scenarios.Shipped, ".")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, sc := range all {
			if res := scenarios.Run(sc, scenarios.RunOptions{}); !res.Passed {
				b.Fatalf("%s failed: %+v", sc.File, res.Failure)
			}
		}
	}
}
