package load

import (
	"math"
	"strconv"
	"time"

	"github.com/brianvoe/gofakeit/v6"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/load/profile"
	"github.com/otnsim/otnsim/sim/region"
)

// population turns global indexes into people, deterministically.
type population struct {
	seed    int64
	prof    *profile.Profile
	src     *splitmix64
	faker   *gofakeit.Faker
	weights []float64          // cumulative region weights
	zones   [][]*time.Location // each region's time zones, loaded once
}

func newPopulation(seed int64, p *profile.Profile) *population {
	src := &splitmix64{}
	pop := &population{seed: seed, prof: p, src: src, faker: gofakeit.NewCustom(src)}
	total := 0.0
	for _, r := range p.Regions {
		total += r.Weight
		pop.weights = append(pop.weights, total)
	}
	for i := range pop.weights {
		pop.weights[i] /= total
	}
	pop.zones = make([][]*time.Location, len(p.Regions))
	for i, r := range p.Regions {
		for _, z := range r.Timezones {
			loc, err := region.Location(z) // checked by the profile's validation
			if err != nil {
				loc = time.UTC
			}
			pop.zones[i] = append(pop.zones[i], loc)
		}
	}
	return pop
}

// psidOf is subscriber index's page-scoped id: 16 digits starting with 7,
// unique per index.
func psidOf(index int) string {
	// A bijection on [0, 1e15) so neighbours do not look alike.
	const m = 1e15
	v := (uint64(index)*611953 + 104729) % m
	s := strconv.FormatUint(v, 10)
	return "7" + "000000000000000"[:15-len(s)] + s
}

// person generates subscriber index: gofakeit names, a region and timezone
// from the profile's mix, and the subscriber's own behaviour generator.
func (p *population) person(index int, sub *subscriber) fakegraph.User {
	seed := subscriberSeed(p.seed, index)
	p.src.s = seed
	u := fakegraph.User{PSID: psidOf(index), FirstName: p.faker.FirstName(), LastName: p.faker.LastName()}
	x := p.src.float()
	ri := len(p.weights) - 1
	for i, w := range p.weights {
		if x < w {
			ri = i
			break
		}
	}
	r := p.prof.Regions[ri]
	u.Region, u.Locale = r.Code, r.Locale
	k := int(p.src.Uint64() % uint64(len(r.Timezones)))
	u.Zone, sub.zone = r.Timezones[k], p.zones[ri][k]
	_, off := p.prof.Start.In(sub.zone).Zone()
	u.Timezone = float64(off) / 3600

	sub.rng = splitmix64{s: p.src.Uint64()}
	wr := p.prof.WritesPerDay
	sigma := wr.Spread
	sub.writesPerDay = wr.Mean * math.Exp(sigma*sub.rng.normal()-sigma*sigma/2)
	return u
}
