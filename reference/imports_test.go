package reference_test

import (
	"database/sql"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("imports", func() {
	// The SQLite driver lives in reference/sqlitestore; nothing this test
	// binary links (reference and everything its tests use) registers it.
	It("leave the SQLite driver out", func() {
		Expect(sql.Drivers()).NotTo(ContainElement("sqlite"))
	})
})
