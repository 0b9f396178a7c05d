package relay_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/relay"
	"github.com/otnsim/otnsim/sim"
	"github.com/otnsim/otnsim/sim/clock"
)

func TestRelay(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "relay")
}

// fakeBot records what reached it and answers with status.
type fakeBot struct {
	calls  []string
	status int
	fatal  error
}

func (f *fakeBot) relay() *relay.Bot {
	return &relay.Bot{
		WebhookPath: "/hooks/fb", TriggerPath: "/sim/trigger",
		Exchange: func(method, path, _ string, _ http.Header, body []byte) (int, http.Header, []byte, error) {
			f.calls = append(f.calls, method+" "+path+" "+string(body))
			return f.status, http.Header{"X-Bot": {"yes"}}, []byte("answer"), nil
		},
		Err: func() error { return f.fatal },
		Fail: func(format string, args ...any) error {
			if f.fatal == nil {
				f.fatal = fmt.Errorf(format, args...)
			}
			return f.fatal
		},
	}
}

var _ = Describe("the relay a world sees as its bot", func() {
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	env := sim.BotEnv{PageID: "1", Clock: clock.NewVirtual(start)}

	post := func(h http.Handler, path, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
		return rec
	}

	It("ticks the bot at the world's start before its first event, once, on the bot's own routes", func() {
		f := &fakeBot{status: 200}
		h := f.relay().Handler(env)
		rec := post(h, relay.WebhookPath, `{"object":"page"}`)
		Expect(rec.Code).To(Equal(200))
		Expect(rec.Header().Get("X-Bot")).To(Equal("yes"))
		Expect(rec.Body.String()).To(Equal("answer"))
		post(h, relay.WebhookPath, `{"again":1}`)
		Expect(f.calls).To(HaveLen(3))
		Expect(f.calls[0]).To(HavePrefix("POST /sim/trigger "))
		Expect(f.calls[0]).To(ContainSubstring(`"now":"2026-01-05T09:00:00Z"`))
		Expect(f.calls[1]).To(Equal(`POST /hooks/fb {"object":"page"}`))
		Expect(f.calls[2]).To(Equal(`POST /hooks/fb {"again":1}`))
	})

	It("sends no start tick when the world's first request is a trigger, which carries its own time", func() {
		f := &fakeBot{status: 200}
		post(f.relay().Handler(env), relay.TriggerPath, `{"trigger":"broadcast"}`)
		Expect(f.calls).To(Equal([]string{`POST /sim/trigger {"trigger":"broadcast"}`}))
	})

	It("makes a 5xx answer the run's fatal error and answers every later request 502", func() {
		f := &fakeBot{status: 500}
		h := f.relay().Handler(env)
		rec := post(h, relay.TriggerPath, `{}`)
		Expect(rec.Code).To(Equal(http.StatusBadGateway))
		Expect(f.fatal).To(MatchError(ContainSubstring("POST /sim/trigger answered HTTP 500: answer")))
		n := len(f.calls)
		Expect(post(h, relay.WebhookPath, `{}`).Code).To(Equal(http.StatusBadGateway))
		Expect(f.calls).To(HaveLen(n), "nothing reaches a bot that cannot be run on")
	})

	It("builds worlds' handlers only for a world that offers its fakegraph and a bot that can run", func() {
		f := &fakeBot{status: 200}
		var used http.Handler
		factory := f.relay().Factory(func(g http.Handler) { used = g })
		_, err := factory(sim.BotEnv{})
		Expect(err).To(HaveOccurred())
		graph := http.NotFoundHandler()
		_, err = factory(sim.BotEnv{Graph: graph})
		Expect(err).NotTo(HaveOccurred())
		Expect(used).NotTo(BeNil())
		f.fatal = errors.New("crashed")
		_, err = factory(sim.BotEnv{Graph: graph})
		Expect(err).To(MatchError("crashed"))
	})

	It("cuts long answers for messages", func() {
		Expect(relay.Snippet([]byte("  "))).To(Equal("(empty body)"))
		Expect(relay.Snippet([]byte(strings.Repeat("x", 300)))).To(HaveLen(203))
	})
})
