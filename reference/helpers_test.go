package reference_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/platform"
	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/sim"
	"github.com/otnsim/otnsim/sim/clock"
)

// ms is one millisecond, the resolution of boundary checks.
const ms = time.Millisecond

// newBotWorld wires the reference bot configured by setup into a fresh
// world with the given subscribers (by alias).
func newBotWorld(setup reference.Setup, aliases ...string) (*sim.World, *reference.Bot, []*sim.Subscriber) {
	var bot *reference.Bot
	w, err := sim.NewWorld(sim.Options{Seed: 9, Bot: func(env sim.BotEnv) (http.Handler, error) {
		var err error
		bot, err = reference.New(reference.Config{
			GraphURL: env.GraphURL, PageID: env.PageID, PageAccessToken: env.PageAccessToken,
			AppSecret: env.AppSecret, VerifyToken: env.VerifyToken, Client: env.Client, Clock: env.Clock,
			Setup: setup,
		})
		return bot, err
	}})
	Expect(err).NotTo(HaveOccurred())
	var subs []*sim.Subscriber
	for _, a := range aliases {
		s, err := w.AddSubscriber(sim.SubscriberSpec{Alias: a, Region: "US"})
		Expect(err).NotTo(HaveOccurred())
		subs = append(subs, s)
	}
	return w, bot, subs
}

// calls counts s's successful Send API calls of a kind and recipient kind ("" = any).
func calls(w *sim.World, s *sim.Subscriber, kind fakegraph.CallKind, rk fakegraph.RecipientKind) int {
	n := 0
	for _, c := range w.Graph.Ledger().CallsFor(s.PSID) {
		if c.OK && (kind == "" || c.Kind == kind) && (rk == "" || c.RecipientKind == rk) {
			n++
		}
	}
	return n
}

func refused(w *sim.World) []string {
	var out []string
	for _, c := range w.Graph.Ledger().Calls {
		if !c.OK {
			out = append(out, c.Describe())
		}
	}
	return out
}

func tokenStates(w *sim.World, s *sim.Subscriber, topic string) []fakegraph.TokenState {
	var out []fakegraph.TokenState
	for _, t := range w.Graph.Ledger().TokensFor(s.PSID, topic) {
		out = append(out, t.State)
	}
	return out
}

// lastTexts returns the text (or OTN title) of s's successful calls.
func texts(w *sim.World, s *sim.Subscriber) []string {
	var out []string
	for _, c := range w.Graph.Ledger().CallsFor(s.PSID) {
		if c.OK {
			out = append(out, c.Text)
		}
	}
	return out
}

// sentCall is one call the scripted Send API received.
type sentCall struct {
	Recipient struct {
		ID    string `json:"id"`
		Token string `json:"one_time_notif_token"`
	} `json:"recipient"`
	MessagingType string         `json:"messaging_type"`
	Message       map[string]any `json:"message"`
}

func (c sentCall) isRequest() bool {
	a, _ := c.Message["attachment"].(map[string]any)
	p, _ := a["payload"].(map[string]any)
	return p["template_type"] == "one_time_notif_req"
}

// reply is the scripted Send API's answer; lost drops the connection after
// the call was taken.
type reply struct {
	status int
	body   string
	lost   bool
}

func graphError(status, code, subcode int) reply {
	return reply{status: status, body: fmt.Sprintf(`{"error":{"message":"scripted","type":"OAuthException","code":%d,"error_subcode":%d,"fbtrace_id":"T"}}`, code, subcode)}
}

var okReply = reply{status: 200, body: `{"recipient_id":"p","message_id":"m_1"}`}

// scripted is a tiny Send API that records calls and answers as told, for
// refusals fakegraph cannot produce on demand.
type scripted struct {
	mu      sync.Mutex
	calls   []sentCall
	at      []time.Time
	clock   clock.Clock
	respond func(n int, c sentCall) reply
	profile string // answer to GET messenger_profile; "" = 404
}

func (s *scripted) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && s.profile != "" {
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(s.profile)), Header: http.Header{}, Request: r}, nil
	}
	if r.Method == http.MethodGet {
		return &http.Response{StatusCode: 404, Body: io.NopCloser(strings.NewReader(`{"error":{"code":100}}`)), Header: http.Header{}, Request: r}, nil
	}
	body, _ := io.ReadAll(r.Body)
	var c sentCall
	_ = json.Unmarshal(body, &c)
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.at = append(s.at, s.clock.Now())
	n := len(s.calls)
	s.mu.Unlock()
	rep := okReply
	if s.respond != nil {
		rep = s.respond(n, c)
	}
	if rep.lost {
		return nil, errors.New("connection reset after the call was taken")
	}
	return &http.Response{StatusCode: rep.status, Body: io.NopCloser(strings.NewReader(rep.body)), Header: http.Header{}, Request: r}, nil
}

func (s *scripted) sent() []sentCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sentCall(nil), s.calls...)
}

func (s *scripted) times() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.at...)
}

const secret = "s3cret"

// rig is the bot against the scripted Send API on a virtual clock; the
// test plays Meta's webhooks itself.
type rig struct {
	clk   *clock.Virtual
	graph *scripted
	bot   *reference.Bot
}

func newRig(setup reference.Setup, respond func(int, sentCall) reply) *rig {
	return newRigOn(nil, setup, respond)
}

// newRigOn is newRig with the bot's state in store (nil: a fresh memory store).
func newRigOn(store reference.Store, setup reference.Setup, respond func(int, sentCall) reply) *rig {
	clk := clock.NewVirtual(sim.DefaultStart())
	g := &scripted{clock: clk, respond: respond}
	r := &rig{clk: clk, graph: g}
	r.bot = r.startBot(store, setup)
	return r
}

// startBot starts a bot of the rig on store (nil: a fresh memory store),
// as a restart on the same database does.
func (r *rig) startBot(store reference.Store, setup reference.Setup) *reference.Bot {
	bot, err := reference.New(reference.Config{
		GraphURL: "https://graph.invalid", PageID: "1", PageAccessToken: "tok", AppSecret: secret, VerifyToken: "vt",
		Client: &http.Client{Transport: r.graph}, Clock: r.clk, Setup: setup, Store: store,
	})
	Expect(err).NotTo(HaveOccurred())
	return bot
}

var mids int

// event posts one signed webhook event from psid, stamped now.
func (r *rig) event(psid string, fields map[string]any) int {
	ev := map[string]any{"sender": map[string]string{"id": psid}, "recipient": map[string]string{"id": "1"}, "timestamp": r.clk.Now().UnixMilli()}
	for k, v := range fields {
		ev[k] = v
	}
	body, _ := json.Marshal(map[string]any{"object": "page", "entry": []any{map[string]any{"id": "1", "time": r.clk.Now().UnixMilli(), "messaging": []any{ev}}}})
	req := httptest.NewRequest("POST", "/webhook", bytes.NewReader(body))
	sig, _ := platform.Sign(secret, body)
	req.Header.Set("X-Hub-Signature-256", sig)
	rec := httptest.NewRecorder()
	r.bot.ServeHTTP(rec, req)
	return rec.Code
}

func (r *rig) say(psid, text string) {
	mids++
	Expect(r.event(psid, map[string]any{"message": map[string]any{"mid": fmt.Sprint("m", mids), "text": text}})).To(Equal(200))
}

func (r *rig) optin(psid, topic, token string) {
	Expect(r.event(psid, map[string]any{"optin": map[string]any{"type": "one_time_notif_req", "payload": topic, "one_time_notif_token": token}})).To(Equal(200))
}

func (r *rig) trigger(name string, data map[string]any) error {
	raw, _ := json.Marshal(data)
	return r.bot.Trigger(name, raw)
}

// tokenSends returns the tokens used, in order.
func (r *rig) tokenSends() []string {
	var out []string
	for _, c := range r.graph.sent() {
		if c.Recipient.Token != "" {
			out = append(out, c.Recipient.Token)
		}
	}
	return out
}

// preset is the named preset's policy.
func preset(name string) reference.Policy {
	p, err := reference.PresetPolicy(name)
	Expect(err).NotTo(HaveOccurred())
	return p
}
