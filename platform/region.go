package platform

import (
	"slices"
	"strings"
	"time"
)

// europe is the European Economic Area: the 27 EU members, Iceland,
// Liechtenstein and Norway (ISO 3166-1 alpha-2 codes).
var europe = [...]string{
	"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
	"LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
}

// japan is the list of countries under the Japan rules.
var japan = [...]string{"JP"}

// Europe returns the countries (ISO codes, upper case) under the December
// 2020 Europe rules: the EEA, that is the EU 27, Iceland, Liechtenstein and
// Norway. Each call returns a fresh slice the caller may change.
func Europe() []string { return slices.Clone(europe[:]) }

// IsEurope reports whether the country with ISO code (any case) is in Europe().
func IsEurope(code string) bool { return slices.Contains(europe[:], strings.ToUpper(code)) }

// Japan returns the countries under the March 2021 Japan rules: ["JP"]. Each
// call returns a fresh slice the caller may change.
func Japan() []string { return slices.Clone(japan[:]) }

// IsJapan reports whether the country with ISO code (any case) is in Japan().
func IsJapan(code string) bool { return slices.Contains(japan[:], strings.ToUpper(code)) }

// EuropeRulesDate returns when OTN stopped working for pages, admins and
// users in Europe: 2020-12-16 00:00 UTC.
func EuropeRulesDate() time.Time { return time.Date(2020, 12, 16, 0, 0, 0, 0, time.UTC) }

// JapanRulesDate returns when OTN stopped working for pages, admins and users
// in Japan: 2021-03-30 00:00 UTC.
func JapanRulesDate() time.Time { return time.Date(2021, 3, 30, 0, 0, 0, 0, time.UTC) }
