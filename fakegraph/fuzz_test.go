package fakegraph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
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
	`{"recipient":{"id":"111"},"messaging_type":"RESPONSE","message":{"attachment":{"type":"template","payload":{"template_type":"button","text":"t","buttons":[{"type":"postback","title":"a","payload":"b"}]}}}}`,
	`{"recipient":{"id":"111"},"messaging_type":"RESPONSE","message":{"text":"q","quick_replies":[{"content_type":"text","title":"a","payload":"b"}]}}`,
	`{"recipient":{"id":"111"},"messaging_type":"MESSAGE_TAG","tag":"HUMAN_AGENT","message":{"attachment":{"type":"image","payload":{"url":"u"}}}}`,
	`{"recipient":{"notification_messages_token":"x"},"message":{"text":"hi"}}`,
	`{"kind":"graph_error","code":2}`, `{"by":"25h"}`, `{"psid":"9","region":"DE"}`,
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
// answer is a 200 with JSON (Prometheus text on /metrics) or a Graph error
// envelope, and that no token is ever consumed twice.
func FuzzHandler(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add("POST", "/v19.0/me/messages", "application/json", []byte(s))
	}
	f.Add("GET", "/v19.0/me/messages", "", []byte(nil))
	f.Add("POST", "/otnsim/v1/clock", "", []byte("{}"))
	f.Add("POST", "/otnsim/v1/clock/advance", "application/json", []byte(`{"by":"25h"}`))
	f.Add("POST", "/otnsim/v1/faults", "application/json", []byte(`{"kind":"drop"}`))
	f.Add("POST", "/otnsim/v1/faults", "application/json", []byte(`{"kind":"lost_response","psid":"111"}`))
	f.Add("POST", "/otnsim/v1/users", "application/json", []byte(`{"psid":"5"}`))
	f.Add("POST", "/otnsim/v1/users/111/notify-me", "application/json", []byte(`{"payload":"t"}`))
	f.Add("POST", "/v19.0/me/subscribed_apps", "application/x-www-form-urlencoded", []byte(`subscribed_fields=messages`))
	f.Add("GET", "/v19.0/111", "", []byte(nil))
	f.Add("PATCH", "/otnsim/v1/settings", "application/json", []byte(`{"webhook":{"timeout":"1s"},"token_length":16}`))
	f.Add("GET", "/otnsim/v1/", "", []byte(nil))
	f.Add("GET", "/healthz", "", []byte(nil))
	f.Add("GET", "/metrics", "", []byte(nil))
	f.Add("GET", "/v19.0/me/messenger_profile", "", []byte(nil))
	f.Add("POST", "/v2.6/1000000000001/messages", "multipart/form-data; boundary=X", []byte("--X\r\nContent-Disposition: form-data; name=\"recipient\"\r\n\r\n{\"id\":\"111\"}\r\n--X--\r\n"))
	f.Add("POST", "/v19.0/me/messages", "application/x-www-form-urlencoded", []byte(`recipient={"id":"111"}&messaging_type=RESPONSE&message={"text":"x"}`))
	f.Fuzz(func(t *testing.T, method, path, contentType string, body []byte) {
		c := clock.NewVirtual(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
		g := fakegraph.New(fakegraph.Config{Clock: c, Seed: 3})
		_ = g.AddUser(fakegraph.User{PSID: "111"})
		_, _ = g.UserMessage("111", "hi")
		_, _ = g.Send(&fakegraph.SendRequest{Recipient: fakegraph.Recipient{ID: "111"}, MessagingType: "RESPONSE",
			Message: &fakegraph.Message{Attachment: &fakegraph.Attachment{Type: "template", Payload: []byte(`{"template_type":"one_time_notif_req","title":"T","payload":"t"}`)}}})
		tok, _, _ := g.NotifyMe("111", "t")
		req, err := http.NewRequest(method, "https://graph.facebook.com"+path+"?access_token="+fakegraph.DefaultPage().AccessToken, bytes.NewReader(body))
		if err != nil {
			return
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		// Whatever the first call armed or changed, a token send after it
		// must still answer (or drop) without a panic, and spend at most once.
		follow, _ := http.NewRequest("POST", "https://graph.facebook.com/v19.0/me/messages?access_token="+fakegraph.DefaultPage().AccessToken,
			strings.NewReader(`{"recipient":{"one_time_notif_token":"`+tok+`"},"message":{"text":"x"}}`))
		// A latency fault would wait on the virtual clock forever: the
		// follow-up's context is already cancelled so it gives up at once.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, _ = g.Respond(follow.WithContext(ctx))
		consumed := 0
		for _, c := range g.Ledger().Calls {
			if c.OK && c.TokenSeq == 1 {
				consumed++
			}
		}
		if consumed > 1 {
			t.Fatalf("token spent %d times", consumed)
		}
		if rec.Code == 200 && strings.Trim(req.URL.Path, "/") == "metrics" {
			return // Prometheus' text format, the one answer that is not JSON
		}
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

// controlCalls are the control API calls that take a body, for
// FuzzControl: the fuzzer picks one by index.
var controlCalls = []struct{ method, path string }{
	{"POST", "clock/advance"}, {"POST", "users"}, {"POST", "faults"}, {"PATCH", "settings"},
	{"POST", "users/111/message"}, {"POST", "users/111/postback"}, {"POST", "users/111/quick-reply"},
	{"POST", "users/111/notify-me"}, {"POST", "users/111/react"}, {"POST", "users/111/referral"},
	{"POST", "users/111/recurring-opt-in"}, {"POST", "users/111/recurring-stop"}, {"POST", "reset"},
}

// FuzzControl sends arbitrary bodies to the control API's calls, twice
// over, and checks that every answer is JSON with a status between 200 and
// 599 (an error one a Graph envelope), and that the clock, the ledger and
// the armed faults can still be read afterwards (issue 17: a fault status
// of 1000 panicked the handler; a clock past year 9999 made the ledger
// answer an empty 200).
func FuzzControl(f *testing.F) {
	f.Add(uint8(0), []byte(`{"by":"292y292y1y"}`), uint8(0), []byte(`{"to":"9999-12-31T00:00:00Z"}`))
	f.Add(uint8(2), []byte(`{"kind":"graph_error","code":2,"status":1000}`), uint8(4), []byte(`{"text":"hi"}`))
	f.Add(uint8(2), []byte(`{"kind":"http_5xx","status":101}`), uint8(7), []byte(`{"payload":"t"}`))
	f.Add(uint8(2), []byte(`{"kind":"latency","latency":"1y"}`), uint8(0), []byte(`{"by":"2y"}`))
	f.Add(uint8(3), []byte(`{"webhook":{"timeout":"1s"},"token_length":8}`), uint8(12), []byte(nil))
	f.Add(uint8(1), []byte(`{"psid":"9","region":"de","timezone":1e308}`), uint8(9), []byte(`{"source":"ADS","ad_id":"1"}`))
	f.Fuzz(func(t *testing.T, first uint8, body1 []byte, second uint8, body2 []byte) {
		g := fakegraph.New(fakegraph.Config{Clock: clock.NewVirtual(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)), Seed: 3})
		_ = g.AddUser(fakegraph.User{PSID: "111"})
		do := func(method, path string, body []byte) *httptest.ResponseRecorder {
			req := httptest.NewRequest(method, "https://graph.facebook.com/otnsim/v1/"+path, bytes.NewReader(body))
			// A latency fault armed by the first call must not wait forever.
			ctx, cancel := context.WithCancel(req.Context())
			cancel()
			rec := httptest.NewRecorder()
			g.ServeHTTP(rec, req.WithContext(ctx))
			if rec.Code < 200 || rec.Code > 599 {
				t.Fatalf("%s %s answered %d", method, path, rec.Code)
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s %s answered %d with non-JSON %q", method, path, rec.Code, rec.Body.String())
			}
			if rec.Code >= 400 && !bytes.Contains(rec.Body.Bytes(), []byte(`"fbtrace_id"`)) {
				t.Fatalf("%s %s refused without a Graph envelope: %s", method, path, rec.Body.String())
			}
			return rec
		}
		for _, c := range []struct {
			i    uint8
			body []byte
		}{{first, body1}, {second, body2}} {
			call := controlCalls[int(c.i)%len(controlCalls)]
			do(call.method, call.path, c.body)
		}
		for _, path := range []string{"clock", "ledger", "faults", "settings", "assumptions", ""} {
			if rec := do("GET", path, nil); rec.Code != 200 {
				t.Fatalf("GET %s answered %d after the calls: %s", path, rec.Code, rec.Body.String())
			}
		}
	})
}
