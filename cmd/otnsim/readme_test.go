package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
)

// readmeBlock returns the shell block of README.md that follows marker.
func readmeBlock(marker string) string {
	raw, err := os.ReadFile("../../README.md")
	Expect(err).NotTo(HaveOccurred())
	_, rest, ok := strings.Cut(string(raw), marker)
	Expect(ok).To(BeTrue(), "README.md has no %q", marker)
	_, rest, ok = strings.Cut(rest, "```sh\n")
	Expect(ok).To(BeTrue())
	block, _, ok := strings.Cut(rest, "```")
	Expect(ok).To(BeTrue())
	return block
}

var _ = Describe("the README's recurring notifications walk-through", func() {
	It("runs as written against otnsim serve: request, opt-in, token send, cooldown refusal, stop, and a settings change", func() {
		for _, tool := range []string{"bash", "curl", "openssl", "sed", "grep"} {
			if _, err := exec.LookPath(tool); err != nil {
				Skip("the walk-through needs " + tool)
			}
		}
		block := readmeBlock("<!-- cmd/otnsim/readme_test.go runs the next block -->")
		lines := strings.Split(block, "\n")
		Expect(lines[0]).To(HavePrefix("otnsim serve --start 2026-01-05T09:00:00Z &"))
		s := startServe("--start", "2026-01-05T09:00:00Z")
		Eventually(s.out).Should(gbytes.Say(`listening on`))
		script := strings.Replace(strings.Join(lines[1:], "\n"), "G=http://127.0.0.1:8787", "G="+s.base, 1)
		Expect(script).To(ContainSubstring("G=" + s.base))
		cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", script)
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		text := string(out)
		rest := text
		for _, want := range []string{
			`"locale":"fr_FR"`,
			`"zone":"Europe/Paris"`,
			`"recipient_id":"222"`,
			`"now":"2026-01-08T09:00:00Z"`,
			`"message_id"`,
			`"code":4,"error_subcode":2018354`,
			`"user_token_status":"NOT_REFRESHED"`,
			`"now":"2026-01-10T09:00:00Z"`,
			`"code":10,"error_subcode":1893015`,
			`"require_appsecret_proof":true`,
			`require an appsecret_proof argument`,
			`"recipient_id":"222"`,
			`"recurring_tokens":[`,
		} {
			i := strings.Index(rest, want)
			Expect(i).To(BeNumerically(">=", 0), "expected %s, in order, in:\n%s", want, text)
			rest = rest[i+len(want):]
		}
		Expect(rest).To(ContainSubstring(`"state":"stopped"`))
		Expect(regexp.MustCompile(`"sends":\["[^"]+"\]`).MatchString(rest)).To(BeTrue(), rest)
		Expect(strings.Count(rest, `"reason":`)).To(Equal(2), rest)
	})
})

var _ = Describe("otnsim serve's verification handshake", func() {
	It("subscribes the webhook on start, prints the outcome and records it in the ledger", func() {
		bot := &handshaker{verify: "otnsim-verify-token"}
		hook := httptest.NewServer(bot)
		defer hook.Close()
		s := startServe("--webhook", hook.URL+"/webhook")
		Eventually(s.out).Should(gbytes.Say(`handshake:   verified: the webhook echoed the challenge`))
		st, body := s.call("GET", "/otnsim/v1/ledger", "")
		Expect(st).To(Equal(200))
		Expect(fmt.Sprint(body["events"])).To(ContainSubstring("verified (200 with the challenge)"))
		bot.verify = "another"
		st, body = s.call("POST", "/otnsim/v1/webhook/subscribe", "")
		Expect(st).To(Equal(200))
		Expect(body).To(HaveKeyWithValue("verified", false))
		Expect(body).To(HaveKeyWithValue("status", 403.0))
	})

	It("refuses a bad webhook rate or content mode with one line and exit 2", func() {
		var out, errOut strings.Builder
		code := serve(context.Background(), []string{"--addr", "127.0.0.1:0", "--webhook-duplicate-rate", "2"}, &out, &errOut, nil)
		Expect(code).To(Equal(2))
		Expect(errOut.String()).To(ContainSubstring("--webhook-duplicate-rate must be between 0 and 1"))
		Expect(errOut.String()).To(ContainSubstring("Run 'otnsim serve --help' for usage."))
		errOut.Reset()
		Expect(serve(context.Background(), []string{"--addr", "127.0.0.1:0", "--content", "fancy"}, &out, &errOut, nil)).To(Equal(2))
		Expect(errOut.String()).To(ContainSubstring("--content must be rich or basic"))
	})
})

// handshaker answers the verification handshake for one verify token.
type handshaker struct{ verify string }

func (h *handshaker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("hub.mode") != "subscribe" || q.Get("hub.verify_token") != h.verify {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	_, _ = w.Write([]byte(q.Get("hub.challenge")))
}
