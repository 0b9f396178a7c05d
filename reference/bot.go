// Package reference is otnsim's reference Messenger bot: what a careful bot
// does with one-time notifications. It talks to the Graph API only through
// the Send API and receives only webhooks, exactly as it would against Meta,
// so it works unchanged against fakegraph in-process, over HTTP, or for real.
//
// Its behaviour is configurable Policy; the misbehaving knobs exist so that
// scenarios can show otnsim catching a bot that breaks a rule.
package reference

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/otnsim/otnsim/platform"
	"github.com/otnsim/otnsim/sim/clock"
)

// DefaultAPIVersion is the Graph API version the bot calls.
const DefaultAPIVersion = "v19.0"

// Config configures a Bot.
type Config struct {
	GraphURL        string // e.g. https://graph.facebook.com
	APIVersion      string // default DefaultAPIVersion
	PageID          string
	PageAccessToken string
	AppSecret       string
	VerifyToken     string
	Client          *http.Client // for Send API calls; nil means http.DefaultClient
	Clock           clock.Clock  // nil means the wall clock; a *HarnessClock for `otnsim bot`
	// Store keeps the bot's state; nil means a fresh MemoryStore.
	Store Store
	// Logf reports problems the bot cannot answer with (failed sends); nil discards them.
	Logf func(format string, args ...any)
	Setup
}

// Bot is the reference bot. It is an http.Handler serving /webhook,
// /otnsim/trigger and a small read-only API (/reference/v1/...).
type Bot struct {
	cfg    Config
	graph  *graphClient
	clock  clock.Clock
	store  Store
	optins map[string]OptIn // by name
	topics map[string]OptIn // by topic
	loc    *time.Location
	pace   *pacer           // nil: sends are not paced
	sig    *platform.Signer // checks X-Hub-Signature-256 under cfg.AppSecret

	mu          sync.Mutex
	products    map[string]*Product
	pageChecked bool
	pageFlag    bool

	runMu sync.Mutex // one runDue at a time
	// resumable: recover found notifications whose token send a stop cut
	// short (set before the bot serves; read under runMu).
	resumable bool
	timerMu   sync.Mutex
	timer     clock.Timer
	timerAt   time.Time
}

// New returns a Bot for cfg, or the configuration error that stops it (an
// invalid opt-in definition, a campaign for an unknown opt-in, an unreadable
// store, an unknown analytics time zone).
func New(cfg Config) (*Bot, error) {
	if cfg.APIVersion == "" {
		cfg.APIVersion = DefaultAPIVersion
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Wall{}
	}
	if cfg.Products == nil {
		cfg.Products = DefaultCatalogue()
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore()
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	b := &Bot{
		cfg:      cfg,
		graph:    newGraphClient(cfg.GraphURL, cfg.APIVersion, cfg.PageAccessToken, cfg.Client, proofFor(cfg)),
		clock:    cfg.Clock,
		store:    cfg.Store,
		optins:   map[string]OptIn{},
		topics:   map[string]OptIn{},
		products: map[string]*Product{},
		loc:      time.UTC,
		pace:     newPacer(cfg.Policy.SendRate),
		sig:      platform.NewSigner(cfg.AppSecret),
	}
	for _, p := range cfg.Products {
		p := p
		b.products[p.Slug] = &p
	}
	for _, o := range cfg.OptIns {
		b.optins[o.Name] = o
		b.topics[o.Topic] = o
	}
	if err := cfg.Setup.Validate(); err != nil {
		return nil, fmt.Errorf("reference bot: %w", err)
	}
	if tz := cfg.Policy.Analytics.Timezone; tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("reference bot: analytics timezone: %w", err)
		}
		b.loc = loc
	}
	if err := b.recover(); err != nil {
		return nil, fmt.Errorf("reference bot: %w", err)
	}
	now := b.clock.Now()
	for _, c := range cfg.Campaigns {
		if err := b.CreateCampaign(c, now); err != nil && !errors.Is(err, ErrCampaignExists) {
			return nil, fmt.Errorf("reference bot: %w", err)
		}
	}
	b.wake(now)
	return b, nil
}

// Close releases the bot's store.
func (b *Bot) Close() error {
	b.timerMu.Lock()
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	b.timerMu.Unlock()
	return b.store.Close()
}

// now is the bot's current time.
func (b *Bot) now() time.Time { return b.clock.Now() }

// observe tells a harness clock a time the harness reported.
func (b *Bot) observe(t time.Time) {
	if o, ok := b.clock.(observer); ok && !t.IsZero() {
		o.Observe(t)
	}
}

// setNow tells a harness clock the harness's current time, which may lie
// before the last one seen (a new scenario starts at its own time).
func (b *Bot) setNow(t time.Time) {
	if s, ok := b.clock.(setter); ok && !t.IsZero() {
		s.Set(t)
	}
}

func (b *Bot) logf(format string, args ...any) { b.cfg.Logf(format, args...) }

// ServeHTTP serves the webhook (GET handshake, POST events), triggers and
// the read-only API.
func (b *Bot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/webhook" && r.Method == http.MethodGet:
		b.handshake(w, r)
	case r.URL.Path == "/webhook" && r.Method == http.MethodPost:
		b.events(w, r)
	case r.URL.Path == "/otnsim/trigger" && r.Method == http.MethodPost:
		b.trigger(w, r)
	case strings.HasPrefix(r.URL.Path, "/reference/v1/") && r.Method == http.MethodGet:
		b.api(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (b *Bot) handshake(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("hub.mode") != "subscribe" || q.Get("hub.verify_token") != b.cfg.VerifyToken || b.cfg.VerifyToken == "" {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, q.Get("hub.challenge"))
}
