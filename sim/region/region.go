// Package region is what otnsim knows of the countries its synthetic
// subscribers come from: the locale Messenger reports for them and their
// main UTC offset.
package region

import "sort"

// Info describes one country.
type Info struct {
	Locale    string  // e.g. de_DE
	UTCOffset float64 // hours, e.g. 5.5 for India
}

var known = map[string]Info{
	"US": {"en_US", -5}, "GB": {"en_GB", 0}, "CA": {"en_CA", -5}, "AU": {"en_AU", 10},
	"BR": {"pt_BR", -3}, "MX": {"es_MX", -6}, "IN": {"en_IN", 5.5}, "PH": {"en_PH", 8},
	"ID": {"id_ID", 7}, "NG": {"en_NG", 1}, "DE": {"de_DE", 1}, "FR": {"fr_FR", 1},
	"ES": {"es_ES", 1}, "IT": {"it_IT", 1}, "NL": {"nl_NL", 1}, "PL": {"pl_PL", 1},
	"SE": {"sv_SE", 1}, "IE": {"en_IE", 0}, "JP": {"ja_JP", 9}, "TH": {"th_TH", 7},
	"VN": {"vi_VN", 7}, "TR": {"tr_TR", 3}, "ZA": {"en_ZA", 2}, "NO": {"nb_NO", 1},
	"CH": {"de_CH", 1},
}

// Lookup returns what otnsim knows of the country with ISO code (upper case).
func Lookup(code string) (Info, bool) {
	i, ok := known[code]
	return i, ok
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
