// Package profile describes a load run's population and its behaviour: how
// often people write, how likely they opt in and reply, where they live, and
// the shop's campaign schedule. Profiles are YAML files; Default resembles a
// small shop.
package profile

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/otnsim/otnsim/internal/inputfile"
	"github.com/otnsim/otnsim/internal/yamlpos"
	"github.com/otnsim/otnsim/reference"
)

// ErrInvalid marks a profile that cannot be used; callers branch on it to
// exit with a usage error.
var ErrInvalid = errors.New("invalid profile")

// Profile is the behaviour of a generated population.
type Profile struct {
	// Name labels the profile in reports.
	Name string `yaml:"name"`
	// Start is the virtual instant the run begins at.
	Start time.Time `yaml:"start"`
	// WritesPerDay is how often a subscriber writes to the page. Each
	// subscriber draws their own rate: Mean times a factor spread
	// log-normally with Spread (0 gives everyone the mean).
	WritesPerDay Rate `yaml:"writes_per_day"`
	// ActiveHours is the local time of day people write in, [From, To).
	ActiveHours Hours `yaml:"active_hours"`
	// Asks is what a message is about, by weight: an out-of-stock product
	// (the bot answers with an OTN request), an in-stock product, or small talk.
	Asks Asks `yaml:"asks"`
	// OptIn is the probability of tapping Notify Me on an OTN request, after
	// a delay drawn from OptInDelay.
	OptIn      float64 `yaml:"opt_in"`
	OptInDelay Range   `yaml:"opt_in_delay"`
	// Reply is the probability of writing back after a notification, after a
	// delay drawn from ReplyDelay.
	Reply      float64 `yaml:"reply"`
	ReplyDelay Range   `yaml:"reply_delay"`
	// Entries is how a subscriber comes into the conversation each time
	// they act on their own (a write or a reply), by weight; every entry
	// opens the 24-hour window. The default is a typed message only.
	Entries Entries `yaml:"entries"`
	// Regions is the population's region and timezone mix.
	Regions []Region `yaml:"regions"`
	// Campaigns is the shop's schedule of triggers.
	Campaigns []Campaign `yaml:"campaigns"`
	// Bot configures the reference bot exactly as a scenario file's bot
	// section does (preset, policy, products, opt_ins, flows, campaigns).
	Bot reference.Setup `yaml:"bot"`
}

// Rate is a per-subscriber rate drawn around a mean.
type Rate struct {
	Mean   float64 `yaml:"mean"`
	Spread float64 `yaml:"spread"` // sigma of the log-normal factor
}

// Hours is a span of local hours, [From, To); From > To wraps past midnight.
type Hours struct {
	From int `yaml:"from"`
	To   int `yaml:"to"`
}

// Asks weighs what a message is about.
type Asks struct {
	OutOfStock float64 `yaml:"out_of_stock"`
	InStock    float64 `yaml:"in_stock"`
	SmallTalk  float64 `yaml:"small_talk"`
}

// Entries weighs the ways into a conversation: a typed message, a quick
// reply tapped (carrying the same question), a postback (the Get Started
// button or a menu item), a reaction to the page's latest message, a
// referral through an m.me link, and a Click-to-Messenger ad followed by a
// message (under the policy of 2026-09-28 that message opens the window for
// up to 7 days).
type Entries struct {
	Message    float64 `yaml:"message"`
	QuickReply float64 `yaml:"quick_reply"`
	Postback   float64 `yaml:"postback"`
	Reaction   float64 `yaml:"reaction"`
	Referral   float64 `yaml:"referral"`
	Ad         float64 `yaml:"ad"`
}

// Weights returns the weights in the order of EntryNames.
func (e Entries) Weights() []float64 {
	return []float64{e.Message, e.QuickReply, e.Postback, e.Reaction, e.Referral, e.Ad}
}

// EntryNames are the profile's names of the entries, in the order of Weights.
var EntryNames = []string{"message", "quick_reply", "postback", "reaction", "referral", "ad"}

// Range is a uniform range of durations.
type Range struct {
	Min Duration `yaml:"min"`
	Max Duration `yaml:"max"`
}

// Region is one part of the population's mix.
type Region struct {
	Code   string  `yaml:"code"`   // ISO country code
	Weight float64 `yaml:"weight"` // relative share
	Locale string  `yaml:"locale"` // default from the code
	// Timezones are IANA time zones of the country (America/Chicago),
	// chosen uniformly; default the country's main zone.
	Timezones []string `yaml:"timezones"`
}

// Campaign is a trigger the shop fires on a schedule, to everyone.
type Campaign struct {
	Name    string         `yaml:"name"`
	Trigger string         `yaml:"trigger"` // otn.notify, restock, broadcast, ...
	Data    map[string]any `yaml:"data"`
	First   Duration       `yaml:"first"` // after the start
	Every   Duration       `yaml:"every"` // 0: once
}

// Load reads and validates a profile file; fields it leaves out keep
// Default's values. Mistakes are reported as path:line:col: message.
func Load(path string) (*Profile, error) {
	b, err := inputfile.Read(path, inputfile.MaxYAMLBytes)
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	return ParseNamed(path, b)
}

// Parse decodes and validates a profile document over Default; positions
// in its errors name the file "profile".
func Parse(b []byte) (*Profile, error) { return ParseNamed("profile", b) }

// ParseNamed decodes and validates a profile document over Default, with
// the decoder scenario files use: the bot section is a scenario's (presets,
// otnsim durations), and every mistake comes back at once, each as
// name:line:col: message (hint), wrapped in ErrInvalid. The list is a
// yamlpos.ErrorList, scenarios.ErrorList outside this module.
func ParseNamed(name string, b []byte) (*Profile, error) {
	p := Default()
	root, errs := yamlpos.Document(name, b)
	if errs != nil {
		return nil, invalid(errs)
	}
	if root != nil {
		d := &yamlpos.Decoder{File: name, Top: "the profile"}
		d.Into(root, reflect.ValueOf(p).Elem(), "")
		if err := d.Err(); err != nil {
			return nil, invalid(err)
		}
	}
	probs := p.check()
	if len(probs) == 0 {
		return p, nil
	}
	list := make(yamlpos.ErrorList, len(probs))
	for i, pr := range probs {
		at := yamlpos.Pos{File: name, Line: 1, Col: 1}
		if root != nil {
			n := yamlpos.Find(root, pr.path)
			at.Line, at.Col = n.Line, n.Column
		}
		list[i] = &yamlpos.Error{Pos: at, Msg: pr.msg}
	}
	return nil, invalid(list.Sorted())
}

func invalid(err error) error { return fmt.Errorf("%w: %w", ErrInvalid, err) }
