package clock_test

import (
	"errors"
	"math"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/sim/clock"
)

var _ = Describe("the clock's range", func() {
	It("adds a duration to an instant only inside [Earliest, Latest]", func() {
		t, err := clock.Add(start, 24*time.Hour)
		Expect(err).NotTo(HaveOccurred())
		Expect(t).To(Equal(start.Add(24 * time.Hour)))
		t, err = clock.Add(start, clock.Latest.Sub(start))
		Expect(err).NotTo(HaveOccurred())
		Expect(t).To(Equal(clock.Latest))
		for _, d := range []time.Duration{clock.Latest.Sub(start) + 1, math.MaxInt64, -time.Second} {
			_, err = clock.Add(start, d)
			Expect(err).To(HaveOccurred(), d.String())
		}
		_, err = clock.Add(start, math.MaxInt64)
		Expect(errors.Is(err, clock.ErrOutOfRange)).To(BeTrue())
		_, err = clock.Add(time.Date(1733, 1, 1, 0, 0, 0, 0, time.UTC), time.Hour)
		Expect(errors.Is(err, clock.ErrOutOfRange)).To(BeTrue())
		Expect(clock.CheckTime(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC))).To(MatchError(ContainSubstring("outside the clock's range (1970-01-01T00:00:00Z to 2262-01-01T00:00:00Z)")))
		Expect(clock.CheckTime(clock.Earliest)).To(Succeed())
	})

	It("keeps a virtual clock at Latest whatever it is asked", func() {
		v := clock.NewVirtual(start)
		for i := 0; i < 3; i++ {
			v.Advance(math.MaxInt64)
		}
		Expect(v.Now()).To(Equal(clock.Latest))
		v.Jump(time.Hour)
		Expect(v.Now()).To(Equal(clock.Latest))
		v.AdvanceTo(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
		Expect(v.Now()).To(Equal(clock.Latest))
	})

	It("rewinds to an instant and drops what was pending", func() {
		v := clock.NewVirtual(start)
		fired := 0
		v.AfterFunc(time.Hour, func() { fired++ })
		v.Advance(30 * time.Minute)
		v.Rewind(start)
		Expect(v.Now()).To(Equal(start))
		Expect(v.Pending()).To(BeZero())
		v.Advance(2 * time.Hour)
		Expect(fired).To(BeZero())
	})
})
