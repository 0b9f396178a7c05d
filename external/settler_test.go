package external

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the learned quiet period", func() {
	const most = 300 * time.Millisecond
	calls := func(before, after int, gap time.Duration) stepStats {
		return stepStats{before: before, after: after, gap: gap}
	}

	It("is the whole of --settle until the bot has shown how it sends, and tiny once it made its calls before answering, a few times", func() {
		s := settler{max: most}
		Expect(s.quiet(stepStats{})).To(Equal(most))
		for range syncEvidence - 1 {
			s.learn(calls(1, 0, 0))
			s.learn(stepStats{}) // a step without calls shows nothing
			Expect(s.quiet(stepStats{})).To(Equal(most))
		}
		s.learn(calls(2, 0, 0))
		Expect(s.quiet(stepStats{})).To(Equal(syncQuiet))
	})

	It("waits a few times the longest gap seen, within bounds, for a bot seen to call after answering", func() {
		s := settler{max: most}
		s.learn(calls(0, 1, 2*time.Millisecond))
		Expect(s.mode).To(Equal(sendAfterAnswer))
		Expect(s.quiet(stepStats{})).To(Equal(asyncFloor))
		s.learn(calls(0, 3, 20*time.Millisecond))
		Expect(s.quiet(stepStats{})).To(Equal(asyncFactor*20*time.Millisecond + asyncMargin))
		Expect(s.quiet(calls(0, 1, time.Second))).To(Equal(most), "never more than --settle")
		s.learn(calls(3, 0, 0))
		Expect(s.mode).To(Equal(sendAfterAnswer), "a bot that once called after answering may do it again")
	})

	It("waits longer as soon as the open step shows a call after the answer, or a call in flight at the answer", func() {
		s := settler{max: most}
		for range syncEvidence {
			s.learn(calls(1, 0, 0))
		}
		Expect(s.quiet(calls(0, 1, 3*time.Millisecond))).To(Equal(asyncFloor))
		Expect(s.quiet(stepStats{before: 1, busyAtAnswer: true})).To(Equal(asyncFloor))
		s.learn(stepStats{before: 1, busyAtAnswer: true})
		Expect(s.mode).To(Equal(sendAfterAnswer))
	})

	It("learns from a late call, and keeps no quiet period at all with --settle 0", func() {
		s := settler{max: most}
		for range syncEvidence {
			s.learn(calls(1, 0, 0))
		}
		s.late(40 * time.Millisecond)
		Expect(s.quiet(stepStats{})).To(Equal(asyncFactor*40*time.Millisecond + asyncMargin))
		none := settler{}
		none.learn(calls(0, 1, time.Second))
		Expect(none.quiet(calls(0, 1, time.Second))).To(BeZero())
	})
})
