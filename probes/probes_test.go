package probes_test

import (
	"io"
	"net/http"
	"net/http/httptest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/external"
	"github.com/otnsim/otnsim/probes"
)

// careless answers 200 to everything and echoes any handshake's challenge.
func careless() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Method == http.MethodGet {
			_, _ = io.WriteString(w, r.URL.Query().Get("hub.challenge"))
		}
	}))
}

var _ = Describe("security probes", func() {
	It("fails a bot that accepts every event and every verify token, and cannot judge replays it never acts on", func() {
		bot := careless()
		defer bot.Close()
		h, err := external.Start(external.Config{URL: bot.URL, GraphAddr: "127.0.0.1:0", Settle: -1})
		Expect(err).NotTo(HaveOccurred())
		defer h.Stop()
		res, err := probes.Run(h)
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
			"replay":             probes.NotExercised,
		}))
	})

})
