// Package external runs the bot under test outside otnsim's process, in any
// language, through the external bot contract (README.md, "Check your own
// bot"): it serves fakegraph on a loopback port, starts the bot's command with the contract's
// environment (or targets a bot already running at a URL), waits for the
// verification handshake, forwards each world's webhooks and triggers to the
// bot, and after each one waits until the bot's Graph API calls go quiet.
//
// A bot started from a command also gets a proxy of package intercept in
// its environment (HTTPS_PROXY and the rest): with an intercepting session
// its calls to the real Graph API hosts reach fakegraph too; otherwise the
// proxy refuses them and the run stops with a GraphBypassed error.
//
// Settling is the one place otnsim waits on real time: an external bot may
// answer a webhook first and call the Send API afterwards, so the harness
// waits until no call is in flight and none started for Config.Settle,
// bounded by Config.StepTimeout.
package external

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/intercept"
	"github.com/otnsim/otnsim/internal/httpserver"
	"github.com/otnsim/otnsim/internal/relay"
	"github.com/otnsim/otnsim/probes"
	"github.com/otnsim/otnsim/sim"
)

// Defaults for Config.
const (
	DefaultSettle       = 300 * time.Millisecond
	DefaultStepTimeout  = 10 * time.Second
	DefaultStartTimeout = 20 * time.Second
	DefaultWebhookPath  = relay.WebhookPath
	DefaultTriggerPath  = relay.TriggerPath
	// DefaultURLGraphAddr is where fakegraph listens when the bot runs on its
	// own (--bot-url): the address `otnsim serve` prints by default.
	DefaultURLGraphAddr = "127.0.0.1:8787"
	// DefaultStopGrace is how long a bot may take to end after SIGTERM
	// before the harness sends SIGKILL.
	DefaultStopGrace = 3 * time.Second
)

// Config says which bot to run and how patiently.
type Config struct {
	// Command is a shell command line that starts the bot (run by /bin/sh -c).
	Command string
	// Dir is the command's working directory; empty means the current one.
	Dir string
	// URL is the base URL of a bot already running; exclusive with Command.
	URL string
	// GraphAddr is where fakegraph listens: default a free loopback port with
	// Command, DefaultURLGraphAddr with URL.
	GraphAddr string
	// Page holds the credentials handed to the bot; zero means fakegraph.DefaultPage().
	Page fakegraph.Page
	// WebhookPath and TriggerPath are the bot's routes.
	WebhookPath, TriggerPath string
	// Settle is the most the harness waits, after the bot answered a
	// webhook or trigger, for Graph calls it may still make. The quiet
	// period that closes a step is learned from the bot (settle.go): tiny
	// for a bot seen to make its calls before answering, a few times the
	// longest gap seen for one that calls after answering, never more than
	// Settle. Zero means DefaultSettle; a negative value means no quiet
	// period at all (only the answer, and no call in flight).
	Settle time.Duration
	// StepTimeout bounds each forwarded request and the settling after it.
	StepTimeout time.Duration
	// StartTimeout bounds the wait for the first verification handshake.
	StartTimeout time.Duration
	// StopGrace is how long the bot's processes may take to end after
	// SIGTERM (or the signal StopAll forwards) before SIGKILL; zero means
	// DefaultStopGrace.
	StopGrace time.Duration
	// PSIDs, when set, is where NextPSID draws from: harnesses that share
	// one hand out PSIDs distinct across their bot processes. Nil means a
	// source of the harness's own.
	PSIDs *PSIDSource
	// Intercept is the run's interception session, shared by its
	// harnesses (intercept.go). A bot started from Command gets a proxy of
	// it in its environment: with an intercepting session its calls to
	// the real Graph hosts reach fakegraph; in watch mode they are refused
	// and end the run with a GraphBypassed error. Nil means a watch
	// session of the harness's own. With URL a proxy is started only for
	// an intercepting session, at ProxyAddr, for a bot configured by hand.
	Intercept *intercept.Session
	// ProxyAddr is where the bot's proxy listens: empty means a free
	// loopback port with Command; it is required with URL and Intercept.
	ProxyAddr string
}

// PSIDSource hands out PSIDs no earlier call returned. Safe for concurrent use.
type PSIDSource struct {
	mu sync.Mutex
	n  int
}

// NewPSIDSource returns a source for harnesses that serve one run together.
func NewPSIDSource() *PSIDSource { return &PSIDSource{} }

// Next returns a PSID this source never returned before.
func (s *PSIDSource) Next() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return fmt.Sprintf("79%014d", s.n)
}

func (c *Config) defaults() error {
	if (c.Command == "") == (c.URL == "") {
		return errors.New("external bot: give exactly one of a command or a URL")
	}
	if c.Page.ID == "" {
		c.Page = fakegraph.DefaultPage()
	}
	if c.WebhookPath == "" {
		c.WebhookPath = DefaultWebhookPath
	}
	if c.TriggerPath == "" {
		c.TriggerPath = DefaultTriggerPath
	}
	switch {
	case c.Settle == 0:
		c.Settle = DefaultSettle
	case c.Settle < 0:
		c.Settle = 0
	}
	if c.StepTimeout <= 0 {
		c.StepTimeout = DefaultStepTimeout
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.StopGrace <= 0 {
		c.StopGrace = DefaultStopGrace
	}
	if c.PSIDs == nil {
		c.PSIDs = NewPSIDSource()
	}
	if c.GraphAddr == "" {
		c.GraphAddr = "127.0.0.1:0"
		if c.URL != "" {
			c.GraphAddr = DefaultURLGraphAddr
		}
	}
	c.URL = strings.TrimRight(c.URL, "/")
	return nil
}

// Harness is one run's connection to an external bot. Use it for one
// scenario at a time: its single Graph listener routes to the latest world.
type Harness struct {
	cfg       Config
	graph     *graphMux
	graphSrv  *http.Server
	graphURL  string
	graphPort int
	botURL    string
	proc      *process           // nil with Config.URL
	proxy     *intercept.Proxy   // the bot's proxy; nil with URL unless intercepting
	session   *intercept.Session // a watch session of the harness's own, or nil
	client    *http.Client
	relay     *relay.Bot // what each world sees as the bot

	mu        sync.Mutex
	onAnswer  func(time.Duration)
	fatal     *BotError
	challenge int
}

// Start serves fakegraph, starts the bot (or finds it at its URL) and waits
// until it answers the verification handshake. A bot that cannot be run
// comes back as a *BotError carrying its output.
func Start(cfg Config) (*Harness, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.GraphAddr)
	if err != nil {
		return nil, fmt.Errorf("external bot: serve fakegraph on %s: %w", cfg.GraphAddr, err)
	}
	h := &Harness{
		cfg:       cfg,
		graph:     newGraphMux(cfg.Settle),
		graphURL:  "http://" + ln.Addr().String(),
		graphPort: ln.Addr().(*net.TCPAddr).Port,
		client:    &http.Client{Timeout: cfg.StepTimeout},
	}
	h.relay = &relay.Bot{
		WebhookPath: cfg.WebhookPath, TriggerPath: cfg.TriggerPath,
		Exchange: h.exchange, Err: h.Err,
		Fail: func(format string, args ...any) error { return h.fail(botErrorf(ServerError, format, args...)) },
	}
	h.graphSrv = httpserver.New(h.graph)
	go func() { _ = h.graphSrv.Serve(ln) }()

	if err := h.startProxy(ln.Addr().String()); err != nil {
		h.Stop()
		return nil, err
	}
	h.botURL = cfg.URL
	if cfg.Command != "" {
		port, err := botPort()
		if err != nil {
			h.Stop()
			return nil, fmt.Errorf("external bot: %w", err)
		}
		h.botURL = fmt.Sprintf("http://127.0.0.1:%d", port)
		h.proc, err = startProcess(cfg.Command, cfg.Dir, h.Env(port), cfg.StopGrace)
		if err != nil {
			h.Stop()
			return nil, err
		}
	}
	if err := h.waitReady(); err != nil {
		h.Stop()
		return nil, err
	}
	return h, nil
}

// Env returns the contract's environment for a bot listening on port,
// with its proxy's variables (intercept.Session.Env) when it has one.
func (h *Harness) Env(port int) []string {
	p := h.cfg.Page
	env := []string{
		"OTNSIM_GRAPH_URL=" + h.graphURL,
		"OTNSIM_PAGE_ID=" + p.ID,
		"OTNSIM_PAGE_ACCESS_TOKEN=" + p.AccessToken,
		"OTNSIM_APP_SECRET=" + p.AppSecret,
		"OTNSIM_VERIFY_TOKEN=" + p.VerifyToken,
		fmt.Sprintf("PORT=%d", port),
	}
	if h.proxy != nil {
		env = append(env, h.sessionOf().Env(h.proxy)...)
	}
	return env
}

// GraphURL is the base URL fakegraph is served at.
func (h *Harness) GraphURL() string { return h.graphURL }

// BotURL is the base URL the bot is reached at.
func (h *Harness) BotURL() string { return h.botURL }

// Page returns the credentials the bot was given.
func (h *Harness) Page() fakegraph.Page { return h.cfg.Page }

// Output returns the end of the bot's stdout and stderr ("" with a URL).
func (h *Harness) Output() string {
	if h.proc == nil {
		return ""
	}
	return h.proc.output.String()
}

// Err returns the first reason the bot could not be run on, or nil.
func (h *Harness) Err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fatal == nil {
		return nil
	}
	e := *h.fatal
	e.Output = h.Output()
	return &e
}

// fail records the first fatal error and returns it.
func (h *Harness) fail(e *BotError) *BotError {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fatal == nil {
		h.fatal = e
	}
	return h.fatal
}

// OnAnswer sets f to be told how long the bot took to answer each webhook
// and trigger (the settling after it left out); nil stops it.
func (h *Harness) OnAnswer(f func(time.Duration)) {
	h.mu.Lock()
	h.onAnswer = f
	h.mu.Unlock()
}

func (h *Harness) answered(d time.Duration) {
	h.mu.Lock()
	f := h.onAnswer
	h.mu.Unlock()
	if f != nil {
		f(d)
	}
}

// NextPSID returns a PSID no earlier world of this run used, so that one bot
// process can serve every scenario.
func (h *Harness) NextPSID() string { return h.cfg.PSIDs.Next() }

// Step names what the harness plays from now on (a scenario's step, say),
// for the late calls' reports.
func (h *Harness) Step(label string) { h.graph.setLabel(label) }

// LateCalls returns the Graph API calls the bot made after the harness had
// closed their step, in order: each step's verdict was given without
// them. A bot that makes them sends after answering, later than the quiet
// period allowed: raise Config.Settle.
func (h *Harness) LateCalls() []LateCall { return h.graph.lateCalls() }

// Factory returns the bot factory for worlds: each world's fakegraph becomes
// the one the Graph listener routes to, and the world reaches the bot
// through a forwarding handler that settles after every request.
func (h *Harness) Factory() sim.BotFactory { return h.relay.Factory(h.graph.use) }

// Tick sends the standard tick trigger, as the harness does after every
// clock advance, and settles.
func (h *Harness) Tick(w *sim.World) error { return relay.Tick(w) }

// Stop ends the bot and the Graph listener. A bot started with a command
// is ended with its whole tree of processes: its process group and (on
// Linux) every process that carries its TreeEnv marker, including those
// that left the group or outlived the shell; SIGTERM first, SIGKILL after
// Config.StopGrace. Stop returns once they are gone.
func (h *Harness) Stop() {
	if h.proc != nil {
		h.proc.stop(syscall.SIGTERM)
	}
	if h.proxy != nil {
		_ = h.proxy.Close()
	}
	if h.session != nil {
		_ = h.session.Close()
	}
	if h.graphSrv != nil {
		_ = h.graphSrv.Close()
	}
}

// The harness is what the compliance suite and the probes judge.
var _ probes.Target = (*Harness)(nil)
