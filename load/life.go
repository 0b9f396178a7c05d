package load

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/load/report"
)

// Life is one subscriber's life in a load run, as Record replays and
// notes it: who they are, and in virtual time what they did and which
// triggers the bot was sent. It is what a scenario replaying them needs
// (see package extract). A load run injects no faults, so there are none
// to note.
type Life struct {
	Subscriber int            // global index
	User       fakegraph.User // PSID, name, region, locale, timezone
	Start, End time.Time      // the run's virtual span
	Events     []LifeEvent
	// Report is the replay's report: the findings and violations of this
	// subscriber alone.
	Report *report.Report
}

// LifeKind names what a LifeEvent is.
type LifeKind string

// What a subscriber's life holds.
const (
	LifeSay      LifeKind = "say"       // the subscriber wrote Text
	LifeNotifyMe LifeKind = "notify_me" // they tapped Notify Me on Topic
	LifeTrigger  LifeKind = "trigger"   // the bot was sent Trigger with Data
	// The other ways in that open the window (see the profile's entries).
	LifeQuickReply LifeKind = "quick_reply" // they tapped a quick reply: Text and Payload
	LifePostback   LifeKind = "postback"    // they tapped a button: Title and Payload
	LifeReaction   LifeKind = "reaction"    // they reacted to the bot's last message
	LifeReferral   LifeKind = "referral"    // they came through a link or an ad: Source, Ref, AdID
)

// LifeEvent is one thing that happened in a Life.
type LifeEvent struct {
	At    time.Time
	Kind  LifeKind
	Text  string // say
	Reply bool   // say: in answer to a notification
	Topic string // notify_me
	// Payload and Title are a quick reply's or postback's; Source, Ref and
	// AdID a referral's.
	Payload, Title, Source, Ref, AdID string
	// Trigger and Data are a trigger's name and JSON data; Own says the
	// trigger concerns this subscriber alone (data.psid is theirs).
	Trigger string
	Data    json.RawMessage
	Own     bool
}

// Record replays subscriber g of the run opts describes and returns their
// life. Only the replay records: a whole run never pays for it.
func Record(opts Options, g int) (*Life, error) {
	life := &Life{Subscriber: g}
	opts = opts.Replay(g)
	opts.life = life
	opts.Progress = nil
	rep, err := Run(opts)
	if err != nil {
		return nil, fmt.Errorf("record subscriber %d: %w", g, err)
	}
	life.Report = rep
	return life, nil
}

// note adds an event to the life being recorded, if one is.
func (w *world) note(e LifeEvent) {
	if w.life == nil {
		return
	}
	e.At = time.Unix(0, w.clk.Now().UnixNano()).UTC()
	w.life.Events = append(w.life.Events, e)
}
