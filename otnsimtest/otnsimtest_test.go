package otnsimtest_test

import (
	"time"

	"io"
	"net/http"
	"net/url"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/compliance/testdata/bots/minibot"
	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/otnsimtest"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/sim"
)

// silent is a bot that answers the handshake and every event, and does
// nothing else: the spec makes the Send API calls itself, through send.
type silent struct {
	w      *sim.World
	client *http.Client
	token  string
}

func newSilent() *silent {
	s := &silent{}
	w, err := sim.NewWorld(sim.Options{Seed: 1, Bot: func(env sim.BotEnv) (http.Handler, error) {
		s.client, s.token = env.Client, env.PageAccessToken
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, r.URL.Query().Get("hub.challenge"))
		}), nil
	}})
	Expect(err).NotTo(HaveOccurred())
	s.w = w
	return s
}

func (s *silent) send(body string) {
	resp, err := s.client.Post(otnsimtest.GraphURL+"/v19.0/me/messages?access_token="+url.QueryEscape(s.token), "application/json", strings.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	_ = resp.Body.Close()
}

// spentTwice plays ana opting in to topic t, then the page spending her
// token while her window is open, and once more.
func spentTwice() *sim.World {
	s := newSilent()
	ana, err := s.w.AddSubscriber(sim.SubscriberSpec{Alias: "ana"})
	Expect(err).NotTo(HaveOccurred())
	Expect(s.w.Say(ana, "hi")).To(Succeed())
	s.send(`{"recipient":{"id":"` + ana.PSID + `"},"messaging_type":"RESPONSE","message":{"attachment":{"type":"template","payload":{"template_type":"one_time_notif_req","title":"News","payload":"t"}}}}`)
	tok, err := s.w.NotifyMe(ana, "t")
	Expect(err).NotTo(HaveOccurred())
	for range 2 {
		s.send(`{"recipient":{"one_time_notif_token":"` + tok + `"},"message":{"text":"news"}}`)
		s.w.Advance(time.Minute) // a later reuse, not two messages in one reaction
	}
	return s.w
}

// failure returns the failure message of matcher on actual, which must not match.
func failure(m interface {
	Match(any) (bool, error)
	FailureMessage(any) string
}, actual any) string {
	ok, err := m.Match(actual)
	Expect(err).NotTo(HaveOccurred())
	Expect(ok).To(BeFalse())
	return m.FailureMessage(actual)
}

var _ = Describe("the ledger matchers", func() {
	var w *sim.World
	var ana *sim.Subscriber
	BeforeEach(func() {
		w = spentTwice()
		ana, _ = w.Subscriber("ana")
	})

	It("see a spent token, and no active one, naming expected versus actual with the timeline", func() {
		Expect(w).To(otnsimtest.HaveConsumedToken("ana", "t"))
		Expect(w).To(otnsimtest.HaveConsumedToken("ana", ""))
		Expect(w).NotTo(otnsimtest.HaveActiveToken("ana", "t"))
		msg := failure(otnsimtest.HaveActiveToken("ana", "t"), w)
		Expect(msg).To(HavePrefix(`Expected ana (PSID ` + ana.PSID + `) to hold an active token for topic "t"`))
		Expect(msg).To(ContainSubstring(`actual: 0 active of 1 issued for topic "t": #1 "t" consumed at 2026-01-05T09:00:00.000Z`))
		Expect(msg).To(ContainSubstring("timeline of ana (PSID " + ana.PSID + "):"))
		Expect(msg).To(ContainSubstring(`message "hi"`))
		Expect(msg).To(MatchRegexp(`send message to one_time_notif_token #1 topic "t" \(window open\) -> refused \d+.* \[OTN-TOKEN-ONCE\]`))
		Expect(msg).To(ContainSubstring("finding OTN-IN-WINDOW-KEEP"), "the timeline shows the practice findings")

		msg = failure(otnsimtest.HaveConsumedToken("ana", "other"), w)
		Expect(msg).To(ContainSubstring(`actual: no token issued for topic "other"`))
		m := otnsimtest.HaveConsumedToken("ana", "t")
		Expect(m.Match(w)).To(BeTrue())
		Expect(m.NegatedFailureMessage(w)).To(HavePrefix(`Expected ana (PSID ` + ana.PSID + `) not to have spent a token for topic "t"`))
	})

	It("count the messages delivered, sender actions and refusals aside", func() {
		Expect(w).To(otnsimtest.HaveDelivered("ana", 2))
		msg := failure(otnsimtest.HaveDelivered("ana", 3), w)
		Expect(msg).To(HavePrefix("Expected ana (PSID " + ana.PSID + ") to have been delivered 3 message(s)\n    actual: 2 delivered:"))
		Expect(msg).To(ContainSubstring(`send otn_request to id RESPONSE topic "t" (window open) -> ok`))
	})

	It("find a rule's findings for a subscriber or for anyone", func() {
		Expect(w).To(otnsimtest.HaveFinding(rules.InWindowKeep, "ana"))
		Expect(w).To(otnsimtest.HaveFinding(rules.TokenOnce, ""))
		Expect(w).To(otnsimtest.HaveFinding(rules.Idle, "ana"), "the page spent the token at once")
		Expect(w).NotTo(otnsimtest.HaveFinding(rules.Win24h, "ana"))
		msg := failure(otnsimtest.HaveFinding(rules.Win24h, "ana"), w)
		Expect(msg).To(ContainSubstring("actual: 0 finding(s) of WIN-24H among:"))
		Expect(msg).To(ContainSubstring("OTN-TOKEN-ONCE [failure] expected no call Meta refuses under this rule"))
		msg = failure(otnsimtest.HaveFinding(rules.Win24h, ""), w)
		Expect(msg).To(HavePrefix("Expected anyone to have a finding of WIN-24H"))
		Expect(msg).NotTo(ContainSubstring("timeline"))
		msg = failure(otnsimtest.HaveFinding("OTN-NOPE", "ana"), w)
		Expect(msg).To(ContainSubstring(`"OTN-NOPE" is no rule of the catalogue`))
	})

	It("read a fakegraph server or ledger too, naming the subscriber by PSID", func() {
		led := w.Graph.Ledger()
		for _, actual := range []any{w.Graph, led, &led} {
			Expect(actual).To(otnsimtest.HaveConsumedToken(ana.PSID, "t"))
			Expect(actual).To(otnsimtest.HaveDelivered(ana.PSID, 2))
			Expect(actual).To(otnsimtest.HaveFinding(rules.TokenOnce, ana.PSID))
		}
		Expect(w).To(otnsimtest.HaveDelivered(ana.PSID, 2), "a world takes PSIDs as well as aliases")
		Expect(failure(otnsimtest.HaveDelivered(ana.PSID, 0), led)).To(HavePrefix("Expected PSID " + ana.PSID + " to have been delivered 0"))
	})

	It("refuse what they cannot read", func() {
		_, err := otnsimtest.HaveDelivered("ana", 1).Match("a string")
		Expect(err).To(MatchError(ContainSubstring("want a *sim.World, *fakegraph.Server or fakegraph.Ledger, got string")))
		_, err = otnsimtest.HaveDelivered("bob", 1).Match(w)
		Expect(err).To(MatchError(ContainSubstring(`the world has no subscriber "bob" (aliases: ana)`)))
		_, err = otnsimtest.HaveActiveToken("", "t").Match(w)
		Expect(err).To(HaveOccurred())
	})
})

var _ = Describe("otnsimtest.Check", func() {
	mini := func(f minibot.Faults) http.Handler {
		p := otnsimtest.DefaultPage()
		return minibot.New(f, minibot.Config{GraphURL: otnsimtest.GraphURL, AccessToken: p.AccessToken, AppSecret: p.AppSecret,
			VerifyToken: p.VerifyToken, Logf: func(string, ...any) {}})
	}
	failed := func(rep *compliance.Report) []string {
		var out []string
		for _, row := range rep.Rows {
			if row.Verdict == compliance.Fail {
				out = append(out, row.Rule)
			}
		}
		return out
	}

	It("judges a bot that calls the Graph API through http.DefaultClient, and catches its fault", func() {
		rep, err := otnsimtest.Check(mini(minibot.Faults{ReuseTokens: true}))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Rows).To(HaveLen(len(rules.All())))
		Expect(failed(rep)).To(ConsistOf(rules.TokenOnce))
	})

	It("plays only the scenarios WithRun selects, and always the probes", func() {
		rep, err := otnsimtest.Check(mini(minibot.Faults{}), otnsimtest.WithRun("idle"), otnsimtest.WithSeed(7))
		Expect(err).NotTo(HaveOccurred())
		verdict := map[string]compliance.Verdict{}
		for _, row := range rep.Rows {
			verdict[row.Rule] = row.Verdict
		}
		Expect(verdict[rules.Idle]).To(Equal(compliance.Pass))
		Expect(verdict[rules.HookSignature]).To(Equal(compliance.Pass))
		Expect(verdict[rules.TokenExpiry]).To(Equal(compliance.NotExercised))
	})

	It("refuses a bad WithRun pattern, and a bot built with other credentials", func() {
		_, err := otnsimtest.Check(mini(minibot.Faults{}), otnsimtest.WithRun("("))
		Expect(err).To(MatchError(ContainSubstring("WithRun")))
		other := fakegraph.DefaultPage()
		other.VerifyToken = "not-the-page's"
		_, err = otnsimtest.Check(mini(minibot.Faults{}), otnsimtest.WithPage(other))
		Expect(err).To(MatchError(ContainSubstring("verification handshake")))
	})
})
