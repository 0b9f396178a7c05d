package httpbody_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/httpbody"
)

func TestHTTPBody(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "httpbody Suite")
}

var _ = Describe("Read", func() {
	It("reads bodies of any announced size as io.ReadAll with a limit does", func() {
		body := bytes.Repeat([]byte("0123456789"), 100)
		for _, size := range []int64{-1, 0, 1, 500, 999, 1000, 1001, 5000} {
			for _, limit := range []int64{10, 1000, 1001, 1 << 20} {
				want, _ := io.ReadAll(io.LimitReader(bytes.NewReader(body), limit))
				got, err := httpbody.Read(iotest.OneByteReader(bytes.NewReader(body)), size, limit)
				Expect(err).NotTo(HaveOccurred())
				Expect(got).To(Equal(want), "size %d limit %d", size, limit)
			}
		}
		_, err := httpbody.Read(iotest.ErrReader(errors.New("broken")), 10, 100)
		Expect(err).To(MatchError("broken"))
	})
})
