package external_test

import (
	"os"
	"os/exec"
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/external"
	"github.com/otnsim/otnsim/intercept"
)

var _ = Describe("the bot's proxy", func() {
	BeforeEach(func() {
		if _, err := exec.LookPath("curl"); err != nil {
			Skip("curl is not installed: the bot's proxy is not checked from a real client here")
		}
	})
	call := `curl -sS https://graph.facebook.com/v19.0/me/messages -d '{}'; echo; echo "options=$NODE_OPTIONS"; exec `

	It("stops a bot that calls the real Graph API without interception, and deletes its folder at Stop", func() {
		h, err := external.Start(external.Config{Command: call + crasher, StartTimeout: 10 * time.Second})
		Expect(err).NotTo(HaveOccurred())
		Eventually(h.Err).WithTimeout(30 * time.Second).Should(HaveOccurred())
		be := botErr(h.Err())
		Expect(be.Kind).To(Equal(external.GraphBypassed))
		Expect(be.Msg).To(ContainSubstring("the bot cannot reach fakegraph: it called the real Graph API (CONNECT graph.facebook.com:443)"))
		Expect(h.GraphCalls()).To(BeZero())
		Expect(h.ProxyURL()).To(HavePrefix("http://127.0.0.1:"))
		Eventually(h.Output).WithTimeout(30 * time.Second).Should(ContainSubstring("options="))
		m := regexp.MustCompile(`--require "([^"]+)/preload\.cjs"`).FindStringSubmatch(h.Output())
		Expect(m).To(HaveLen(2), h.Output())
		Expect(m[1]).To(BeADirectory())
		h.Stop()
		Expect(m[1]).NotTo(BeADirectory(), "the harness's own watch folder goes with it")
	})

	It("routes the real Graph API to fakegraph with an intercepting session", func() {
		s, err := intercept.Open(intercept.Config{Intercept: true})
		Expect(err).NotTo(HaveOccurred())
		defer s.Close()
		h, err := external.Start(external.Config{Command: call + crasher, StartTimeout: 10 * time.Second, Intercept: s})
		Expect(err).NotTo(HaveOccurred())
		defer h.Stop()
		Eventually(h.GraphCalls).WithTimeout(30 * time.Second).Should(Equal(1))
		Eventually(h.Output).WithTimeout(30*time.Second).Should(ContainSubstring("no simulation is running"), "fakegraph's answer between worlds")
		Expect(h.Err()).NotTo(HaveOccurred())
		refs, n := h.Refusals()
		Expect(refs).To(BeEmpty())
		Expect(n).To(BeZero())
		Expect(s.Dir()).To(BeADirectory())
		_, err = os.Stat(s.KeyFile())
		Expect(err).NotTo(HaveOccurred())
	})
})
