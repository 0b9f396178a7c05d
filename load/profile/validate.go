package profile

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/otnsim/otnsim/sim/clock"
	"github.com/otnsim/otnsim/sim/region"
)

// Validate checks the profile and fills each region's locale and timezones
// from its country code where the file leaves them out. Every mistake is
// reported at once, wrapped in ErrInvalid.
func (p *Profile) Validate() error {
	probs := p.check()
	if len(probs) == 0 {
		return nil
	}
	errs := make([]error, len(probs))
	for i, pr := range probs {
		errs[i] = errors.New(pr.msg)
	}
	return fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
}

// problem is a mistake Validate finds, with the path of the field it is
// about ("regions[2].weight"), so that Parse can place it in the file.
type problem struct {
	path, msg string
}

// maxRun is the longest run a profile may start: load.Options' 3650 days.
const maxRun = 3650 * 24 * time.Hour

// check is Validate's work: it fills the defaults and lists the problems.
func (p *Profile) check() []problem {
	var probs []problem
	bad := func(path, format string, args ...any) {
		probs = append(probs, problem{path: path, msg: fmt.Sprintf(format, args...)})
	}
	if p.Start.IsZero() {
		p.Start = DefaultStart()
	}
	// A run lasts up to 3650 days (load.Options), and must end inside the
	// clock's range: time is counted in int64 nanoseconds since 1970.
	if _, err := clock.Add(p.Start, maxRun); err != nil {
		bad("start", "start %s: want an instant from %s to %s before %s (a run of up to 3650 days must end inside the clock's range)",
			p.Start.UTC().Format(time.RFC3339), clock.Earliest.Format(time.RFC3339), clock.FormatDuration(maxRun), clock.Latest.Format(time.RFC3339))
	}
	if p.WritesPerDay.Mean < 0 || p.WritesPerDay.Mean > 1000 {
		bad("writes_per_day.mean", "writes_per_day.mean %v: want 0 to 1000", p.WritesPerDay.Mean)
	}
	if p.WritesPerDay.Spread < 0 || p.WritesPerDay.Spread > 3 {
		bad("writes_per_day.spread", "writes_per_day.spread %v: want 0 to 3", p.WritesPerDay.Spread)
	}
	if h := p.ActiveHours; h.From < 0 || h.From > 23 || h.To < 1 || h.To > 24 || h.From == h.To {
		bad("active_hours", "active_hours %d-%d: want from 0..23, to 1..24, not equal", h.From, h.To)
	}
	a := p.Asks
	if a.OutOfStock < 0 || a.InStock < 0 || a.SmallTalk < 0 || a.OutOfStock+a.InStock+a.SmallTalk <= 0 {
		bad("asks", "asks: weights must be non-negative and not all zero")
	}
	entries := 0.0
	for i, v := range p.Entries.Weights() {
		if v < 0 {
			bad("entries."+EntryNames[i], "entries.%s %v: weights must not be negative", EntryNames[i], v)
		}
		entries += max(v, 0)
	}
	if entries <= 0 {
		bad("entries", "entries: at least one weight must be above 0")
	}
	for _, pr := range []struct {
		name string
		v    float64
	}{{"opt_in", p.OptIn}, {"reply", p.Reply}} {
		if pr.v < 0 || pr.v > 1 {
			bad(pr.name, "%s %v: want a probability from 0 to 1", pr.name, pr.v)
		}
	}
	for _, rg := range []struct {
		name string
		r    Range
	}{{"opt_in_delay", p.OptInDelay}, {"reply_delay", p.ReplyDelay}} {
		if r := rg.r; r.Min < 0 || r.Max < r.Min {
			bad(rg.name, "%s: want 0 <= min <= max, got %s..%s", rg.name, r.Min.D(), r.Max.D())
		}
	}
	if len(p.Regions) == 0 {
		bad("regions", "regions: at least one region is needed")
	}
	total := 0.0
	for i := range p.Regions {
		r, at := &p.Regions[i], fmt.Sprintf("regions[%d]", i)
		r.Code = strings.ToUpper(r.Code)
		def, known := region.Lookup(r.Code)
		if r.Weight <= 0 {
			bad(at+".weight", "regions[%d] %s: weight must be positive", i, r.Code)
		}
		total += r.Weight
		if r.Locale == "" {
			r.Locale = def.Locale
		}
		if len(r.Timezones) == 0 {
			if !known {
				bad(at+".code", "regions[%d]: unknown region %q: give locale and timezones (known: %s)", i, r.Code, knownRegions())
				continue
			}
			r.Timezones = []string{def.Zones[0]}
		}
		if r.Locale == "" {
			bad(at, "regions[%d] %s: locale is needed", i, r.Code)
		}
		for k, tz := range r.Timezones {
			if err := region.CheckZone(r.Code, tz); err != nil {
				bad(fmt.Sprintf("%s.timezones[%d]", at, k), "regions[%d] %s: timezone %s", i, r.Code, strings.TrimPrefix(err.Error(), region.ErrZone.Error()+": "))
			}
		}
	}
	products := map[string]bool{}
	for _, pr := range p.Bot.Products {
		products[pr.Slug] = true
	}
	if p.Bot.Products != nil && len(p.Bot.Products) == 0 {
		bad("bot.products", "bot.products: give at least one product or leave it out")
	}
	for i, c := range p.Campaigns {
		at := fmt.Sprintf("campaigns[%d]", i)
		if c.Trigger == "" {
			bad(at, "campaigns[%d] %s: trigger is required", i, c.Name)
		}
		if c.First < 0 || c.Every < 0 {
			bad(at, "campaigns[%d] %s: first and every must not be negative", i, c.Name)
		}
		if c.Every > 0 && c.Every.D() < time.Minute {
			bad(at+".every", "campaigns[%d] %s: every %s is shorter than a minute", i, c.Name, c.Every.D())
		}
		if c.Trigger == "restock" && p.Bot.Products != nil {
			if slug, _ := c.Data["product"].(string); !products[slug] {
				bad(at+".data.product", "campaigns[%d] %s: restock of unknown product %q", i, c.Name, slug)
			}
		}
	}
	return probs
}

func knownRegions() string { return strings.Join(region.Codes(), ", ") }

// Firings returns the campaign firings in [start, end), earliest first;
// firings at the same instant keep the campaigns' order.
func (p *Profile) Firings(end time.Time) []Firing {
	var out []Firing
	for i, c := range p.Campaigns {
		for at := p.Start.Add(c.First.D()); at.Before(end); at = at.Add(c.Every.D()) {
			out = append(out, Firing{At: at, Campaign: i})
			if c.Every == 0 {
				break
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// Firing is one scheduled run of a campaign.
type Firing struct {
	At       time.Time
	Campaign int // index into Profile.Campaigns
}
