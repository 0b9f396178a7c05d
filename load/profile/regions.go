package profile

// regionDefaults is the locale and main UTC offset of the countries a profile
// may name without giving them.
var regionDefaults = map[string]struct {
	locale string
	tz     float64
}{
	"US": {"en_US", -5}, "GB": {"en_GB", 0}, "CA": {"en_CA", -5}, "AU": {"en_AU", 10},
	"BR": {"pt_BR", -3}, "MX": {"es_MX", -6}, "IN": {"en_IN", 5.5}, "PH": {"en_PH", 8},
	"ID": {"id_ID", 7}, "NG": {"en_NG", 1}, "DE": {"de_DE", 1}, "FR": {"fr_FR", 1},
	"ES": {"es_ES", 1}, "IT": {"it_IT", 1}, "NL": {"nl_NL", 1}, "PL": {"pl_PL", 1},
	"SE": {"sv_SE", 1}, "IE": {"en_IE", 0}, "JP": {"ja_JP", 9}, "TH": {"th_TH", 7},
	"VN": {"vi_VN", 7}, "TR": {"tr_TR", 3}, "ZA": {"en_ZA", 2}, "NO": {"nb_NO", 1},
	"CH": {"de_CH", 1},
}
