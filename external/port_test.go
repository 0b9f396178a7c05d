package external

import (
	"net"
	"os"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the bot's port", func() {
	It("is drawn from below the kernel's ephemeral range, so no listener on :0 can take it before the bot binds it", func() {
		b, err := os.ReadFile(ephemeralRangeFile)
		if err != nil {
			Skip("this kernel does not say which ports it hands out: " + err.Error())
		}
		start, err := strconv.Atoi(strings.Fields(string(b))[0])
		Expect(err).NotTo(HaveOccurred())
		if start-botPortFloor < 1000 {
			Skip("the ephemeral range starts at " + strconv.Itoa(start) + ": no room below it")
		}
		for range 20 {
			p, err := botPort()
			Expect(err).NotTo(HaveOccurred())
			Expect(p).To(BeNumerically(">=", botPortFloor))
			Expect(p).To(BeNumerically("<", start), "a port the kernel could hand to anyone")
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			Expect(err).NotTo(HaveOccurred(), "the port is free for the bot")
			Expect(ln.Close()).To(Succeed())
		}
	})

	It("falls back to a port the kernel picks when the range is unknown or leaves no room", func() {
		for _, s := range []string{"", "32768", "a b", "15500\t60999\n", "70000 80000"} {
			_, _, ok := belowRange(s)
			Expect(ok).To(BeFalse(), "%q", s)
		}
		lo, hi, ok := belowRange("32768\t60999\n")
		Expect(ok).To(BeTrue())
		Expect([]int{lo, hi}).To(Equal([]int{botPortFloor, 32768}))
	})
})
