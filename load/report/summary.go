package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/otnsim/otnsim/rules"
)

// WriteSummary renders the report for people: what happened, what was
// found, how fast it ran.
func (r *Report) WriteSummary(w io.Writer) {
	if e := r.Error; e != nil {
		fmt.Fprintf(w, "ERROR: no counts, the run could not be carried out (%s): %s\n", e.Kind, e.Message)
		return
	}
	c := r.Counters
	verdict := "ok"
	if !r.OK() {
		verdict = "FAIL"
	}
	scope := fmt.Sprintf("%d subscribers", r.Subscribers)
	if len(r.Shards) > 0 {
		scope += fmt.Sprintf(" of %d (shards %s)", r.Population, strings.Join(r.Shards, ", "))
	}
	fmt.Fprintf(w, "%s: %s, %g virtual days, seed %d, profile %s, %s engine\n", verdict, scope, r.Days, r.Seed, r.Profile, r.Engine)
	fmt.Fprintf(w, "  events       %d (messages %d, replies %d, Send API calls %d: %d ok, %d refused)\n",
		c.Events, c.Messages, c.Replies, c.SendCalls, c.SendOK, c.SendRefused)
	if c.QuickReplies+c.Postbacks+c.Reactions+c.Referrals+c.AdClicks > 0 {
		fmt.Fprintf(w, "  entries      quick replies %d, postbacks %d, reactions %d, m.me referrals %d, ad clicks %d\n",
			c.QuickReplies, c.Postbacks, c.Reactions, c.Referrals, c.AdClicks)
	}
	fmt.Fprintf(w, "  opt-ins      %d (OTN requests delivered %d, failed taps %d), notifications %d\n",
		c.OptIns, c.OTNRequests, c.OptInsFailed, c.Notifications)
	fmt.Fprintf(w, "  tokens       issued %d, spent %d, expired %d, refused %d, active %d\n",
		c.TokensIssued, c.TokensSpent, c.TokensExpired, c.TokensRefused, c.TokensActive)
	fmt.Fprintf(w, "  findings     %s\n", findings(r.Findings))
	failing := r.Failing(r.level())
	for i, id := range failing {
		if i == maxListed {
			fmt.Fprintf(w, "    ... and %d more rules\n", len(failing)-maxListed)
			break
		}
		fmt.Fprintf(w, "    %s [%s] %d", id, rules.SeverityOf(id), r.Findings[id])
		if s, ok := r.Samples[id]; ok {
			fmt.Fprintf(w, ", first: subscriber %d at %s: %s\n      replay: %s\n", s.Subscriber, s.At, s.Detail, s.Replay)
		} else {
			fmt.Fprintln(w)
		}
	}
	if c.RegionLearned > 0 {
		fmt.Fprintf(w, "    not findings: %d first OTN refusals for the user's region, which a page cannot know beforehand\n", c.RegionLearned)
	}
	if c.TriggersRefused > 0 {
		fmt.Fprintf(w, "  triggers     %d refused by the bot (4xx: campaigns it does not know)\n", c.TriggersRefused)
	}
	fmt.Fprintf(w, "  violations   %d\n", r.ViolationCount)
	for _, v := range r.Violations {
		fmt.Fprintf(w, "    %s\n", v)
		if v.Replay != "" {
			fmt.Fprintf(w, "      replay: %s\n", v.Replay)
		}
	}
	if r.ViolationCount > int64(len(r.Violations)) {
		fmt.Fprintf(w, "    ... and %d more\n", r.ViolationCount-int64(len(r.Violations)))
	}
	fmt.Fprintf(w, "  speed        %.1f virtual days/s, %.0f events/s, %.0f Send API calls/s\n",
		r.VirtualDaysPerSecond(), r.EventsPerSecond(), r.SendCallsPerSecond())
	fmt.Fprintf(w, "  wall time    %.2fs", r.WallSeconds)
	if len(r.Shards) > 1 {
		fmt.Fprintf(w, " (longest shard; %.2fs over all shards)", r.ShardSeconds)
	}
	fmt.Fprintf(w, ", peak memory %s\n", bytesIEC(r.PeakMemoryBytes))
	if l := r.Latency; l != nil {
		name := "send latency"
		if r.Bot != "" && r.Bot != "reference" {
			name = "send answer " // fakegraph's side: an external bot's round trips are its own
		}
		fmt.Fprintf(w, "  %s p50 %.3fms, p90 %.3fms, p99 %.3fms, p99.9 %.3fms, max %.3fms (%d calls)\n",
			name, l.P50, l.P90, l.P99, l.P999, l.Max, l.Count)
	}
	if l := r.WebhookLatency; l != nil {
		fmt.Fprintf(w, "  bot answer   p50 %.3fms, p90 %.3fms, p99 %.3fms, p99.9 %.3fms, max %.3fms (%d webhooks and triggers)\n",
			l.P50, l.P90, l.P99, l.P999, l.Max, l.Count)
	}
	if !r.Complete() {
		fmt.Fprintf(w, "  note         covers %d of %d subscribers", r.Subscribers, r.Population)
		if n := len(r.MissingShards); n > 0 {
			shown := r.MissingShards[:min(n, maxListed*2)]
			fmt.Fprintf(w, "; missing shards %s", strings.Join(shown, ", "))
			if n > len(shown) {
				fmt.Fprintf(w, " and %d more", n-len(shown))
			}
		}
		fmt.Fprintln(w)
	}
}

// maxListed is how many failing rules the summary details.
const maxListed = 5

func findings(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	rules := make([]string, 0, len(m))
	for k := range m {
		rules = append(rules, k)
	}
	sort.Strings(rules)
	parts := make([]string, len(rules))
	for i, k := range rules {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func bytesIEC(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
