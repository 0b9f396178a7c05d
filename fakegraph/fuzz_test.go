package fakegraph_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/sim/clock"
)

var fuzzSeeds = []string{
	`{"recipient":{"id":"111"},"messaging_type":"RESPONSE","message":{"text":"hi"}}`,
	`{"recipient":{"one_time_notif_token":"abc"},"message":{"text":"hi"}}`,
	`{"recipient":{"id":"111"},"messaging_type":"RESPONSE","message":{"attachment":{"type":"template","payload":{"template_type":"one_time_notif_req","title":"t","payload":"p"}}}}`,
	`{"recipient":{"id":"111"},"sender_action":"typing_on"}`,
	`{"recipient":{"user_ref":"x"},"message":{"text":"hi"}}`,
	`{"recipient":`, `[]`, `null`, `{"message":{"attachment":{"type":"template","payload":null}}}`,
}

// FuzzDecodeSendRequest checks that the decoder never panics and that a
// decoded request survives a JSON round trip.
func FuzzDecodeSendRequest(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add("application/json", []byte(s))
	}
	f.Add("application/x-www-form-urlencoded", []byte(`recipient={"id":"1"}&message={"text":"x"}`))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		req, err := fakegraph.DecodeSendRequest(contentType, body)
		if err != nil {
			return
		}
		if _, err := json.Marshal(req); err != nil {
			t.Fatalf("decoded request does not encode: %v", err)
		}
	})
}

// FuzzHandler sends arbitrary bodies to the Send API and checks that every
// answer is a 200 with a message id or a Graph error envelope, and that no
// token is ever consumed twice.
func FuzzHandler(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add("POST", "/v19.0/me/messages", []byte(s))
	}
	f.Add("GET", "/v19.0/me/messages", []byte(nil))
	f.Add("POST", "/otnsim/v1/clock", []byte("{}"))
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		c := clock.NewVirtual(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
		g := fakegraph.New(fakegraph.Config{Clock: c, Seed: 3})
		_ = g.AddUser(fakegraph.User{PSID: "111"})
		_, _ = g.UserMessage("111", "hi")
		req, err := http.NewRequest(method, "https://graph.facebook.com"+path+"?access_token="+fakegraph.DefaultPage().AccessToken, bytes.NewReader(body))
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		var out map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s answered non-JSON %q", method, path, rec.Body.String())
		}
		if rec.Code != 200 {
			var env struct {
				Error struct {
					Code      int    `json:"code"`
					FBTraceID string `json:"fbtrace_id"`
				} `json:"error"`
			}
			if json.Unmarshal(rec.Body.Bytes(), &env) != nil || env.Error.Code == 0 || env.Error.FBTraceID == "" {
				t.Fatalf("refusal is not a Graph error envelope: %s", rec.Body.String())
			}
		}
		for _, tok := range g.Ledger().Tokens {
			if len(tok.Rejected) > 0 && tok.State != fakegraph.TokenConsumed && tok.State != fakegraph.TokenExpired {
				t.Fatalf("token rejected while active: %+v", tok)
			}
		}
	})
}
