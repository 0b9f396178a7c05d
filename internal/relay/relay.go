// Package relay is the handler a world sees as its bot when one bot serves
// every world in turn: a process outside otnsim (package external) or a Go
// handler in this process (package compliance). It hands each request on,
// with the bot's own routes, gives the bot a tick at the world's start time
// before the world's first event, and turns a 5xx answer or a broken
// exchange into the run's fatal error, answering the world 502 so that the
// scenario stops at once.
package relay

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/otnsim/otnsim/sim"
)

// The routes a world posts to; Bot maps them onto the bot's own.
const (
	WebhookPath = "/webhook"
	TriggerPath = "/otnsim/trigger"
)

// MaxBody is how much of a request or answer the relay reads.
const MaxBody = 1 << 20

// Exchange sends one request to the bot and returns its answer. An error
// means the bot cannot be run on; the exchange records it as fatal.
type Exchange func(method, path, query string, header http.Header, body []byte) (status int, h http.Header, answer []byte, err error)

// Bot is what the relay needs of the harness that runs the bot.
type Bot struct {
	// WebhookPath and TriggerPath are the bot's routes.
	WebhookPath, TriggerPath string
	// Exchange reaches the bot.
	Exchange Exchange
	// Err returns the run's fatal error, or nil.
	Err func() error
	// Fail records a fatal error (the first one wins) and returns it.
	Fail func(format string, args ...any) error
}

// Handler returns the bot as the world of env reaches it.
func (b *Bot) Handler(env sim.BotEnv) http.Handler { return &handler{b: b, env: env} }

type handler struct {
	b   *Bot
	env sim.BotEnv

	mu      sync.Mutex
	started bool // the world has posted to the bot
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b := h.b
	if err := b.Err(); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	// The handshake aside, the world's first request to the bot is a trigger
	// (which carries "now") or an event, before which the bot gets a tick.
	h.mu.Lock()
	first := !h.started && r.Method == http.MethodPost
	h.started = h.started || first
	h.mu.Unlock()
	if first && r.URL.Path != TriggerPath {
		if err := b.startTick(h.env); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
	}
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(r.Body, MaxBody))
	}
	path := r.URL.Path
	switch path {
	case WebhookPath:
		path = b.WebhookPath
	case TriggerPath:
		path = b.TriggerPath
	}
	status, header, answer, err := b.Exchange(r.Method, path, r.URL.RawQuery, r.Header, body)
	if err == nil && status >= 500 {
		err = b.Fail("%s %s answered HTTP %d: %s", r.Method, path, status, Snippet(answer))
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
// one clock for the whole run learns that time went back, since each world
// starts at its own virtual time.
func (b *Bot) startTick(env sim.BotEnv) error {
	if env.Clock == nil {
		return nil
	}
	body, err := json.Marshal(map[string]any{
		"trigger": "tick", "data": map[string]any{},
		"now":     env.Clock.Now().UTC().Format(time.RFC3339Nano),
		"page_id": env.PageID, "psids": []string{},
	})
	if err != nil {
		return fmt.Errorf("start tick: %w", err)
	}
	status, _, answer, err := b.Exchange(http.MethodPost, b.TriggerPath, "",
		http.Header{"Content-Type": {"application/json"}}, body)
	if err != nil {
		return err
	}
	if status >= 500 {
		return b.Fail("POST %s (tick at the scenario's start) answered HTTP %d: %s", b.TriggerPath, status, Snippet(answer))
	}
	return nil
}

// Snippet is the start of an answer, for error messages.
func Snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

// Factory returns the factory for worlds: use is told each world's
// fakegraph (as the bot must reach it), and the world gets the relay.
func (b *Bot) Factory(use func(graph http.Handler)) sim.BotFactory {
	return func(env sim.BotEnv) (http.Handler, error) {
		if env.Graph == nil {
			return nil, errors.New("bot under test: the world offers no Graph handler to serve")
		}
		if err := b.Err(); err != nil {
			return nil, err
		}
		use(env.Graph)
		return b.Handler(env), nil
	}
}

// Tick sends the standard tick trigger, as a harness does after every clock
// advance.
func Tick(w *sim.World) error {
	if err := w.Trigger("tick", nil); err != nil {
		return fmt.Errorf("tick: %w", err)
	}
	return nil
}
