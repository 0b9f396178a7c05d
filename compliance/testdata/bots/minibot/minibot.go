// Package minibot is a small Messenger OTN bot that speaks otnsim's external
// bot contract with nothing but the standard library. Switched faults turn it
// into the misbehaving bots the compliance tests must catch.
package minibot

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// Faults are the misbehaviours the bot can be switched to.
type Faults struct {
	ReuseTokens          bool // keep a token after spending it
	PromoteOutsideWindow bool // broadcast to everyone, window or not
	SkipSignature        bool // accept webhooks without checking the signature
	AskOutsideWindow     bool // send OTN requests with the window closed
	IgnoreIdle           bool // notify subscribers who are still active
}

const (
	window   = 24 * time.Hour
	idle     = 5 * time.Minute
	lifetime = 365 * 24 * time.Hour
	maxBody  = 1 << 20
	maxTitle = 65
	// perDay is how many OTN requests one subscriber gets in 24 hours at most.
	perDay = 3
	// codeRegion is Meta's permission error for OTN in an affected thread.
	codeRegion = 10
	// codeAway is Meta's "this person isn't available right now".
	codeAway = 551
)

type token struct {
	value  string
	issued time.Time
}

type person struct {
	lastActive time.Time
	tokens     map[string][]token // by topic, oldest first
	pending    map[string]string  // topic -> text waiting for idleness
	asked      map[string]time.Time
	requests   []time.Time // OTN requests sent, for the daily cap
	noOTN      bool        // Meta refused OTN in this thread (region rules)
	away       bool        // Meta said they cannot be reached (551) until they write
}

type bot struct {
	logf   func(format string, args ...any)
	faults Faults
	graph  string
	token  string
	secret string
	verify string

	mu     sync.Mutex
	now    time.Time
	people map[string]*person
	seen   map[string]bool // webhook bodies already processed
}

// Config holds the external bot contract's values.
type Config struct {
	GraphURL, AccessToken, AppSecret, VerifyToken string
	// Logf reports refused sends; nil means log.Printf.
	Logf func(format string, args ...any)
}

// New returns the bot as an http.Handler, for tests that run it in process.
// It makes its Send API calls with http.Post (http.DefaultClient).
func New(f Faults, c Config) http.Handler {
	if c.Logf == nil {
		c.Logf = log.Printf
	}
	return &bot{
		logf:   c.Logf,
		faults: f,
		graph:  strings.TrimRight(c.GraphURL, "/"),
		token:  c.AccessToken,
		secret: c.AppSecret,
		verify: c.VerifyToken,
		people: map[string]*person{},
		seen:   map[string]bool{},
	}
}

// Main runs the bot from the contract's environment until killed.
func Main(f Faults) {
	b := New(f, Config{
		GraphURL:    os.Getenv("OTNSIM_GRAPH_URL"),
		AccessToken: os.Getenv("OTNSIM_PAGE_ACCESS_TOKEN"),
		AppSecret:   os.Getenv("OTNSIM_APP_SECRET"),
		VerifyToken: os.Getenv("OTNSIM_VERIFY_TOKEN"),
	})
	addr := "127.0.0.1:" + os.Getenv("PORT")
	log.Printf("minibot listening on %s (faults %+v)", addr, f)
	log.Fatal(http.ListenAndServe(addr, b))
}

func (b *bot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/webhook" && r.Method == http.MethodGet:
		q := r.URL.Query()
		if q.Get("hub.mode") != "subscribe" || b.verify == "" || q.Get("hub.verify_token") != b.verify {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		_, _ = io.WriteString(w, q.Get("hub.challenge"))
	case r.URL.Path == "/webhook" && r.Method == http.MethodPost:
		b.webhook(w, r)
	case r.URL.Path == "/otnsim/trigger" && r.Method == http.MethodPost:
		b.trigger(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (b *bot) signed(body []byte, header string) bool {
	m := hmac.New(sha256.New, []byte(b.secret))
	m.Write(body)
	return hmac.Equal([]byte(header), []byte("sha256="+hex.EncodeToString(m.Sum(nil))))
}

func (b *bot) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		return
	}
	if !b.faults.SkipSignature && !b.signed(body, r.Header.Get("X-Hub-Signature-256")) {
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	var env struct {
		Entry []struct {
			Messaging []struct {
				Sender    struct{ ID string } `json:"sender"`
				Timestamp int64               `json:"timestamp"`
				Message   *json.RawMessage    `json:"message"`
				Postback  *json.RawMessage    `json:"postback"`
				Optin     *struct {
					Type    string `json:"type"`
					Payload string `json:"payload"`
					Token   string `json:"one_time_notif_token"`
				} `json:"optin"`
			} `json:"messaging"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	sum := sha256.Sum256(body)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.seen[string(sum[:])] {
		_, _ = io.WriteString(w, "EVENT_RECEIVED")
		return
	}
	b.seen[string(sum[:])] = true
	for _, e := range env.Entry {
		for _, m := range e.Messaging {
			at := time.UnixMilli(m.Timestamp).UTC()
			b.setNowLocked(at)
			p := b.personLocked(m.Sender.ID)
			switch {
			case m.Message != nil || m.Postback != nil:
				if at.After(p.lastActive) {
					p.lastActive = at
				}
				p.away = false
			case m.Optin != nil && m.Optin.Type == "one_time_notif_req" && m.Optin.Token != "":
				p.tokens[m.Optin.Payload] = append(p.tokens[m.Optin.Payload], token{m.Optin.Token, at})
			}
		}
	}
	_, _ = io.WriteString(w, "EVENT_RECEIVED")
}

func (b *bot) personLocked(psid string) *person {
	p, ok := b.people[psid]
	if !ok {
		p = &person{tokens: map[string][]token{}, pending: map[string]string{}, asked: map[string]time.Time{}}
		b.people[psid] = p
	}
	return p
}

// setNowLocked takes the harness's time. Virtual time starts afresh with
// each scenario, so it may go backwards between them: never keep a maximum.
func (b *bot) setNowLocked(t time.Time) { b.now = t }

// windowOpen says whether the 24-hour window is open at now. A time ahead
// of now belongs to an earlier scenario that ran later in virtual time.
func (p *person) windowOpen(now time.Time) bool {
	return !p.lastActive.IsZero() && !now.Before(p.lastActive) && now.Before(p.lastActive.Add(window))
}

func (b *bot) trigger(w http.ResponseWriter, r *http.Request) {
	var t struct {
		Trigger string `json:"trigger"`
		Now     string `json:"now"`
		Data    struct {
			PSID  string `json:"psid"`
			Topic string `json:"topic"`
			Title string `json:"title"`
			Text  string `json:"text"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&t); err != nil {
		http.Error(w, "bad trigger", http.StatusBadRequest)
		return
	}
	now, err := time.Parse(time.RFC3339Nano, t.Now)
	if err != nil {
		http.Error(w, "bad now", http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.setNowLocked(now)
	switch t.Trigger {
	case "otn.request":
		b.requestLocked(t.Data.PSID, t.Data.Topic, t.Data.Title)
	case "otn.notify":
		for _, psid := range b.sortedLocked() {
			if len(b.people[psid].tokens[t.Data.Topic]) > 0 {
				b.notifyLocked(psid, t.Data.Topic, t.Data.Text)
			}
		}
	case "broadcast":
		for _, psid := range b.sortedLocked() {
			if p := b.people[psid]; !p.away && (b.faults.PromoteOutsideWindow || p.windowOpen(b.now)) {
				p.sent(b.send(map[string]any{"recipient": map[string]string{"id": psid}, "messaging_type": "UPDATE", "message": map[string]string{"text": t.Data.Text}}))
			}
		}
	case "tick":
		for _, psid := range b.sortedLocked() {
			p := b.people[psid]
			topics := make([]string, 0, len(p.pending))
			for topic := range p.pending {
				topics = append(topics, topic)
			}
			sort.Strings(topics)
			for _, topic := range topics {
				text := p.pending[topic]
				delete(p.pending, topic)
				b.notifyLocked(psid, topic, text)
			}
		}
	default:
		http.Error(w, "unknown trigger", http.StatusBadRequest)
		return
	}
	_, _ = io.WriteString(w, `{"ok":true}`)
}

func (b *bot) sortedLocked() []string {
	out := make([]string, 0, len(b.people))
	for psid := range b.people {
		out = append(out, psid)
	}
	sort.Strings(out)
	return out
}

func (b *bot) requestLocked(psid, topic, title string) {
	p := b.personLocked(psid)
	if !p.windowOpen(b.now) && !b.faults.AskOutsideWindow {
		return
	}
	if p.noOTN || p.away {
		return // Meta said OTN is unavailable in this thread, or they cannot be reached
	}
	if last, ok := p.asked[topic]; ok && b.now.Sub(last) < time.Hour {
		return // no bursts: one request per topic per hour
	}
	recent := p.requests[:0:0]
	for _, at := range p.requests {
		if !b.now.Before(at) && b.now.Sub(at) < window {
			recent = append(recent, at)
		}
	}
	if p.requests = recent; len(recent) >= perDay {
		return // and at most perDay requests a day
	}
	if len([]rune(title)) > maxTitle {
		return // Meta would refuse it: skip, never truncate
	}
	if title == "" {
		title = "Get notified"
	}
	p.asked[topic] = b.now
	p.requests = append(p.requests, b.now)
	if code := b.send(map[string]any{"recipient": map[string]string{"id": psid}, "messaging_type": "RESPONSE",
		"message": map[string]any{"attachment": map[string]any{"type": "template", "payload": map[string]string{
			"template_type": "one_time_notif_req", "title": title, "payload": topic}}}}); code == codeRegion {
		p.noOTN = true
	}
}

// sent notes what a refusal says about the subscriber.
func (p *person) sent(code int) {
	if code == codeAway {
		p.away = true
	}
}

func (b *bot) notifyLocked(psid, topic, text string) {
	p := b.people[psid]
	if p.away {
		return
	}
	if !b.faults.IgnoreIdle && !p.lastActive.IsZero() && b.now.Sub(p.lastActive) < idle {
		p.pending[topic] = text
		return
	}
	if p.windowOpen(b.now) {
		p.sent(b.send(map[string]any{"recipient": map[string]string{"id": psid}, "messaging_type": "UPDATE", "message": map[string]string{"text": text}}))
		return
	}
	toks := p.tokens[topic]
	for len(toks) > 0 && !b.now.Before(toks[0].issued.Add(lifetime)) {
		toks = toks[1:] // expired: drop, never use
	}
	if len(toks) == 0 {
		p.tokens[topic] = toks
		return
	}
	t := toks[0]
	if !b.faults.ReuseTokens {
		toks = toks[1:]
	}
	p.tokens[topic] = toks
	p.sent(b.send(map[string]any{"recipient": map[string]string{"one_time_notif_token": t.value}, "message": map[string]string{"text": text}}))
}

// send posts one Send API call; refusals are logged and dropped. It returns
// the Graph error code of a refusal, 0 when the call went through.
func (b *bot) send(msg map[string]any) int {
	body, _ := json.Marshal(msg)
	u := b.graph + "/v19.0/me/messages?access_token=" + url.QueryEscape(b.token)
	resp, err := http.Post(u, "application/json", bytes.NewReader(body))
	if err != nil {
		b.logf("send: %v", err)
		return -1
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		return 0
	}
	b.logf("send refused: HTTP %d %s", resp.StatusCode, answer)
	var e struct {
		Error struct {
			Code int `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(answer, &e)
	return e.Error.Code
}
