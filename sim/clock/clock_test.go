package clock_test

import (
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/sim/clock"
)

var start = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

var _ = Describe("Virtual", func() {
	var v *clock.Virtual
	BeforeEach(func() { v = clock.NewVirtual(start) })

	It("starts where it is told and moves only when advanced", func() {
		Expect(v.Now()).To(Equal(start))
		v.Advance(25 * time.Hour)
		Expect(v.Now()).To(Equal(start.Add(25 * time.Hour)))
		v.AdvanceTo(start.Add(48 * time.Hour))
		Expect(v.Now()).To(Equal(start.Add(48 * time.Hour)))
	})

	It("never goes backwards", func() {
		v.Advance(time.Hour)
		v.Advance(-time.Hour)
		v.AdvanceTo(start)
		Expect(v.Now()).To(Equal(start.Add(time.Hour)))
	})

	It("fires timers in time order and same-instant timers in scheduling order", func() {
		var got []string
		v.AfterFunc(2*time.Second, func() { got = append(got, "b1") })
		v.AfterFunc(time.Second, func() { got = append(got, "a") })
		v.AfterFunc(2*time.Second, func() { got = append(got, "b2") })
		v.AfterFunc(2*time.Second, func() { got = append(got, "b3") })
		v.Advance(time.Second)
		Expect(got).To(Equal([]string{"a"}))
		v.Advance(time.Second)
		Expect(got).To(Equal([]string{"a", "b1", "b2", "b3"}))
	})

	It("shows each callback the time it was due, not the target time", func() {
		var seen time.Time
		v.AfterFunc(time.Hour, func() { seen = v.Now() })
		v.Advance(10 * time.Hour)
		Expect(seen).To(Equal(start.Add(time.Hour)))
		Expect(v.Now()).To(Equal(start.Add(10 * time.Hour)))
	})

	It("fires a timer exactly at its deadline, not 1ms before", func() {
		fired := false
		v.AfterFunc(24*time.Hour, func() { fired = true })
		v.Advance(24*time.Hour - time.Millisecond)
		Expect(fired).To(BeFalse())
		v.Advance(time.Millisecond)
		Expect(fired).To(BeTrue())
	})

	It("runs events that callbacks schedule inside the advanced span", func() {
		var got []time.Duration
		v.AfterFunc(time.Minute, func() {
			got = append(got, v.Now().Sub(start))
			v.AfterFunc(time.Minute, func() { got = append(got, v.Now().Sub(start)) })
			v.AfterFunc(time.Hour, func() { got = append(got, v.Now().Sub(start)) })
		})
		v.Advance(10 * time.Minute)
		Expect(got).To(Equal([]time.Duration{time.Minute, 2 * time.Minute}))
		Expect(v.Pending()).To(Equal(1))
	})

	It("stops timers that have not fired", func() {
		fired := false
		t := v.AfterFunc(time.Second, func() { fired = true })
		Expect(t.Stop()).To(BeTrue())
		Expect(t.Stop()).To(BeFalse())
		v.Advance(time.Hour)
		Expect(fired).To(BeFalse())
	})

	It("reports Stop false once a timer has fired", func() {
		t := v.AfterFunc(time.Second, func() {})
		v.Advance(time.Second)
		Expect(t.Stop()).To(BeFalse())
	})

	It("runs zero-delay timers on the next advance", func() {
		fired := 0
		v.AfterFunc(0, func() { fired++ })
		v.AfterFunc(-time.Second, func() { fired++ })
		Expect(fired).To(Equal(0))
		v.Advance(0)
		Expect(fired).To(Equal(2))
		Expect(v.Now()).To(Equal(start))
	})

	It("jumps to the next event with RunNext", func() {
		v.AfterFunc(365*24*time.Hour, func() {})
		at, ok := v.NextAt()
		Expect(ok).To(BeTrue())
		Expect(at).To(Equal(start.Add(365 * 24 * time.Hour)))
		Expect(v.RunNext()).To(BeTrue())
		Expect(v.Now()).To(Equal(at))
		Expect(v.RunNext()).To(BeFalse())
	})

	It("schedules at an absolute time with At", func() {
		var seen time.Time
		v.At(start.Add(3*time.Hour), func() { seen = v.Now() })
		v.Advance(5 * time.Hour)
		Expect(seen).To(Equal(start.Add(3 * time.Hour)))
	})

	It("is safe to schedule from many goroutines while advancing", func() {
		var wg sync.WaitGroup
		var mu sync.Mutex
		count := 0
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				v.AfterFunc(time.Duration(i)*time.Millisecond, func() { mu.Lock(); count++; mu.Unlock() })
			}(i)
		}
		wg.Wait()
		v.Advance(time.Second)
		Expect(count).To(Equal(50))
	})

	It("passes a simulated year in well under a second of work", func() {
		n := 0
		var tick func()
		tick = func() { n++; v.AfterFunc(time.Hour, tick) }
		v.AfterFunc(time.Hour, tick)
		v.Advance(365 * 24 * time.Hour)
		Expect(n).To(Equal(365 * 24))
	})

	It("jumps forward without running events, which then run on the next advance", func() {
		var ran []time.Time
		v.AfterFunc(time.Second, func() { ran = append(ran, v.Now()) })
		start := v.Now()
		v.Jump(3 * time.Second)
		v.Jump(-time.Second)
		Expect(v.Now()).To(Equal(start.Add(3 * time.Second)))
		Expect(ran).To(BeEmpty())
		v.Advance(0)
		Expect(ran).To(Equal([]time.Time{start.Add(3 * time.Second)}))
	})
})

var _ = Describe("Wall", func() {
	It("implements Clock with the system time", func() {
		var c clock.Clock = clock.Wall{}
		Expect(c.Now()).To(BeTemporally("~", time.Now(), time.Second))
		t := c.AfterFunc(time.Hour, func() {})
		Expect(t.Stop()).To(BeTrue())
	})
})
