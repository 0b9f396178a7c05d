package probes_test

import (
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/compliance/testdata/bots/minibot"
	"github.com/otnsim/otnsim/external"
	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/internal/jsonascii"
	"github.com/otnsim/otnsim/platform"
	"github.com/otnsim/otnsim/probes"
	"github.com/otnsim/otnsim/rules"
)

// careless answers 200 to everything and echoes any handshake's challenge.
var careless = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	if r.Method == http.MethodGet {
		_, _ = io.WriteString(w, r.URL.Query().Get("hub.challenge"))
	}
})

// overHTTP is the careless bot reached over loopback (the --bot-url way).
func overHTTP() probes.Target {
	bot := httptest.NewServer(careless)
	DeferCleanup(bot.Close)
	h, err := external.Start(external.Config{URL: bot.URL, GraphAddr: "127.0.0.1:0", Settle: -1})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(h.Stop)
	return h
}

// inProcess is the careless bot as an http.Handler in this process.
func inProcess() probes.Target {
	ip, err := compliance.NewInProcess(careless, compliance.InProcessConfig{})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(ip.Close)
	return ip
}

var _ = Describe("security probes", func() {
	DescribeTable("fail a bot that accepts every event and every verify token, and cannot judge replays it never acts on", func(target func() probes.Target) {
		res, err := probes.Run(target())
		Expect(err).NotTo(HaveOccurred())
		verdicts := map[string]string{}
		for _, r := range res {
			verdicts[r.Name] = r.Verdict
			Expect(r.Rule).NotTo(BeEmpty())
			Expect(r.Sent).NotTo(BeEmpty())
		}
		Expect(verdicts).To(Equal(map[string]string{
			"wrong-verify-token": probes.Fail,
			"empty-verify-token": probes.Fail,
			"unsigned":           probes.Fail,
			"wrong-secret":       probes.Fail,
			"other-bytes":        probes.Fail,
			"oversized":          probes.Fail,
			"sha1-only":          probes.Fail,
			"empty-digest":       probes.Fail,
			"short-digest":       probes.Fail,
			"non-ascii":          probes.NotExercised,
			"replay":             probes.NotExercised,
		}))
	},
		Entry("over HTTP", overHTTP),
		Entry("in process", inProcess),
	)
})

// page is the page every in-process bot below is built for.
var page = fakegraph.DefaultPage()

// maxBody is the most a webhook body may be, as the minibot enforces.
const maxBody = 1 << 20

// correct is the minibot with no faults: it checks X-Hub-Signature-256 over
// the raw body in constant time, and spends tokens on otn.notify.
func correct() http.Handler {
	return minibot.New(minibot.Faults{}, minibot.Config{GraphURL: fakegraph.DefaultGraphURL, AccessToken: page.AccessToken,
		AppSecret: page.AppSecret, VerifyToken: page.VerifyToken, Logf: func(string, ...any) {}})
}

// checking is the minibot with its signature check replaced by ok: a
// webhook delivery ok refuses gets 403, any other goes on to the minibot,
// which then checks only the size.
func checking(ok func(body []byte, h http.Header) bool) http.Handler {
	inner := minibot.New(minibot.Faults{SkipSignature: true}, minibot.Config{GraphURL: fakegraph.DefaultGraphURL,
		AccessToken: page.AccessToken, AppSecret: page.AppSecret, VerifyToken: page.VerifyToken, Logf: func(string, ...any) {}})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == compliance.DefaultWebhookPath {
			body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
			if err != nil {
				http.Error(w, "bad body", http.StatusBadRequest)
				return
			}
			if len(body) <= maxBody && !ok(body, r.Header) {
				http.Error(w, "bad signature", http.StatusForbidden)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		inner.ServeHTTP(w, r)
	})
}

// sha1Only checks only the legacy X-Hub-Signature, correctly.
func sha1Only() http.Handler {
	return checking(func(body []byte, h http.Header) bool {
		_, want := platform.Sign(page.AppSecret, body)
		return hmac.Equal([]byte(h.Get(platform.LegacySignatureHeader)), []byte(want))
	})
}

// prefixCompare takes any X-Hub-Signature-256 that starts the right value
// (strings.HasPrefix(want, got)); with guarded it refuses an empty digest.
func prefixCompare(guarded bool) func() http.Handler {
	return func() http.Handler {
		return checking(func(body []byte, h http.Header) bool {
			got := h.Get(platform.SignatureHeader)
			digest, ok := strings.CutPrefix(got, platform.SHA256Prefix)
			if !ok || guarded && digest == "" {
				return false
			}
			want, _ := platform.Sign(page.AppSecret, body)
			return strings.HasPrefix(want, got)
		})
	}
}

// reserialisingInOrder verifies X-Hub-Signature-256 over the decoded body
// written again in the keys' order (the JSON.stringify(req.body) mistake):
// it writes non-ASCII as UTF-8 where Meta wrote \u escapes.
func reserialisingInOrder() http.Handler {
	return checking(func(body []byte, h http.Header) bool {
		var again bytes.Buffer
		if err := reencode(&again, json.NewDecoder(bytes.NewReader(body))); err != nil {
			return false
		}
		want, _ := platform.Sign(page.AppSecret, again.Bytes())
		return hmac.Equal([]byte(h.Get(platform.SignatureHeader)), []byte(want))
	})
}

// reserialisingSorted verifies X-Hub-Signature-256 over the decoded body
// written again with sorted keys and non-ASCII escaped as Meta escapes it:
// the same bytes as Meta's for a body whose keys are sorted, others for
// Meta's real order.
func reserialisingSorted() http.Handler {
	return checking(func(body []byte, h http.Header) bool {
		var v any
		if json.Unmarshal(body, &v) != nil {
			return false
		}
		var again bytes.Buffer
		enc := json.NewEncoder(&again)
		enc.SetEscapeHTML(false)
		if enc.Encode(v) != nil {
			return false
		}
		want, _ := platform.Sign(page.AppSecret, jsonascii.Escape(bytes.TrimRight(again.Bytes(), "\n")))
		return hmac.Equal([]byte(h.Get(platform.SignatureHeader)), []byte(want))
	})
}

// reencode copies one JSON value from dec to out, compact, keys in their
// order, strings as json.Marshal writes them.
func reencode(out *bytes.Buffer, dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		out.WriteRune(rune(t))
		end := map[json.Delim]json.Delim{'{': '}', '[': ']'}[t]
		for first := true; dec.More(); first = false {
			if !first {
				out.WriteByte(',')
			}
			if t == '{' {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				kb, _ := json.Marshal(k)
				out.Write(kb)
				out.WriteByte(':')
			}
			if err := reencode(out, dec); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		out.WriteRune(rune(end))
	default:
		b, err := json.Marshal(t)
		if err != nil {
			return err
		}
		out.Write(b)
	}
	return nil
}

// runIn runs the probes against bot in this process.
func runIn(bot http.Handler) []probes.Result {
	ip, err := compliance.NewInProcess(bot, compliance.InProcessConfig{Page: page})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(ip.Close)
	res, err := probes.Run(ip)
	Expect(err).NotTo(HaveOccurred())
	return res
}

// allPass is every probe's verdict for a correct bot.
var allPass = map[string]string{
	"wrong-verify-token": probes.Pass,
	"empty-verify-token": probes.Pass,
	"unsigned":           probes.Pass,
	"wrong-secret":       probes.Pass,
	"other-bytes":        probes.Pass,
	"oversized":          probes.Pass,
	"sha1-only":          probes.Pass,
	"empty-digest":       probes.Pass,
	"short-digest":       probes.Pass,
	"non-ascii":          probes.Pass,
	"replay":             probes.Pass,
}

var _ = Describe("signature probes", func() {
	DescribeTable("pass a correct bot and fail each signature-checking bug on its own probe, and on no other",
		func(bot func() http.Handler, evidence string, failing ...string) {
			want := maps.Clone(allPass)
			for _, name := range failing {
				want[name] = probes.Fail
			}
			got := map[string]string{}
			for _, r := range runIn(bot()) {
				got[r.Name] = r.Verdict
				if r.Verdict == probes.Fail {
					Expect(r.Evidence).To(ContainSubstring(evidence), r.Name)
				}
			}
			Expect(got).To(Equal(want))
		},
		Entry("a correct bot", correct, ""),
		Entry("a bot that checks only the SHA-1 header", sha1Only, "only the legacy SHA-1 header", "sha1-only"),
		Entry("a bot that compares the signature as a prefix", prefixCompare(false), "strings.HasPrefix", "empty-digest", "short-digest"),
		Entry("a bot that compares as a prefix but refuses an empty digest", prefixCompare(true), "strings.HasPrefix", "short-digest"),
		Entry("a bot that verifies a body re-serialised in the keys' order", reserialisingInOrder, "verifies a re-serialised body instead of the raw bytes", "non-ascii"),
	)

	// Issue 17: a bot that sorts the keys and escapes non-ASCII as Meta does
	// (Python's json.dumps(..., sort_keys=True)) passed every probe while
	// the events' keys were sorted; they are in Meta's order now, and it
	// refuses every event, which HOOK-SIGNATURE's non-ascii probe fails.
	It("fails a bot that verifies a body re-serialised with sorted keys, escaped as Meta escapes", func() {
		want := maps.Clone(allPass)
		want["non-ascii"], want["replay"] = probes.Fail, probes.NotExercised
		got := map[string]string{}
		for _, r := range runIn(reserialisingSorted()) {
			got[r.Name] = r.Verdict
			if r.Name == "non-ascii" {
				Expect(r.Evidence).To(ContainSubstring("refused every correctly signed event"))
				Expect(r.Rule).To(Equal(rules.HookSignature))
			}
		}
		Expect(got).To(Equal(want))
	})

	It("sends the non-ascii event escaped as Meta does and signed over those bytes", func() {
		var mu sync.Mutex
		var sent []byte
		var sig string
		bot := correct()
		runIn(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Path == compliance.DefaultWebhookPath {
				body, err := io.ReadAll(r.Body)
				Expect(err).NotTo(HaveOccurred())
				if bytes.Contains(body, []byte("otnsim.probe.non-ascii")) {
					mu.Lock()
					sent, sig = body, r.Header.Get(platform.SignatureHeader)
					mu.Unlock()
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			bot.ServeHTTP(w, r)
		}))
		mu.Lock()
		defer mu.Unlock()
		Expect(string(sent)).To(MatchRegexp(`^[\x00-\x7f]+$`))
		Expect(string(sent)).To(ContainSubstring(`"title":"Caf\u00e9 cr\u00e8me \u2014 nouveaut\u00e9s \ud83c\udf89"`))
		Expect(platform.Verify(page.AppSecret, sent, sig)).To(BeTrue())
		var ev struct {
			Entry []struct {
				Messaging []struct {
					Optin struct{ Title string } `json:"optin"`
				} `json:"messaging"`
			} `json:"entry"`
		}
		Expect(json.Unmarshal(sent, &ev)).To(Succeed())
		Expect(ev.Entry[0].Messaging[0].Optin.Title).To(Equal(probes.NonASCIITitle))
	})
})
