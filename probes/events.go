package probes

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/otnsim/otnsim/internal/jsonascii"
	"github.com/otnsim/otnsim/platform"
)

// optinBody renders an OTN opt-in webhook delivery as Meta shapes it: keys
// in a fixed order, and any non-ASCII text as \uXXXX escapes. A non-empty
// title goes into the opt-in as a field the bot has no use for.
func optinBody(pageID, psid, topic, tok, title string, at time.Time) []byte {
	ms := at.UnixMilli()
	optin := map[string]string{"type": "one_time_notif_req", "payload": topic, "one_time_notif_token": tok}
	if title != "" {
		optin["title"] = title
	}
	env := map[string]any{"object": "page", "entry": []any{map[string]any{
		"id": pageID, "time": ms, "messaging": []any{map[string]any{
			"sender": map[string]string{"id": psid}, "recipient": map[string]string{"id": pageID}, "timestamp": ms,
			"optin": optin,
		}},
	}}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(env)
	return jsonascii.Escape(bytes.TrimRight(buf.Bytes(), "\n"))
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

// shortened returns a signature header value cut to its prefix and the
// first n hex digits of its digest.
func shortened(value, prefix string, n int) string {
	return value[:len(prefix)+n]
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
