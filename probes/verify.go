package probes

import (
	"fmt"
	"net/http"
	"time"

	"github.com/otnsim/otnsim/rules"
)

// verifyProbes performs the handshake with a wrong and with an empty verify
// token; the bot must not echo the challenge to either.
func verifyProbes(h Target) []Result {
	cases := []struct{ name, token, sent string }{
		{"wrong-verify-token", "not-" + h.Page().VerifyToken, "a verification handshake with the wrong verify token"},
		{"empty-verify-token", "", "a verification handshake with an empty verify token"},
	}
	var out []Result
	for i, c := range cases {
		challenge := fmt.Sprint(900000000 + i)
		status, body, err := h.Handshake(c.token, challenge, 10*time.Second)
		r := Result{Name: c.name, Rule: rules.HookVerify, Sent: c.sent}
		switch {
		case err != nil:
			r.Answer = "connection failed: " + err.Error()
			r.Verdict, r.Evidence = Pass, "the bot did not answer the handshake"
		case status == http.StatusOK && body == challenge:
			r.Answer = fmt.Sprintf("HTTP %d with the challenge", status)
			r.Verdict, r.Evidence = Fail, "the bot echoed the challenge to a handshake with a wrong verify token"
		default:
			r.Answer = fmt.Sprintf("HTTP %d", status)
			r.Verdict, r.Evidence = Pass, "refused; the challenge was not echoed"
		}
		out = append(out, r)
	}
	return out
}
