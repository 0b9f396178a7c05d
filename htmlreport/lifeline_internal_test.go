package htmlreport

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = DescribeTable("links to scenario positions",
	func(label, want string) {
		Expect(stepHref(label, "fallback")).To(Equal(want))
	},
	Entry("a step", "step 6 (expect) at scenarios/a.yaml:12:5", "scenarios/a.yaml#L12"),
	Entry("an instant, not a position", "at 2026-01-07T10:00:00.000Z (call #5)", "fallback"),
	Entry("a file built into the binary", "step 2 (say) at embedded:window/a.yaml:3:5", "fallback"),
	Entry("no position", "step 2", "fallback"),
)
