package main

import (
	"encoding/json"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/rules"
)

var _ = Describe("otnsim rules", func() {
	It("lists every rule of the catalogue, one per line", func() {
		code, out, _ := otnsim("rules")
		Expect(code).To(Equal(0))
		lines := strings.Split(strings.TrimSpace(out), "\n")
		Expect(lines).To(HaveLen(len(rules.All()) + 1))
		Expect(out).To(MatchRegexp(`OTN-TOKEN-ONCE\s+platform\s+failure\s+a token delivers exactly one message`))
	})

	It("prints JSON with --json", func() {
		code, out, _ := otnsim("rules", "--json")
		Expect(code).To(Equal(0))
		var rows []map[string]string
		Expect(json.Unmarshal([]byte(out), &rows)).To(Succeed())
		Expect(rows).To(HaveLen(len(rules.All())))
		Expect(rows[0]).To(HaveKey("id"))
		Expect(rows[0]).To(HaveKey("severity"))
	})

	It("refuses an argument that is no rule id, with exit 2", func() {
		code, _, errOut := otnsim("rules", "extra")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring(`"extra" is no rule of the catalogue`))
	})
})
