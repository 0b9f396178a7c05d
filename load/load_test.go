package load

import (
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/schemacheck"
	"github.com/otnsim/otnsim/load/profile"
	"github.com/otnsim/otnsim/load/report"
	"github.com/otnsim/otnsim/sim/clock"
	"github.com/otnsim/otnsim/sim/region"
)

func small(n int) Options {
	o := NewOptions(n, 30, 42)
	o.Chunk = 250
	return o
}

func mustRun(o Options) *report.Report {
	r, err := Run(o)
	Expect(err).NotTo(HaveOccurred())
	return r
}

var _ = Describe("Run", func() {
	It("runs everyone from zero Options with a population and days", func() {
		r := mustRun(Options{Subscribers: 300, Days: 3, Seed: 5})
		Expect(r.Subscribers).To(Equal(300))
		Expect(r.Counters.Messages).To(BeNumerically(">", 10))
		Expect(r.Bot).To(Equal("reference"))
	})

	It("runs a population, checks invariants and counts what happened", func() {
		r := mustRun(small(1500))
		Expect(r.Passed()).To(BeTrue(), "%v", r.Violations)
		c := r.Counters
		Expect(c.Messages).To(BeNumerically(">", 500))
		Expect(c.OTNRequests).To(BeNumerically(">", 0))
		Expect(c.OptIns).To(Equal(c.TokensIssued))
		Expect(c.TokensSpent).To(BeNumerically(">", 0))
		Expect(c.TokensIssued).To(Equal(c.TokensSpent + c.TokensExpired + c.TokensActive))
		Expect(c.SendCalls).To(Equal(c.SendOK + c.SendRefused))
		Expect(c.Events).To(Equal(c.Messages + c.OptIns + c.OptInsFailed + c.SendCalls))
		Expect(c.Webhooks).To(Equal(c.Messages + c.OptIns))
		Expect(r.Subscribers).To(Equal(1500))
		Expect(r.PeakMemoryBytes).To(BeNumerically(">", 0))
	})

	It("is deterministic under a seed, whatever the chunking and workers", func() {
		a := small(1200)
		b := small(1200)
		b.Chunk, b.Workers = 97, 3
		ra, rb := mustRun(a), mustRun(b)
		Expect(rb.Counters).To(Equal(ra.Counters))
		Expect(rb.Findings).To(Equal(ra.Findings))
		c := small(1200)
		c.Seed = 43
		Expect(mustRun(c).Counters).NotTo(Equal(ra.Counters))
	})

	It("gives the unsharded run's counters when four shards are merged", func() {
		whole := mustRun(small(3001))
		var parts []*report.Report
		for i := range 4 {
			o := small(3001)
			o.Shard = Shard{Index: i, Count: 4}
			parts = append(parts, mustRun(o))
		}
		merged, err := report.Merge(parts...)
		Expect(err).NotTo(HaveOccurred())
		Expect(merged.Complete()).To(BeTrue())
		Expect(merged.Subscribers).To(Equal(whole.Subscribers))
		Expect(merged.Counters).To(Equal(whole.Counters))
		Expect(merged.Findings).To(Equal(whole.Findings))
		Expect(merged.ViolationCount).To(Equal(whole.ViolationCount))
		Expect(merged.Throughput).To(Equal(whole.Throughput))
		Expect(merged.Shards).To(Equal([]string{"0/4", "1/4", "2/4", "3/4"}))
	})

	It("reports a careless bot's refused calls as findings by rule, not violations", func() {
		p := profile.Default()
		p.Bot.Policy.ReuseSpentTokens = true
		o := small(1500)
		o.Profile = p
		r := mustRun(o)
		Expect(r.Passed()).To(BeTrue())
		Expect(r.Findings).To(HaveKeyWithValue("OTN-TOKEN-ONCE", r.Counters.TokensRefused))
		Expect(r.Counters.TokensRefused).To(BeNumerically(">", 0))

		// The first subscriber behind the rule comes with their lifeline,
		// the refused reuse on it, and the report stays valid.
		s := r.Samples["OTN-TOKEN-ONCE"]
		Expect(s.Lifeline).NotTo(BeNil())
		Expect(s.Lifeline.Subscriber).To(Equal("subscriber " + itoa(s.Subscriber)))
		Expect(s.Lifeline.PSID).To(Equal(s.PSID))
		Expect(s.Lifeline.Sends).To(ContainElement(SatisfyAll(HaveField("Verdict", "refused"), HaveField("Rule", "OTN-TOKEN-ONCE"))))
		Expect(s.Lifeline.Findings).NotTo(BeEmpty())
		Expect(len(s.Lifeline.Sends) + len(s.Lifeline.Actions) + len(s.Lifeline.Findings)).To(BeNumerically("<=", report.LifelineMarks))
		path := filepath.Join(GinkgoT().TempDir(), "r.json")
		Expect(r.WriteFile(path)).To(Succeed())
		Expect(schemacheck.File(path)).To(Succeed())
	})

	It("counts events and Send API calls over virtual time, as the counters do", func() {
		r := mustRun(small(800))
		t := r.Throughput
		Expect(t).NotTo(BeNil())
		Expect(t.BucketMS).To(Equal(int64(2*time.Hour/time.Millisecond)), "30 days in at most 480 whole hours")
		Expect(t.Events).To(HaveLen(360))
		var events, sends int64
		for i := range t.Events {
			events += t.Events[i]
			sends += t.SendCalls[i]
		}
		Expect(events).To(Equal(r.Counters.Events))
		Expect(sends).To(Equal(r.Counters.SendCalls))
	})

	It("fails the run and names a replayable subscriber when the referee accepts a spent token", func() {
		p := profile.Default()
		p.Bot.Policy.ReuseSpentTokens = true
		o := small(1500)
		o.Profile = p
		o.tamper = acceptEveryToken
		r := mustRun(o)
		Expect(r.Passed()).To(BeFalse())
		var once *report.Violation
		for i, v := range r.Violations {
			if v.Invariant == InvTokenOnce {
				once = &r.Violations[i]
				break
			}
		}
		Expect(once).NotTo(BeNil(), "%v", r.Violations)
		Expect(once.Subscriber).To(BeNumerically(">=", 0))
		Expect(once.PSID).To(Equal(psidOf(once.Subscriber)))
		Expect(once.SubscriberSeed).To(HavePrefix("0x"))
		Expect(once.Replay).To(ContainSubstring("--seed 42"))
		Expect(once.Replay).To(HaveSuffix("--subscriber " + itoa(once.Subscriber)))
		Expect(once.Lifeline).NotTo(BeNil(), "the first violations come with a lifeline")
		for i, v := range r.Violations {
			Expect(v.Lifeline == nil).To(Equal(i >= report.MaxLifelines || v.PSID == ""), "violation %d: %s", i, v)
		}

		replay := o.Replay(once.Subscriber)
		rr := mustRun(replay)
		Expect(rr.Passed()).To(BeFalse())
		Expect(rr.Violations).To(ContainElement(SatisfyAll(
			HaveField("Subscriber", once.Subscriber),
			HaveField("Invariant", InvTokenOnce),
		)))
		Expect(strings.Join(rr.Timeline, "\n")).To(ContainSubstring("notify_me"))
	})

	It("checks each invariant on the calls it observes", func() {
		o := small(1)
		Expect(o.check()).To(Succeed())
		w := &world{index: map[string]int32{"7": 0}, subs: []subscriber{{}}, psids: []string{"7"}, opts: &o,
			prof: o.Profile, clk: clock.NewVirtual(o.Profile.Start), cur: -1}
		w.apply(sendNote{at: 1, psid: "7", msgType: "UPDATE", ok: true})
		Expect(w.violCount).To(Equal(int64(1)))
		Expect(w.violations[0].Invariant).To(Equal(InvWindow))
		w.apply(sendNote{at: 1, token: "never-issued", ok: true})
		Expect(w.violations[1].Invariant).To(Equal(InvTokenIssued))
		w.tokenIDs = map[string]int32{"t": 0}
		w.tokens = []tokenInfo{{sub: 0, issued: 0}}
		w.apply(sendNote{at: 400 * 24 * 3600e9, token: "t", ok: true})
		Expect(w.violations[2].Invariant).To(Equal(InvTokenExpiry))
	})

	It("plays every entry point of a profile, each counted and each opening the window the invariants check", func() {
		p, err := profile.Load("profiles/entry-points.yaml")
		Expect(err).NotTo(HaveOccurred())
		o := NewOptions(800, 14, 42)
		o.Chunk, o.Profile = 400, p
		r := mustRun(o)
		Expect(r.Passed()).To(BeTrue(), "%v", r.Violations)
		c := r.Counters
		for name, n := range map[string]int64{"quick replies": c.QuickReplies, "postbacks": c.Postbacks,
			"reactions": c.Reactions, "referrals": c.Referrals, "ad clicks": c.AdClicks} {
			Expect(n).To(BeNumerically(">", 20), name)
		}
		Expect(c.Messages).To(BeNumerically(">", c.QuickReplies+c.AdClicks), "quick replies and the messages after ads are messages")
		entries := c.Postbacks + c.Reactions + c.Referrals + c.AdClicks
		Expect(c.Events).To(Equal(c.Messages + entries + c.OptIns + c.OptInsFailed + c.SendCalls))
		Expect(c.Webhooks).To(Equal(c.Messages + entries + c.OptIns))
		Expect(c.Notifications).To(BeNumerically(">", 0))
		Expect(r.Findings).To(BeEmpty(), "the reference bot takes every entry, ads' 7-day windows included")
		var sum bytes.Buffer
		r.WriteSummary(&sum)
		Expect(sum.String()).To(MatchRegexp(`entries      quick replies \d+, postbacks \d+, reactions \d+, m.me referrals \d+, ad clicks \d+`))
	})

	It("draws no entry for a profile of messages only, whatever the message weight", func() {
		p := profile.Default()
		p.Entries.Message = 3
		o := small(600)
		o.Profile = p
		Expect(mustRun(o).Counters).To(Equal(mustRun(small(600)).Counters))
		Expect(newEntryMix(p.Entries).cum).To(BeNil())
	})

	It("keeps the 7-day window of the first message after a Click-to-Messenger ad, from the policy's date only", func() {
		const day = int64(24 * 3600e9)
		o := small(1)
		Expect(o.check()).To(Succeed())
		from := o.Profile.Start.UnixNano() + 10*day
		mk := func() *world {
			return &world{index: map[string]int32{"7": 0}, subs: []subscriber{{}}, psids: []string{"7"}, opts: &o,
				prof: o.Profile, clk: clock.NewVirtual(o.Profile.Start), cur: -1, adWindow: 7 * day, adFrom: from}
		}
		for _, tc := range []struct {
			at         int64
			violations int64
		}{{from, 0}, {from - 1, 1}} {
			w := mk()
			s := &w.subs[0]
			s.adPending, s.windowUntil = true, tc.at+day
			w.adMessage(s, tc.at)
			Expect(s.adPending).To(BeFalse())
			w.apply(sendNote{at: tc.at + 7*day - 1, psid: "7", msgType: "RESPONSE", ok: true})
			Expect(w.violCount).To(Equal(tc.violations), "message at %d, the policy from %d", tc.at, from)
			w.apply(sendNote{at: tc.at + 7*day, psid: "7", msgType: "RESPONSE", ok: true})
			Expect(w.violCount).To(Equal(tc.violations+1), "the window closes at 7 days")
		}
	})

	It("gives each subscriber an IANA time zone of their country, and their local hours follow its daylight saving time", func() {
		o := small(1)
		Expect(o.check()).To(Succeed())
		pop := newPopulation(o.Seed, o.Profile)
		zones := map[string]bool{}
		for i := range 2000 {
			var sub subscriber
			u := pop.person(i, &sub)
			Expect(region.Zones(u.Region)).To(ContainElement(u.Zone), "%s in %s", u.Zone, u.Region)
			Expect(sub.zone.String()).To(Equal(u.Zone))
			off, _ := region.Offset(u.Zone, o.Profile.Start)
			Expect(u.Timezone).To(Equal(off))
			zones[u.Zone] = true
		}
		Expect(zones).To(HaveKey("America/Chicago"))
		Expect(zones).To(HaveKey("Australia/Perth"))
		Expect(zones).To(HaveKey("Asia/Kolkata"))

		// 09:00 local time in Berlin is 08:00 UTC in January and 07:00 UTC in July.
		berlin, err := time.LoadLocation("Europe/Berlin")
		Expect(err).NotTo(HaveOccurred())
		w := &world{prof: &profile.Profile{ActiveHours: profile.Hours{From: 9, To: 10}}}
		s := &subscriber{zone: berlin, writesPerDay: 1, rng: splitmix64{s: 1}}
		for _, day := range []time.Time{time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC)} {
			at := time.Unix(0, w.nextWrite(s, day.UnixNano())).In(berlin)
			Expect(at.Hour()).To(Equal(9), "local hour on %s", day.Format(time.DateOnly))
		}
	})

	It("serves the same run over loopback HTTP, with Send API latency", func() {
		a := small(400)
		h := small(400)
		h.Engine = HTTP
		ra, rh := mustRun(a), mustRun(h)
		Expect(rh.Counters).To(Equal(ra.Counters))
		Expect(rh.Latency).NotTo(BeNil())
		Expect(rh.Latency.Count).To(Equal(rh.Counters.SendCalls))
		Expect(rh.Latency.P99).To(BeNumerically(">=", rh.Latency.P50))
	})

	DescribeTable("refuses bad options", func(mod func(*Options), msg string) {
		o := small(10)
		mod(&o)
		_, err := Run(o)
		Expect(err).To(MatchError(ErrUsage))
		Expect(err.Error()).To(ContainSubstring(msg))
	},
		Entry("no subscribers", func(o *Options) { o.Subscribers = 0 }, "subscribers 0"),
		Entry("no days", func(o *Options) { o.Days = 0 }, "days 0"),
		Entry("a subscriber out of range", func(o *Options) { *o = o.Replay(10) }, "subscriber 10"),
		Entry("an engine", func(o *Options) { o.Engine = "carrier-pigeon" }, "engine"),
		Entry("a broken profile", func(o *Options) { o.Profile = &profile.Profile{} }, "regions"),
	)
})

var _ = Describe("shards", func() {
	It("parses i/N and splits the population without gaps", func() {
		s, err := ParseShard("2/4")
		Expect(err).NotTo(HaveOccurred())
		Expect(s).To(Equal(Shard{Index: 2, Count: 4}))
		next := 0
		for i := range 7 {
			lo, hi := Shard{Index: i, Count: 7}.Range(1000)
			Expect(lo).To(Equal(next))
			next = hi
		}
		Expect(next).To(Equal(1000))
		for _, bad := range []string{"4/4", "-1/4", "1", "a/b", "0/0", "5/3", "-1/0", "1/+2", " 1/2", "01/2"} {
			_, err := ParseShard(bad)
			Expect(err).To(MatchError(ErrUsage), bad)
		}
	})

	It("gives every index its own PSID", func() {
		seen := map[string]bool{}
		for i := range 100000 {
			p := psidOf(i)
			Expect(p).To(HaveLen(16))
			seen[p] = true
		}
		Expect(seen).To(HaveLen(100000))
	})
})

// acceptEveryToken plays a broken referee: it answers every token send with
// success without asking fakegraph.
func acceptEveryToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if bytes.Contains(body, []byte("one_time_notif_token")) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"recipient_id":"x","message_id":"m_forged"}`)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
