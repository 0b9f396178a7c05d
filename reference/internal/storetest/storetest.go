// Package storetest holds the specs every reference.Store must pass, for
// the store packages' Ginkgo suites.
package storetest

import (
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/reference"
)

type doc struct{ N int }

var errBoom = errors.New("boom")

// Contract declares the specs of a reference.Store, on fresh stores from
// open; call it inside a Describe.
func Contract(open func() reference.Store) {
	It("commits together, rolls back on error, and scans a prefix in key order", func() {
		st := open()
		defer st.Close()
		Expect(st.Update(func(tx reference.Tx) error {
			for _, k := range []string{"b2", "a1", "b1", "c"} {
				if err := tx.Put("x", k, doc{len(k)}); err != nil {
					return err
				}
			}
			return nil
		})).To(Succeed())
		boom := st.Update(func(tx reference.Tx) error {
			_ = tx.Put("x", "b3", doc{3})
			_ = tx.Delete("x", "a1")
			return errBoom
		})
		Expect(boom).To(MatchError(errBoom))
		var keys []string
		Expect(st.View(func(tx reference.Tx) error {
			var d doc
			found, err := tx.Get("x", "a1", &d)
			Expect(err).NotTo(HaveOccurred())
			Expect(found).To(BeTrue())
			Expect(d.N).To(Equal(2))
			return tx.Scan("x", "b", func(k string, _ []byte) error { keys = append(keys, k); return nil })
		})).To(Succeed())
		Expect(keys).To(Equal([]string{"b1", "b2"}))
	})

	It("refuses writes in a read-only transaction", func() {
		st := open()
		defer st.Close()
		Expect(st.View(func(tx reference.Tx) error { return tx.Put("x", "y", doc{}) })).To(HaveOccurred())
		Expect(st.View(func(tx reference.Tx) error { return tx.Delete("x", "y") })).To(HaveOccurred())
	})

	It("reports a missing key as not found", func() {
		st := open()
		defer st.Close()
		Expect(st.View(func(tx reference.Tx) error {
			var d doc
			found, err := tx.Get("x", "nope", &d)
			Expect(found).To(BeFalse())
			return err
		})).To(Succeed())
	})
}
