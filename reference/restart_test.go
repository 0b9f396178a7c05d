package reference_test

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/reference"
)

// dyingStore is the bot's store in a process that is killed at a moment
// the spec picks: from then on it reads and writes nothing (the bot's
// calls fail), and what was committed before is there for the bot started
// next on the inner store, as after a kill -9 and a restart.
type dyingStore struct {
	reference.Store
	dead atomic.Bool
}

var errKilled = errors.New("the process was killed")

func (s *dyingStore) Update(fn func(reference.Tx) error) error {
	if s.dead.Load() {
		return errKilled
	}
	return s.Store.Update(fn)
}

func (s *dyingStore) View(fn func(reference.Tx) error) error {
	if s.dead.Load() {
		return errKilled
	}
	return s.Store.View(fn)
}

func (s *dyingStore) Close() error { return nil }

// tokenRefusal is Meta's refusal of a token, with fakegraph's message.
func tokenRefusal(message string) reply {
	return reply{status: 400, body: fmt.Sprintf(`{"error":{"message":"(#100) %s","type":"OAuthException","code":100,"fbtrace_id":"T"}}`, message)}
}

var _ = Describe("a restart after the bot was killed during a token send", func() {
	// restarted runs a notification campaign to p1 (tokens tokA, tokB) on a
	// bot killed as its first token send goes out (first answers it, and
	// the bot never reads the answer), then starts a bot on the same store
	// and lets it work: later answers the token sends from then on.
	restarted := func(first reply, later func(n int, c sentCall) reply) (*rig, reference.CampaignStatus) {
		store := &dyingStore{Store: reference.NewMemoryStore()}
		sends := 0
		policy := retryPolicy(5, 10*time.Second)
		r := newRigOn(store, shop(policy), func(n int, c sentCall) reply {
			if c.Recipient.Token == "" {
				return okReply
			}
			if sends++; sends == 1 {
				store.dead.Store(true)
				return first
			}
			return later(n, c)
		})
		r.say("p1", "deals")
		r.optin("p1", "deals:weekly", "tokA")
		r.optin("p1", "deals:weekly", "tokB")
		r.clk.Advance(48 * time.Hour)
		Expect(r.trigger("otn.notify", map[string]any{"topic": "deals:weekly", "text": "Deal"})).To(MatchError(ContainSubstring("killed")))
		Expect(r.tokenSends()).To(Equal([]string{"tokA"}))

		r.bot = r.startBot(store.Store, shop(policy))
		Expect(r.trigger("tick", nil)).To(Succeed())
		r.clk.Advance(time.Hour)
		cs, err := r.bot.Campaigns()
		Expect(err).NotTo(HaveOccurred())
		Expect(cs).To(HaveLen(1))
		return r, cs[0]
	}

	It("counts the notification delivered when Meta refuses the resend as already used (the first send was delivered)", func() {
		r, c := restarted(okReply, func(int, sentCall) reply { return tokenRefusal("The one_time_notif_token has already been used") })
		Expect(r.tokenSends()).To(Equal([]string{"tokA", "tokA"}), "resent with the same token, and no other token spent")
		Expect(c.Delivered).To(Equal(1))
		Expect(c.ViaToken).To(Equal(1))
		Expect(c.Uncertain).To(BeZero())
	})

	It("delivers it now when the resend is accepted (the first send never reached Meta)", func() {
		r, c := restarted(reply{lost: true}, func(int, sentCall) reply { return okReply })
		Expect(r.tokenSends()).To(Equal([]string{"tokA", "tokA"}))
		Expect(c.Delivered).To(Equal(1))
		Expect(c.ViaToken).To(Equal(1))
		Expect(c.Uncertain).To(BeZero())
	})

	It("goes on with the next token when Meta refuses the resent one as expired", func() {
		r, c := restarted(reply{lost: true}, func(_ int, s sentCall) reply {
			if s.Recipient.Token == "tokA" {
				return tokenRefusal("The one_time_notif_token has expired")
			}
			return okReply
		})
		Expect(r.tokenSends()).To(Equal([]string{"tokA", "tokA", "tokB"}))
		Expect(c.Delivered).To(Equal(1))
		Expect(c.ViaToken).To(Equal(1))
		Expect(c.Uncertain).To(BeZero())
	})

	It("retries the resend with the same token after a transient error", func() {
		tries := 0
		r, c := restarted(okReply, func(int, sentCall) reply {
			if tries++; tries == 1 {
				return graphError(500, 2, 0)
			}
			return tokenRefusal("The one_time_notif_token has already been used")
		})
		Expect(r.tokenSends()).To(Equal([]string{"tokA", "tokA", "tokA"}))
		Expect(c.Delivered).To(Equal(1))
		Expect(c.ViaToken).To(Equal(1))
		Expect(c.Uncertain).To(BeZero())
	})

	It("reports it not delivered when Meta refuses the resend for good", func() {
		r, c := restarted(reply{lost: true}, func(int, sentCall) reply { return graphError(400, 200, 2018028) })
		Expect(r.tokenSends()).To(Equal([]string{"tokA", "tokA"}))
		Expect(c.Delivered).To(BeZero())
		Expect(c.Failed).To(Equal(1))
		Expect(c.Uncertain).To(BeZero())
	})
})
