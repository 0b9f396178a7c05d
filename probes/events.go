package probes

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/otnsim/otnsim/platform"
)

// optinBody renders an OTN opt-in webhook delivery as Meta shapes it.
func optinBody(pageID, psid, topic, tok string, at time.Time) []byte {
	ms := at.UnixMilli()
	env := map[string]any{"object": "page", "entry": []any{map[string]any{
		"id": pageID, "time": ms, "messaging": []any{map[string]any{
			"sender": map[string]string{"id": psid}, "recipient": map[string]string{"id": pageID}, "timestamp": ms,
			"optin": map[string]string{"type": "one_time_notif_req", "payload": topic, "one_time_notif_token": tok},
		}},
	}}}
	b, _ := json.Marshal(env)
	return b
}

// signed returns the headers of a delivery signed with secret.
func signed(secret string, body []byte) http.Header {
	s256, s1 := platform.Sign(secret, body)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(platform.SignatureHeader, s256)
	h.Set(platform.LegacySignatureHeader, s1)
	return h
}

// pad grows a JSON object to size bytes with whitespace before its last brace.
func pad(body []byte, size int) []byte {
	if len(body) >= size {
		return body
	}
	out := make([]byte, 0, size)
	out = append(out, body[:len(body)-1]...)
	out = append(out, bytes.Repeat([]byte(" "), size-len(body))...)
	return append(out, body[len(body)-1])
}

// countUses counts the bot's Send API calls that used tok or were addressed to psid.
func countUses(calls []GraphCall, tok, psid string) int {
	n := 0
	for _, c := range calls {
		var req struct {
			Recipient struct {
				ID    string `json:"id"`
				Token string `json:"one_time_notif_token"`
			} `json:"recipient"`
		}
		if json.Unmarshal(c.Body, &req) != nil {
			if bytes.Contains(c.Body, []byte(tok)) {
				n++
			}
			continue
		}
		if req.Recipient.Token == tok || req.Recipient.ID == psid {
			n++
		}
	}
	return n
}
