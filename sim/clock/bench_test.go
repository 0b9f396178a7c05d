package clock_test

import (
	"testing"
	"time"

	"github.com/otnsim/otnsim/sim/clock"
)

// BenchmarkScheduleAndFire measures one timer scheduled and fired.
func BenchmarkScheduleAndFire(b *testing.B) {
	v := clock.NewVirtual(start)
	f := func() {}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		v.AfterFunc(time.Duration(i%1000)*time.Millisecond, f)
		if i%1000 == 999 {
			v.Advance(time.Second)
		}
	}
	v.Advance(time.Hour)
}
