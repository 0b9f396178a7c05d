package scenarios

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/sim"
)

var worldFields = []string{"page_country", "admin_countries", "otn_permission", "platform_date", "settings"}

// world reads the world section: the page's country and admins, the OTN
// permission, the platform date and fakegraph's fidelity settings.
func (d *decoder) world(n *yaml.Node, w *WorldSpec) {
	f, _ := d.fields(n, "world", worldFields...)
	if v, ok := f["page_country"]; ok {
		w.PageCountry = d.country(v, "world.page_country")
	}
	if v, ok := f["admin_countries"]; ok {
		if v.Kind == yaml.SequenceNode {
			for _, c := range v.Content {
				w.AdminCountries = append(w.AdminCountries, d.country(c, "world.admin_countries"))
			}
		} else {
			d.errorf(v, "world.admin_countries must be a list of country codes, got %s", kindName(v))
		}
	}
	if v, ok := f["otn_permission"]; ok {
		w.OTNPermission = d.boolean(v, "world.otn_permission")
	}
	if v, ok := f["platform_date"]; ok {
		w.PlatformDate = d.timestamp(v, "world.platform_date")
	}
	if v, ok := f["settings"]; ok {
		d.into(v, reflect.ValueOf(&w.Settings).Elem(), "world.settings")
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
	c := strings.ToUpper(d.str(n, what))
	if c != "" && (len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z') {
		d.errorf(n, "%s must be a two-letter country code like US or DE, got %q", what, c)
	}
	return c
}

// region reads a subscriber's country, which must be one otnsim can generate.
func (d *decoder) region(n *yaml.Node, what string) string {
	before := len(d.errs)
	c := d.country(n, what)
	if c != "" && len(d.errs) == before && !sim.KnownRegion(c) {
		d.hintf(n, suggest(c, sim.Regions()), "%s: otnsim has no profile data for country %q", what, c)
	}
	return c
}

// subscribers reads the list of subscribers: named ones, and "generate:"
// entries that stand for many.
func (d *decoder) subscribers(n *yaml.Node) []SubscriberSpec {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "subscribers must be a list, got %s", kindName(n))
		return nil
	}
	var out []SubscriberSpec
	seen := map[string]bool{}
	add := func(c *yaml.Node, s SubscriberSpec) {
		if seen[s.Alias] {
			d.errorf(c, "subscriber %q declared twice", s.Alias)
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
	s := SubscriberSpec{Pos: d.pos(n)}
	f, _ := d.fields(n, "a subscriber", "alias", "name", "region", "locale", "timezone", "generate")
	d.require(n, "a subscriber", f, "alias")
	for k, v := range f {
		switch k {
		case "alias":
			s.Alias = d.str(v, k)
		case "name":
			s.Name = d.str(v, k)
		case "region":
			s.Region = d.region(v, "region")
		case "locale":
			s.Locale = d.str(v, k)
		case "timezone":
			tz := d.float(v, k)
			if tz < -12 || tz > 14 {
				d.errorf(v, "timezone must be an offset from UTC in hours, between -12 and 14")
			}
			s.Timezone = &tz
		case "generate":
			d.errorf(v, "generate stands alone in its list item: - generate: {count: 10}")
		}
	}
	return s
}

// generate reads {count, regions, prefix} and returns count subscribers
// named prefix1..prefixN, spread over the regions in proportion.
func (d *decoder) generate(n *yaml.Node) []SubscriberSpec {
	f, _ := d.fields(n, "generate", "count", "regions", "prefix")
	if !d.require(n, "generate", f, "count") {
		return nil
	}
	count := d.integer(f["count"], "generate.count")
	if count < 1 || count > 100000 {
		d.errorf(f["count"], "generate.count must be between 1 and 100000, got %d", count)
		return nil
	}
	prefix := "subscriber"
	if v, ok := f["prefix"]; ok {
		prefix = d.str(v, "generate.prefix")
	}
	mix := map[string]float64{}
	before := len(d.errs)
	if v, ok := f["regions"]; ok {
		rf, keys := d.mapping(v, "generate.regions")
		for _, k := range sortedKeys(rf) {
			code := d.region(keys[k], "generate.regions")
			w := d.float(rf[k], "generate.regions."+k)
			if w <= 0 {
				d.errorf(rf[k], "generate.regions.%s must be a share above 0, got %s", k, rf[k].Value)
			}
			mix[code] += w
		}
	}
	if len(d.errs) > before {
		return nil
	}
	regions, err := sim.RegionMix(count, mix)
	if err != nil {
		d.errorf(n, "generate: %v", err)
		return nil
	}
	out := make([]SubscriberSpec, count)
	for i := range out {
		out[i] = SubscriberSpec{Pos: d.pos(n), Alias: fmt.Sprintf("%s%d", prefix, i+1), Region: regions[i], Generated: true}
	}
	return out
}

// mapping reads a mapping with any keys, reporting duplicates.
func (d *decoder) mapping(n *yaml.Node, what string) (map[string]*yaml.Node, map[string]*yaml.Node) {
	vals, keys := map[string]*yaml.Node{}, map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping, got %s", what, kindName(n))
		return vals, keys
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if _, dup := vals[k.Value]; dup {
			d.errorf(k, "field %q appears twice in %s", k.Value, what)
			continue
		}
		vals[k.Value], keys[k.Value] = n.Content[i+1], k
	}
	return vals, keys
}

func sortedKeys(m map[string]*yaml.Node) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
