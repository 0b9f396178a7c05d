package scenarios

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/internal/yamlpos"
	"github.com/otnsim/otnsim/sim"
	"github.com/otnsim/otnsim/sim/region"
)

var worldFields = []string{"page_country", "admin_countries", "otn_permission", "platform_date", "settings"}

// world reads the world section: the page's country and admins, the OTN
// permission, the platform date and fakegraph's fidelity settings.
func (d *decoder) world(n *yaml.Node, w *WorldSpec) {
	f, _ := d.Fields(n, "world", worldFields...)
	if v, ok := f["page_country"]; ok {
		w.PageCountry = d.country(v, "world.page_country")
	}
	if v, ok := f["admin_countries"]; ok {
		if v.Kind == yaml.SequenceNode {
			for _, c := range v.Content {
				w.AdminCountries = append(w.AdminCountries, d.country(c, "world.admin_countries"))
			}
		} else {
			d.Errorf(v, "world.admin_countries must be a list of country codes, got %s", yamlpos.KindName(v))
		}
	}
	if v, ok := f["otn_permission"]; ok {
		w.OTNPermission = d.Bool(v, "world.otn_permission")
	}
	if v, ok := f["platform_date"]; ok {
		w.PlatformDate = d.Time(v, "world.platform_date")
	}
	if v, ok := f["settings"]; ok {
		d.Into(v, reflect.ValueOf(&w.Settings).Elem(), "world.settings")
	}
}

// FakegraphSettings are the fidelity settings the scenario's world runs
// under: the defaults, the file's overrides, and world.platform_date.
func (w WorldSpec) FakegraphSettings() fakegraph.Settings {
	set := w.Settings
	if !w.PlatformDate.IsZero() {
		set.PlatformDate = w.PlatformDate
	}
	return set
}

// Page is the fakegraph page the scenario's world runs with.
func (w WorldSpec) Page() fakegraph.Page {
	page := fakegraph.DefaultPage()
	page.OTNApproved = w.OTNPermission
	page.Country = w.PageCountry
	page.AdminCountries = append([]string(nil), w.AdminCountries...)
	return page
}

// country reads an ISO 3166-1 alpha-2 code.
func (d *decoder) country(n *yaml.Node, what string) string {
	c := strings.ToUpper(d.Str(n, what))
	if c != "" && (len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z') {
		d.Errorf(n, "%s must be a two-letter country code like US or DE, got %q", what, c)
	}
	return c
}

// region reads a subscriber's country, which must be one otnsim can generate.
func (d *decoder) region(n *yaml.Node, what string) string {
	before := len(d.Errs)
	c := d.country(n, what)
	if c != "" && len(d.Errs) == before && !sim.KnownRegion(c) {
		d.Hintf(n, yamlpos.Suggest(c, sim.Regions()), "%s: otnsim has no profile data for country %q", what, c)
	}
	return c
}

// subscribers reads the list of subscribers: named ones, and "generate:"
// entries that stand for many.
func (d *decoder) subscribers(n *yaml.Node) []SubscriberSpec {
	if n.Kind != yaml.SequenceNode {
		d.Errorf(n, "subscribers must be a list, got %s", yamlpos.KindName(n))
		return nil
	}
	var out []SubscriberSpec
	seen := map[string]bool{}
	add := func(c *yaml.Node, s SubscriberSpec) {
		if seen[s.Alias] {
			d.Errorf(c, "subscriber %q declared twice", s.Alias)
		}
		seen[s.Alias] = true
		out = append(out, s)
	}
	for _, c := range n.Content {
		if c.Kind == yaml.MappingNode && len(c.Content) == 2 && c.Content[0].Value == "generate" {
			for _, s := range d.generate(c.Content[1]) {
				add(c, s)
			}
			continue
		}
		add(c, d.subscriber(c))
	}
	return out
}

func (d *decoder) subscriber(n *yaml.Node) SubscriberSpec {
	s := SubscriberSpec{Pos: d.Pos(n)}
	f, _ := d.Fields(n, "a subscriber", "alias", "name", "region", "locale", "timezone", "user_ref", "generate")
	d.Require(n, "a subscriber", f, "alias")
	defer func() {
		if s.Zone != "" {
			if err := region.CheckZone(strings.ToUpper(s.Region), s.Zone); err != nil {
				d.Errorf(f["timezone"], "timezone: %v", strings.TrimPrefix(err.Error(), region.ErrZone.Error()+": "))
			}
		}
	}()
	for k, v := range f {
		switch k {
		case "alias":
			s.Alias = d.Str(v, k)
		case "name":
			s.Name = d.Str(v, k)
		case "region":
			s.Region = d.region(v, "region")
		case "locale":
			s.Locale = d.Str(v, k)
		case "user_ref":
			s.UserRef = d.Str(v, k)
		case "timezone":
			if v.Kind == yaml.ScalarNode && v.Tag == "!!str" {
				s.Zone = v.Value
				continue
			}
			tz := d.Float(v, k)
			if tz < -12 || tz > 14 {
				d.Errorf(v, "timezone must be an IANA time zone (Europe/Berlin) or an offset from UTC in hours, between -12 and 14")
			}
			s.Timezone = &tz
		case "generate":
			d.Errorf(v, "generate stands alone in its list item: - generate: {count: 10}")
		}
	}
	return s
}

// generate reads {count, regions, prefix} and returns count subscribers
// named prefix1..prefixN, spread over the regions in proportion.
func (d *decoder) generate(n *yaml.Node) []SubscriberSpec {
	f, _ := d.Fields(n, "generate", "count", "regions", "prefix")
	if !d.Require(n, "generate", f, "count") {
		return nil
	}
	count := d.Integer(f["count"], "generate.count")
	if count < 1 || count > 100000 {
		d.Errorf(f["count"], "generate.count must be between 1 and 100000, got %d", count)
		return nil
	}
	if d.generated += count; d.generated > MaxGeneratedSubscribers {
		d.Errorf(f["count"], "the file generates more than %d subscribers (every case together); split it", MaxGeneratedSubscribers)
		return nil
	}
	prefix := "subscriber"
	if v, ok := f["prefix"]; ok {
		prefix = d.Str(v, "generate.prefix")
	}
	mix := map[string]float64{}
	before := len(d.Errs)
	if v, ok := f["regions"]; ok {
		rf, keys := d.Mapping(v, "generate.regions")
		for _, k := range sortedKeys(rf) {
			code := d.region(keys[k], "generate.regions")
			w := d.Float(rf[k], "generate.regions."+k)
			if w <= 0 {
				d.Errorf(rf[k], "generate.regions.%s must be a share above 0, got %s", k, rf[k].Value)
			}
			mix[code] += w
		}
	}
	if len(d.Errs) > before {
		return nil
	}
	regions, err := sim.RegionMix(count, mix)
	if err != nil {
		d.Errorf(n, "generate: %v", err)
		return nil
	}
	out := make([]SubscriberSpec, count)
	for i := range out {
		out[i] = SubscriberSpec{Pos: d.Pos(n), Alias: fmt.Sprintf("%s%d", prefix, i+1), Region: regions[i], Generated: true}
	}
	return out
}

func sortedKeys(m map[string]*yaml.Node) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
