package load

import "math"

// splitmix64 is a tiny, fast generator; each subscriber owns one, seeded
// from the run's seed and the subscriber's index.
type splitmix64 struct{ s uint64 }

func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *splitmix64) Uint64() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix(r.s)
}

// Int63 and Seed make splitmix64 a math/rand Source64 for gofakeit.
func (r *splitmix64) Int63() int64    { return int64(r.Uint64() >> 1) }
func (r *splitmix64) Seed(seed int64) { r.s = uint64(seed) }

// float returns a uniform number in [0, 1).
func (r *splitmix64) float() float64 { return float64(r.Uint64()>>11) / (1 << 53) }

// exp returns an exponential variate with mean 1.
func (r *splitmix64) exp() float64 { return -math.Log(1 - r.float()) }

// normal returns a standard normal variate (Box-Muller).
func (r *splitmix64) normal() float64 {
	u1, u2 := 1-r.float(), r.float()
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// between returns a uniform int64 in [lo, hi].
func (r *splitmix64) between(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + int64(r.Uint64()%uint64(hi-lo+1))
}

// subscriberSeed derives subscriber index's seed from the run's seed.
func subscriberSeed(seed int64, index int) uint64 {
	return mix(mix(uint64(seed)) ^ (uint64(index)*0x9e3779b97f4a7c15 + 0x6f746e73696d))
}
