package sim

import (
	"fmt"
	"sort"
	"strings"

	"github.com/brianvoe/gofakeit/v6"

	"github.com/otnsim/otnsim/fakegraph"
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
}

// regionInfo is what otnsim knows of a country for profiles.
type regionInfo struct {
	locale   string
	timezone float64
}

var regions = map[string]regionInfo{
	"US": {"en_US", -5}, "GB": {"en_GB", 0}, "CA": {"en_CA", -5}, "AU": {"en_AU", 10},
	"BR": {"pt_BR", -3}, "MX": {"es_MX", -6}, "IN": {"en_IN", 5.5}, "PH": {"en_PH", 8},
	"ID": {"id_ID", 7}, "NG": {"en_NG", 1}, "DE": {"de_DE", 1}, "FR": {"fr_FR", 1},
	"ES": {"es_ES", 1}, "IT": {"it_IT", 1}, "NL": {"nl_NL", 1}, "PL": {"pl_PL", 1},
	"SE": {"sv_SE", 1}, "IE": {"en_IE", 0}, "JP": {"ja_JP", 9}, "TH": {"th_TH", 7},
	"VN": {"vi_VN", 7}, "TR": {"tr_TR", 3}, "ZA": {"en_ZA", 2}, "NO": {"nb_NO", 1},
	"CH": {"de_CH", 1},
}

// KnownRegion reports whether otnsim has locale and timezone data for code.
func KnownRegion(code string) bool { _, ok := regions[code]; return ok }

// Regions returns the country codes otnsim can generate subscribers in.
func Regions() []string {
	out := make([]string, 0, len(regions))
	for r := range regions {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// defaultRegionMix is the population when a scenario names no regions.
var defaultRegionMix = []string{"US", "US", "US", "GB", "BR", "IN", "PH", "MX", "CA", "AU"}

// newSubscriber generates a subscriber from faker, honouring spec.
func newSubscriber(faker *gofakeit.Faker, spec SubscriberSpec) (*Subscriber, error) {
	s := &Subscriber{Alias: spec.Alias}
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
	info, ok := regions[s.Region]
	if !ok {
		return nil, fmt.Errorf("subscriber %q: unknown region %q (known: %s)", spec.Alias, spec.Region, strings.Join(Regions(), ", "))
	}
	s.Locale = spec.Locale
	if s.Locale == "" {
		s.Locale = info.locale
	}
	s.Timezone = info.timezone
	if spec.Timezone != nil {
		s.Timezone = *spec.Timezone
	}
	if s.Alias == "" {
		s.Alias = strings.ToLower(s.FirstName)
	}
	return s, nil
}
