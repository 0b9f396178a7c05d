// Package minibot is a small Messenger OTN bot that speaks otnsim's external
// bot contract with nothing but the standard library. Switched faults turn it
// into the misbehaving bots the compliance tests must catch.
package minibot

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
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

	// InWindowSpend spends a token for every notification, even when the
	// subscriber's window is open and a normal message would have done and
	// kept the token (OTN-IN-WINDOW-KEEP).
	InWindowSpend bool
	// WindowAt24h takes the window for open until 24 hours after the last
	// action inclusive (<= where < is right), so at exactly 24 hours it still
	// sends normal messages, broadcasts and in-window notifications (WIN-24H).
	// Its OTN requests keep the right check.
	WindowAt24h bool
	// ExpiryOffByOne takes a token for valid until one year after the opt-in
	// inclusive (> where >= is right), so it spends a token at exactly 365
	// days (OTN-TOKEN-EXPIRY).
	ExpiryOffByOne bool
	// Idle4m59 waits 4m59.999s of idleness before notifying instead of 5
	// minutes (OTN-IDLE).
	Idle4m59 bool
	// Title66 allows request titles of up to 66 characters, one more than
	// Meta's 65 (OTN-REQ-FORMAT).
	Title66 bool
	// SendAfter551 ignores Meta's 551 (the person cannot be reached) and
	// keeps messaging the subscriber (USER-AVAILABLE).
	SendAfter551 bool
	// TextPlusImage sends a token notification as two messages with the
	// same token: the text, then an image of the topic (OTN-CONTENT).
	TextPlusImage bool
	// TopicFallback, holding no token of exactly the notified topic, spends
	// one of a topic equal to it but for letter case (OTN-TOPIC-MATCH).
	TopicFallback bool
	// NoDedupe processes a redelivered webhook event again (HOOK-REPLAY).
	NoDedupe bool
	// SHA1Only checks only the legacy X-Hub-Signature (HMAC-SHA1) header and
	// ignores X-Hub-Signature-256 (HOOK-SIGNATURE).
	SHA1Only bool
	// ReserialisedHMAC verifies X-Hub-Signature-256 over the body parsed and
	// serialised again instead of the raw bytes. It keeps the keys' order,
	// as JSON.stringify(JSON.parse(body)) does in the usual form of this bug,
	// so it works on ASCII events and refuses those whose non-ASCII text
	// Meta sent as \u escapes (HOOK-SIGNATURE). (Re-marshalling a Go map
	// would also sort the keys and refuse every event Meta sends.)
	ReserialisedHMAC bool
	// PrefixSignature refuses a missing X-Hub-Signature-256 but compares a
	// present one with strings.HasPrefix, so "sha256=" alone, or any prefix
	// of the right digest, passes (HOOK-SIGNATURE).
	PrefixSignature bool
	// AnyVerifyToken answers the verification handshake whatever the verify
	// token (HOOK-VERIFY).
	AnyVerifyToken bool
	// NoDailyCap sends a subscriber any number of OTN requests a day, but
	// never the same topic twice within 24 hours (OTN-REQ-THROTTLE).
	NoDailyCap bool
	// ReaskSameTopic keeps the daily cap for new topics, but re-asks a topic
	// already asked whenever triggered, cap and hourly guard ignored, as a
	// "reminder" (OTN-REQ-SPAM).
	ReaskSameTopic bool
	// ForgetRegion does not remember that Meta refused OTN (code 10) in a
	// thread, and asks again on the next trigger (OTN-REGION).
	ForgetRegion bool
	// RetryPermission retries a refused OTN request once, right away, when
	// Meta's permission error (code 10) is not the region one. The two
	// share code 10, no subcode, type and status: it tells them apart by the
	// message, which mentions the region (OTN-FEATURE).
	RetryPermission bool
	// LatestTokenOnly keeps the tokens of the subscriber's latest opt-in
	// topic only: an opt-in for another topic drops the others (OTN-MULTI).
	LatestTokenOnly bool
	// NoReopen, once it has sent a subscriber a notification with a token,
	// takes their window for closed until their next opt-in, whatever they
	// write (WIN-REOPEN).
	NoReopen bool
	// NoMessagingType omits messaging_type on normal messages (SEND-FORMAT).
	NoMessagingType bool
	// StaleAccessToken makes every Send API call with an old page access
	// token instead of OTNSIM_PAGE_ACCESS_TOKEN (SEND-AUTH).
	StaleAccessToken bool
	// BurstBroadcast shows a typing indicator before each broadcast message,
	// with a fan-out bug: it sends typing_on to the whole audience before
	// each recipient's message, n*n sender actions in the same second for n
	// recipients, over the per-thread limit once n exceeds 20 and the page's
	// once n*n+n exceeds 300 (SEND-RATE). No message goes out twice.
	BurstBroadcast bool
	// BadTag sends a broadcast to subscribers whose window has closed as a
	// MESSAGE_TAG message with a tag Meta does not have (WIN-TAG).
	BadTag bool
	// WrongToken stores tokens in a 32-character column, so it sends a
	// truncated token, one Meta never issued (OTN-TOKEN-SCOPE).
	WrongToken bool
	// RNAskOutsideWindow sends the notification_messages request whatever
	// the window (RN-REQ-WINDOW).
	RNAskOutsideWindow bool
	// RNAnyTitle sends a notification_messages request whatever its title's
	// length (RN-REQ-FORMAT).
	RNAnyTitle bool
	// RNReaskTitle asks a person for a title again within the week
	// (RN-REQ-REPEAT).
	RNReaskTitle bool
	// RNCooldown24h keeps the cooldown of 24 hours per token that Meta
	// doubled to 48 on 2025-09-01 (RN-TOKEN-COOLDOWN).
	RNCooldown24h bool
	// RNIgnoreStop ignores the notification_messages_status webhooks, so it
	// notifies a person who stopped the notifications (RN-TOKEN-STOPPED).
	RNIgnoreStop bool
	// RNKeepExpired ignores token_expiry_timestamp and uses a token after
	// it expired (RN-TOKEN-VALID).
	RNKeepExpired bool
	// RNAfterDeprecation keeps using recurring notifications after their
	// deprecation on 2026-02-10 (RN-ERA).
	RNAfterDeprecation bool
	// IgnoreNotify answers otn.notify 200 and does nothing: it breaks the
	// trigger contract, not a rule of the catalogue.
	IgnoreNotify bool
	// SendAfterAnswer is no mistake: it answers each webhook and trigger
	// as soon as it has checked it (Meta's advice), then acts on it a few
	// milliseconds later, in order, making its Send API calls after the
	// answer. It breaks no rule; a harness that stops listening when the
	// bot answers misses its calls.
	SendAfterAnswer bool
}

const (
	window   = 24 * time.Hour
	idle     = 5 * time.Minute
	lifetime = 365 * 24 * time.Hour
	maxBody  = 1 << 20
	maxTitle = 65
	// perDay is how many OTN requests one subscriber gets in 24 hours at most.
	perDay = 3
	// codeRegion is Meta's permission error for OTN in an affected thread
	// (and, with another message, for a page without the OTN feature).
	codeRegion = 10
	// codeAway is Meta's "this person isn't available right now".
	codeAway = 551
	// codeParam and subcodeNoUser are Meta's "No matching user found": a
	// PSID the page does not know, as those of earlier scenarios are.
	codeParam, subcodeNoUser = 100, 2018001

	// staleAccessToken is the StaleAccessToken fault's page access token.
	staleAccessToken = "EAAGotnsimStalePageAccessTokenFromLastYear"
	// badTag is the BadTag fault's message tag, one Meta never had.
	badTag = "PROMOTION"
	// tokenColumn is how much of a token the WrongToken fault keeps.
	tokenColumn = 32
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
	notified   bool        // NoReopen: a token notification went out since the last opt-in
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
	seen   map[string]bool      // webhook bodies already processed
	rn     map[string]*rnPerson // recurring notifications (recurring.go)

	later     sync.Once   // SendAfterAnswer: starts the worker
	jobs      chan func() // SendAfterAnswer: requests answered, to act on in order
	delaySeed uint64
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
func Main(f Faults) { MainAt(f, os.Getenv("OTNSIM_GRAPH_URL")) }

// MainAt is Main with the Graph API at graphURL whatever the environment
// says, as in a bot that hard-codes it.
func MainAt(f Faults, graphURL string) {
	b := New(f, Config{
		GraphURL:    graphURL,
		AccessToken: os.Getenv("OTNSIM_PAGE_ACCESS_TOKEN"),
		AppSecret:   os.Getenv("OTNSIM_APP_SECRET"),
		VerifyToken: os.Getenv("OTNSIM_VERIFY_TOKEN"),
	})
	addr := "127.0.0.1:" + os.Getenv("PORT")
	log.Printf("minibot listening on %s (faults %+v)", addr, f)
	log.Fatal(http.ListenAndServe(addr, b))
}

func (b *bot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if b.faults.SendAfterAnswer && r.Method == http.MethodPost && (r.URL.Path == "/webhook" || r.URL.Path == "/otnsim/trigger") {
		b.answerFirst(w, r)
		return
	}
	b.serve(w, r)
}

// serve handles one request to the bot's routes.
func (b *bot) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/webhook" && r.Method == http.MethodGet:
		q := r.URL.Query()
		if q.Get("hub.mode") != "subscribe" || !b.faults.AnyVerifyToken && (b.verify == "" || q.Get("hub.verify_token") != b.verify) {
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

// answerFirst is SendAfterAnswer: it checks the request as the bot's
// handler would and answers it at once; a request it accepts is then
// handled for real, after a delay of 1 to 5 ms, by a worker that takes the
// requests in the order they came (its answer is dropped).
func (b *bot) answerFirst(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	status, answer := http.StatusOK, "EVENT_RECEIVED"
	if r.URL.Path == "/otnsim/trigger" {
		answer = `{"ok":true}`
	}
	switch {
	case err != nil || len(body) > maxBody:
		status, answer = http.StatusRequestEntityTooLarge, "too large"
	case r.URL.Path == "/webhook" && !b.faults.SkipSignature && !b.signed(body, r.Header):
		status, answer = http.StatusForbidden, "bad signature"
	case r.URL.Path == "/webhook" && !json.Valid(body):
		status, answer = http.StatusBadRequest, "bad json"
	case r.URL.Path == "/otnsim/trigger" && !validTrigger(body):
		status, answer = http.StatusBadRequest, "bad trigger"
	}
	if status != http.StatusOK {
		http.Error(w, answer, status)
		return
	}
	b.later.Do(func() {
		b.jobs = make(chan func(), 1024)
		go func() {
			for job := range b.jobs {
				job()
			}
		}()
	})
	b.mu.Lock()
	b.delaySeed = b.delaySeed*6364136223846793005 + 1442695040888963407
	delay := time.Millisecond + time.Duration(b.delaySeed>>33%4000)*time.Microsecond
	b.mu.Unlock()
	req := httptest.NewRequest(http.MethodPost, r.URL.RequestURI(), bytes.NewReader(body))
	req.Header = r.Header.Clone()
	b.jobs <- func() {
		time.Sleep(delay)
		b.serve(httptest.NewRecorder(), req)
	}
	_, _ = io.WriteString(w, answer)
}

// validTrigger reports whether the trigger handler would take body.
func validTrigger(body []byte) bool {
	var t struct {
		Trigger string `json:"trigger"`
		Now     string `json:"now"`
	}
	if json.Unmarshal(body, &t) != nil {
		return false
	}
	if _, err := time.Parse(time.RFC3339Nano, t.Now); err != nil {
		return false
	}
	switch t.Trigger {
	case "otn.request", "otn.notify", "broadcast", "tick", "recurring.request", "recurring.notify":
		return true
	}
	return false
}

// signed reports whether h signs body with the app secret.
func (b *bot) signed(body []byte, h http.Header) bool {
	if b.faults.SHA1Only {
		m := hmac.New(sha1.New, []byte(b.secret))
		m.Write(body)
		return hmac.Equal([]byte(h.Get("X-Hub-Signature")), []byte("sha1="+hex.EncodeToString(m.Sum(nil))))
	}
	if b.faults.ReserialisedHMAC {
		body = reserialise(body)
	}
	m := hmac.New(sha256.New, []byte(b.secret))
	m.Write(body)
	want, got := "sha256="+hex.EncodeToString(m.Sum(nil)), h.Get("X-Hub-Signature-256")
	if b.faults.PrefixSignature {
		return got != "" && strings.HasPrefix(want, got)
	}
	return hmac.Equal([]byte(got), []byte(want))
}

// reserialise is the ReserialisedHMAC fault: body parsed and serialised
// again with json.Marshal, value by value, in the keys' order. Strings come
// back unescaped (\u00e9 becomes é); what cannot be parsed is left as is.
func reserialise(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type level struct {
		object bool
		n      int // keys and values so far
	}
	var out bytes.Buffer
	var open []level
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out.Bytes()
		}
		if err != nil {
			return body
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			open = open[:len(open)-1]
			out.WriteByte(byte(d))
			continue
		}
		if n := len(open); n > 0 {
			l := &open[n-1]
			switch {
			case l.object && l.n%2 == 1:
				out.WriteByte(':')
			case l.n > 0:
				out.WriteByte(',')
			}
			l.n++
		}
		switch v := tok.(type) {
		case json.Delim:
			out.WriteByte(byte(v))
			open = append(open, level{object: v == '{'})
		case json.Number:
			out.WriteString(v.String())
		default:
			j, _ := json.Marshal(v)
			out.Write(j)
		}
	}
}

func (b *bot) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		return
	}
	if !b.faults.SkipSignature && !b.signed(body, r.Header) {
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
					// recurring notifications
					RNToken string `json:"notification_messages_token"`
					Expiry  int64  `json:"token_expiry_timestamp"`
					Status  string `json:"notification_messages_status"`
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
	if b.seen[string(sum[:])] && !b.faults.NoDedupe {
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
			case m.Optin != nil && m.Optin.Type == "notification_messages":
				b.rnOptinLocked(m.Sender.ID, m.Optin.Payload, m.Optin.RNToken, m.Optin.Status, m.Optin.Expiry)
			case m.Optin != nil && m.Optin.Type == "one_time_notif_req" && m.Optin.Token != "":
				topic, value := m.Optin.Payload, m.Optin.Token
				if b.faults.LatestTokenOnly {
					for other := range p.tokens {
						if other != topic {
							delete(p.tokens, other)
						}
					}
				}
				if b.faults.WrongToken && len(value) > tokenColumn {
					value = value[:tokenColumn]
				}
				p.tokens[topic] = append(p.tokens[topic], token{value, at})
				p.notified = false
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

// windowOpenLocked says whether p's 24-hour window is open at now; message
// says whether a normal message depends on the answer (an OTN request does
// not). A time ahead of now belongs to an earlier scenario that ran later in
// virtual time.
func (b *bot) windowOpenLocked(p *person, message bool) bool {
	if p.lastActive.IsZero() || b.now.Before(p.lastActive) || b.faults.NoReopen && p.notified {
		return false
	}
	end := p.lastActive.Add(window)
	if message && b.faults.WindowAt24h {
		return !b.now.After(end)
	}
	return b.now.Before(end)
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
		if b.faults.IgnoreNotify {
			break
		}
		for _, psid := range b.sortedLocked() {
			if p := b.people[psid]; p != nil && len(p.tokens[b.tokenTopicLocked(p, t.Data.Topic)]) > 0 {
				b.notifyLocked(psid, t.Data.Topic, t.Data.Text)
			}
		}
	case "recurring.request":
		b.rnRequestLocked(t.Data.PSID, t.Data.Topic, t.Data.Title)
	case "recurring.notify":
		b.rnNotifyLocked(t.Data.Topic, t.Data.Text)
	case "broadcast":
		b.broadcastLocked(t.Data.Text)
	case "tick":
		for _, psid := range b.sortedLocked() {
			p := b.people[psid]
			if p == nil {
				continue
			}
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

// broadcastLocked sends text to every subscriber whose window is open.
func (b *bot) broadcastLocked(text string) {
	var audience []string
	for _, psid := range b.sortedLocked() {
		p := b.people[psid]
		switch {
		case p.away:
		case b.faults.PromoteOutsideWindow || b.windowOpenLocked(p, true):
			audience = append(audience, psid)
		case b.faults.BadTag && !p.lastActive.IsZero() && !b.now.Before(p.lastActive):
			b.sent(psid, b.send(map[string]any{"recipient": map[string]string{"id": psid}, "messaging_type": "MESSAGE_TAG", "tag": badTag,
				"message": map[string]string{"text": text}}))
		}
	}
	reachable := func(psid string) bool { p := b.people[psid]; return p != nil && !p.away }
	for _, psid := range audience {
		if b.faults.BurstBroadcast && reachable(psid) {
			for _, q := range audience { // the bug: meant psid alone
				if reachable(q) {
					b.sent(q, b.send(map[string]any{"recipient": map[string]string{"id": q}, "sender_action": "typing_on"}))
				}
			}
		}
		if reachable(psid) {
			b.sent(psid, b.send(b.message(psid, "UPDATE", text)))
		}
	}
}

// message is a normal text message to psid.
func (b *bot) message(psid, messagingType, text string) map[string]any {
	m := map[string]any{"recipient": map[string]string{"id": psid}, "messaging_type": messagingType, "message": map[string]string{"text": text}}
	if b.faults.NoMessagingType {
		delete(m, "messaging_type")
	}
	return m
}

func (b *bot) requestLocked(psid, topic, title string) {
	p := b.personLocked(psid)
	if !b.windowOpenLocked(p, false) && !b.faults.AskOutsideWindow {
		return
	}
	if p.noOTN || p.away {
		return // Meta said OTN is unavailable in this thread, or they cannot be reached
	}
	last, asked := p.asked[topic]
	reminder := asked && b.faults.ReaskSameTopic
	gap := time.Hour // no bursts: one request per topic per hour
	if b.faults.NoDailyCap {
		gap = window
	}
	if asked && !reminder && b.now.Sub(last) < gap {
		return
	}
	recent := p.requests[:0:0]
	for _, at := range p.requests {
		if !b.now.Before(at) && b.now.Sub(at) < window {
			recent = append(recent, at)
		}
	}
	if p.requests = recent; len(recent) >= perDay && !reminder && !b.faults.NoDailyCap {
		return // and at most perDay requests a day
	}
	limit := maxTitle
	if b.faults.Title66 {
		limit++
	}
	if len([]rune(title)) > limit {
		return // Meta would refuse it: skip, never truncate
	}
	if title == "" {
		title = "Get notified"
	}
	p.asked[topic] = b.now
	p.requests = append(p.requests, b.now)
	req := map[string]any{"recipient": map[string]string{"id": psid}, "messaging_type": "RESPONSE",
		"message": map[string]any{"attachment": map[string]any{"type": "template", "payload": map[string]string{
			"template_type": "one_time_notif_req", "title": title, "payload": topic}}}}
	no := b.send(req)
	if no.code == codeRegion && b.faults.RetryPermission && !strings.Contains(strings.ToLower(no.message), "region") {
		no = b.send(req) // not the region rules: perhaps a passing glitch
	}
	if no.code == codeRegion && !b.faults.ForgetRegion {
		p.noOTN = true
	}
	b.sent(psid, no)
}

// sent notes what a refusal says about the subscriber psid. One Meta does
// not know is forgotten.
func (b *bot) sent(psid string, no refusal) {
	p := b.people[psid]
	switch {
	case p == nil:
	case no.code == codeAway && !b.faults.SendAfter551:
		p.away = true
	case no.code == codeParam && no.subcode == subcodeNoUser:
		delete(b.people, psid)
	}
}

// tokenTopicLocked is the topic whose tokens a notification of topic spends.
func (b *bot) tokenTopicLocked(p *person, topic string) string {
	if len(p.tokens[topic]) > 0 || !b.faults.TopicFallback {
		return topic
	}
	others := make([]string, 0, len(p.tokens))
	for other := range p.tokens {
		others = append(others, other)
	}
	sort.Strings(others)
	for _, other := range others {
		if len(p.tokens[other]) > 0 && strings.EqualFold(other, topic) {
			return other
		}
	}
	return topic
}

// expired says whether t can no longer be used at now.
func (b *bot) expired(t token) bool {
	end := t.issued.Add(lifetime)
	if b.faults.ExpiryOffByOne {
		return b.now.After(end)
	}
	return !b.now.Before(end)
}

// idleLocked reports whether p has been quiet long enough to be notified
// (the idle guard, as the faults bend it).
func (b *bot) idleLocked(p *person) bool {
	quiet := idle
	if b.faults.Idle4m59 {
		quiet = idle - time.Millisecond
	}
	return b.faults.IgnoreIdle || p.lastActive.IsZero() || b.now.Sub(p.lastActive) >= quiet
}

func (b *bot) notifyLocked(psid, topic, text string) {
	p := b.people[psid]
	if p == nil || p.away {
		return
	}
	if !b.idleLocked(p) {
		p.pending[topic] = text
		return
	}
	if b.windowOpenLocked(p, true) && !b.faults.InWindowSpend {
		b.sent(psid, b.send(b.message(psid, "UPDATE", text)))
		return
	}
	key := b.tokenTopicLocked(p, topic)
	toks := p.tokens[key]
	for len(toks) > 0 && b.expired(toks[0]) {
		toks = toks[1:] // expired: drop, never use
	}
	if len(toks) == 0 {
		p.tokens[key] = toks
		return
	}
	t := toks[0]
	if !b.faults.ReuseTokens {
		toks = toks[1:]
	}
	p.tokens[key] = toks
	to := map[string]string{"one_time_notif_token": t.value}
	no := b.send(map[string]any{"recipient": to, "message": map[string]string{"text": text}})
	if no.code == 0 && b.faults.NoReopen {
		p.notified = true
	}
	b.sent(psid, no)
	if b.faults.TextPlusImage {
		b.sent(psid, b.send(map[string]any{"recipient": to, "message": map[string]any{"attachment": map[string]any{"type": "image",
			"payload": map[string]any{"url": "https://shop.example/images/" + url.PathEscape(key) + ".jpg", "is_reusable": true}}}}))
	}
}

// refusal is what a refused Send API call says; the zero refusal means
// the call went through.
type refusal struct {
	code    int // the Graph error code, -1 when the call failed in transit
	subcode int
	message string
}

// send posts one Send API call; refusals are logged and dropped.
func (b *bot) send(msg map[string]any) refusal {
	body, _ := json.Marshal(msg)
	access := b.token
	if b.faults.StaleAccessToken {
		access = staleAccessToken
	}
	u := b.graph + "/v19.0/me/messages?access_token=" + url.QueryEscape(access)
	resp, err := http.Post(u, "application/json", bytes.NewReader(body))
	if err != nil {
		b.logf("send: %v", err)
		return refusal{code: -1, message: err.Error()}
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		return refusal{}
	}
	b.logf("send refused: HTTP %d %s", resp.StatusCode, answer)
	var e struct {
		Error struct {
			Code    int    `json:"code"`
			Subcode int    `json:"error_subcode"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(answer, &e) != nil || e.Error.Code == 0 {
		e.Error.Code = -1
	}
	return refusal{code: e.Error.Code, subcode: e.Error.Subcode, message: e.Error.Message}
}

// Named returns every fault by its name (as the faulty command takes it),
// with the rule it breaks in a comment.
func Named() map[string]Faults {
	return map[string]Faults{
		// The faults that also have a command of their own.
		"reuse-tokens":         {ReuseTokens: true},          // OTN-TOKEN-ONCE
		"promo-outside-window": {PromoteOutsideWindow: true}, // WIN-24H
		"skip-signature":       {SkipSignature: true},        // HOOK-SIGNATURE
		"ask-outside-window":   {AskOutsideWindow: true},     // OTN-REQ-WINDOW
		"ignore-idle":          {IgnoreIdle: true},           // OTN-IDLE

		"in-window-spend":    {InWindowSpend: true},    // OTN-IN-WINDOW-KEEP
		"window-at-24h":      {WindowAt24h: true},      // WIN-24H
		"expiry-off-by-one":  {ExpiryOffByOne: true},   // OTN-TOKEN-EXPIRY
		"idle-4m59":          {Idle4m59: true},         // OTN-IDLE
		"title-66":           {Title66: true},          // OTN-REQ-FORMAT
		"send-after-551":     {SendAfter551: true},     // USER-AVAILABLE
		"text-plus-image":    {TextPlusImage: true},    // OTN-CONTENT
		"topic-fallback":     {TopicFallback: true},    // OTN-TOPIC-MATCH
		"no-dedupe":          {NoDedupe: true},         // HOOK-REPLAY
		"sha1-only":          {SHA1Only: true},         // HOOK-SIGNATURE
		"reserialised-hmac":  {ReserialisedHMAC: true}, // HOOK-SIGNATURE
		"prefix-signature":   {PrefixSignature: true},  // HOOK-SIGNATURE
		"any-verify-token":   {AnyVerifyToken: true},   // HOOK-VERIFY
		"no-daily-cap":       {NoDailyCap: true},       // OTN-REQ-THROTTLE
		"reask-same-topic":   {ReaskSameTopic: true},   // OTN-REQ-SPAM
		"forget-region":      {ForgetRegion: true},     // OTN-REGION
		"retry-permission":   {RetryPermission: true},  // OTN-FEATURE
		"latest-token-only":  {LatestTokenOnly: true},  // OTN-MULTI
		"no-reopen":          {NoReopen: true},         // WIN-REOPEN
		"no-messaging-type":  {NoMessagingType: true},  // SEND-FORMAT
		"stale-access-token": {StaleAccessToken: true}, // SEND-AUTH
		"burst-broadcast":    {BurstBroadcast: true},   // SEND-RATE
		"bad-tag":            {BadTag: true},           // WIN-TAG
		"ignore-notify":      {IgnoreNotify: true},     // the trigger contract only

		"rn-ask-outside-window": {RNAskOutsideWindow: true}, // RN-REQ-WINDOW
		"rn-any-title":          {RNAnyTitle: true},         // RN-REQ-FORMAT
		"rn-reask-title":        {RNReaskTitle: true},       // RN-REQ-REPEAT
		"rn-cooldown-24h":       {RNCooldown24h: true},      // RN-TOKEN-COOLDOWN
		"rn-ignore-stop":        {RNIgnoreStop: true},       // RN-TOKEN-STOPPED
		"rn-keep-expired":       {RNKeepExpired: true},      // RN-TOKEN-VALID
		"rn-after-deprecation":  {RNAfterDeprecation: true}, // RN-ERA
		"wrong-token":           {WrongToken: true},         // OTN-TOKEN-SCOPE
		"send-after-answer":     {SendAfterAnswer: true},    // no rule: it answers first and sends afterwards
	}
}
