package reference_test

import (
	"bytes"
	"encoding/json"
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

// FuzzTrigger posts arbitrary bodies to the reference bot's trigger
// endpoint (/otnsim/trigger): it must never panic, must answer a body that
// is not a JSON object with 400, and must answer every request with a
// status a client can read (2xx, 4xx, or 500 for a Graph failure).
func FuzzTrigger(f *testing.F) {
	f.Add([]byte(`{"trigger":"otn.request","data":{"psid":"7","topic":"t","title":"Back"}}`))
	f.Add([]byte(`{"trigger":"otn.notify","data":{"topic":"t","text":"in stock"},"now":"2026-01-05T09:00:00Z"}`))
	f.Add([]byte(`{"trigger":"broadcast","data":{"text":"hi"},"psids":["7"]}`))
	f.Add([]byte(`{"trigger":"campaign.create","data":{"campaign":{"name":"c","topic":"t","message":"m"}}}`))
	f.Add([]byte(`{"trigger":"tick","now":"9999-12-31T23:59:59Z"}`))
	f.Add([]byte(`{"trigger":"subscriber.set","data":{"psid":"7","tags":["a"]}}`))
	f.Add([]byte(`[]`))
	graph := fakegraph.New(fakegraph.Config{})
	_ = graph.AddUser(fakegraph.User{PSID: "7"})
	f.Fuzz(func(t *testing.T, body []byte) {
		bot, err := reference.New(reference.Config{
			GraphURL: fakegraph.DefaultGraphURL, PageID: graph.Page().ID, PageAccessToken: graph.Page().AccessToken,
			AppSecret: "s3cret", VerifyToken: "v", Client: &http.Client{Transport: graph.MockTransport()},
		})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/otnsim/trigger", bytes.NewReader(body))
		rec := httptest.NewRecorder()
		bot.ServeHTTP(rec, req)
		var obj map[string]json.RawMessage
		if json.Unmarshal(body, &obj) != nil && json.Valid(body) && rec.Code != http.StatusBadRequest {
			t.Fatalf("trigger answered %d for a body that is not an object: %q", rec.Code, body)
		}
		if rec.Code < 200 || (rec.Code >= 300 && rec.Code < 400) || rec.Code > 500 {
			t.Fatalf("trigger answered %d for %q", rec.Code, body)
		}
	})
}
