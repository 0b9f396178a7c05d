package sim

import (
	"fmt"
	"strings"

	"github.com/brianvoe/gofakeit/v6"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/sim/region"
)

// Subscriber is a synthetic person who talks to the page.
type Subscriber struct {
	// Alias is the name a scenario uses for the subscriber (e.g. "ana").
	Alias string
	fakegraph.User
}

// SubscriberSpec says what to fix about a generated subscriber; every empty
// field is filled by gofakeit.
type SubscriberSpec struct {
	Alias    string
	PSID     string
	Name     string // "First Last"
	Region   string // ISO country code
	Locale   string
	Timezone *float64
	// Zone is the IANA time zone (Europe/Berlin); empty means the
	// country's main zone, unless Timezone fixes an offset instead.
	Zone string
	// UserRef is the checkbox plugin's reference for the person, if any.
	UserRef string
}

// KnownRegion reports whether otnsim has locale and timezone data for code.
func KnownRegion(code string) bool { _, ok := region.Lookup(code); return ok }

// Regions returns the country codes otnsim can generate subscribers in.
func Regions() []string { return region.Codes() }

// defaultRegionMix is the population when a scenario names no regions.
var defaultRegionMix = []string{"US", "US", "US", "GB", "BR", "IN", "PH", "MX", "CA", "AU"}

// newSubscriber generates a subscriber from faker, honouring spec.
func newSubscriber(faker *gofakeit.Faker, spec SubscriberSpec) (*Subscriber, error) {
	s := &Subscriber{Alias: spec.Alias}
	s.UserRef = spec.UserRef
	s.PSID = spec.PSID
	if s.PSID == "" {
		s.PSID = faker.Numerify("7###############")
	}
	if spec.Name != "" {
		first, last, _ := strings.Cut(spec.Name, " ")
		s.FirstName, s.LastName = first, last
	} else {
		s.FirstName, s.LastName = faker.FirstName(), faker.LastName()
	}
	s.Region = strings.ToUpper(spec.Region)
	if s.Region == "" {
		s.Region = defaultRegionMix[faker.IntRange(0, len(defaultRegionMix)-1)]
	}
	info, ok := region.Lookup(s.Region)
	if !ok {
		return nil, fmt.Errorf("subscriber %q: unknown region %q (known: %s)", spec.Alias, spec.Region, strings.Join(Regions(), ", "))
	}
	s.Locale = spec.Locale
	if s.Locale == "" {
		s.Locale = info.Locale
	}
	s.Timezone, s.Zone = info.UTCOffset, spec.Zone
	switch {
	case spec.Zone != "":
		if err := region.CheckZone(s.Region, spec.Zone); err != nil {
			return nil, fmt.Errorf("subscriber %q: %w", spec.Alias, err)
		}
		s.Timezone, _ = region.StandardOffset(spec.Zone)
	case spec.Timezone != nil:
		s.Timezone = *spec.Timezone
	default:
		s.Zone = info.Zones[0]
	}
	if s.Alias == "" {
		s.Alias = strings.ToLower(s.FirstName)
	}
	return s, nil
}
