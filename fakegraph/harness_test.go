package fakegraph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"

	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/sim/clock"
)

var epoch = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// hook records webhook deliveries.
type hook struct {
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
	status  int
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, b)
	h.headers = append(h.headers, r.Header.Clone())
	st := h.status
	h.mu.Unlock()
	if st == 0 {
		st = 200
	}
	w.WriteHeader(st)
}

func (h *hook) last() ([]byte, http.Header) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.bodies) == 0 {
		return nil, nil
	}
	return h.bodies[len(h.bodies)-1], h.headers[len(h.headers)-1]
}

// env is one fakegraph on a virtual clock with a recording webhook.
type env struct {
	clock  *clock.Virtual
	graph  *fakegraph.Server
	hook   *hook
	client *http.Client
}

// newEnv builds an env; each option is a func(*fakegraph.Page) or a
// func(*fakegraph.Settings) applied to the defaults, or a time.Time at which
// the virtual clock starts.
func newEnv(opts ...any) *env {
	e := &env{clock: clock.NewVirtual(epoch), hook: &hook{}}
	page := fakegraph.DefaultPage()
	set := fakegraph.DefaultSettings()
	for _, o := range opts {
		switch m := o.(type) {
		case func(*fakegraph.Page):
			m(&page)
		case func(*fakegraph.Settings):
			m(&set)
		case time.Time:
			e.clock = clock.NewVirtual(m)
		default:
			panic("newEnv: unknown option")
		}
	}
	hookSrv := &http.Client{Transport: handlerRT{e.hook}}
	e.graph = fakegraph.New(fakegraph.Config{
		Page: page, Clock: e.clock, Seed: 1, Settings: set,
		Webhook: fakegraph.Webhook{URL: "http://bot.test/webhook", Client: hookSrv},
	})
	e.client = &http.Client{Transport: e.graph.MockTransport()}
	Expect(e.graph.AddUser(fakegraph.User{PSID: "111", FirstName: "Ana", Region: "US"})).To(Succeed())
	Expect(e.graph.AddUser(fakegraph.User{PSID: "222", FirstName: "Ben", Region: "US"})).To(Succeed())
	return e
}

type handlerRT struct{ h http.Handler }

func (t handlerRT) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// response is a decoded Graph answer.
type response struct {
	Status int
	Body   map[string]any
	Raw    []byte
}

func (r response) code() int {
	e, ok := r.Body["error"].(map[string]any)
	if !ok {
		return 0
	}
	return int(e["code"].(float64))
}

func (r response) subcode() int {
	e, ok := r.Body["error"].(map[string]any)
	if !ok {
		return 0
	}
	s, _ := e["error_subcode"].(float64)
	return int(s)
}

// send posts body to the Send API with the page token in the query string.
func (e *env) send(body any) response {
	return e.do(http.MethodPost, "https://graph.facebook.com/v19.0/me/messages?access_token="+fakegraph.DefaultPage().AccessToken, body)
}

func (e *env) do(method, url string, body any) response {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		Expect(err).NotTo(HaveOccurred())
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{Status: resp.StatusCode, Raw: raw}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

func text(psid, msg string) map[string]any {
	return map[string]any{"recipient": map[string]string{"id": psid}, "messaging_type": "RESPONSE", "message": map[string]string{"text": msg}}
}

func otnRequest(psid, title, payload string) map[string]any {
	return map[string]any{"recipient": map[string]string{"id": psid}, "messaging_type": "RESPONSE",
		"message": map[string]any{"attachment": map[string]any{"type": "template", "payload": map[string]string{
			"template_type": "one_time_notif_req", "title": title, "payload": payload}}}}
}

func tokenSend(token, msg string) map[string]any {
	return map[string]any{"recipient": map[string]string{"one_time_notif_token": token}, "message": map[string]string{"text": msg}}
}

// optIn runs a whole request + Notify Me for psid and returns the token.
func (e *env) optIn(psid, topic string) string {
	_, err := e.graph.UserMessage(psid, "hi")
	Expect(err).NotTo(HaveOccurred())
	Expect(e.send(otnRequest(psid, "Back in stock", topic)).Status).To(Equal(200))
	tok, _, err := e.graph.NotifyMe(psid, topic)
	Expect(err).NotTo(HaveOccurred())
	return tok
}

// raw posts body as-is with the given content type and extra headers.
func (e *env) raw(method, url, contentType string, body []byte, hdr ...string) response {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.client.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{Status: resp.StatusCode, Raw: raw}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

func (r response) transient() bool {
	e, _ := r.Body["error"].(map[string]any)
	t, _ := e["is_transient"].(bool)
	return t
}

// lastCall is the latest Send API call in the ledger.
func (e *env) lastCall() fakegraph.Call {
	calls := e.graph.Ledger().Calls
	Expect(calls).NotTo(BeEmpty())
	return calls[len(calls)-1]
}

const graphBase = "https://graph.facebook.com/v19.0/"

func tokenQS() string { return "?access_token=" + fakegraph.DefaultPage().AccessToken }

func attach(psid string, att map[string]any) map[string]any {
	return map[string]any{"recipient": map[string]string{"id": psid}, "messaging_type": "RESPONSE", "message": map[string]any{"attachment": att}}
}

func itoa(n int) string { return strconv.Itoa(n) }

func e0Clock() *clock.Virtual { return clock.NewVirtual(epoch) }

func withSettings(f func(*fakegraph.Settings)) fakegraph.Settings {
	s := fakegraph.DefaultSettings()
	f(&s)
	return s
}
