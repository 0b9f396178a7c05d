package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/otnsim/otnsim/rules"
)

// needs skips the spec, saying why, when tool is not installed.
func needs(tool string) {
	if _, err := exec.LookPath(tool); err != nil {
		Skip(tool + " is not installed: the " + tool + " bot that hard-codes the Graph API is not checked")
	}
}

// Bots that know only https://graph.facebook.com, in three runtimes, each
// judged unmodified through --intercept.
var _ = Describe("--intercept", func() {
	allPass := func() string {
		return fmt.Sprintf(`ok: %d rules passed, 0 failed, 0 not exercised`, len(rules.All()))
	}

	It("passes a Node bot (fetch) that hard-codes the Graph API, and names it without --intercept", func() {
		needs("node")
		bot := "node ../../examples/node-bot/hardcoded-bot.js"
		code, out, errOut := otnsim("check", "--intercept", "--bot-cmd", bot, "--settle", "0")
		Expect(code).To(Equal(0), out+errOut)
		Expect(out).To(ContainSubstring(allPass()))

		code, out, errOut = otnsim("check", "--bot-cmd", "BOT_HTTP_CLIENT=https "+bot, "--settle", "0")
		Expect(code).To(Equal(2), out+errOut)
		Expect(errOut).To(ContainSubstring("the bot cannot reach fakegraph: it called the real Graph API (CONNECT graph.facebook.com:443) instead of OTNSIM_GRAPH_URL"))
		Expect(errOut).To(ContainSubstring("otnsim refused the call, so nothing reached Meta"))
		Expect(errOut).To(ContainSubstring("with --intercept"))
		Expect(errOut).To(ContainSubstring("bot output (last part):\n  | node bot listening"))
	})

	It("passes a Python bot (urllib) that hard-codes the Graph API", func() {
		needs("python3")
		code, out, errOut := otnsim("check", "--intercept", "--bot-cmd", "python3 ../../examples/python-bot/hardcoded_bot.py", "--settle", "0")
		Expect(code).To(Equal(0), out+errOut)
		Expect(out).To(ContainSubstring(allPass()))
	})

	It("passes a Go bot (net/http) that hard-codes the Graph API in check, run and load, and keeps its authority in --ca-dir", func() {
		bot := buildBot("hardcoded")
		caDir := GinkgoT().TempDir() + "/ca"
		code, out, errOut := otnsim("check", "--intercept", "--ca-dir", caDir, "--bot-cmd", bot, "--settle", "0", "--bot-procs", "2")
		Expect(code).To(Equal(0), out+errOut)
		Expect(out).To(ContainSubstring(allPass()))
		st, err := os.Stat(caDir + "/ca-key.pem")
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)))

		code, out, errOut = otnsim("run", "--intercept", "--bot-cmd", bot, "--settle", "0", "embedded:compliance")
		Expect(code).To(Equal(0), out+errOut)
		Expect(out).To(MatchRegexp(`ok: \d+ passed, 0 failed`))
		code, _, errOut = otnsim("run", "--bot-cmd", bot, "--settle", "0", "embedded:compliance")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("the bot cannot reach fakegraph: it called the real Graph API"))
		code, out, errOut = otnsim("load", "--intercept", "--bot-cmd", bot, "--subscribers", "100", "--days", "2", "--settle", "1ms", "--progress", "none")
		Expect(code).To(Equal(0), out+errOut)
		Expect(out).To(MatchRegexp(`Send API calls [1-9]\d*: [1-9]\d* ok`))
	})

	It("reports a bot that never reaches fakegraph at all, with the hint", func() {
		// Its calls go to a closed loopback port: no proxy sees them.
		bot := "OTNSIM_GRAPH_URL=http://127.0.0.1:9 " + buildBot("clean")
		code, out, errOut := otnsim("check", "--bot-cmd", bot, "--settle", "0", "--run", "token-once")
		Expect(code).To(Equal(2), out+errOut)
		Expect(errOut).To(ContainSubstring("the bot made no Graph API call in the whole run"))
		Expect(errOut).To(ContainSubstring("--intercept"))
	})

	DescribeTable("usage errors exit 2",
		func(want string, args ...string) {
			code, _, errOut := otnsim(args...)
			Expect(code).To(Equal(2))
			Expect(errOut).To(ContainSubstring(want))
		},
		Entry("--ca-dir alone", "--ca-dir keeps the authority of --intercept", "check", "--bot-cmd", "true", "--ca-dir", "/tmp/x"),
		Entry("--intercept with --bot-url and no proxy address", "needs --proxy-addr", "check", "--bot-url", "http://127.0.0.1:1", "--intercept"),
		Entry("a proxy off loopback", "loopback only", "check", "--bot-cmd", "true", "--proxy-addr", "0.0.0.0:0"),
		Entry("serve --ca-dir alone", "--ca-dir keeps the authority of --intercept", "serve", "--ca-dir", "/tmp/x"),
	)

	It("serve --intercept prints the bot's environment, and its proxy reaches fakegraph", func() {
		s := startServe("--intercept", "--proxy-addr", "127.0.0.1:0")
		Eventually(s.out).Should(gbytes.Say(`export NODE_EXTRA_CA_CERTS=(\S+)`))
		text := string(s.out.Contents())
		proxyURL := regexp.MustCompile(`export HTTPS_PROXY=(\S+)`).FindStringSubmatch(text)[1]
		caFile := regexp.MustCompile(`export NODE_EXTRA_CA_CERTS=(\S+)`).FindStringSubmatch(text)[1]
		Expect(text).To(ContainSubstring("export SSL_CERT_FILE="))
		pem, err := os.ReadFile(caFile)
		Expect(err).NotTo(HaveOccurred())
		roots := x509.NewCertPool()
		Expect(roots.AppendCertsFromPEM(pem)).To(BeTrue())
		pu, err := url.Parse(proxyURL)
		Expect(err).NotTo(HaveOccurred())
		c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: roots}}}
		// A Send API call without an access token: fakegraph's own refusal
		// (190, Graph-shaped) proves the proxy reached it. The control API is
		// not reachable under a Graph host name (it answers its loopback
		// address only), which the second call shows.
		resp, err := c.Post("https://graph.facebook.com/v19.0/me/messages", "application/json", strings.NewReader(`{}`))
		Expect(err).NotTo(HaveOccurred())
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusBadRequest), string(body))
		Expect(string(body)).To(And(ContainSubstring(`"code":190`), ContainSubstring(`"fbtrace_id"`)))
		resp, err = c.Get("https://graph.facebook.com/otnsim/v1/clock")
		Expect(err).NotTo(HaveOccurred())
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusForbidden), string(body))
	})
})
