// Package report holds the result of a load run: counters, findings by rule,
// invariant violations, throughput and Send API latency. Reports of shards
// merge into one, counter for counter, with their latency histograms.
package report

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/otnsim/otnsim/internal/inputfile"
	"github.com/otnsim/otnsim/internal/reportdoc"
	"github.com/otnsim/otnsim/lifeline"
)

// FormatVersion is the version of the JSON report format
// (load/report/report.schema.json) that WriteFile writes. Version 1 had no
// header (schema, tool, started_at, elapsed_ms, summary) and gave the wall
// time as wall_seconds and shard_seconds; ReadFile still reads it.
const FormatVersion = 2

// SchemaID is the JSON report's schema field.
const SchemaID = "otnsim-load"

// Error says why a report holds no counts: the run could not be carried
// out (a bot that crashed or hung, a bad profile). It is the JSON report's
// "error" object.
type Error = reportdoc.Error

// MaxViolations is how many violations a report keeps in full; the rest are
// only counted.
const MaxViolations = 50

// ErrMismatch is returned when reports of different runs are merged.
var ErrMismatch = errors.New("reports are not shards of the same run")

// Report is the outcome of a load run or of a shard of one. Its JSON
// (MarshalJSON) starts with the header every otnsim report starts with:
// the fields tagged json:"-" are in it.
type Report struct {
	Version int `json:"-"`
	// Tool names what wrote the report, as "otnsim VERSION".
	Tool string `json:"-"`
	// Started is when the run began; for merged shards, the earliest shard's.
	Started time.Time `json:"-"`
	// Error, when set, says why the run has no counts (otnsim load exits 2,
	// or 1 for a run that failed on its own); merge refuses such a report.
	Error *Error `json:"-"`

	Engine      string  `json:"engine"` // in-process, http or external
	Profile     string  `json:"profile"`
	Seed        int64   `json:"seed"`
	Population  int     `json:"population"`  // subscribers in the whole run
	Subscribers int     `json:"subscribers"` // subscribers this report covers
	Days        float64 `json:"days"`
	// Shards lists the shards this report covers, as "i/N"; empty for an unsharded run.
	Shards []string `json:"shards,omitempty"`
	// MissingShards lists, in a merged report, the shards of the same
	// split ("i/N") that none of the merged reports covers.
	MissingShards []string `json:"missing_shards,omitempty"`

	Counters Counters `json:"counters"`
	// Throughput counts events and Send API calls over virtual time.
	Throughput *Throughput      `json:"throughput,omitempty"`
	Findings   map[string]int64 `json:"findings_by_rule"`
	// Samples holds, for each rule with findings, its first subscriber and
	// the command that replays them.
	Samples map[string]FindingSample `json:"finding_samples,omitempty"`

	ViolationCount int64       `json:"violation_count"`
	Violations     []Violation `json:"violations,omitempty"`

	// WallSeconds is the run's wall time; for merged shards, the longest
	// shard's. The JSON header's elapsed_ms holds it.
	WallSeconds float64 `json:"-"`
	// ShardSeconds adds up every shard's wall time (shards_elapsed_ms in
	// the JSON).
	ShardSeconds float64 `json:"-"`
	// PeakMemoryBytes is the largest resident set any shard's process reached.
	PeakMemoryBytes uint64 `json:"peak_memory_bytes"`

	// Latency is the Send API round trip as the bot saw it (http engine), or
	// fakegraph's answer time (a bot outside the process, whose own round
	// trips otnsim cannot see).
	Latency *Latency `json:"send_latency,omitempty"`
	// WebhookLatency is how long a bot outside the process took to answer
	// each webhook and trigger.
	WebhookLatency *Latency `json:"webhook_latency,omitempty"`
	// Bot names the bot under test: "reference" or the external bot.
	Bot string `json:"bot,omitempty"`
	// FailOn is the least severity whose findings fail the run (failure,
	// warning or info; empty means failure).
	FailOn string `json:"fail_on,omitempty"`

	// Timeline is the subscriber's story when a single subscriber is replayed.
	Timeline []string `json:"timeline,omitempty"`
}

// Counters are the additive totals of a run.
type Counters struct {
	Events        int64 `json:"events"`   // subscriber actions plus Send API calls
	Messages      int64 `json:"messages"` // subscribers writing (replies included)
	Replies       int64 `json:"replies"`  // messages written in answer to a notification
	OptIns        int64 `json:"opt_ins"`  // Notify Me taps that issued a token
	OptInsFailed  int64 `json:"opt_ins_failed"`
	OTNRequests   int64 `json:"otn_requests"`  // OTN requests that reached a subscriber
	Notifications int64 `json:"notifications"` // messages the bot sent unprompted (campaigns, timers)
	SendCalls     int64 `json:"send_calls"`
	SendOK        int64 `json:"send_ok"`
	SendRefused   int64 `json:"send_refused"`
	TokensIssued  int64 `json:"tokens_issued"`
	TokensSpent   int64 `json:"tokens_spent"`
	TokensExpired int64 `json:"tokens_expired"` // expired unspent by the end of the run
	TokensRefused int64 `json:"tokens_refused"` // refused Send API calls addressed by token
	TokensActive  int64 `json:"tokens_active"`  // unspent and unexpired at the end
	Webhooks      int64 `json:"webhooks"`       // webhook deliveries the bot accepted
	WebhookFailed int64 `json:"webhooks_failed"`
	// RegionLearned counts OTN calls refused for the user's region, the
	// first in each thread: the page cannot know a user's country before
	// Meta refuses one, so these are not findings (a repeat is).
	RegionLearned int64 `json:"region_learned"`
	// TriggersRefused counts triggers a bot outside the process answered
	// with 4xx (a profile's campaign it does not know).
	TriggersRefused int64 `json:"triggers_refused,omitempty"`
	// The entries besides a typed message (profile entries): quick replies
	// (counted in messages too), postbacks, reactions, m.me referrals, and
	// Click-to-Messenger ad click-throughs (each followed by a message).
	QuickReplies int64 `json:"quick_replies,omitempty"`
	Postbacks    int64 `json:"postbacks,omitempty"`
	Reactions    int64 `json:"reactions,omitempty"`
	Referrals    int64 `json:"referrals,omitempty"`
	AdClicks     int64 `json:"ad_clicks,omitempty"`
}

// Add adds o's counters to c.
func (c *Counters) Add(o Counters) {
	c.Events += o.Events
	c.Messages += o.Messages
	c.Replies += o.Replies
	c.OptIns += o.OptIns
	c.OptInsFailed += o.OptInsFailed
	c.RegionLearned += o.RegionLearned
	c.TriggersRefused += o.TriggersRefused
	c.QuickReplies += o.QuickReplies
	c.Postbacks += o.Postbacks
	c.Reactions += o.Reactions
	c.Referrals += o.Referrals
	c.AdClicks += o.AdClicks
	c.OTNRequests += o.OTNRequests
	c.Notifications += o.Notifications
	c.SendCalls += o.SendCalls
	c.SendOK += o.SendOK
	c.SendRefused += o.SendRefused
	c.TokensIssued += o.TokensIssued
	c.TokensSpent += o.TokensSpent
	c.TokensExpired += o.TokensExpired
	c.TokensRefused += o.TokensRefused
	c.TokensActive += o.TokensActive
	c.Webhooks += o.Webhooks
	c.WebhookFailed += o.WebhookFailed
}

// Violation is a broken invariant, with what is needed to replay it.
type Violation struct {
	Invariant      string `json:"invariant"`
	Subscriber     int    `json:"subscriber"` // global index; -1 when no one in particular
	PSID           string `json:"psid,omitempty"`
	SubscriberSeed string `json:"subscriber_seed,omitempty"`
	At             string `json:"at"` // virtual time, RFC 3339
	Detail         string `json:"detail"`
	Replay         string `json:"replay,omitempty"` // command line that replays the subscriber
	// Lifeline is the subscriber's story, for the first MaxLifelines
	// violations of the report.
	Lifeline *lifeline.Lifeline `json:"lifeline,omitempty"`
}

// MaxLifelines is how many violations (and, separately, how many rules'
// finding samples) keep their subscriber's lifeline, so that a report of a
// million subscribers stays small.
const MaxLifelines = 10

// LifelineMarks is how many marks each lifeline of a load report keeps.
const LifelineMarks = 120

// String renders the violation on one line.
func (v Violation) String() string {
	s := fmt.Sprintf("%s at %s: %s", v.Invariant, v.At, v.Detail)
	if v.Subscriber >= 0 {
		s = fmt.Sprintf("%s: subscriber #%d (psid %s, seed %s) %s", v.Invariant, v.Subscriber, v.PSID, v.SubscriberSeed, s[len(v.Invariant)+2:])
	}
	return s
}

// Passed reports whether no invariant was broken.
func (r *Report) Passed() bool { return r.ViolationCount == 0 }

// AddViolations adds vs to r, keeping the first MaxViolations by subscriber
// and time, so the kept set does not depend on how the run was split.
func (r *Report) AddViolations(count int64, vs []Violation) {
	r.ViolationCount += count
	r.Violations = append(r.Violations, vs...)
	sort.SliceStable(r.Violations, func(i, j int) bool {
		a, b := r.Violations[i], r.Violations[j]
		if a.Subscriber != b.Subscriber {
			return a.Subscriber < b.Subscriber
		}
		if a.At != b.At {
			return a.At < b.At
		}
		return a.Invariant < b.Invariant
	})
	if len(r.Violations) > MaxViolations {
		r.Violations = r.Violations[:MaxViolations]
	}
	for i := MaxLifelines; i < len(r.Violations); i++ {
		r.Violations[i].Lifeline = nil
	}
}

// VirtualDaysPerSecond is how fast the population moved through virtual time.
func (r *Report) VirtualDaysPerSecond() float64 { return rate(r.Days, r.WallSeconds) }

// EventsPerSecond is the event throughput over wall time.
func (r *Report) EventsPerSecond() float64 { return rate(float64(r.Counters.Events), r.WallSeconds) }

// SendCallsPerSecond is the Send API throughput over wall time.
func (r *Report) SendCallsPerSecond() float64 {
	return rate(float64(r.Counters.SendCalls), r.WallSeconds)
}

func rate(n, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	return n / secs
}

// WriteFile writes r as indented JSON (MarshalJSON).
func (r *Report) WriteFile(path string) error {
	b, err := r.MarshalIndent()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// ReadFile reads a JSON report of version 2 or 1.
// A file over MaxReportBytes, or one that fails Check, is an error.
func ReadFile(path string) (*Report, error) {
	b, err := inputfile.Read(path, MaxReportBytes)
	if errors.Is(err, inputfile.ErrTooBig) {
		return nil, fmt.Errorf("read report: %w: %w", err, ErrBadReport)
	}
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	var r Report
	if err := r.UnmarshalJSON(b); err != nil {
		return nil, fmt.Errorf("read report %s: %w", path, err)
	}
	if err := r.Check(); err != nil {
		return nil, fmt.Errorf("read report %s: %w", path, err)
	}
	return &r, nil
}

// Complete reports whether the report covers the whole population: every
// subscriber, no shard missing.
func (r *Report) Complete() bool { return r.Subscribers == r.Population && len(r.MissingShards) == 0 }

// elapsed is the run's wall time as a duration.
func (r *Report) elapsed() time.Duration {
	return time.Duration(r.WallSeconds * float64(time.Second))
}
