package reference_test

import (
	"encoding/json"
	"net/http/httptest"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/reference"
	"github.com/otnsim/otnsim/reference/internal/storetest"
)

var _ = Describe("analytics", func() {
	It("counts messages, requests, opt-ins and notifications per opt-in over a date range, with today so far", func() {
		w, bot, s := optedIn(reference.DefaultPolicy(), "ana", "ben")
		// Day 3: ana writes (window open), ben does not.
		Expect(w.Say(s[0], "hello")).To(Succeed())
		w.Advance(10 * time.Minute)
		Expect(w.Trigger("campaign.create", campaign("day3", nil))).To(Succeed())

		day1 := w.Clock.Now().Add(-48 * time.Hour)
		all, err := bot.Analytics(day1, w.Clock.Now())
		Expect(err).NotTo(HaveOccurred())
		deals := all.Topics["deals:weekly"]
		Expect(deals.OptIn).To(Equal("weekly-deals"))
		Expect(*deals).To(MatchFields(deals, 2, 2, 2, 1, 1))
		Expect(all.MessagesSent).To(Equal(4))
		Expect(deals.Eligible).To(Equal(1), "ana kept her token; ben's is spent")
		Expect(all.Eligible).To(Equal(1))

		today, err := bot.Today()
		Expect(err).NotTo(HaveOccurred())
		Expect(today.Topics["deals:weekly"].Requests).To(Equal(0))
		Expect(today.Topics["deals:weekly"].Notified).To(Equal(2))
		Expect(today.MessagesSent).To(Equal(2))

		first, err := bot.Analytics(day1, day1)
		Expect(err).NotTo(HaveOccurred())
		Expect(first.Topics["deals:weekly"].Notified).To(Equal(0))
		Expect(first.Topics["deals:weekly"].OptIns).To(Equal(2))

		rec := httptest.NewRecorder()
		bot.ServeHTTP(rec, httptest.NewRequest("GET", "/reference/v1/analytics?from="+day1.Format(time.DateOnly), nil))
		Expect(rec.Code).To(Equal(200))
		var viaHTTP reference.Report
		Expect(json.Unmarshal(rec.Body.Bytes(), &viaHTTP)).To(Succeed())
		Expect(viaHTTP.Topics["deals:weekly"].Notified).To(Equal(2))
	})

	DescribeTable("attributes revenue to the notification a purchase follows, within the attribution window",
		func(after time.Duration, attributed float64) {
			w, bot, s := optedIn(reference.DefaultPolicy(), "ana")
			Expect(w.Trigger("campaign.create", campaign("sale", nil))).To(Succeed())
			w.Advance(after)
			Expect(w.Trigger("purchase", map[string]any{"psid": s[0].PSID, "amount": 42.5})).To(Succeed())
			rep, err := bot.Analytics(w.Clock.Now().Add(-30*24*time.Hour), w.Clock.Now())
			Expect(err).NotTo(HaveOccurred())
			Expect(rep.Topics["deals:weekly"].Revenue).To(Equal(attributed))
			Expect(rep.Unattributed).To(Equal(42.5 - attributed))
			st, _, _ := bot.CampaignStatus("sale")
			Expect(st.Revenue).To(Equal(attributed))
		},
		Entry("7 days minus 1 ms after: attributed", 7*24*time.Hour-ms, 42.5),
		Entry("7 days after: not attributed", 7*24*time.Hour, 0.0),
	)

	It("refuses a purchase without an amount", func() {
		w, _, s := optedIn(reference.DefaultPolicy(), "ana")
		Expect(w.Trigger("purchase", map[string]any{"psid": s[0].PSID})).To(MatchError(ContainSubstring("amount")))
	})
})

// MatchFields checks requests, opt-ins, notified, via-token and in-window counts.
func MatchFields(_ *reference.TopicStats, requests, optins, notified, viaToken, inWindow int) OmegaMatcher {
	return And(
		HaveField("Requests", requests), HaveField("OptIns", optins), HaveField("Notified", notified),
		HaveField("ViaToken", viaToken), HaveField("InWindow", inWindow),
	)
}

var _ = Describe("MemoryStore", func() {
	storetest.Contract(func() reference.Store { return reference.NewMemoryStore() })
})
