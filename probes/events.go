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
// in Meta's order (object, entry; id, time, messaging; sender, recipient,
// timestamp, optin), which is not sorted, so a bot that re-serialises the
// body with sorted keys computes another HMAC; and any non-ASCII text as
// \uXXXX escapes. A non-empty title goes into the opt-in as a field the bot
// has no use for.
func optinBody(pageID, psid, topic, tok, title string, at time.Time) []byte {
	type party struct {
		ID string `json:"id"`
	}
	type optin struct {
		Type    string `json:"type"`
		Payload string `json:"payload"`
		Token   string `json:"one_time_notif_token"`
		Title   string `json:"title,omitempty"`
	}
	type event struct {
		Sender    party `json:"sender"`
		Recipient party `json:"recipient"`
		Timestamp int64 `json:"timestamp"`
		Optin     optin `json:"optin"`
	}
	type entry struct {
		ID        string  `json:"id"`
		Time      int64   `json:"time"`
		Messaging []event `json:"messaging"`
	}
	ms := at.UnixMilli()
	env := struct {
		Object string  `json:"object"`
		Entry  []entry `json:"entry"`
	}{"page", []entry{{ID: pageID, Time: ms, Messaging: []event{{
		Sender: party{psid}, Recipient: party{pageID}, Timestamp: ms,
		Optin: optin{Type: "one_time_notif_req", Payload: topic, Token: tok, Title: title},
	}}}}}
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
