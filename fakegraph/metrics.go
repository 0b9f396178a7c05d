package fakegraph

import (
	"math"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/otnsim/otnsim/rules"
)

// Every Server counts what it serves and reports it as Prometheus metrics
// on a registry of its own (MetricsRegistry), so that many servers in one
// process never clash; GET /metrics serves them. The hot path only adds to
// atomic counters the server owns; the registry, made on first use, turns
// them into metrics when scraped. A Server costs no registry until then,
// which keeps New cheap for the many worlds a scenario run or a fuzz test
// builds.

// Send API verdicts, the "verdict" label of otnsim_send_calls_total.
const (
	verdictOK      = "ok"      // Meta accepted the call (an after-stage fault may have lost its answer)
	verdictRefused = "refused" // Meta refused it; "rule" names the rule, "" when none applies
	verdictFault   = "fault"   // an armed fault struck it before it took effect
)

// Graph routes, the "route" label of otnsim_graph_request_duration_seconds.
const (
	routeSend = iota
	routeProfile
	routeSubscribedApps
	routeMessengerProfile
	routeUnsupported
	routeRecurringTokens
	routeCount
)

var routeNames = [routeCount]string{"send", "profile", "subscribed_apps", "messenger_profile", "unsupported", "notification_message_tokens"}

// latencyBuckets span an in-process call (tens of microseconds) to a call
// held by a latency fault on the wall clock (seconds).
var latencyBuckets = [...]float64{
	.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10,
}

// ruleIDs are the rules a refusal is counted under: "" (no rule) first, then
// the catalogue; ruleIndex finds a rule's place.
var (
	ruleIDs   = append([]string{""}, rules.IDs()...)
	ruleIndex = func() map[string]int {
		m := make(map[string]int, len(ruleIDs))
		for i, id := range ruleIDs {
			m[id] = i
		}
		return m
	}()
)

// histogram is one route's latency histogram: a count per bucket (the last
// for values above every bound) and the sum of the values, in seconds.
type histogram struct {
	counts  [len(latencyBuckets) + 1]atomic.Uint64
	sumBits atomic.Uint64 // math.Float64bits of the sum
}

func (h *histogram) observe(v float64) {
	h.counts[sort.SearchFloat64s(latencyBuckets[:], v)].Add(1)
	for {
		old := h.sumBits.Load()
		if h.sumBits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

type metrics struct {
	sendOK, sendFault atomic.Uint64
	refused           []atomic.Uint64 // by ruleIndex
	otherMu           sync.Mutex
	otherRules        map[string]uint64 // refusals under a rule not in the catalogue

	tokensIssued, tokensConsumed atomic.Uint64

	hookDelivered, hookBotError, hookFailed atomic.Uint64
	hookRetries, hookDuplicates             atomic.Uint64
	hookHeldBack, hookNotSubscribed         atomic.Uint64

	latency [routeCount]histogram

	regOnce sync.Once
	reg     *prometheus.Registry
	handler http.Handler // GET /metrics
}

func newMetrics() *metrics {
	return &metrics{refused: make([]atomic.Uint64, len(ruleIDs))}
}

// call counts one Send API call the ledger records.
func (m *metrics) call(c *Call) {
	switch {
	case c.OK:
		m.sendOK.Add(1)
	case c.Fault != "":
		m.sendFault.Add(1)
	default:
		if i, ok := ruleIndex[c.Rule]; ok {
			m.refused[i].Add(1)
			return
		}
		m.otherMu.Lock()
		if m.otherRules == nil {
			m.otherRules = map[string]uint64{}
		}
		m.otherRules[c.Rule]++
		m.otherMu.Unlock()
	}
}

// delivery counts one webhook POST; n is the attempt (1 for the first).
func (m *metrics) delivery(d Delivery, n int) {
	switch {
	case d.Err != nil:
		m.hookFailed.Add(1)
	case d.Status == http.StatusOK:
		m.hookDelivered.Add(1)
	default:
		m.hookBotError.Add(1)
	}
	if n > 1 {
		m.hookRetries.Add(1)
	}
}

// observe records how long a Graph call on route took since start.
func (m *metrics) observe(route int, start time.Time) {
	m.latency[route].observe(time.Since(start).Seconds())
}

// The metrics' descriptions, shared by every server.
var (
	descSendCalls = prometheus.NewDesc("otnsim_send_calls_total",
		"Send API calls judged, over HTTP or in process, by verdict (ok, refused, fault) and, for a refusal, the rule it enforces (\"\" when none).",
		[]string{"verdict", "rule"}, nil)
	descTokens = prometheus.NewDesc("otnsim_tokens",
		"One-time notification tokens in the ledger by state (active, consumed, expired) as of the scrape; a reset empties the ledger.",
		[]string{"state"}, nil)
	descTokensIssued   = prometheus.NewDesc("otnsim_tokens_issued_total", "One-time notification tokens issued (Notify Me taps).", nil, nil)
	descTokensConsumed = prometheus.NewDesc("otnsim_tokens_consumed_total", "One-time notification tokens spent by an accepted send.", nil, nil)
	descHookDeliveries = prometheus.NewDesc("otnsim_webhook_deliveries_total",
		"Webhook POSTs to the bot, retries and duplicates included, by result: delivered (the bot answered 200), bot_error (it answered another status), failed (not reached or timed out).",
		[]string{"result"}, nil)
	descHookRetries       = prometheus.NewDesc("otnsim_webhook_retries_total", "Webhook POSTs that retried a failed delivery.", nil, nil)
	descHookDuplicates    = prometheus.NewDesc("otnsim_webhook_duplicates_total", "Webhook events delivered a second time (webhook.duplicate_rate).", nil, nil)
	descHookHeldBack      = prometheus.NewDesc("otnsim_webhook_held_back_total", "Webhook events held back so that later ones overtake them (webhook.reorder_rate).", nil, nil)
	descHookNotSubscribed = prometheus.NewDesc("otnsim_webhook_not_subscribed_total", "Webhook events not sent because the page is not subscribed to their field.", nil, nil)
	descLatency           = prometheus.NewDesc("otnsim_graph_request_duration_seconds",
		"Wall-clock time fakegraph took to answer a Graph API call over HTTP (control calls excluded), by route.",
		[]string{"route"}, nil)
	descClock = prometheus.NewDesc("otnsim_clock_seconds", "The server's clock (virtual or wall), in Unix seconds.", nil, nil)
)

// collector reports a server's metrics when scraped.
type collector struct{ s *Server }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSendCalls, descTokens, descTokensIssued, descTokensConsumed, descHookDeliveries,
		descHookRetries, descHookDuplicates, descHookHeldBack, descHookNotSubscribed, descLatency, descClock} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s, m := c.s, c.s.metrics
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(descSendCalls, m.sendOK.Load(), verdictOK, "")
	counter(descSendCalls, m.sendFault.Load(), verdictFault, "")
	for i, id := range ruleIDs {
		counter(descSendCalls, m.refused[i].Load(), verdictRefused, id)
	}
	m.otherMu.Lock()
	for id, n := range m.otherRules {
		counter(descSendCalls, n, verdictRefused, id)
	}
	m.otherMu.Unlock()

	// Token states depend on the clock, so they are counted when asked for.
	s.mu.Lock()
	now := s.clock.Now()
	var active, consumed, expired int
	for _, t := range s.ledger.tokens {
		switch t.state(now) {
		case TokenActive:
			active++
		case TokenConsumed:
			consumed++
		default:
			expired++
		}
	}
	s.mu.Unlock()
	for _, st := range []struct {
		state TokenState
		n     int
	}{{TokenActive, active}, {TokenConsumed, consumed}, {TokenExpired, expired}} {
		ch <- prometheus.MustNewConstMetric(descTokens, prometheus.GaugeValue, float64(st.n), string(st.state))
	}
	counter(descTokensIssued, m.tokensIssued.Load())
	counter(descTokensConsumed, m.tokensConsumed.Load())

	counter(descHookDeliveries, m.hookDelivered.Load(), "delivered")
	counter(descHookDeliveries, m.hookBotError.Load(), "bot_error")
	counter(descHookDeliveries, m.hookFailed.Load(), "failed")
	counter(descHookRetries, m.hookRetries.Load())
	counter(descHookDuplicates, m.hookDuplicates.Load())
	counter(descHookHeldBack, m.hookHeldBack.Load())
	counter(descHookNotSubscribed, m.hookNotSubscribed.Load())

	for r := range m.latency {
		h := &m.latency[r]
		buckets := make(map[float64]uint64, len(latencyBuckets))
		var cum uint64
		for i, ub := range latencyBuckets {
			cum += h.counts[i].Load()
			buckets[ub] = cum
		}
		cum += h.counts[len(latencyBuckets)].Load()
		ch <- prometheus.MustNewConstHistogram(descLatency, cum, math.Float64frombits(h.sumBits.Load()), buckets, routeNames[r])
	}
	ch <- prometheus.MustNewConstMetric(descClock, prometheus.GaugeValue, float64(s.clock.Now().UnixNano())/1e9)
}

// MetricsRegistry returns the registry holding the server's otnsim_ metrics,
// made on first use. Register more collectors on it (otnsim serve adds Go's
// runtime and process metrics) or gather it yourself; GET /metrics serves it.
func (s *Server) MetricsRegistry() *prometheus.Registry {
	m := s.metrics
	m.regOnce.Do(func() {
		m.reg = prometheus.NewRegistry()
		m.reg.MustRegister(collector{s})
		m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	})
	return m.reg
}

// serveMetrics answers GET /metrics in Prometheus' text format.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	s.MetricsRegistry()
	s.metrics.handler.ServeHTTP(w, r)
}
