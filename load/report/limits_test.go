package report_test

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/load/report"
)

// hdr builds a stored histogram as the library lays it out: the compressed
// envelope around a 40-byte header (cookie, payload length, offset,
// figures, lowest, highest, ratio) and payload.
func hdr(sig int32, lo, hi int64, payload []byte) string {
	var in bytes.Buffer
	_ = binary.Write(&in, binary.BigEndian, []int32{0x1c849303 | 0x10, int32(len(payload)), 0, sig})
	_ = binary.Write(&in, binary.BigEndian, []int64{lo, hi})
	_ = binary.Write(&in, binary.BigEndian, 1.0)
	in.Write(payload)
	return envelope(in.Bytes())
}

func envelope(inflated []byte) string {
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	_, _ = w.Write(inflated)
	_ = w.Close()
	var out bytes.Buffer
	_ = binary.Write(&out, binary.BigEndian, []int32{0x1c849304 | 0x10, int32(z.Len())})
	out.Write(z.Bytes())
	return base64.StdEncoding.EncodeToString(out.Bytes())
}

// Issue 17: report merge panicked inside the histogram library on a crafted
// payload, spent 1.26 GB on a zlib bomb, let counters overflow to negative
// and took shards such as 5/3 and -1/0.
var _ = Describe("reports no run could have written", func() {
	DescribeTable("refuses a crafted latency histogram with an error, never a panic",
		func(s string) {
			l := &report.Latency{Count: 1, HDR: s}
			var err error
			Expect(func() { _, err = l.Histogram() }).NotTo(Panic())
			Expect(err).To(MatchError(report.ErrBadHistogram))
			r := shard("0/1", 4)
			r.Latency = l
			Expect(r.Check()).To(MatchError(report.ErrBadReport))
		},
		Entry("four bytes", base64.StdEncoding.EncodeToString([]byte{0x1c, 0x84, 0x93, 0x14})),
		Entry("a negative compressed length", base64.StdEncoding.EncodeToString([]byte{0x1c, 0x84, 0x93, 0x14, 0xff, 0xff, 0xff, 0xff})),
		Entry("a header cut short", envelope([]byte{1, 2, 3})),
		Entry("other bounds (the library would allocate for them)", hdr(5, 1, 1<<62, nil)),
		Entry("a count past the end of the counts", hdr(3, 1, 60_000_000, []byte{0xff, 0xff, 0xff, 0xff, 0x0f, 0x02})),
		Entry("a zlib bomb", envelope(make([]byte, 8<<20))),
		Entry("a string over the limit", string(bytes.Repeat([]byte("A"), report.MaxHDRChars+4))),
	)

	It("decodes the histograms it writes", func() {
		r := shard("0/1", 4, time.Millisecond, 3*time.Millisecond)
		h, err := r.Latency.Histogram()
		Expect(err).NotTo(HaveOccurred())
		Expect(h.TotalCount()).To(Equal(int64(2)))
		Expect(r.Check()).To(Succeed())
	})

	It("refuses a merge whose counters would overflow, and negative counts", func() {
		a, b := shard("0/2", 4), shard("1/2", 6)
		a.Counters.Events, b.Counters.Events = math.MaxInt64, 1
		_, err := report.Merge(a, b)
		Expect(err).To(MatchError(ContainSubstring("counters.events overflows")))
		Expect(err).To(MatchError(report.ErrBadReport))
		a.Counters.Events, a.Findings["OTN-TOKEN-ONCE"] = 1, math.MaxInt64
		_, err = report.Merge(a, b)
		Expect(err).To(MatchError(ContainSubstring("findings_by_rule.OTN-TOKEN-ONCE overflows")))
		c := shard("0/1", 4)
		c.Counters.SendOK = -1
		Expect(c.Check()).To(MatchError(ContainSubstring("counters.send_ok is negative (-1)")))
		_, err = report.Merge(c)
		Expect(err).To(MatchError(report.ErrBadReport))
	})

	It("refuses shard strings that are not i/N with 0 <= i < N, when read", func() {
		dir := GinkgoT().TempDir()
		for _, s := range []string{"5/3", "-1/0", "0/0", "x/2", "1", "1/+2", "01/2"} {
			r := shard(s, 4)
			path := filepath.Join(dir, "r.json")
			Expect(r.WriteFile(path)).To(Succeed())
			_, err := report.ReadFile(path)
			Expect(err).To(MatchError(ContainSubstring("want i/N with 0 <= i < N")), s)
		}
	})

	It("refuses a file over the size limit before decoding it", func() {
		path := filepath.Join(GinkgoT().TempDir(), "big.json")
		Expect(os.WriteFile(path, bytes.Repeat([]byte(" "), report.MaxReportBytes+1), 0o644)).To(Succeed())
		_, err := report.ReadFile(path)
		Expect(err).To(MatchError(report.ErrBadReport))
	})
})
