package intercept_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/intercept"
)

// envMap turns KEY=VALUE lines into a map.
func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// listening opens a session and one proxy of it, both closed after the spec.
func listening(cfg intercept.Config) (*intercept.Session, *intercept.Proxy) {
	s, err := intercept.Open(cfg)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(s.Close)
	p, err := s.Listen(intercept.Route{Graph: echoGraph})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(p.Close)
	return s, p
}

var _ = Describe("Session", func() {
	It("keeps the authority's key in the run's folder, mode 0600, and deletes it at Close", func() {
		s, err := intercept.Open(intercept.Config{Intercept: true})
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Intercepting()).To(BeTrue())
		Expect(filepath.Dir(s.KeyFile())).To(Equal(s.Dir()))
		st, err := os.Stat(s.KeyFile())
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		st, err = os.Stat(s.Dir())
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o700)))
		key, dir := s.KeyFile(), s.Dir()
		Expect(s.Close()).To(Succeed())
		Expect(key).NotTo(BeAnExistingFile())
		Expect(dir).NotTo(BeADirectory())
	})

	It("keeps the authority in --ca-dir across sessions", func() {
		dir := filepath.Join(GinkgoT().TempDir(), "ca")
		s, err := intercept.Open(intercept.Config{Intercept: true, CADir: dir})
		Expect(err).NotTo(HaveOccurred())
		first := s.Authority().CertPEM()
		Expect(s.KeyFile()).To(Equal(filepath.Join(dir, intercept.KeyFileName)))
		Expect(s.Close()).To(Succeed())
		Expect(filepath.Join(dir, intercept.KeyFileName)).To(BeAnExistingFile())
		s, err = intercept.Open(intercept.Config{Intercept: true, CADir: dir})
		Expect(err).NotTo(HaveOccurred())
		defer s.Close()
		Expect(s.Authority().CertPEM()).To(Equal(first))
	})

	It("gives the bot the proxy, loopback in NO_PROXY, the authority and the Node preload", func() {
		s, p := listening(intercept.Config{Intercept: true})
		env := envMap(s.Env(p))
		for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "OTNSIM_PROXY_URL"} {
			Expect(env).To(HaveKeyWithValue(k, p.URL()))
		}
		Expect(env).To(HaveKeyWithValue("NO_PROXY", ContainSubstring("127.0.0.1")))
		Expect(env).To(HaveKeyWithValue("NODE_USE_ENV_PROXY", "1"))
		for _, k := range []string{"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"} {
			Expect(env).To(HaveKeyWithValue(k, s.BundleFile()))
		}
		Expect(env).To(HaveKeyWithValue("NODE_EXTRA_CA_CERTS", s.CertFile()))
		Expect(env["NODE_OPTIONS"]).To(ContainSubstring(filepath.Join(s.Dir(), intercept.PreloadFileName)))
		Expect(filepath.Join(s.Dir(), intercept.PreloadFileName)).To(BeAnExistingFile())
		bundle, err := os.ReadFile(s.BundleFile())
		Expect(err).NotTo(HaveOccurred())
		Expect(string(bundle)).To(Equal(string(s.Authority().CertPEM())), "without pass-through the bundle holds the authority alone")
	})

	It("in watch mode gives the proxy without an authority", func() {
		s, p := listening(intercept.Config{})
		env := envMap(s.Env(p))
		Expect(env).To(HaveKey("HTTPS_PROXY"))
		Expect(env).To(HaveKey("NODE_OPTIONS"))
		Expect(env).NotTo(HaveKey("SSL_CERT_FILE"))
		Expect(s.CertFile()).To(BeEmpty())
		// Other hosts pass, so that the bot's start-up works as before.
		upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "up") }))
		defer upstream.Close()
		code, _, body := get(proxyClient(p, nil), upstream.URL+"/")
		Expect(code).To(Equal(http.StatusOK))
		Expect(body).To(Equal("up"))
	})

	// What README.md says of each runtime, checked: a request to the real
	// Graph URL from a program that knows nothing of otnsim reaches the
	// Graph handler, with nothing but the session's environment.
	Describe("the bot's runtimes", func() {
		var env []string
		BeforeEach(func() {
			s, p := listening(intercept.Config{Intercept: true})
			env = append(os.Environ(), s.Env(p)...)
		})
		DescribeTable("reach fakegraph unmodified",
			func(tool string, args ...string) {
				bin, err := exec.LookPath(tool)
				if err != nil {
					Skip(tool + " is not installed: its row of the README table is not checked here")
				}
				cmd := exec.Command(bin, args...)
				cmd.Env = env
				out, err := cmd.CombinedOutput()
				if strings.Contains(string(out), "No module named 'requests'") {
					Skip("Python's requests is not installed: its row of the README table is not checked here")
				}
				Expect(err).NotTo(HaveOccurred(), string(out))
				var got seen
				Expect(json.Unmarshal([]byte(lastLine(string(out))), &got)).To(Succeed(), string(out))
				Expect(got).To(Equal(seen{Host: "graph.facebook.com", Path: "/v19.0/me/messages", TLS: true}))
			},
			Entry("Node fetch", "node", "-e", `fetch("https://graph.facebook.com/v19.0/me/messages").then(r => r.text()).then(t => console.log(t.trim()))`),
			Entry("Node https", "node", "-e", `require("https").get("https://graph.facebook.com/v19.0/me/messages", r => { let b = ""; r.on("data", d => b += d); r.on("end", () => console.log(b.trim())); })`),
			Entry("Python urllib", "python3", "-c", `import urllib.request; print(urllib.request.urlopen("https://graph.facebook.com/v19.0/me/messages").read().decode().strip())`),
			Entry("Python requests", "python3", "-c", `import requests; print(requests.get("https://graph.facebook.com/v19.0/me/messages").text.strip())`),
			Entry("curl", "curl", "-sS", "https://graph.facebook.com/v19.0/me/messages"),
		)
	})
})

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
