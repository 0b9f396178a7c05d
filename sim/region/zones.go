package region

import (
	"fmt"
	"slices"
	"sync"
	"time"

	// The IANA time zone database, built in, so zone names resolve on a
	// machine without one.
	_ "time/tzdata"
)

// zones are each country's IANA time zones, its main zone (the one its
// UTCOffset is the standard time of) first, then the others its people
// commonly live in.
var zones = map[string][]string{
	// The EU 27.
	"AT": {"Europe/Vienna"}, "BE": {"Europe/Brussels"}, "BG": {"Europe/Sofia"}, "HR": {"Europe/Zagreb"},
	"CY": {"Asia/Nicosia"}, "CZ": {"Europe/Prague"}, "DK": {"Europe/Copenhagen"}, "EE": {"Europe/Tallinn"},
	"FI": {"Europe/Helsinki"}, "FR": {"Europe/Paris"}, "DE": {"Europe/Berlin"}, "GR": {"Europe/Athens"},
	"HU": {"Europe/Budapest"}, "IE": {"Europe/Dublin"}, "IT": {"Europe/Rome"}, "LV": {"Europe/Riga"},
	"LT": {"Europe/Vilnius"}, "LU": {"Europe/Luxembourg"}, "MT": {"Europe/Malta"}, "NL": {"Europe/Amsterdam"},
	"PL": {"Europe/Warsaw"}, "PT": {"Europe/Lisbon", "Atlantic/Azores", "Atlantic/Madeira"}, "RO": {"Europe/Bucharest"},
	"SK": {"Europe/Bratislava"}, "SI": {"Europe/Ljubljana"}, "ES": {"Europe/Madrid", "Atlantic/Canary"}, "SE": {"Europe/Stockholm"},
	// The rest of the EEA.
	"IS": {"Atlantic/Reykjavik"}, "LI": {"Europe/Vaduz"}, "NO": {"Europe/Oslo"},
	// Europe outside the EEA.
	"GB": {"Europe/London"}, "CH": {"Europe/Zurich"}, "TR": {"Europe/Istanbul"},
	// Japan.
	"JP": {"Asia/Tokyo"},
	// Elsewhere.
	"US": {"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu"},
	"CA": {"America/Toronto", "America/Halifax", "America/St_Johns", "America/Winnipeg", "America/Regina", "America/Edmonton", "America/Vancouver"},
	"MX": {"America/Mexico_City", "America/Cancun", "America/Monterrey", "America/Chihuahua", "America/Hermosillo", "America/Tijuana"},
	"BR": {"America/Sao_Paulo", "America/Bahia", "America/Fortaleza", "America/Recife", "America/Belem", "America/Manaus", "America/Cuiaba", "America/Rio_Branco"},
	"AU": {"Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane", "Australia/Adelaide", "Australia/Darwin", "Australia/Perth", "Australia/Hobart"},
	"IN": {"Asia/Kolkata"}, "PH": {"Asia/Manila"}, "ID": {"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"},
	"TH": {"Asia/Bangkok"}, "VN": {"Asia/Ho_Chi_Minh"}, "NG": {"Africa/Lagos"}, "ZA": {"Africa/Johannesburg"},
	// The Americas.
	"AR": {"America/Argentina/Buenos_Aires", "America/Argentina/Cordoba", "America/Argentina/Mendoza"},
	"CL": {"America/Santiago", "Pacific/Easter"}, "CO": {"America/Bogota"}, "PE": {"America/Lima"},
	"VE": {"America/Caracas"}, "EC": {"America/Guayaquil", "Pacific/Galapagos"}, "GT": {"America/Guatemala"},
	"DO": {"America/Santo_Domingo"}, "CR": {"America/Costa_Rica"}, "PA": {"America/Panama"},
	"UY": {"America/Montevideo"}, "BO": {"America/La_Paz"}, "PY": {"America/Asuncion"},
	"HN": {"America/Tegucigalpa"}, "SV": {"America/El_Salvador"}, "PR": {"America/Puerto_Rico"},
	// Asia and Oceania.
	"KR": {"Asia/Seoul"}, "CN": {"Asia/Shanghai", "Asia/Urumqi"}, "TW": {"Asia/Taipei"}, "HK": {"Asia/Hong_Kong"},
	"SG": {"Asia/Singapore"}, "MY": {"Asia/Kuala_Lumpur", "Asia/Kuching"}, "PK": {"Asia/Karachi"}, "BD": {"Asia/Dhaka"},
	"LK": {"Asia/Colombo"}, "NP": {"Asia/Kathmandu"}, "KH": {"Asia/Phnom_Penh"}, "MM": {"Asia/Yangon"},
	"NZ": {"Pacific/Auckland", "Pacific/Chatham"}, "KZ": {"Asia/Almaty", "Asia/Aqtobe"}, "UZ": {"Asia/Tashkent", "Asia/Samarkand"},
	// The Middle East and Africa.
	"SA": {"Asia/Riyadh"}, "AE": {"Asia/Dubai"}, "EG": {"Africa/Cairo"}, "MA": {"Africa/Casablanca"},
	"DZ": {"Africa/Algiers"}, "TN": {"Africa/Tunis"}, "IQ": {"Asia/Baghdad"}, "JO": {"Asia/Amman"},
	"LB": {"Asia/Beirut"}, "QA": {"Asia/Qatar"}, "KW": {"Asia/Kuwait"}, "IL": {"Asia/Jerusalem"},
	"KE": {"Africa/Nairobi"}, "GH": {"Africa/Accra"}, "ET": {"Africa/Addis_Ababa"}, "TZ": {"Africa/Dar_es_Salaam"},
	"UG": {"Africa/Kampala"}, "CM": {"Africa/Douala"}, "CI": {"Africa/Abidjan"}, "SN": {"Africa/Dakar"},
	// The rest of Europe.
	"RU": {"Europe/Moscow", "Europe/Kaliningrad", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Omsk", "Asia/Novosibirsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Yakutsk", "Asia/Vladivostok"},
	"UA": {"Europe/Kyiv"}, "RS": {"Europe/Belgrade"}, "BA": {"Europe/Sarajevo"},
	"AL": {"Europe/Tirane"}, "MK": {"Europe/Skopje"}, "MD": {"Europe/Chisinau"}, "BY": {"Europe/Minsk"},
	"GE": {"Asia/Tbilisi"}, "AM": {"Asia/Yerevan"}, "AZ": {"Asia/Baku"}, "ME": {"Europe/Podgorica"},
}

// ErrZone marks a time zone name that is not an IANA zone, or not one of
// the country's.
var ErrZone = fmt.Errorf("bad time zone")

// Zones returns the IANA time zones of the country with ISO code, its main
// zone first; nil for a country the table lacks.
func Zones(code string) []string { return slices.Clone(zones[code]) }

// MainZone returns the country's main IANA zone, "" for one the table lacks.
func MainZone(code string) string {
	if z := zones[code]; len(z) > 0 {
		return z[0]
	}
	return ""
}

// CheckZone reports whether name is an IANA zone and, for a country the
// table knows, one of its zones; the error, wrapping ErrZone, lists them.
func CheckZone(code, name string) error {
	if _, err := Location(name); err != nil {
		return fmt.Errorf("%w: %q is not an IANA time zone name (such as Europe/Berlin)", ErrZone, name)
	}
	if z, known := zones[code]; known && !slices.Contains(z, name) {
		return fmt.Errorf("%w: %s is not a time zone of %s (its zones: %v)", ErrZone, name, code, z)
	}
	return nil
}

// Offset returns zone's offset from UTC at t, in hours (5.5 for
// Asia/Kolkata), and false when zone is not an IANA zone.
func Offset(zone string, t time.Time) (float64, bool) {
	loc, err := Location(zone)
	if err != nil {
		return 0, false
	}
	_, off := t.In(loc).Zone()
	return float64(off) / 3600, true
}

// StandardOffset returns zone's offset from UTC in standard time, in hours:
// the smaller of its offsets in January and July of 2026.
func StandardOffset(zone string) (float64, bool) {
	jan, ok := Offset(zone, time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC))
	if !ok {
		return 0, false
	}
	jul, _ := Offset(zone, time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC))
	return min(jan, jul), true
}

// locations caches the zones Location has loaded, by name: loading one
// parses the database each time.
var locations sync.Map

// Location returns the IANA zone called name, loaded once. The empty name
// and "Local" are refused: they name no IANA zone.
func Location(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("%w: %q is not an IANA time zone name", ErrZone, name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrZone, err)
	}
	locations.Store(name, loc)
	return loc, nil
}
