package fakegraph_test

import (
	"net/url"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/rules"
)

// The facts a black-box comparison with Meta's documentation found
// fakegraph getting wrong; each spec names its source.
var _ = Describe("fidelity, round two", func() {
	var e *env
	BeforeEach(func() { e = newEnv() })

	It("refuses message.text that is not UTF-8 (Send API reference, https://developers.facebook.com/docs/messenger-platform/reference/send-api/: text must be UTF-8; code 100 assumed)", func() {
		_, _ = e.graph.UserMessage("111", "hi")
		body := []byte("{\"recipient\":{\"id\":\"111\"},\"messaging_type\":\"RESPONSE\",\"message\":{\"text\":\"caf\xe9\"}}")
		r := e.raw("POST", graphBase+"me/messages"+tokenQS(), "application/json", body)
		Expect(r.Status).To(Equal(400))
		Expect(r.code()).To(Equal(100))
		Expect(e.lastCall().Rule).To(Equal(rules.SendFormat))
		Expect(e.lastCall().Assumed).To(BeTrue())

		form := url.Values{"recipient": {`{"id":"111"}`}, "messaging_type": {"RESPONSE"}, "message": {"{\"text\":\"caf\xe9\"}"}}
		r = e.raw("POST", graphBase+"me/messages"+tokenQS(), "application/x-www-form-urlencoded", []byte(form.Encode()))
		Expect(r.code()).To(Equal(100))

		// Invalid bytes elsewhere leave valid text alone; valid UTF-8 text passes.
		ok := e.raw("POST", graphBase+"me/messages"+tokenQS(), "application/json",
			[]byte("{\"recipient\":{\"id\":\"111\"},\"messaging_type\":\"RESPONSE\",\"message\":{\"text\":\"café ☕\",\"metadata\":\"\xff\"}}"))
		Expect(ok.Status).To(Equal(200))
		Expect(e.send(text("111", "café ☕")).Status).To(Equal(200))
	})

	It("allows CUSTOMER_FEEDBACK only with the Customer Feedback template (Send API reference, message tags: \"use in any other form is prohibited and will fail\")", func() {
		_, _ = e.graph.UserMessage("111", "hi")
		e.clock.Advance(2 * 24 * time.Hour)
		plain := text("111", "How did we do?")
		plain["messaging_type"], plain["tag"] = "MESSAGE_TAG", "CUSTOMER_FEEDBACK"
		r := e.send(plain)
		Expect(r.code()).To(Equal(100))
		Expect(e.lastCall().Rule).To(Equal(rules.WinTag))
		Expect(e.lastCall().Assumed).To(BeTrue(), "the code is our reading")

		fb := attach("111", map[string]any{"type": "template", "payload": map[string]any{"template_type": "customer_feedback", "title": "Rate us"}})
		fb["messaging_type"], fb["tag"] = "MESSAGE_TAG", "CUSTOMER_FEEDBACK"
		Expect(e.send(fb).Status).To(Equal(200))
	})

	It("lets a one_time_notif_token carry another OTN request (Messenger FAQ on OTN: \"Can a Page use a token to send another notification request? Yes.\")", func() {
		tok := e.optIn("111", "restock:red")
		e.clock.Advance(30 * 24 * time.Hour)
		req := otnRequest("", "Want the next drop?", "drops")
		req["recipient"] = map[string]string{"one_time_notif_token": tok}
		delete(req, "messaging_type")
		Expect(e.send(req).Status).To(Equal(200))
		c := e.lastCall()
		Expect(c.Kind).To(Equal(fakegraph.KindOTNRequest))
		Expect(c.RecipientKind).To(Equal(fakegraph.RecipientToken))
		Expect(e.graph.Ledger().TokensFor("111", "restock:red")[0].State).To(Equal(fakegraph.TokenConsumed))
		// The request reached the person outside the window: they can tap it.
		tok2, _, err := e.graph.NotifyMe("111", "drops")
		Expect(err).NotTo(HaveOccurred())
		Expect(e.send(tokenSend(tok2, "The drop is live")).Status).To(Equal(200))
		// The spent token carries nothing more.
		Expect(e.send(req).code()).To(Equal(100))
		Expect(e.lastCall().Rule).To(Equal(rules.TokenOnce))
	})

	It("answers a user_ref send without recipient_id (Send API reference: recipient_id is not included for user_ref)", func() {
		Expect(e.graph.AddUser(fakegraph.User{PSID: "333", UserRef: "ref-333"})).To(Succeed())
		_, _ = e.graph.UserMessage("333", "hi")
		body := text("", "Thanks for checking the box")
		body["recipient"] = map[string]string{"user_ref": "ref-333"}
		r := e.send(body)
		Expect(r.Status).To(Equal(200))
		Expect(r.Body).NotTo(HaveKey("recipient_id"))
		Expect(r.Body).To(HaveKey("message_id"))
		Expect(e.send(text("333", "by id")).Body).To(HaveKeyWithValue("recipient_id", "333"))
	})

	It("refuses a second notification_messages request with the same title to one person within a week with 613/1893016 (Recurring Notifications docs)", func() {
		_, _ = e.graph.UserMessage("111", "hi")
		Expect(e.send(recurringRequest("111", "Weekly deals", "deals")).Status).To(Equal(200))
		e.clock.Advance(6 * 24 * time.Hour)
		_, _ = e.graph.UserMessage("111", "still here")
		r := e.send(recurringRequest("111", "Weekly deals", "deals-again"))
		Expect([]int{r.code(), r.subcode()}).To(Equal([]int{613, 1893016}))
		Expect(e.lastCall().Rule).To(Equal(rules.RNReqRepeat))
		Expect(e.lastCall().Assumed).To(BeFalse())
		// Another title is fine; the same one a week after the first is too.
		Expect(e.send(recurringRequest("111", "Flash sales", "flash")).Status).To(Equal(200))
		e.clock.Advance(24 * time.Hour)
		_, _ = e.graph.UserMessage("111", "hi again")
		Expect(e.send(recurringRequest("111", "Weekly deals", "deals")).Status).To(Equal(200))
	})
})

func recurringRequest(psid, title, payload string) map[string]any {
	return attach(psid, map[string]any{"type": "template", "payload": map[string]any{
		"template_type": "notification_messages", "title": title, "payload": payload,
		"notification_messages_timezone": "Europe/Paris", "notification_messages_cta_text": "GET_UPDATES"}})
}
