package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/internal/httpserver"
	"github.com/otnsim/otnsim/sim/clock"
)

const serveUsage = `Usage: otnsim serve [flags]

Serves fakegraph, the fake Graph API, over HTTP: the Send API
(/v19.0/me/messages and /v19.0/{page-id}/messages), user profiles,
subscribed_apps and messenger_profile, plus the control API under
/otnsim/v1/ through which you play the users, move the clock and read or
change the settings (GET /otnsim/v1/ lists its calls). Prints what a bot
needs to connect. Stops gracefully on SIGINT or SIGTERM.

GET /healthz and /readyz answer {"status":"ok"}; GET /metrics serves
Prometheus metrics (otnsim_*, plus Go runtime and process metrics).

The control API and /metrics need --control-key, sent as "Authorization:
Bearer KEY", when one is given; it is mandatory off a loopback address.
/healthz and /readyz never need it. Without a key they answer only
requests for the loopback address served (Host 127.0.0.1:PORT,
localhost:PORT) and, from a browser, only pages of that origin: another
site's page cannot drive the clock or the users (CSRF, DNS rebinding).

Every connection has timeouts: ` + httpserver.Timeouts + `.

Without --seed each process mixes a nonce of its own into token values, so
a restart never issues the tokens of the run before; --seed N issues the
same values on every run. POST /otnsim/v1/reset forgets everything and
puts the virtual clock back at --start, and never issues a token value
again within the process's life.

Examples:
  otnsim serve
  otnsim serve --webhook http://127.0.0.1:3000/webhook --page-region US
  otnsim serve --clock wall --addr 127.0.0.1:9000
  otnsim serve --addr 0.0.0.0:8787 --control-key s3cret
  otnsim serve --webhook http://127.0.0.1:3000/webhook --require-appsecret-proof --webhook-duplicate-rate 0.1
  otnsim serve --start 2026-01-05T09:00:00Z --content basic   # recurring notifications work before 2026-02-10
  otnsim serve --intercept --ca-dir ~/.otnsim-ca               # for a bot that calls https://graph.facebook.com

With --intercept it also starts an HTTPS proxy on --proxy-addr (default
127.0.0.1:8788) that serves the real Graph API hosts (graph.facebook.com,
...) from fakegraph with certificates of its own authority, and prints the
environment (HTTPS_PROXY, SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, ...) to start
a bot with that calls https://graph.facebook.com; --ca-dir keeps the
authority, and those paths, across runs.

With --webhook it first performs Meta's verification handshake (GET
?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...) and prints the
outcome; POST /otnsim/v1/webhook/subscribe repeats it.

  # a whole OTN life with curl (see README.md):
  curl -s -XPOST localhost:8787/otnsim/v1/users -d '{"psid":"111"}'
  curl -s -XPOST localhost:8787/otnsim/v1/users/111/message -d '{"text":"hi"}'
  curl -s -XPOST localhost:8787/otnsim/v1/clock/advance -d '{"by":"30d"}'
  curl -s -XPATCH localhost:8787/otnsim/v1/settings -d '{"rate_limit":{"disabled":true}}'
  curl -s localhost:8787/otnsim/v1/assumptions
  curl -s localhost:8787/metrics | grep otnsim_send_calls_total

Exit status: 0 stopped cleanly, 2 usage error or the address cannot be bound.

Flags:
`

func init() {
	commands["serve"] = command{summary: "serve fakegraph and its control API over HTTP", run: serveCmd,
		flags: func(fs *flag.FlagSet) { defineServeFlags(fs) }}
}

func serveCmd(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, args, stdout, stderr, nil)
}

// serveOptions are serve's parsed flags.
type serveOptions struct {
	addr, clockMode, start, webhook, controlKey, platformDate string
	adminRegions                                              string
	page                                                      fakegraph.Page
	seed, nonce                                               uint64
	noRateLimits                                              bool
	requireProof, calendarYear, noHandshake                   bool
	duplicateRate, reorderRate                                float64
	content                                                   string
	intercept, passThrough                                    bool
	caDir, proxyAddr                                          string
}

// defineServeFlags defines otnsim serve's flags on fs.
func defineServeFlags(fs *flag.FlagSet) *serveOptions {
	def := fakegraph.DefaultPage()
	o := &serveOptions{}
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8787", "address to listen on")
	fs.StringVar(&o.page.ID, "page-id", def.ID, "the page's id")
	fs.StringVar(&o.page.AccessToken, "page-token", def.AccessToken, "the page access token bots must present")
	fs.StringVar(&o.page.AppSecret, "app-secret", def.AppSecret, "the app secret (signs webhooks, checks appsecret_proof)")
	fs.StringVar(&o.page.VerifyToken, "verify-token", def.VerifyToken, "the webhook verify token")
	fs.StringVar(&o.page.Country, "page-region", "", "the page's country, ISO code (e.g. US, DE); EEA and JP pages lose OTN")
	fs.StringVar(&o.adminRegions, "admin-regions", "", "comma-separated countries of the page's admins")
	fs.BoolVar(&o.page.OTNApproved, "otn-approved", true, "the page holds the One-Time Notification feature")
	fs.StringVar(&o.webhook, "webhook", "", "URL where webhook events go (e.g. http://127.0.0.1:3000/webhook)")
	fs.StringVar(&o.clockMode, "clock", "virtual", "virtual (moved only by POST /otnsim/v1/clock/advance) or wall")
	fs.StringVar(&o.start, "start", "", "virtual clock's start, RFC 3339 (default: now, to the second)")
	fs.StringVar(&o.platformDate, "platform-date", "", "pin the platform's date (RFC 3339 or YYYY-MM-DD) for tag retirement and region rules")
	fs.StringVar(&o.controlKey, "control-key", "", "key the control API requires (mandatory off loopback)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed for tokens, ids and generated users; given, a restart issues the same tokens again (without it, each process mixes in a nonce of its own)")
	fs.BoolVar(&o.noRateLimits, "no-rate-limits", false, "turn the Send API rate limits off")
	fs.BoolVar(&o.requireProof, "require-appsecret-proof", false, "refuse Graph calls without a matching appsecret_proof (the app's \"Require App Secret\")")
	fs.Float64Var(&o.duplicateRate, "webhook-duplicate-rate", 0, "probability (0..1) that a webhook event is delivered twice")
	fs.Float64Var(&o.reorderRate, "webhook-reorder-rate", 0, "probability (0..1) that a webhook event is held back so later ones overtake it")
	fs.StringVar(&o.content, "content", fakegraph.ContentRich, "content mode: rich (everything) or basic (text or a button template only)")
	fs.BoolVar(&o.calendarYear, "token-calendar-year", false, "a token lives until the same calendar date a year on, not 365 days (an assumption either way)")
	fs.BoolVar(&o.noHandshake, "no-handshake", false, "do not perform the webhook verification handshake on start")
	addInterceptFlags(fs, &o.intercept, &o.caDir, &o.passThrough)
	fs.StringVar(&o.proxyAddr, "proxy-addr", "127.0.0.1:8788", "with --intercept, where the proxy listens (loopback only)")
	return o
}

// parseServeFlags parses serve's command line; a usage error parseArgs
// printed already is one isReported knows.
func parseServeFlags(args []string, stdout, stderr io.Writer) (*serveOptions, error) {
	fs := newFlagSet("serve", serveUsage, stderr)
	o := defineServeFlags(fs)
	if err := parseArgs(fs, args, stdout); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	explicitSeed := false
	fs.Visit(func(f *flag.Flag) { explicitSeed = explicitSeed || f.Name == "seed" })
	if !explicitSeed {
		// Without --seed a restart must not issue the tokens of the last
		// run again: a stale token from it would be valid.
		o.nonce = rand.Uint64() | 1
	}
	if o.clockMode != "virtual" && o.clockMode != "wall" {
		return nil, fmt.Errorf("--clock must be virtual or wall, not %q", o.clockMode)
	}
	if o.caDir != "" && !o.intercept {
		return nil, errors.New("--ca-dir keeps the authority of --intercept: give both")
	}
	if !isLoopback(o.addr) && o.controlKey == "" {
		return nil, fmt.Errorf("--addr %s is not a loopback address: give --control-key to protect the control API", o.addr)
	}
	for _, a := range strings.Split(o.adminRegions, ",") {
		if a = strings.TrimSpace(a); a != "" {
			o.page.AdminCountries = append(o.page.AdminCountries, strings.ToUpper(a))
		}
	}
	o.page.Country = strings.ToUpper(o.page.Country)
	return o, nil
}

// isLoopback reports whether addr (host:port) binds only a loopback interface.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func parseDate(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, v)
}

// serve runs the server until ctx ends. ready, when set, learns the bound address.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(addr string)) int {
	o, err := parseServeFlags(args, stdout, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		if isReported(err) {
			return exitUsage
		}
		fmt.Fprintf(stderr, "otnsim serve: %v\n", err)
		return exitUsage
	}
	set := fakegraph.DefaultSettings()
	set.RateLimit.Disabled = o.noRateLimits
	set.RequireAppSecretProof = o.requireProof
	set.Webhook.DuplicateRate, set.Webhook.ReorderRate = o.duplicateRate, o.reorderRate
	set.Content, set.TokenCalendarYear = o.content, o.calendarYear
	if o.platformDate != "" {
		if set.PlatformDate, err = parseDate(o.platformDate); err != nil {
			fmt.Fprintf(stderr, "otnsim serve: --platform-date %q: want RFC 3339 or YYYY-MM-DD\n", o.platformDate)
			return exitUsage
		}
	}
	if err := set.Validate(); err != nil {
		fmt.Fprintf(stderr, "otnsim serve: %v\n", settingFlags(err))
		fmt.Fprintln(stderr, "Run 'otnsim serve --help' for usage.")
		return exitUsage
	}
	var clk clock.Clock = clock.Wall{}
	if o.clockMode == "virtual" {
		start := time.Now().UTC().Truncate(time.Second)
		if o.start != "" {
			if start, err = parseDate(o.start); err != nil {
				fmt.Fprintf(stderr, "otnsim serve: --start %q: want RFC 3339 or YYYY-MM-DD\n", o.start)
				return exitUsage
			}
			if err := clock.CheckTime(start); err != nil {
				fmt.Fprintf(stderr, "otnsim serve: --start: %v\n", err)
				return exitUsage
			}
		}
		clk = clock.NewVirtual(start)
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		fmt.Fprintf(stderr, "otnsim serve: %v\n", err)
		return exitUsage
	}
	loopback := "" // without a key, the control API answers only its own loopback name
	if o.controlKey == "" {
		loopback = ln.Addr().String()
	}
	graph := fakegraph.New(fakegraph.Config{
		Page: o.page, Clock: clk, Seed: o.seed, Nonce: o.nonce, Settings: set, ControlKey: o.controlKey,
		LoopbackAddr: loopback,
		// The client has no timeout of its own: each delivery waits at most
		// webhook.timeout, which PATCH /otnsim/v1/settings may change.
		Webhook: fakegraph.Webhook{URL: o.webhook, Client: &http.Client{}},
	})
	graph.MetricsRegistry().MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	base := "http://" + ln.Addr().String()
	printConnect(stdout, base, o, clk)
	if o.intercept {
		stopProxy, err := serveIntercept(stdout, stderr, o, graph, ln.Addr().String())
		if err != nil {
			_ = ln.Close()
			fmt.Fprintf(stderr, "otnsim serve: %v\n", err)
			return exitUsage
		}
		defer stopProxy()
	}
	srv := httpserver.New(graph)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	if o.webhook != "" && !o.noHandshake {
		// Meta verifies a webhook when it is subscribed; a bot that is not
		// up yet fails it, and POST /otnsim/v1/webhook/subscribe tries again.
		if h, err := graph.Subscribe(); err == nil {
			fmt.Fprintf(stdout, "  handshake:   %s\n", handshakeLine(h))
		}
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-done:
		fmt.Fprintf(stderr, "otnsim serve: %v\n", err)
		return exitUsage
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintf(stderr, "otnsim serve: shutdown: %v\n", err)
	}
	fmt.Fprintln(stdout, "otnsim serve: stopped")
	return exitPass
}

func printConnect(w io.Writer, base string, o *serveOptions, clk clock.Clock) {
	mode := "wall clock"
	if o.clockMode == "virtual" {
		mode = "virtual clock at " + clk.Now().UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(w, "otnsim serve: fakegraph listening on %s (%s)\n", base, mode)
	fmt.Fprintf(w, "  OTNSIM_GRAPH_URL=%s\n  OTNSIM_PAGE_ID=%s\n  OTNSIM_PAGE_ACCESS_TOKEN=%s\n  OTNSIM_APP_SECRET=%s\n  OTNSIM_VERIFY_TOKEN=%s\n",
		base, o.page.ID, o.page.AccessToken, o.page.AppSecret, o.page.VerifyToken)
	hook := o.webhook
	if hook == "" {
		hook = "none (give --webhook URL to receive events)"
	}
	fmt.Fprintf(w, "  send API:    POST %s/v19.0/me/messages?access_token=...\n  webhook:     %s\n", base, hook)
	access := "open on loopback"
	if o.controlKey != "" {
		access = "needs Authorization: Bearer <control key>"
	}
	fmt.Fprintf(w, "  control API: %s/otnsim/v1/ (%s)\n", base, access)
	fmt.Fprintf(w, "  metrics:     %s/metrics (%s); health: %s/healthz, %s/readyz\n", base, access, base, base)
}

// handshakeLine says in words how the verification handshake went.
func handshakeLine(h fakegraph.Handshake) string {
	switch {
	case h.Error != "":
		return "webhook not reached (" + h.Error + "); POST /otnsim/v1/webhook/subscribe retries"
	case h.Verified:
		return "verified: the webhook echoed the challenge"
	}
	return fmt.Sprintf("refused: the webhook answered HTTP %d without the challenge; POST /otnsim/v1/webhook/subscribe retries", h.Status)
}

// settingFlags renders a settings validation error with the flags' names.
func settingFlags(err error) string {
	r := strings.NewReplacer("webhook.duplicate_rate", "--webhook-duplicate-rate", "webhook.reorder_rate", "--webhook-reorder-rate",
		"content must", "--content must")
	return r.Replace(err.Error())
}
