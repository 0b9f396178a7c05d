package probes_test

import (
	"io"
	"net/http"
	"net/http/httptest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/external"
	"github.com/otnsim/otnsim/probes"
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
			"replay":             probes.NotExercised,
		}))
	},
		Entry("over HTTP", overHTTP),
		Entry("in process", inProcess),
	)
})
