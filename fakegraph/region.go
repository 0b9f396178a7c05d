package fakegraph

import (
	"slices"
	"strings"
	"time"

	"github.com/otnsim/otnsim/sim/region"
)

// offset is the user's offset from UTC in hours at now: their zone's, with
// daylight saving time, or the fixed Timezone when they have no zone.
func (u *User) offset(now time.Time) float64 {
	if u.Zone != "" {
		if off, ok := region.Offset(u.Zone, now); ok {
			return off
		}
	}
	return u.Timezone
}

// platformDate is the date the simulated platform lives at.
func (s *Server) platformDate(now time.Time) time.Time {
	if !s.set().PlatformDate.IsZero() {
		return s.set().PlatformDate
	}
	return now
}

// regionAffected reports whether country is under the Europe or Japan rules at date.
func (s *Server) regionAffected(country string, date time.Time) bool {
	if country == "" || s.set().Region.Disabled {
		return false
	}
	c := strings.ToUpper(country)
	r := &s.set().Region
	if !date.Before(r.EuropeFrom) && slices.Contains(r.Europe, c) {
		return true
	}
	return !date.Before(r.JapanFrom) && slices.Contains(r.Japan, c)
}

// PageAffected reports whether the page itself (its country or an admin's)
// is under the region rules at the platform date: the answer of
// GET /me/messenger_profile?fields=subject_to_new_eu_privacy_rules.
func (s *Server) PageAffected() bool {
	return s.pageAffected(s.platformDate(s.clock.Now()))
}

func (s *Server) pageAffected(date time.Time) bool {
	if s.regionAffected(s.cfg.Page.Country, date) {
		return true
	}
	for _, a := range s.cfg.Page.AdminCountries {
		if s.regionAffected(a, date) {
			return true
		}
	}
	return false
}

// threadAffected reports whether OTN is unavailable in u's thread at now:
// the page, an admin or the user is in an affected country.
func (s *Server) threadAffected(u *userState, now time.Time) bool {
	date := s.platformDate(now)
	return s.pageAffected(date) || s.regionAffected(u.Region, date)
}
