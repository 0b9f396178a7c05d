package compliance

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime/debug"
	"sync"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/internal/relay"
	"github.com/otnsim/otnsim/probes"
	"github.com/otnsim/otnsim/sim"
)

// Defaults for InProcessConfig: the routes of the external bot contract, and
// the same step timeout as for a bot in its own process.
const (
	DefaultWebhookPath = relay.WebhookPath
	DefaultTriggerPath = relay.TriggerPath
	DefaultStepTimeout = 10 * time.Second
)

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
	relay   *relay.Bot // what each world sees as the bot

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
	p.relay = &relay.Bot{
		WebhookPath: cfg.WebhookPath, TriggerPath: cfg.TriggerPath, Err: p.Err, Fail: p.fail,
		Exchange: func(method, path, query string, header http.Header, body []byte) (int, http.Header, []byte, error) {
			status, h, answer, err := p.exchange(method, path, query, header, body, p.cfg.StepTimeout)
			if errors.Is(err, errAborted) {
				err = p.fail("%s %s: %v", method, path, err)
			}
			return status, h, answer, err
		},
	}
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
			cfg.WebhookPath, status, relay.Snippet([]byte(body)), cfg.Page.VerifyToken)
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
func (p *InProcess) Factory() sim.BotFactory { return p.relay.Factory(p.graph.use) }

// Tick sends the standard tick trigger, as the harness does after every
// clock advance.
func (p *InProcess) Tick(w *sim.World) error { return relay.Tick(w) }

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
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, relay.MaxBody))
	return resp.StatusCode, resp.Header, answer, nil
}

// Both kinds of bot under test are Targets.
var _ Target = (*InProcess)(nil)
