package fakegraph_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/sim/clock"
)

// BenchmarkSendWithToken measures an in-process Send API call that spends a
// one-time notification token (issuing the token is not timed).
func BenchmarkSendWithToken(b *testing.B) {
	c := clock.NewVirtual(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	g := fakegraph.New(fakegraph.Config{Clock: c, Seed: 1})
	_ = g.AddUser(fakegraph.User{PSID: "111"})
	_, _ = g.UserMessage("111", "hi")
	url := "https://graph.facebook.com/v19.0/me/messages?access_token=" + fakegraph.DefaultPage().AccessToken
	reqBody := []byte(`{"recipient":{"id":"111"},"messaging_type":"RESPONSE","message":{"attachment":{"type":"template","payload":{"template_type":"one_time_notif_req","title":"Back in stock","payload":"t"}}}}`)
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, httptest.NewRequest("POST", url, bytes.NewReader(reqBody)))
	tokens := make([]string, b.N)
	for i := range tokens {
		tok, _, err := g.NotifyMe("111", "t")
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = tok
	}
	bodies := make([][]byte, b.N)
	for i, t := range tokens {
		bodies[i] = []byte(fmt.Sprintf(`{"recipient":{"one_time_notif_token":%q},"message":{"text":"Back in stock!"}}`, t))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, url, bytes.NewReader(bodies[i])))
		if rec.Code != 200 {
			b.Fatalf("send: %d %s", rec.Code, rec.Body)
		}
	}
}
