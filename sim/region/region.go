// Package region is otnsim's one table of the countries its synthetic
// subscribers come from: the locale Messenger reports for them and their
// main UTC offset, and its IANA time zones (zones.go). It covers every
// country under the platform's region rules (the EEA and Japan), the rest
// of Europe, and the common Messenger markets of the Americas, Asia,
// Oceania, the Middle East and Africa. The scenario engine, the load
// generator and fakegraph's control API all fill in a subscriber's locale
// and time zone from it.
//
// It imports nothing of otnsim's, so any package may use it.
package region

import "sort"

// Info describes one country.
type Info struct {
	Locale    string  // e.g. de_DE
	UTCOffset float64 // hours, standard time of the main zone, e.g. 5.5 for India
	// Zones are the country's IANA time zones, the main one first (Zones).
	Zones []string
}

// known is the table. Offsets are each country's main zone in standard time.
var known = map[string]row{
	// The EU 27.
	"AT": {"de_AT", 1}, "BE": {"nl_BE", 1}, "BG": {"bg_BG", 2}, "HR": {"hr_HR", 1},
	"CY": {"el_CY", 2}, "CZ": {"cs_CZ", 1}, "DK": {"da_DK", 1}, "EE": {"et_EE", 2},
	"FI": {"fi_FI", 2}, "FR": {"fr_FR", 1}, "DE": {"de_DE", 1}, "GR": {"el_GR", 2},
	"HU": {"hu_HU", 1}, "IE": {"en_IE", 0}, "IT": {"it_IT", 1}, "LV": {"lv_LV", 2},
	"LT": {"lt_LT", 2}, "LU": {"fr_LU", 1}, "MT": {"mt_MT", 1}, "NL": {"nl_NL", 1},
	"PL": {"pl_PL", 1}, "PT": {"pt_PT", 0}, "RO": {"ro_RO", 2}, "SK": {"sk_SK", 1},
	"SI": {"sl_SI", 1}, "ES": {"es_ES", 1}, "SE": {"sv_SE", 1},
	// The rest of the EEA.
	"IS": {"is_IS", 0}, "LI": {"de_LI", 1}, "NO": {"nb_NO", 1},
	// Europe outside the EEA.
	"GB": {"en_GB", 0}, "CH": {"de_CH", 1}, "TR": {"tr_TR", 3},
	// Japan.
	"JP": {"ja_JP", 9},
	// Elsewhere.
	"US": {"en_US", -5}, "CA": {"en_CA", -5}, "MX": {"es_MX", -6}, "BR": {"pt_BR", -3},
	"AU": {"en_AU", 10}, "IN": {"en_IN", 5.5}, "PH": {"en_PH", 8}, "ID": {"id_ID", 7},
	"TH": {"th_TH", 7}, "VN": {"vi_VN", 7}, "NG": {"en_NG", 1}, "ZA": {"en_ZA", 2},
	// The Americas.
	"AR": {"es_AR", -3}, "CL": {"es_CL", -4}, "CO": {"es_CO", -5}, "PE": {"es_PE", -5},
	"VE": {"es_VE", -4}, "EC": {"es_EC", -5}, "GT": {"es_GT", -6}, "DO": {"es_DO", -4},
	"CR": {"es_CR", -6}, "PA": {"es_PA", -5}, "UY": {"es_UY", -3}, "BO": {"es_BO", -4},
	"PY": {"es_PY", -3}, "HN": {"es_HN", -6}, "SV": {"es_SV", -6}, "PR": {"es_PR", -4},
	// Asia and Oceania.
	"KR": {"ko_KR", 9}, "CN": {"zh_CN", 8}, "TW": {"zh_TW", 8}, "HK": {"zh_HK", 8},
	"SG": {"en_SG", 8}, "MY": {"ms_MY", 8}, "PK": {"ur_PK", 5}, "BD": {"bn_BD", 6},
	"LK": {"si_LK", 5.5}, "NP": {"ne_NP", 5.75}, "KH": {"km_KH", 7}, "MM": {"my_MM", 6.5},
	"NZ": {"en_NZ", 12}, "KZ": {"kk_KZ", 5}, "UZ": {"uz_UZ", 5},
	// The Middle East and Africa.
	"SA": {"ar_SA", 3}, "AE": {"ar_AE", 4}, "EG": {"ar_EG", 2}, "MA": {"ar_MA", 1},
	"DZ": {"ar_DZ", 1}, "TN": {"ar_TN", 1}, "IQ": {"ar_IQ", 3}, "JO": {"ar_JO", 3},
	"LB": {"ar_LB", 2}, "QA": {"ar_QA", 3}, "KW": {"ar_KW", 3}, "IL": {"he_IL", 2},
	"KE": {"sw_KE", 3}, "GH": {"en_GH", 0}, "ET": {"am_ET", 3}, "TZ": {"sw_TZ", 3},
	"UG": {"en_UG", 3}, "CM": {"fr_CM", 1}, "CI": {"fr_CI", 0}, "SN": {"fr_SN", 0},
	// The rest of Europe.
	"RU": {"ru_RU", 3}, "UA": {"uk_UA", 2}, "RS": {"sr_RS", 1}, "BA": {"bs_BA", 1},
	"AL": {"sq_AL", 1}, "MK": {"mk_MK", 1}, "MD": {"ro_MD", 2}, "BY": {"be_BY", 3},
	"GE": {"ka_GE", 4}, "AM": {"hy_AM", 4}, "AZ": {"az_AZ", 4}, "ME": {"sr_ME", 1},
}

// row is one country of the table: its locale and main UTC offset.
type row struct {
	locale string
	offset float64
}

// Lookup returns what otnsim knows of the country with ISO code (upper case).
func Lookup(code string) (Info, bool) {
	r, ok := known[code]
	if !ok {
		return Info{}, false
	}
	return Info{Locale: r.locale, UTCOffset: r.offset, Zones: Zones(code)}, true
}

// Codes returns every known country code, sorted.
func Codes() []string {
	out := make([]string, 0, len(known))
	for c := range known {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
