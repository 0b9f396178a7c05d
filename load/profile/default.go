package profile

import (
	"time"

	"github.com/otnsim/otnsim/reference"
)

// DefaultStart returns when a load run begins unless the profile says
// otherwise: 2026-01-05T00:00:00Z.
func DefaultStart() time.Time { return time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) }

// Default returns the profile of a small online shop: people write about
// once a month, most questions are about products that are out of stock, a
// third of those asked opt in, and the shop announces restocks weekly.
func Default() *Profile {
	return &Profile{
		Name:         "small-shop",
		Start:        DefaultStart(),
		WritesPerDay: Rate{Mean: 0.04, Spread: 0.8},
		ActiveHours:  Hours{From: 8, To: 23},
		Asks:         Asks{OutOfStock: 0.5, InStock: 0.2, SmallTalk: 0.3},
		OptIn:        0.35,
		OptInDelay:   Range{Min: Duration(5 * time.Second), Max: Duration(10 * time.Minute)},
		Entries:      Entries{Message: 1},
		Reply:        0.2,
		ReplyDelay:   Range{Min: Duration(time.Minute), Max: Duration(6 * time.Hour)},
		Regions: []Region{
			{Code: "US", Weight: 45, Timezones: []string{"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"}},
			{Code: "GB", Weight: 10},
			{Code: "CA", Weight: 8, Timezones: []string{"America/Toronto", "America/Vancouver"}},
			{Code: "AU", Weight: 5, Timezones: []string{"Australia/Sydney", "Australia/Perth"}},
			{Code: "BR", Weight: 8},
			{Code: "MX", Weight: 6},
			{Code: "IN", Weight: 8},
			{Code: "PH", Weight: 5},
			{Code: "DE", Weight: 3},
			{Code: "JP", Weight: 2},
		},
		Campaigns: []Campaign{
			{Name: "lipstick-drop", Trigger: "otn.notify", First: Duration(2*24*time.Hour + 15*time.Hour), Every: Duration(7 * 24 * time.Hour),
				Data: map[string]any{"topic": "restock:red-lipstick", "text": "Red Lipstick is back in stock this week!"}},
			{Name: "scarf-drop", Trigger: "otn.notify", First: Duration(5*24*time.Hour + 17*time.Hour), Every: Duration(14 * 24 * time.Hour),
				Data: map[string]any{"topic": "restock:silk-scarf", "text": "Silk Scarf restocked, limited run."}},
			{Name: "boots-restock", Trigger: "restock", First: Duration(20*24*time.Hour + 16*time.Hour),
				Data: map[string]any{"product": "ankle-boots"}},
		},
		Bot: reference.Setup{
			Policy: reference.DefaultPolicy(),
			Products: []reference.Product{
				{Slug: "red-lipstick", Name: "Red Lipstick"},
				{Slug: "silk-scarf", Name: "Silk Scarf"},
				{Slug: "ankle-boots", Name: "Ankle Boots"},
				{Slug: "canvas-tote", Name: "Canvas Tote", InStock: true},
				{Slug: "linen-shirt", Name: "Linen Shirt", InStock: true},
			},
		},
	}
}
