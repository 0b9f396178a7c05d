package compliance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/probes"
	"github.com/otnsim/otnsim/sim"
)

// Defaults for InProcessConfig: the routes of the external bot contract, and
// the same step timeout as for a bot in its own process.
const (
	DefaultWebhookPath = "/webhook"
	DefaultTriggerPath = "/otnsim/trigger"
	DefaultStepTimeout = 10 * time.Second
)

// maxAnswer is how much of the bot's answer and of a Graph API call is kept.
const maxAnswer = 1 << 20

// InProcessConfig says how to reach a bot served by an http.Handler in this
// process.
type InProcessConfig struct {
	// Page holds the credentials the bot was built with; zero means
	// fakegraph.DefaultPage(). Every world and probe uses them.
	Page fakegraph.Page
	// Client is the *http.Client the bot makes its Graph API calls with: its
	// Transport is replaced until Close. Nil means the bot uses
	// http.DefaultTransport (http.DefaultClient, http.Get, &http.Client{}),
	// which is replaced instead.
	Client *http.Client
	// WebhookPath and TriggerPath are the bot's routes; empty means
	// DefaultWebhookPath and DefaultTriggerPath.
	WebhookPath, TriggerPath string
	// StepTimeout bounds each request to the bot, with the Graph API calls
	// it still has in flight once it has answered; zero means
	// DefaultStepTimeout.
	StepTimeout time.Duration
}

// InProcess is the Target for a bot that is an http.Handler in this
// process: no sockets, no processes. It treats the handler exactly as
// *external.Harness treats a bot outside: the handler learns the time only
// from webhook timestamps and triggers' "now" (a tick before each world's
// first event, and after every clock advance), gets the page credentials of
// its config, and serves every world of a run with fresh PSIDs.
//
// The bot's Graph API calls to graph.facebook.com (and its regional
// variants) reach the current world's fakegraph through the intercepted
// transport; calls to any other host go where they went before. A handler
// that panics, answers a world's request with 5xx, or does not answer
// within the step timeout cannot be run on: Err says why.
//
// Use one InProcess for one run, one world at a time, and Close it after.
type InProcess struct {
	bot     http.Handler
	cfg     InProcessConfig
	graph   *graphRouter
	restore func()

	mu    sync.Mutex
	fatal error
	psids int
}

// defaultTransportMu is held while an InProcess has http.DefaultTransport
// replaced, so that two never stack their replacements.
var defaultTransportMu sync.Mutex

// NewInProcess intercepts the bot's Graph API transport and checks that bot
// answers the verification handshake with the page's verify token. Close
// restores the transport; without a Client, no other InProcess can replace
// http.DefaultTransport until then (a second NewInProcess waits).
func NewInProcess(bot http.Handler, cfg InProcessConfig) (*InProcess, error) {
	if bot == nil {
		return nil, errors.New("in-process bot: no handler")
	}
	if cfg.Page.ID == "" {
		cfg.Page = fakegraph.DefaultPage()
	}
	if cfg.WebhookPath == "" {
		cfg.WebhookPath = DefaultWebhookPath
	}
	if cfg.TriggerPath == "" {
		cfg.TriggerPath = DefaultTriggerPath
	}
	if cfg.StepTimeout <= 0 {
		cfg.StepTimeout = DefaultStepTimeout
	}
	p := &InProcess{bot: bot, cfg: cfg}
	if c := cfg.Client; c != nil {
		old := c.Transport
		p.graph = newGraphRouter(func() http.RoundTripper {
			if old != nil {
				return old
			}
			return http.DefaultTransport
		})
		c.Transport = p.graph
		p.restore = func() { c.Transport = old }
	} else {
		defaultTransportMu.Lock()
		old := http.DefaultTransport
		p.graph = newGraphRouter(func() http.RoundTripper { return old })
		http.DefaultTransport = p.graph
		p.restore = func() {
			http.DefaultTransport = old
			defaultTransportMu.Unlock()
		}
	}
	challenge := "314159265"
	status, body, err := p.Handshake(cfg.Page.VerifyToken, challenge, cfg.StepTimeout)
	if err == nil && (status != http.StatusOK || body != challenge) {
		err = fmt.Errorf("bot under test: GET %s answered the verification handshake with HTTP %d %q, want 200 with the challenge (was it built with the page's verify token %q?)",
			cfg.WebhookPath, status, snippet([]byte(body)), cfg.Page.VerifyToken)
	}
	if err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// Close restores the intercepted transport. The bot's Graph API calls after
// it go where they went before.
func (p *InProcess) Close() {
	p.mu.Lock()
	restore := p.restore
	p.restore = nil
	p.mu.Unlock()
	if restore != nil {
		p.graph.use(nil)
		restore()
	}
}

// Page returns the credentials the bot was built with.
func (p *InProcess) Page() fakegraph.Page { return p.cfg.Page }

// Err returns the first reason the bot could not be run on, or nil.
func (p *InProcess) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fatal
}

// fail records the first fatal error and returns it.
func (p *InProcess) fail(format string, args ...any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fatal == nil {
		p.fatal = fmt.Errorf("bot under test: "+format, args...)
	}
	return p.fatal
}

// NextPSID returns a PSID no earlier world of this run used.
func (p *InProcess) NextPSID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.psids++
	return fmt.Sprintf("78%014d", p.psids)
}

// Factory returns the bot factory for worlds: each world's fakegraph becomes
// the one the bot's Graph API calls reach, and the world reaches the bot
// through a handler that runs it as the external bot contract says.
func (p *InProcess) Factory() sim.BotFactory {
	return func(env sim.BotEnv) (http.Handler, error) {
		if env.Graph == nil {
			return nil, errors.New("in-process bot: the world offers no Graph handler")
		}
		if err := p.Err(); err != nil {
			return nil, err
		}
		p.graph.use(env.Graph)
		return &inProcessBot{p: p, env: env}, nil
	}
}

// Tick sends the standard tick trigger, as the harness does after every
// clock advance.
func (p *InProcess) Tick(w *sim.World) error {
	if err := w.Trigger("tick", nil); err != nil {
		return fmt.Errorf("tick: %w", err)
	}
	return nil
}

// Handshake performs one verification handshake with the given verify token
// and challenge, and returns the bot's status and body. timeout bounds it.
func (p *InProcess) Handshake(verifyToken, challenge string, timeout time.Duration) (int, string, error) {
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {verifyToken}, "hub.challenge": {challenge}}
	status, _, body, err := p.exchange(http.MethodGet, p.cfg.WebhookPath, q.Encode(), http.Header{}, nil, timeout)
	if err != nil {
		return 0, "", fmt.Errorf("handshake: %w", err)
	}
	return status, string(body), nil
}

// Deliver posts body to the bot's webhook with the given headers and returns
// the bot's status, unjudged. A handler that aborts (panics with
// http.ErrAbortHandler) dropped the connection: status 0 and an error.
func (p *InProcess) Deliver(header http.Header, body []byte) (int, error) {
	if err := p.Err(); err != nil {
		return 0, err
	}
	status, _, _, err := p.exchange(http.MethodPost, p.cfg.WebhookPath, "", header, body, p.cfg.StepTimeout)
	if err != nil {
		if ferr := p.Err(); ferr != nil {
			return 0, ferr
		}
		return 0, fmt.Errorf("deliver: %w", err)
	}
	return status, nil
}

// Mark returns a position in the log of the bot's Graph API calls.
func (p *InProcess) Mark() int { return p.graph.mark() }

// GraphCallsSince returns the bot's Graph API calls logged after mark.
func (p *InProcess) GraphCallsSince(mark int) []probes.GraphCall { return p.graph.since(mark) }

// errAborted is a handler's panic(http.ErrAbortHandler): a dropped connection.
var errAborted = errors.New("the bot closed the connection (http.ErrAbortHandler)")

// exchange runs one request through the bot as a server would hand it over,
// and waits for the Graph API calls it still has in flight. A panic, or no
// answer within timeout, is fatal; an abort is errAborted.
func (p *InProcess) exchange(method, path, query string, header http.Header, body []byte, timeout time.Duration) (int, http.Header, []byte, error) {
	target := path
	if query != "" {
		target += "?" + query
	}
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	req.Host = "bot.otnsim.invalid"
	for k, v := range header {
		req.Header[k] = append([]string(nil), v...)
	}
	deadline := time.Now().Add(timeout)
	rec := httptest.NewRecorder()
	type outcome struct {
		panic any
		stack []byte
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			v := recover()
			var stack []byte
			if v != nil {
				stack = debug.Stack() // still the panicking frames
			}
			done <- outcome{v, stack}
		}()
		p.bot.ServeHTTP(rec, req)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case o := <-done:
		switch {
		case o.panic == http.ErrAbortHandler:
			return 0, nil, nil, errAborted
		case o.panic != nil:
			return 0, nil, nil, p.fail("%s %s panicked: %v\n%s", method, path, o.panic, o.stack)
		}
	case <-t.C:
		return 0, nil, nil, p.fail("%s %s got no answer within the step timeout (%s)", method, path, timeout)
	}
	if err := p.graph.quiet(deadline); err != nil {
		return 0, nil, nil, p.fail("%s %s: %v past the step timeout (%s)", method, path, err, timeout)
	}
	resp := rec.Result()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	return resp.StatusCode, resp.Header, answer, nil
}

// inProcessBot is the http.Handler a world sees as its bot. A bot that
// cannot be run on gets the world a 502, so that the scenario stops at once.
type inProcessBot struct {
	p   *InProcess
	env sim.BotEnv

	mu      sync.Mutex
	started bool // the world has posted to the bot
}

func (b *inProcessBot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := b.p
	if err := p.Err(); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	// The handshake aside, the world's first request to the bot is a trigger
	// (which carries "now") or an event, before which the bot gets a tick.
	b.mu.Lock()
	first := !b.started && r.Method == http.MethodPost
	b.started = b.started || first
	b.mu.Unlock()
	if first && r.URL.Path != DefaultTriggerPath {
		if err := b.startTick(); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
	}
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(r.Body, maxAnswer))
	}
	path := r.URL.Path
	switch path {
	case DefaultWebhookPath:
		path = p.cfg.WebhookPath
	case DefaultTriggerPath:
		path = p.cfg.TriggerPath
	}
	status, header, answer, err := p.exchange(r.Method, path, r.URL.RawQuery, r.Header, body, p.cfg.StepTimeout)
	switch {
	case errors.Is(err, errAborted):
		err = p.fail("%s %s: %v", r.Method, path, err)
	case err == nil && status >= 500:
		err = p.fail("%s %s answered HTTP %d: %s", r.Method, path, status, snippet(answer))
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for k, v := range header {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(answer)
}

// startTick sends the bot a tick at the world's current time: a bot keeping
// one clock for the whole run learns that time went back, since each
// scenario starts at its own virtual time.
func (b *inProcessBot) startTick() error {
	p := b.p
	if b.env.Clock == nil {
		return nil
	}
	body, err := json.Marshal(map[string]any{
		"trigger": "tick", "data": map[string]any{},
		"now":     b.env.Clock.Now().UTC().Format(time.RFC3339Nano),
		"page_id": b.env.PageID, "psids": []string{},
	})
	if err != nil {
		return fmt.Errorf("in-process bot: start tick: %w", err)
	}
	status, _, answer, err := p.exchange(http.MethodPost, p.cfg.TriggerPath, "",
		http.Header{"Content-Type": {"application/json"}}, body, p.cfg.StepTimeout)
	switch {
	case errors.Is(err, errAborted):
		return p.fail("POST %s (tick at the scenario's start): %v", p.cfg.TriggerPath, err)
	case err != nil:
		return err
	case status >= 500:
		return p.fail("POST %s (tick at the scenario's start) answered HTTP %d: %s", p.cfg.TriggerPath, status, snippet(answer))
	}
	return nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

// Both kinds of bot under test are Targets.
var _ Target = (*InProcess)(nil)
