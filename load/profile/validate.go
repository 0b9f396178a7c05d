package profile

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/otnsim/otnsim/sim/region"
)

// Validate checks the profile and fills each region's locale and timezones
// from its country code where the file leaves them out. Every mistake is
// reported at once, wrapped in ErrInvalid.
func (p *Profile) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if p.Start.IsZero() {
		p.Start = DefaultStart()
	}
	if p.WritesPerDay.Mean < 0 || p.WritesPerDay.Mean > 1000 {
		bad("writes_per_day.mean %v: want 0 to 1000", p.WritesPerDay.Mean)
	}
	if p.WritesPerDay.Spread < 0 || p.WritesPerDay.Spread > 3 {
		bad("writes_per_day.spread %v: want 0 to 3", p.WritesPerDay.Spread)
	}
	if h := p.ActiveHours; h.From < 0 || h.From > 23 || h.To < 1 || h.To > 24 || h.From == h.To {
		bad("active_hours %d-%d: want from 0..23, to 1..24, not equal", h.From, h.To)
	}
	a := p.Asks
	if a.OutOfStock < 0 || a.InStock < 0 || a.SmallTalk < 0 || a.OutOfStock+a.InStock+a.SmallTalk <= 0 {
		bad("asks: weights must be non-negative and not all zero")
	}
	for name, v := range map[string]float64{"opt_in": p.OptIn, "reply": p.Reply} {
		if v < 0 || v > 1 {
			bad("%s %v: want a probability from 0 to 1", name, v)
		}
	}
	for name, r := range map[string]Range{"opt_in_delay": p.OptInDelay, "reply_delay": p.ReplyDelay} {
		if r.Min < 0 || r.Max < r.Min {
			bad("%s: want 0 <= min <= max, got %s..%s", name, r.Min.D(), r.Max.D())
		}
	}
	if len(p.Regions) == 0 {
		bad("regions: at least one region is needed")
	}
	total := 0.0
	for i := range p.Regions {
		r := &p.Regions[i]
		r.Code = strings.ToUpper(r.Code)
		def, known := region.Lookup(r.Code)
		if r.Weight <= 0 {
			bad("regions[%d] %s: weight must be positive", i, r.Code)
		}
		total += r.Weight
		if r.Locale == "" {
			r.Locale = def.Locale
		}
		if len(r.Timezones) == 0 {
			if !known {
				bad("regions[%d]: unknown region %q: give locale and timezones (known: %s)", i, r.Code, knownRegions())
				continue
			}
			r.Timezones = []float64{def.UTCOffset}
		}
		if r.Locale == "" {
			bad("regions[%d] %s: locale is needed", i, r.Code)
		}
		for _, tz := range r.Timezones {
			if tz < -12 || tz > 14 {
				bad("regions[%d] %s: timezone %v out of range -12..14", i, r.Code, tz)
			}
		}
	}
	products := map[string]bool{}
	for _, pr := range p.Bot.Products {
		products[pr.Slug] = true
	}
	if p.Bot.Products != nil && len(p.Bot.Products) == 0 {
		bad("bot.products: give at least one product or leave it out")
	}
	for i, c := range p.Campaigns {
		if c.Trigger == "" {
			bad("campaigns[%d] %s: trigger is required", i, c.Name)
		}
		if c.First < 0 || c.Every < 0 {
			bad("campaigns[%d] %s: first and every must not be negative", i, c.Name)
		}
		if c.Every > 0 && c.Every.D() < time.Minute {
			bad("campaigns[%d] %s: every %s is shorter than a minute", i, c.Name, c.Every.D())
		}
		if c.Trigger == "restock" && p.Bot.Products != nil {
			if slug, _ := c.Data["product"].(string); !products[slug] {
				bad("campaigns[%d] %s: restock of unknown product %q", i, c.Name, slug)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	return nil
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
