package reference_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/platform"
	"github.com/otnsim/otnsim/reference"
)

// FuzzWebhook posts arbitrary, correctly signed bodies to the reference
// bot's webhook: it must never panic, and must answer 200 or a 4xx (a body it
// cannot read is the sender's fault, never a 5xx crash).
func FuzzWebhook(f *testing.F) {
	f.Add([]byte(`{"object":"page","entry":[{"id":"1","time":1,"messaging":[{"sender":{"id":"7"},"recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m1","text":"red lipstick?"}}]}]}`))
	f.Add([]byte(`{"object":"page","entry":[{"messaging":[{"sender":{"id":"7"},"timestamp":2,"optin":{"type":"one_time_notif_req","payload":"restock:red-lipstick","one_time_notif_token":"t"}}]}]}`))
	f.Add([]byte(`{"object":"page","entry":[{"messaging":[{"sender":{"id":"7"},"timestamp":3,"postback":{"mid":"p","payload":"x"}},{"sender":{"id":"7"},"reaction":{"mid":"m1","action":"react"}}]}]}`))
	f.Add([]byte(`{"object":"user"}`))
	f.Add([]byte(`[]`))
	graph := fakegraph.New(fakegraph.Config{})
	f.Fuzz(func(t *testing.T, body []byte) {
		bot, err := reference.New(reference.Config{
			GraphURL: fakegraph.DefaultGraphURL, PageID: graph.Page().ID, PageAccessToken: graph.Page().AccessToken,
			AppSecret: "s3cret", VerifyToken: "v", Client: &http.Client{Transport: graph.MockTransport()},
		})
		if err != nil {
			t.Fatal(err)
		}
		sig, _ := platform.Sign("s3cret", body)
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header.Set("X-Hub-Signature-256", sig)
		rec := httptest.NewRecorder()
		bot.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && (rec.Code < 400 || rec.Code >= 500) {
			t.Fatalf("webhook answered %d for %q", rec.Code, body)
		}
	})
}
