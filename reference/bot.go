// Package reference is otnsim's reference Messenger bot: what a careful bot
// does with one-time notifications. It talks to the Graph API only through
// the Send API and receives only webhooks, exactly as it would against Meta,
// so it works unchanged against fakegraph in-process, over HTTP, or for real.
//
// Its behaviour is configurable Policy; the misbehaving knobs exist so that
// scenarios can show otnsim catching a bot that breaks a rule.
package reference

import (
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/otnsim/otnsim/sim/clock"
)

// DefaultAPIVersion is the Graph API version the bot calls.
const DefaultAPIVersion = "v19.0"

// Window is the standard messaging window as the bot reckons it.
const Window = 24 * time.Hour

// TokenLifetime is how long the bot trusts an OTN token.
const TokenLifetime = 365 * 24 * time.Hour

// Policy is the bot's switchable behaviour.
//
// The yaml tags are the knob names in scenario files (bot.policy) and
// `otnsim bot` configuration; scenario files decode them generically, so a
// new field with a tag is usable there at once.
type Policy struct {
	// IdleAfter delays a notification until the subscriber has been idle
	// this long (the OTN-IDLE practice). Zero disables the guard.
	IdleAfter time.Duration `yaml:"idle_after"`
	// SpendTokenInWindow spends a token even when the window is open,
	// instead of sending a normal message and keeping it.
	SpendTokenInWindow bool `yaml:"spend_token_in_window"`

	// Misbehaviours, for scenarios that show otnsim catching a bad bot.

	// AskOutsideWindow sends OTN requests even when the window is closed.
	AskOutsideWindow bool `yaml:"ask_outside_window"`
	// ReuseSpentTokens keeps a token after using it, so it is used again.
	ReuseSpentTokens bool `yaml:"reuse_spent_tokens"`
	// UseExpiredTokens keeps tokens past their one-year expiry.
	UseExpiredTokens bool `yaml:"use_expired_tokens"`
	// SkipSignatureCheck accepts webhook events without checking X-Hub-Signature-256.
	SkipSignatureCheck bool `yaml:"skip_signature_check"`
}

// Presets names the platform-style policies a scenario can start from with
// bot.preset; bot.policy then overrides single knobs.
func Presets() map[string]Policy {
	return map[string]Policy{
		"careful": DefaultPolicy(),
	}
}

// Setup is the bot's behaviour as a scenario file gives it under "bot:".
// The yaml tags are the field names there.
type Setup struct {
	// Preset names the policy to start from (see Presets); empty means "careful".
	Preset string `yaml:"preset"`
	// Policy is the behaviour, Preset's values overridden by what is set.
	Policy Policy `yaml:"policy"`
	// Products is the shop's catalogue; nil means DefaultCatalogue.
	Products []Product `yaml:"products"`
}

// DefaultPolicy is the careful behaviour: a 5-minute idle guard, tokens kept
// while the window is open, no misbehaviour.
func DefaultPolicy() Policy {
	return Policy{IdleAfter: 5 * time.Minute}
}

// Product is an item of the shop the bot sells for.
type Product struct {
	Slug    string `yaml:"slug"` // used in topics: restock:<slug>
	Name    string `yaml:"name"`
	InStock bool   `yaml:"in_stock"`
}

// DefaultCatalogue is the small shop the reference bot runs when none is given.
func DefaultCatalogue() []Product {
	return []Product{
		{Slug: "red-lipstick", Name: "Red Lipstick", InStock: false},
		{Slug: "silk-scarf", Name: "Silk Scarf", InStock: false},
		{Slug: "canvas-tote", Name: "Canvas Tote", InStock: true},
	}
}

// Config configures a Bot.
type Config struct {
	GraphURL        string // e.g. https://graph.facebook.com
	APIVersion      string // default DefaultAPIVersion
	PageID          string
	PageAccessToken string
	AppSecret       string
	VerifyToken     string
	Client          *http.Client // for Send API calls; nil means http.DefaultClient
	Clock           clock.Clock  // nil means the wall clock
	Setup
}

// Bot is the reference bot. It is an http.Handler serving /webhook and
// /otnsim/trigger.
type Bot struct {
	cfg   Config
	graph *graphClient
	clock clock.Clock

	mu          sync.Mutex
	products    map[string]*Product
	subscribers map[string]*subscriber
}

type heldToken struct {
	value    string
	issuedAt time.Time
}

type subscriber struct {
	psid        string
	lastInbound time.Time
	tokens      map[string][]heldToken // by topic, oldest first
	waiting     map[string]bool        // topic -> a notification waits for idleness
}

// New returns a Bot for cfg.
func New(cfg Config) *Bot {
	if cfg.APIVersion == "" {
		cfg.APIVersion = DefaultAPIVersion
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Wall{}
	}
	if cfg.Products == nil {
		cfg.Products = DefaultCatalogue()
	}
	b := &Bot{
		cfg:         cfg,
		graph:       newGraphClient(cfg.GraphURL, cfg.APIVersion, cfg.PageAccessToken, cfg.Client),
		clock:       cfg.Clock,
		products:    map[string]*Product{},
		subscribers: map[string]*subscriber{},
	}
	for _, p := range cfg.Products {
		p := p
		b.products[p.Slug] = &p
	}
	return b
}

// ServeHTTP serves the webhook (GET handshake, POST events) and triggers.
func (b *Bot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/webhook" && r.Method == http.MethodGet:
		b.handshake(w, r)
	case r.URL.Path == "/webhook" && r.Method == http.MethodPost:
		b.events(w, r)
	case r.URL.Path == "/otnsim/trigger" && r.Method == http.MethodPost:
		b.trigger(w, r)
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

// webhookBody is what the bot reads of a delivery.
type webhookBody struct {
	Object string `json:"object"`
	Entry  []struct {
		Messaging []struct {
			Sender    struct{ ID string } `json:"sender"`
			Timestamp int64               `json:"timestamp"`
			Message   *struct {
				MID  string `json:"mid"`
				Text string `json:"text"`
			} `json:"message"`
			Postback *struct {
				Payload string `json:"payload"`
			} `json:"postback"`
			Optin *struct {
				Type    string `json:"type"`
				Payload string `json:"payload"`
				Token   string `json:"one_time_notif_token"`
			} `json:"optin"`
		} `json:"messaging"`
	} `json:"entry"`
}

func (b *Bot) events(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if err != nil || len(body) > 1<<20 {
		http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	if !b.cfg.Policy.SkipSignatureCheck && !validSignature(b.cfg.AppSecret, body, r.Header.Get("X-Hub-Signature-256")) {
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	var env webhookBody
	if err := json.Unmarshal(body, &env); err != nil || env.Object != "page" {
		http.Error(w, "not a page webhook", http.StatusBadRequest)
		return
	}
	for _, e := range env.Entry {
		for _, m := range e.Messaging {
			at := time.UnixMilli(m.Timestamp).UTC()
			switch {
			case m.Message != nil:
				b.onMessage(m.Sender.ID, m.Message.Text, at)
			case m.Postback != nil:
				b.touch(m.Sender.ID, at)
			case m.Optin != nil && m.Optin.Type == "one_time_notif_req":
				b.onOptin(m.Sender.ID, m.Optin.Payload, m.Optin.Token, at)
			}
		}
	}
	_, _ = io.WriteString(w, "EVENT_RECEIVED")
}

func validSignature(secret string, body []byte, header string) bool {
	want, ok := strings.CutPrefix(header, "sha256=")
	if !ok || secret == "" {
		return false
	}
	got, _ := signBody(secret, body)
	return hmac.Equal([]byte(got), []byte("sha256="+want))
}

// subscriberLocked returns psid's record, creating it. Callers hold b.mu.
func (b *Bot) subscriberLocked(psid string) *subscriber {
	s, ok := b.subscribers[psid]
	if !ok {
		s = &subscriber{psid: psid, tokens: map[string][]heldToken{}, waiting: map[string]bool{}}
		b.subscribers[psid] = s
	}
	return s
}

// touch records that psid acted at 'at', which opens their window.
func (b *Bot) touch(psid string, at time.Time) *subscriber {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.subscriberLocked(psid)
	if at.After(s.lastInbound) {
		s.lastInbound = at
	}
	return s
}

func (b *Bot) onMessage(psid, text string, at time.Time) {
	b.touch(psid, at)
	p := b.mentionedProduct(text)
	if p == nil {
		return
	}
	if p.InStock {
		_, _ = b.graph.send(sendText{Recipient: recipient{ID: psid}, MessagingType: "RESPONSE", Message: textMessage{Text: p.Name + " is in stock. Tap the shop link to order."}})
		return
	}
	b.request(psid, "restock:"+p.Slug, requestTitle(p.Name))
}

func requestTitle(name string) string {
	t := "Notify me when " + name + " is back"
	if r := []rune(t); len(r) > 65 {
		t = string(r[:65])
	}
	return t
}

// mentionedProduct finds a product named in text.
func (b *Bot) mentionedProduct(text string) *Product {
	lower := strings.ToLower(text)
	b.mu.Lock()
	defer b.mu.Unlock()
	slugs := make([]string, 0, len(b.products))
	for s := range b.products {
		slugs = append(slugs, s)
	}
	sort.Strings(slugs)
	for _, s := range slugs {
		p := b.products[s]
		if strings.Contains(lower, strings.ToLower(p.Name)) || strings.Contains(lower, strings.ReplaceAll(p.Slug, "-", " ")) {
			cp := *p
			return &cp
		}
	}
	return nil
}

// request sends an OTN request for topic to psid when the policy allows.
func (b *Bot) request(psid, topic, title string) bool {
	now := b.clock.Now()
	b.mu.Lock()
	s := b.subscriberLocked(psid)
	open := now.Before(s.lastInbound.Add(Window))
	b.mu.Unlock()
	if !open && !b.cfg.Policy.AskOutsideWindow {
		return false
	}
	_, err := b.graph.send(newOTNRequest(psid, title, topic))
	return err == nil
}

func (b *Bot) onOptin(psid, topic, token string, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.subscriberLocked(psid)
	s.tokens[topic] = append(s.tokens[topic], heldToken{value: token, issuedAt: at})
}

// triggerBody is the harness's trigger call.
type triggerBody struct {
	Trigger string          `json:"trigger"`
	Data    json.RawMessage `json:"data"`
	Now     string          `json:"now"`
	PageID  string          `json:"page_id"`
	PSIDs   []string        `json:"psids"`
}

func (b *Bot) trigger(w http.ResponseWriter, r *http.Request) {
	var t triggerBody
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&t); err != nil {
		http.Error(w, "bad trigger: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := b.Trigger(t.Trigger, t.Data); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
}

// Trigger runs a named trigger with its JSON data. Besides the standard
// triggers of the external bot contract (otn.request, otn.notify, broadcast,
// tick) the shop understands restock {"product": slug}.
func (b *Bot) Trigger(name string, data json.RawMessage) error {
	var d struct {
		PSID    string `json:"psid"`
		Topic   string `json:"topic"`
		Title   string `json:"title"`
		Text    string `json:"text"`
		Product string `json:"product"`
	}
	if len(data) > 0 && string(data) != "null" {
		if err := json.Unmarshal(data, &d); err != nil {
			return fmt.Errorf("trigger %s: data: %w", name, err)
		}
	}
	switch name {
	case "otn.request":
		if d.PSID == "" || d.Topic == "" {
			return fmt.Errorf("trigger otn.request: data needs psid and topic")
		}
		title := d.Title
		if title == "" {
			title = "Get notified"
		}
		b.request(d.PSID, d.Topic, title)
	case "otn.notify":
		if d.Topic == "" || d.Text == "" {
			return fmt.Errorf("trigger otn.notify: data needs topic and text")
		}
		b.Notify(d.Topic, d.Text)
	case "broadcast":
		b.broadcast(d.Text)
	case "tick":
		// Scheduled work runs on the bot's clock; nothing else is due.
	case "restock":
		b.mu.Lock()
		p, ok := b.products[d.Product]
		if ok {
			p.InStock = true
		}
		b.mu.Unlock()
		if !ok {
			return fmt.Errorf("trigger restock: unknown product %q", d.Product)
		}
		b.Notify("restock:"+p.Slug, p.Name+" is back in stock!")
	default:
		return fmt.Errorf("unknown trigger %q", name)
	}
	return nil
}

// Notify delivers text once to every subscriber holding a token for topic.
func (b *Bot) Notify(topic, text string) {
	b.mu.Lock()
	var psids []string
	for psid, s := range b.subscribers {
		if len(s.tokens[topic]) > 0 {
			psids = append(psids, psid)
		}
	}
	b.mu.Unlock()
	sort.Strings(psids)
	for _, psid := range psids {
		b.notifyOne(psid, topic, text)
	}
}

// notifyOne delivers one notification to psid, waiting for idleness first.
func (b *Bot) notifyOne(psid, topic, text string) {
	now := b.clock.Now()
	b.mu.Lock()
	s := b.subscriberLocked(psid)
	if idle := b.cfg.Policy.IdleAfter; idle > 0 && !s.lastInbound.IsZero() && now.Before(s.lastInbound.Add(idle)) {
		if !s.waiting[topic] {
			s.waiting[topic] = true
			wait := s.lastInbound.Add(idle).Sub(now)
			b.clock.AfterFunc(wait, func() {
				b.mu.Lock()
				s.waiting[topic] = false
				b.mu.Unlock()
				b.notifyOne(psid, topic, text)
			})
		}
		b.mu.Unlock()
		return
	}
	if now.Before(s.lastInbound.Add(Window)) && !b.cfg.Policy.SpendTokenInWindow {
		b.mu.Unlock()
		_, _ = b.graph.send(sendText{Recipient: recipient{ID: psid}, MessagingType: "UPDATE", Message: textMessage{Text: text}})
		return
	}
	tok, ok := b.takeTokenLocked(s, topic, now)
	b.mu.Unlock()
	if !ok {
		return
	}
	_, err := b.graph.send(sendText{Recipient: recipient{Token: tok.value}, Message: textMessage{Text: text}})
	if ge, isGraph := asGraphError(err); isGraph && ge.Transient() {
		b.mu.Lock()
		s.tokens[topic] = append([]heldToken{tok}, s.tokens[topic]...)
		b.mu.Unlock()
	}
}

// takeTokenLocked removes and returns psid's oldest usable token for topic.
// Callers hold b.mu.
func (b *Bot) takeTokenLocked(s *subscriber, topic string, now time.Time) (heldToken, bool) {
	toks := s.tokens[topic]
	for len(toks) > 0 {
		t := toks[0]
		if !b.cfg.Policy.UseExpiredTokens && !now.Before(t.issuedAt.Add(TokenLifetime)) {
			toks = toks[1:]
			continue
		}
		if !b.cfg.Policy.ReuseSpentTokens {
			toks = toks[1:]
		}
		s.tokens[topic] = toks
		return t, true
	}
	s.tokens[topic] = toks
	return heldToken{}, false
}

// broadcast sends text to every subscriber whose window is open.
func (b *Bot) broadcast(text string) {
	now := b.clock.Now()
	b.mu.Lock()
	var psids []string
	for psid, s := range b.subscribers {
		if now.Before(s.lastInbound.Add(Window)) {
			psids = append(psids, psid)
		}
	}
	b.mu.Unlock()
	sort.Strings(psids)
	for _, psid := range psids {
		_, _ = b.graph.send(sendText{Recipient: recipient{ID: psid}, MessagingType: "UPDATE", Message: textMessage{Text: text}})
	}
}
