package reference

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"time"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// roundTrip is what the store gave back when it kept every value as JSON.
func roundTrip[T any](v T) T {
	raw, err := json.Marshal(v)
	Expect(err).NotTo(HaveOccurred())
	var out T
	Expect(json.Unmarshal(raw, &out)).To(Succeed())
	return out
}

func randomTime(r *rand.Rand) time.Time {
	base := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(int64(400 * 24 * time.Hour))))
	switch r.IntN(5) {
	case 0:
		return time.Time{}
	case 1:
		return base.In(time.FixedZone("X", 3600))
	case 2:
		return time.Now() // monotonic reading
	case 3:
		return time.Unix(0, base.UnixNano())
	}
	return base
}

func randomString(r *rand.Rand) string {
	return []string{"", "111", "deals:weekly", "caf\xe9", "Zoë", "<b>&"}[r.IntN(6)]
}

func randomSubscriber(r *rand.Rand) *subscriberRec {
	s := &subscriberRec{PSID: randomString(r), LastWindow: randomTime(r), LastActive: randomTime(r),
		Blocked: r.IntN(2) == 0, RegionAffected: r.IntN(2) == 0, Country: randomString(r), Locale: randomString(r),
		AdPending: r.IntN(2) == 0, WindowUntil: randomTime(r)}
	for range r.IntN(3) {
		s.Tags = append(s.Tags, randomString(r))
		s.Asked = append(s.Asked, randomTime(r))
	}
	if r.IntN(3) == 0 {
		s.Segments = []string{}
	}
	if r.IntN(2) == 0 {
		s.AskedTopic = map[string]time.Time{}
		for range r.IntN(3) {
			s.AskedTopic[randomString(r)] = randomTime(r)
		}
	}
	if r.IntN(2) == 0 {
		s.LastNotified = &notified{At: randomTime(r), Campaign: randomString(r), Topic: randomString(r)}
	}
	return s
}

var _ = g.Describe("MemoryStore's typed values", func() {
	g.It("knows every field of the records it keeps as Go values", func() {
		Expect(reflect.TypeFor[subscriberRec]().NumField()).To(Equal(14), "a new field needs a line in cloneSubscriberValue")
		Expect(reflect.TypeFor[notified]().NumField()).To(Equal(3), "a new field needs a line in cloneSubscriberValue")
		Expect(reflect.TypeFor[tokenRec]().NumField()).To(Equal(8), "a new field needs a line in normToken")
	})

	g.It("gives back exactly what a JSON round trip gives, and scans the same bytes", func() {
		r := rand.New(rand.NewPCG(7, 7))
		m := NewMemoryStore()
		for i := range 2000 {
			s := randomSubscriber(r)
			t := tokenRec{Seq: r.Int64N(9), PSID: randomString(r), Topic: randomString(r), Value: randomString(r),
				IssuedAt: randomTime(r), UsedAt: randomTime(r), State: tokHeld, Job: r.Int64N(2)}
			f := r.Float64() * 100
			Expect(m.Update(func(tx Tx) error {
				Expect(tx.Put("sub", "s", s)).To(Succeed())
				Expect(tx.Put("tok", "t", &t)).To(Succeed())
				Expect(tx.Put("num", "f", f)).To(Succeed())
				Expect(tx.Put("num", "n", int64(i))).To(Succeed())
				return tx.Put("num", "b", i%2 == 0)
			})).To(Succeed())
			wantS, wantT := roundTrip(s), roundTrip(t)
			s.Tags = append(s.Tags, "changed after Put")
			Expect(m.View(func(tx Tx) error {
				gotS, gotT, gotF, gotN, gotB := &subscriberRec{}, tokenRec{}, 0.0, int64(0), false
				Expect(tx.Get("sub", "s", gotS)).To(BeTrue())
				Expect(tx.Get("tok", "t", &gotT)).To(BeTrue())
				Expect(tx.Get("num", "f", &gotF)).To(BeTrue())
				Expect(tx.Get("num", "n", &gotN)).To(BeTrue())
				Expect(tx.Get("num", "b", &gotB)).To(BeTrue())
				Expect(*gotS).To(Equal(*wantS))
				Expect(gotT).To(Equal(wantT))
				Expect(gotF).To(Equal(roundTrip(f)))
				Expect(gotN).To(Equal(int64(i)))
				Expect(gotB).To(Equal(i%2 == 0))
				gotS.Tags = append(gotS.Tags, "changed after Get")
				var again subscriberRec
				Expect(tx.Get("sub", "s", &again)).To(BeTrue())
				Expect(again).To(Equal(*wantS))
				return tx.Scan("sub", "", func(_ string, raw []byte) error {
					want, err := json.Marshal(wantS)
					Expect(err).NotTo(HaveOccurred())
					Expect(raw).To(MatchJSON(want))
					return nil
				})
			})).To(Succeed())
		}
	})

	g.It("decodes into a value that is not empty as JSON does, merging", func() {
		m := NewMemoryStore()
		Expect(m.Update(func(tx Tx) error { return tx.Put("tok", "t", &tokenRec{PSID: "1"}) })).To(Succeed())
		got := tokenRec{Job: 9}
		Expect(m.View(func(tx Tx) error { _, err := tx.Get("tok", "t", &got); return err })).To(Succeed())
		Expect(got).To(Equal(tokenRec{PSID: "1", Job: 9}))
	})

	g.It("still refuses values JSON cannot encode", func() {
		m := NewMemoryStore()
		Expect(m.Update(func(tx Tx) error {
			return tx.Put("stat", "x", func() {})
		})).To(MatchError(ContainSubstring("store: encode stat/x")))
	})

	g.It("sees its own writes and deletions, few or many, and commits them together", func() {
		for _, n := range []int{3, 40} {
			m := NewMemoryStore()
			Expect(m.Update(func(tx Tx) error {
				for i := range n {
					Expect(tx.Put("b", seqKey(int64(i)), int64(i))).To(Succeed())
				}
				return nil
			})).To(Succeed())
			Expect(m.Update(func(tx Tx) error {
				for i := range n {
					if i%2 == 0 {
						Expect(tx.Delete("b", seqKey(int64(i)))).To(Succeed())
					} else {
						Expect(tx.Put("b", seqKey(int64(i)), int64(10*i))).To(Succeed())
					}
				}
				Expect(tx.Put("b", seqKey(int64(n)), int64(-1))).To(Succeed())
				Expect(tx.Delete("b", seqKey(int64(n)))).To(Succeed())
				var v int64
				Expect(tx.Get("b", seqKey(1), &v)).To(BeTrue())
				Expect(v).To(Equal(int64(10)))
				Expect(tx.Get("b", seqKey(0), &v)).To(BeFalse())
				return errors.New("roll back")
			})).To(MatchError("roll back"))
			Expect(m.Update(func(tx Tx) error {
				for i := range n {
					if i%2 == 0 {
						Expect(tx.Delete("b", seqKey(int64(i)))).To(Succeed())
					}
				}
				return nil
			})).To(Succeed())
			var keys []string
			Expect(m.View(func(tx Tx) error {
				return tx.Scan("b", "", func(k string, raw []byte) error {
					keys = append(keys, k)
					var v int64
					Expect(json.Unmarshal(raw, &v)).To(Succeed())
					Expect(seqKey(v)).To(Equal(k))
					return nil
				})
			})).To(Succeed())
			Expect(keys).To(HaveLen(n / 2))
		}
	})
})
