package extract_test

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/extract"
	"github.com/otnsim/otnsim/load"
	"github.com/otnsim/otnsim/load/profile"
	"github.com/otnsim/otnsim/load/report"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/scenarios"
	"github.com/otnsim/otnsim/shrink"
)

// careless are the options of otnsim load --profile
// load/profiles/careless-bot.yaml --subscribers n.
func careless(n int) load.Options {
	p, err := profile.Load("../load/profiles/careless-bot.yaml")
	Expect(err).NotTo(HaveOccurred())
	opts := load.NewOptions(n, 30, 1)
	opts.Profile, opts.ProfileName = p, "load/profiles/careless-bot.yaml"
	return opts
}

// small is the careless-bot run of 2000, run once.
var small = sync.OnceValues(func() (load.Options, *report.Report) {
	opts := careless(2000)
	rep, err := load.Run(opts)
	if err != nil {
		panic(err)
	}
	return opts, rep
})

var _ = Describe("extract", func() {
	It("turns every finding of the careless-bot run of 20000 into a file that fails for its rule, and shrinks it to a handful of steps", func() {
		n := 20000
		if raceDetector {
			// Subscribers derive from the seed and their index alone, and a
			// rule's sample is its lowest subscriber: the first 2000 are the
			// same people with the same lives. .ci/run runs the 20000 too,
			// without the race detector.
			n = 2000
			GinkgoWriter.Println("under the race detector: the careless-bot run of 2000, not 20000 (go test ./extract runs the 20000)")
		}
		opts := careless(n)
		rep, err := load.Run(opts)
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Findings).To(HaveKey(rules.TokenOnce))
		dir := GinkgoT().TempDir()
		files, err := extract.All(opts, rep, dir, nil, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(files).To(HaveLen(len(rep.Samples) + len(rep.Violations)))
		for _, f := range files {
			sc, err := scenarios.ParseFile(f.Path) // what otnsim validate reads
			Expect(err).NotTo(HaveOccurred())
			Expect(sc.Subscribers).To(HaveLen(1))
			Expect(sc.Tags).To(ContainElement(f.Rules[0]))
			res := shrink.Reference(0)(sc)
			Expect(shrink.Fails(res, f.Rules[0])).To(BeTrue(), "%s fails for %s", f.Path, f.Rules[0])
			Expect(res.Failure.Who).To(Equal(sc.Subscribers[0].Alias), "the same subscriber")
			Expect(res.Failure.Rules).To(ConsistOf(f.Rules[0]), "the same rule, and only it")

			small, st, err := shrink.Shrink(sc, shrink.Reference(0), shrink.Options{Rule: f.Rules[0]})
			Expect(err).NotTo(HaveOccurred())
			Expect(len(small.Steps)).To(BeNumerically("<=", 8), "%s: %s", f.Path, st)
			Expect(len(small.Steps)).To(BeNumerically("<", len(sc.Steps)))
			out := filepath.Join(dir, "small.yaml")
			Expect(extract.Write(out, small)).To(Succeed())
			back, err := scenarios.ParseFile(out)
			Expect(err).NotTo(HaveOccurred())
			Expect(shrink.Fails(shrink.Reference(0)(back), f.Rules[0])).To(BeTrue())
		}
	})

	It("replays the subscriber's life: their person, messages, taps and the campaigns' triggers in virtual time, then the run's end", func() {
		opts, rep := small()
		g := rep.Samples[rules.TokenOnce].Subscriber
		life, err := load.Record(opts, g)
		Expect(err).NotTo(HaveOccurred())
		Expect(life.User.PSID).To(Equal(rep.Samples[rules.TokenOnce].PSID))
		Expect(extract.Rules(life)).To(Equal([]string{rules.TokenOnce}))
		kinds := map[load.LifeKind]int{}
		for i, e := range life.Events {
			kinds[e.Kind]++
			if i > 0 {
				Expect(e.At).NotTo(BeTemporally("<", life.Events[i-1].At))
			}
		}
		Expect(kinds[load.LifeSay]).To(BeNumerically(">", 0))
		Expect(kinds[load.LifeNotifyMe]).To(BeNumerically(">", 0))
		Expect(kinds[load.LifeTrigger]).To(BeNumerically(">", 0))

		sc, ids, err := extract.One(opts, g, "", extract.Source{})
		Expect(err).NotTo(HaveOccurred())
		Expect(ids).To(Equal([]string{rules.TokenOnce}))
		Expect(sc.Start).To(Equal(life.Start))
		Expect(sc.Bot.Policy.ReuseSpentTokens).To(BeTrue(), "the profile's bot section")
		s := sc.Subscribers[0]
		Expect(s.Region).To(Equal(life.User.Region))
		Expect(*s.Timezone).To(Equal(life.User.Timezone))
		var total int64
		for _, st := range sc.Steps {
			total += int64(st.Duration)
		}
		Expect(life.Start.Add(time.Duration(total))).To(Equal(life.End), "advances reach the end of the run")
		last := sc.Steps[len(sc.Steps)-1]
		Expect(last.Kind).To(Equal(scenarios.StepExpect))
		Expect(last.Expect[0].Rule).To(Equal(rules.TokenOnce))
		Expect(last.Expect[0].Counts).To(HaveKeyWithValue("count", 0))
	})

	It("says when a subscriber breaks no rule", func() {
		opts := careless(2000)
		_, _, err := extract.One(opts, 1999, "", extract.Source{})
		if err == nil {
			Skip("subscriber 1999 breaks a rule under this seed")
		}
		Expect(errors.Is(err, extract.ErrNothing)).To(BeTrue(), "%v", err)
	})

	It("makes aliases of first names", func() {
		Expect(extract.Alias("Ana-María")).To(Equal("anamara"))
		Expect(extract.Alias("Zoë")).To(Equal("zo"))
		Expect(extract.Alias("李")).To(Equal("subscriber"))
	})

	It("reads a report back into the options that replay its run", func() {
		_, rep := small()
		path := filepath.Join(GinkgoT().TempDir(), "r.json")
		Expect(rep.WriteFile(path)).To(Succeed())
		wd, _ := os.Getwd()
		Expect(os.Chdir("..")).To(Succeed())
		defer func() { _ = os.Chdir(wd) }()
		back, err := extract.Replay(rep)
		Expect(err).NotTo(HaveOccurred())
		Expect(back.Subscribers).To(Equal(2000))
		Expect(back.Seed).To(Equal(int64(1)))
		Expect(back.Profile.Bot.Policy.ReuseSpentTokens).To(BeTrue())
		Expect(extract.Subscribers(rep)).To(ContainElement(rep.Samples[rules.TokenOnce].Subscriber))
	})
})
