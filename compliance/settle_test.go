package compliance_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/external"
	"github.com/otnsim/otnsim/scenarios"
)

// startBots starts n processes of the test bot command with cfg, sharing
// one PSID source, and stops them after the spec.
func startBots(n int, cfg external.Config) []*external.Harness {
	cfg.PSIDs = external.NewPSIDSource()
	var hs []*external.Harness
	for range n {
		h, err := external.Start(cfg)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(h.Stop)
		hs = append(hs, h)
	}
	return hs
}

func shippedSuite() []*scenarios.Scenario {
	suite, err := scenarios.LoadFS(scenarios.Shipped(), "compliance")
	Expect(err).NotTo(HaveOccurred())
	return suite
}

func reportJSON(rep *compliance.Report) string {
	var b bytes.Buffer
	cp := *rep
	cp.Started, cp.Elapsed = time.Time{}, 0 // the wall clock is no part of the verdict
	Expect(compliance.WriteJSON(&b, &cp)).To(Succeed())
	return b.String()
}

var _ = Describe("otnsim check against a bot that answers first and sends afterwards", func() {
	command := func() string { return shellQuote(filepath.Join(botDir, "faulty")) + " send-after-answer" }

	It("passes it on every rule with the default quiet period, with no late call", func() {
		h := startBots(1, external.Config{Command: command()})[0]
		rep, err := compliance.Check(h, "send-after-answer", shippedSuite(), 0)
		Expect(err).NotTo(HaveOccurred(), "bot output:\n%s", h.Output())
		Expect(verdicts(rep, compliance.Fail)).To(BeEmpty(), failing(rep))
		Expect(verdicts(rep, compliance.NotExercised)).To(BeEmpty())
		Expect(rep.Contract).To(BeEmpty())
		Expect(rep.LateCalls).To(BeZero(), "%v", h.LateCalls())
		var text bytes.Buffer
		compliance.WriteText(&text, rep)
		Expect(text.String()).NotTo(ContainSubstring("LATE CALLS"))
	})

	It("reports its late calls with no quiet period at all, and says to raise --settle", func() {
		h := startBots(1, external.Config{Command: command(), Settle: -1})[0]
		rep, err := compliance.Check(h, "send-after-answer", shippedSuite(), 0)
		Expect(err).NotTo(HaveOccurred(), "bot output:\n%s", h.Output())
		Expect(rep.LateCalls).To(BeNumerically(">", 0))
		Expect(rep.LateSteps).NotTo(BeEmpty())
		var text bytes.Buffer
		compliance.WriteText(&text, rep)
		Expect(text.String()).To(MatchRegexp(`the bot made \d+ calls after otnsim closed their step; raise --settle`))
		var back map[string]any
		Expect(json.Unmarshal([]byte(reportJSON(rep)), &back)).To(Succeed())
		Expect(back["late_calls"]).To(BeNumerically(">", 0))
	})
})

var _ = Describe("otnsim check on several bot processes", func() {
	It("gives the same report as one process, telling its progress in suite order", func() {
		suite := shippedSuite()
		cfg := external.Config{Command: shellQuote(filepath.Join(botDir, "faulty")) + " idle-4m59", Settle: -1}
		one := startBots(1, cfg)
		serial, err := compliance.Check(one[0], "idle-4m59", suite, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(verdicts(serial, compliance.Fail)).NotTo(BeEmpty(), "a failing rule puts PSIDs in the report's evidence")

		three := startBots(3, cfg)
		type step struct {
			done, total int
			name        string
		}
		var steps []step
		parallel, err := compliance.CheckWith(three[0], "idle-4m59", suite, compliance.Options{
			Pool:     []compliance.Target{three[1], three[2]},
			Progress: func(done, total int, name string, _ bool) { steps = append(steps, step{done, total, name}) }})
		Expect(err).NotTo(HaveOccurred())
		Expect(reportJSON(parallel)).To(Equal(reportJSON(serial)))

		Expect(steps).To(HaveLen(len(suite) + 1))
		for i, s := range steps {
			Expect(s.done).To(Equal(i + 1))
			Expect(s.total).To(Equal(len(suite) + 1))
			if i < len(suite) {
				Expect(s.name).To(HavePrefix(suite[i].File + " ("))
			}
		}
		Expect(steps[len(suite)].name).To(Equal("security probes"))
	})
})
