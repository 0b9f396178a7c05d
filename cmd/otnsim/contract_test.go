package main

import (
	"encoding/json"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/schemacheck"

	"github.com/otnsim/otnsim/rules"
)

// Verdict defects found with contract-following external bots, each
// reproduced by a bot outside the process.
var _ = Describe("verdicts on contract-following external bots", func() {
	It("does not judge a broadcast to a token holder as an OTN notification (no OTN-IDLE)", func() {
		code, out, errOut := otnsim("run", "-v", "--fail-on", "info", "--settle", "0", "--bot-cmd", buildBot("clean"), "testdata/contract/broadcast-to-holder.yaml")
		Expect(code).To(Equal(0), out+errOut)
		Expect(out).NotTo(ContainSubstring("finding OTN-IDLE"))
	})

	It("judges calls refused for authentication, and shows them in the subscriber's timeline", func() {
		faulty := buildBot("faulty")
		code, out, _ := otnsim("check", "--settle", "0", "--bot-cmd", faulty+" stale-access-token")
		Expect(code).To(Equal(1), out)
		Expect(out).To(MatchRegexp(`FAIL\s+SEND-AUTH`))
		Expect(out).To(MatchRegexp(`call #\d+  send otn_request to id RESPONSE \(window open\) -> refused 190 \[SEND-AUTH\]`))
	})

	It("shows calls with an unknown token among the calls to no known subscriber", func() {
		code, out, _ := otnsim("check", "--settle", "0", "--bot-cmd", buildBot("faulty")+" wrong-token")
		Expect(code).To(Equal(1), out)
		Expect(out).To(MatchRegexp(`FAIL\s+OTN-TOKEN-SCOPE`))
		Expect(out).To(ContainSubstring("timeline of no known subscriber:"))
		Expect(out).To(MatchRegexp(`call #\d+  send message to one_time_notif_token -> refused 100 \[OTN-TOKEN-SCOPE\]`))
	})

	It("plays lost answers and dropped connections as normal steps, in run and in check", func() {
		bot := buildOtnsim() + " bot"
		code, out, errOut := otnsim("run", "--bot-cmd", bot, "testdata/contract/drop.yaml", "testdata/contract/lost.yaml")
		Expect(code).To(Equal(0), out+errOut)
		Expect(out).To(MatchRegexp(`ok: 2 passed, 0 failed`))
		code, out, errOut = otnsim("check", "--bot-cmd", bot, "testdata/contract/drop.yaml", "testdata/contract/lost.yaml")
		Expect(code).To(Equal(0), out+errOut)
		Expect(errOut).NotTo(ContainSubstring("kept calling"))
	})

	It("labels a call refused for its format with the window as it was, and names its kind", func() {
		code, out, _ := otnsim("check", "--settle", "0", "--bot-cmd", buildBot("faulty")+" title-66")
		Expect(code).To(Equal(1), out)
		Expect(out).To(MatchRegexp(`call #\d+  send otn_request to id RESPONSE topic "restock:silk-scarf" \(window open\) -> refused 100 \[OTN-REQ-FORMAT\]`))
		Expect(out).NotTo(ContainSubstring("send  to"))
	})

	It("marks as assumed exactly the rules that rest on undocumented facts", func() {
		js := filepath.Join(GinkgoT().TempDir(), "c.json")
		code, out, _ := otnsim("check", "--settle", "0", "--bot-cmd", buildBot("clean"), "--json", js)
		Expect(code).To(Equal(0), out)
		Expect(schemacheck.File(js)).To(Succeed())
		raw, err := os.ReadFile(js)
		Expect(err).NotTo(HaveOccurred())
		var rep struct {
			Rules []struct {
				Rule       string `json:"rule"`
				Assumed    bool   `json:"assumed"`
				Assumption string `json:"assumption"`
			} `json:"rules"`
		}
		Expect(json.Unmarshal(raw, &rep)).To(Succeed())
		assumed := map[string]bool{}
		for _, r := range rep.Rules {
			assumed[r.Rule] = r.Assumed
			Expect(r.Assumed).To(Equal(r.Assumption != ""), r.Rule)
		}
		Expect(assumed).To(HaveKeyWithValue(rules.TokenOnce, true), "the error for a reused token is undocumented")
		Expect(assumed).To(HaveKeyWithValue(rules.ReqSpam, true), "the spam threshold is undocumented")
		Expect(assumed).To(HaveKeyWithValue(rules.SendFormat, false))
		Expect(assumed).To(HaveKeyWithValue(rules.SendRate, true), "the per-thread limit is undocumented")
		Expect(assumed).To(HaveKeyWithValue(rules.RNEra, true), "what Meta does after the deprecation is undocumented")
		Expect(assumed).To(HaveKeyWithValue(rules.RNCooldown, false))
		Expect(assumed).To(HaveKeyWithValue(rules.Win24h, false))
		Expect(assumed).To(HaveKeyWithValue(rules.Idle, false))
	})
})
