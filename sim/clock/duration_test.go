package clock_test

import (
	"math"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/sim/clock"
)

var _ = Describe("ParseDuration", func() {
	const day = 24 * time.Hour

	DescribeTable("reads otnsim's duration syntax",
		func(in string, want time.Duration) {
			got, err := clock.ParseDuration(in)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal(want))
		},
		Entry("nanoseconds", "5ns", 5*time.Nanosecond),
		Entry("microseconds", "5us", 5*time.Microsecond),
		Entry("microseconds with a micro sign", "5µs", 5*time.Microsecond),
		Entry("microseconds with a Greek mu", "5μs", 5*time.Microsecond),
		Entry("milliseconds", "250ms", 250*time.Millisecond),
		Entry("seconds", "90s", 90*time.Second),
		Entry("minutes", "5m", 5*time.Minute),
		Entry("hours", "48h", 48*time.Hour),
		Entry("days", "2d", 2*day),
		Entry("weeks", "1w", 7*day),
		Entry("a year is 365 days", "1y", 365*day),
		Entry("mixed", "1y1ms", 365*day+time.Millisecond),
		Entry("the last millisecond of a window", "23h59m59.999s", 24*time.Hour-time.Millisecond),
		Entry("fractional days", "1.5d", 36*time.Hour),
		Entry("a fraction without a whole part", ".5h", 30*time.Minute),
		Entry("surrounding space", " 2d ", 2*day),
		Entry("a bare zero", "0", time.Duration(0)),
		Entry("zero with a unit", "0s", time.Duration(0)),
		Entry("the longest duration", "292y171d23h47m16.854775807s", time.Duration(math.MaxInt64)),
		Entry("292 years", "292y", 292*365*day),
	)

	DescribeTable("rejects what is not a duration, saying why",
		func(in, msg string) {
			_, err := clock.ParseDuration(in)
			Expect(err).To(MatchError(msg))
		},
		Entry("empty", "", "empty duration"),
		Entry("blank", "  ", "empty duration"),
		Entry("no unit", "5", `bad duration "5": "5" needs a unit (ms, s, m, h, d, w, y)`),
		Entry("an unknown unit", "5q", `bad duration "5q": unknown unit "q" (use ms, s, m, h, d, w, y)`),
		Entry("a unit in words", "2 days", `bad duration "2 days": unknown unit " days" (use ms, s, m, h, d, w, y)`),
		Entry("words", "soon", `bad duration "soon": expected a number before "soon"`),
		Entry("a sign", "-5s", `bad duration "-5s": expected a number before "-5s"`),
		Entry("two points", "1.2.3s", `bad duration "1.2.3s": bad number "1.2.3"`),
		Entry("a lone point", ".s", `bad duration ".s": bad number "."`),
		Entry("1000 years", "1000y",
			`bad duration "1000y": too long (the longest duration is 292y171d23h47m16.854775807s, about 292 years)`),
	)

	DescribeTable("never wraps around: anything past time.Duration's range is an error",
		func(in string) {
			_, err := clock.ParseDuration(in)
			Expect(err).To(MatchError(ContainSubstring("too long")))
		},
		Entry("293 years", "293y"),
		Entry("a nanosecond past the longest", "292y171d23h47m16.854775808s"),
		Entry("the sum of parts that each fit", "200y200y"),
		Entry("a huge number of nanoseconds", "99999999999999999999ns"),
		Entry("a fraction that tips it over", "292.99y"),
		Entry("many weeks", "20000w"),
	)
})

var _ = Describe("FormatDuration", func() {
	DescribeTable("renders in the largest units ParseDuration reads",
		func(d time.Duration, want string) {
			Expect(clock.FormatDuration(d)).To(Equal(want))
			back, err := clock.ParseDuration(want)
			Expect(err).NotTo(HaveOccurred())
			Expect(back).To(Equal(d))
		},
		Entry("zero", time.Duration(0), "0"),
		Entry("a day", 24*time.Hour, "1d"),
		Entry("a day and a half", 36*time.Hour, "1d12h"),
		Entry("thirty days", 30*24*time.Hour, "30d"),
		Entry("a year and a day", 366*24*time.Hour, "1y1d"),
		Entry("seconds", 5*time.Second, "5s"),
		Entry("a fraction of a second", 1500*time.Millisecond, "1.5s"),
		Entry("minutes and a nanosecond", 2*time.Minute+time.Nanosecond, "2m0.000000001s"),
		Entry("milliseconds", 250*time.Millisecond, "250ms"),
		Entry("microseconds", 1500*time.Microsecond, "1500us"),
		Entry("nanoseconds", 7*time.Nanosecond, "7ns"),
		Entry("the longest", time.Duration(math.MaxInt64), "292y171d23h47m16.854775807s"),
	)

	It("round-trips through ParseDuration", func() {
		for d := time.Duration(1); d > 0 && d < time.Duration(math.MaxInt64/3); d = d*3 + 7 {
			back, err := clock.ParseDuration(clock.FormatDuration(d))
			Expect(err).NotTo(HaveOccurred())
			Expect(back).To(Equal(d), clock.FormatDuration(d))
		}
	})
})
