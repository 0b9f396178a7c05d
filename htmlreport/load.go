package htmlreport

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/otnsim/otnsim/load/report"
	"github.com/otnsim/otnsim/rules"
)

// loadView is the load run's part of the page.
type loadView struct {
	Scope      string
	Throughput *chartView
	Latencies  []latencyView
	Fates      []fateView
	Findings   []loadFinding
	Violations []violationView
	More       int64 // violations counted but not kept
	Timeline   []string
}

// chartView is a bar chart of throughput over virtual time.
type chartView struct {
	Bars   []columnView
	Ticks  []tickView
	Peak   string
	Bucket string
	Total  string
}

type columnView struct {
	X, W, Y, H    float64 // events
	SY, SH        float64 // Send API calls, drawn over them
	Label         string
	Events, Sends int64
}

type latencyView struct {
	Name                           string
	Count                          int64
	P50, P90, P99, P999, Max, Mean string
	Bars                           []columnView
	Ticks                          []tickView
}

type fateView struct {
	Fate     string
	Count    int64
	Percent  string
	X, W     float64
	Describe string
}

type loadFinding struct {
	Rule, Severity string
	Count          int64
	Failing        bool
	Subscriber     string
	At, Detail     string
	Replay         string
	Lifelines      string
}

type violationView struct {
	report.Violation
	Lifelines string
}

// Chart geometry, in SVG user units.
const (
	chartLeft   = 60.0
	chartRight  = 990.0
	chartTop    = 10.0
	chartBottom = 150.0
)

// loadPage lays out an otnsim load report (or a merged one): the counters,
// throughput over virtual time, Send API latency, tokens by fate, findings
// by rule with their replay commands, and the lifelines of the subscribers
// behind findings and violations.
func loadPage(src []byte) (*page, error) {
	var r report.Report
	if err := r.UnmarshalJSON(src); err != nil {
		return nil, fmt.Errorf("read load report: %w", err)
	}
	p := &page{Kind: "load", Title: "otnsim load: " + r.Profile, Tool: r.Tool, Error: r.Error}
	if !r.Started.IsZero() {
		p.Started = r.Started.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	level := rules.Severity(r.FailOn)
	if level == "" {
		level = rules.Failure
	}
	switch {
	case r.Error != nil:
		p.Verdict, p.Headline = "ERROR", "no counts: "+r.Error.Message
	case !r.Verdict(level):
		p.Verdict, p.Headline = "FAIL", fmt.Sprintf("%d invariant violations, %d rules with findings at %s or above", r.ViolationCount, len(r.Failing(level)), level)
	default:
		p.Verdict, p.Headline = "PASS", fmt.Sprintf("no invariant broken, no finding at %s or above", level)
	}
	c := r.Counters
	p.Stats = []stat{
		{"subscribers", strconv.Itoa(r.Subscribers)}, {"virtual days", strconv.FormatFloat(r.Days, 'g', -1, 64)},
		{"events", strconv.FormatInt(c.Events, 10)}, {"Send API calls", strconv.FormatInt(c.SendCalls, 10)},
		{"refused", strconv.FormatInt(c.SendRefused, 10)}, {"opt-ins", strconv.FormatInt(c.OptIns, 10)},
		{"notifications", strconv.FormatInt(c.Notifications, 10)}, {"violations", strconv.FormatInt(r.ViolationCount, 10)},
		{"wall time", strconv.FormatFloat(r.WallSeconds, 'f', 2, 64) + " s"},
		{"events/s", strconv.FormatFloat(r.EventsPerSecond(), 'f', 0, 64)},
	}
	v := &loadView{Scope: fmt.Sprintf("seed %d, profile %s, %s engine, bot %s", r.Seed, r.Profile, r.Engine, r.Bot), Timeline: r.Timeline}
	if len(r.Shards) > 0 {
		v.Scope += fmt.Sprintf(", shards %v of a population of %d", r.Shards, r.Population)
	}
	if len(r.MissingShards) > 0 {
		v.Scope += fmt.Sprintf("; missing shards %v", r.MissingShards)
	}
	v.Throughput = throughputChart(r.Throughput, r.Days)
	for _, l := range []struct {
		name string
		lat  *report.Latency
	}{{"Send API latency", r.Latency}, {"bot answer time (webhooks and triggers)", r.WebhookLatency}} {
		if l.lat != nil {
			if r.Bot != "" && r.Bot != "reference" && l.name == "Send API latency" {
				l.name = "Send API answer time (fakegraph's side)"
			}
			v.Latencies = append(v.Latencies, latencyChart(l.name, l.lat))
		}
	}
	v.Fates = fates(c)
	for _, id := range r.RulesByFindings() {
		sev := rules.SeverityOf(id)
		f := loadFinding{Rule: id, Severity: string(sev), Count: r.Findings[id], Failing: rules.AtLeast(sev, level)}
		if s, ok := r.Samples[id]; ok {
			f.Subscriber, f.At, f.Detail, f.Replay = strconv.Itoa(s.Subscriber), s.At, s.Detail, s.Replay
			if s.Lifeline != nil {
				g := lifelineGroup{ID: "finding-" + id, Title: id + ": subscriber " + f.Subscriber, Note: "replay: " + s.Replay}
				g.Lifelines = []lifelineView{layoutLifeline(*s.Lifeline, g.ID+"-lifeline")}
				p.Groups = append(p.Groups, g)
				f.Lifelines = g.ID
			}
		}
		v.Findings = append(v.Findings, f)
	}
	for i, viol := range r.Violations {
		vv := violationView{Violation: viol}
		if viol.Lifeline != nil {
			g := lifelineGroup{ID: anchor("violation", i), Title: viol.Invariant + ": subscriber " + strconv.Itoa(viol.Subscriber), Note: "replay: " + viol.Replay}
			g.Lifelines = []lifelineView{layoutLifeline(*viol.Lifeline, g.ID+"-lifeline")}
			p.Groups = append(p.Groups, g)
			vv.Lifelines = g.ID
		}
		v.Violations = append(v.Violations, vv)
	}
	v.More = r.ViolationCount - int64(len(r.Violations))
	p.Load = v
	return p, nil
}

// throughputChart draws events and Send API calls per bucket of virtual time.
func throughputChart(t *report.Throughput, days float64) *chartView {
	if t == nil || len(t.Events) == 0 || t.BucketMS <= 0 {
		return nil
	}
	bucket := time.Duration(t.BucketMS) * time.Millisecond
	var peak, total int64
	for _, n := range t.Events {
		peak = max(peak, n)
		total += n
	}
	ch := &chartView{Bucket: human(bucket), Peak: strconv.FormatInt(peak, 10), Total: strconv.FormatInt(total, 10)}
	n := len(t.Events)
	w := (chartRight - chartLeft) / float64(n)
	h := func(v int64) float64 {
		if peak == 0 {
			return 0
		}
		return round((chartBottom - chartTop) * float64(v) / float64(peak))
	}
	for i, e := range t.Events {
		var s int64
		if i < len(t.SendCalls) {
			s = t.SendCalls[i]
		}
		from := time.Duration(i) * bucket
		col := columnView{X: round(chartLeft + float64(i)*w), W: round(max(w-0.4, 0.3)), H: h(e), SH: h(s), Events: e, Sends: s,
			Label: fmt.Sprintf("hours %d to %d of virtual time: %d events, %d Send API calls", int(from.Hours()), int((from + bucket).Hours()), e, s)}
		col.Y, col.SY = chartBottom-col.H, chartBottom-col.SH
		ch.Bars = append(ch.Bars, col)
	}
	dayW := (chartRight - chartLeft) / (float64(n) * bucket.Hours() / 24)
	step := max(1, int(math.Ceil(days/10)))
	for d := 0; float64(d) <= days; d += step {
		ch.Ticks = append(ch.Ticks, tickView{X: round(chartLeft + float64(d)*dayW), Label: "day " + strconv.Itoa(d)})
	}
	return ch
}

// latencyChart draws the latency histogram on a logarithmic axis, eight
// bins per decade of microseconds.
func latencyChart(name string, l *report.Latency) latencyView {
	ms := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) + " ms" }
	lv := latencyView{Name: name, Count: l.Count, P50: ms(l.P50), P90: ms(l.P90), P99: ms(l.P99), P999: ms(l.P999), Max: ms(l.Max), Mean: ms(l.Mean)}
	h, err := l.Histogram()
	if err != nil {
		return lv
	}
	const perDecade = 8
	bins := map[int]int64{}
	lo, hi := math.MaxInt, math.MinInt
	for _, b := range h.Distribution() {
		if b.Count == 0 {
			continue
		}
		k := int(math.Floor(math.Log10(float64(max(b.From, 1))) * perDecade))
		bins[k] += b.Count
		lo, hi = min(lo, k), max(hi, k)
	}
	if lo > hi {
		return lv
	}
	var peak int64
	for _, n := range bins {
		peak = max(peak, n)
	}
	w := (chartRight - chartLeft) / float64(hi-lo+1)
	edge := func(k int) float64 { return math.Pow(10, float64(k)/perDecade) } // µs
	for k := lo; k <= hi; k++ {
		n := bins[k]
		height := round((chartBottom - chartTop) * float64(n) / float64(peak))
		x := round(chartLeft + float64(k-lo)*w)
		lv.Bars = append(lv.Bars, columnView{X: x, W: round(max(w-1, 0.5)), Y: chartBottom - height, H: height, Events: n,
			Label: fmt.Sprintf("%s to %s: %d calls", micros(edge(k)), micros(edge(k+1)), n)})
		if (k-lo)%perDecade == 0 || k == lo {
			lv.Ticks = append(lv.Ticks, tickView{X: x, Label: micros(edge(k))})
		}
	}
	return lv
}

// micros renders microseconds in the unit that suits them.
func micros(us float64) string {
	switch {
	case us >= 1e6:
		return strconv.FormatFloat(us/1e6, 'g', 3, 64) + " s"
	case us >= 1e3:
		return strconv.FormatFloat(us/1e3, 'g', 3, 64) + " ms"
	}
	return strconv.FormatFloat(us, 'g', 3, 64) + " µs"
}

// fates splits the issued tokens by what became of them, for a stacked bar.
func fates(c report.Counters) []fateView {
	parts := []fateView{
		{Fate: "spent", Count: c.TokensSpent, Describe: "spent on a notification"},
		{Fate: "expired", Count: c.TokensExpired, Describe: "expired unspent"},
		{Fate: "active", Count: c.TokensActive, Describe: "still active at the end"},
	}
	total := c.TokensSpent + c.TokensExpired + c.TokensActive
	x := chartLeft
	for i := range parts {
		share := 0.0
		if total > 0 {
			share = float64(parts[i].Count) / float64(total)
		}
		parts[i].Percent = strconv.FormatFloat(100*share, 'f', 1, 64) + "%"
		parts[i].X, parts[i].W = round(x), round((chartRight-chartLeft)*share)
		x += (chartRight - chartLeft) * share
	}
	return append(parts, fateView{Fate: "refused", Count: c.TokensRefused, Describe: "Send API calls by token that Meta refused"})
}
