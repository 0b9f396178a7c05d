package report

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds: 1µs to 60s at 3 significant figures.
const (
	lowestMicros  = 1
	highestMicros = 60_000_000
	sigFigs       = 3
)

// NewHistogram returns an HDR histogram of microseconds with the bounds every
// report uses, so histograms of shards merge.
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(lowestMicros, highestMicros, sigFigs)
}

// Latency summarises Send API round trips. HDR holds the whole histogram
// (HdrHistogram V2, compressed, base64) so shards merge exactly.
type Latency struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	Max   float64 `json:"max_ms"`
	Mean  float64 `json:"mean_ms"`
	HDR   string  `json:"hdr"`
}

// LatencyFrom summarises h; it returns nil for an empty histogram.
func LatencyFrom(h *hdrhistogram.Histogram) (*Latency, error) {
	if h == nil || h.TotalCount() == 0 {
		return nil, nil
	}
	enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("encode latency histogram: %w", err)
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return &Latency{
		Count: h.TotalCount(),
		P50:   ms(h.ValueAtQuantile(50)),
		P90:   ms(h.ValueAtQuantile(90)),
		P99:   ms(h.ValueAtQuantile(99)),
		P999:  ms(h.ValueAtQuantile(99.9)),
		Max:   ms(h.Max()),
		Mean:  h.Mean() / 1000,
		HDR:   string(enc),
	}, nil
}

// Limits on a stored histogram. One with otnsim's bounds holds about 28k
// counts, each at most 9 bytes encoded: 256 KiB decompressed at the worst.
const (
	// MaxHDRChars is the longest "hdr" string a report may carry.
	MaxHDRChars = 1 << 20
	// MaxHDRInflated is the most a stored histogram may decompress to.
	MaxHDRInflated = 1 << 20
)

// ErrBadHistogram is wrapped by the errors of a stored histogram that is
// not one otnsim wrote.
var ErrBadHistogram = errors.New("not a latency histogram otnsim writes")

// Histogram decodes the stored histogram. It checks what the histogram
// library takes on trust (sizes, the bounds, the counts), decompresses at
// most MaxHDRInflated bytes, and turns a panic of the library on a crafted
// payload into an error wrapping ErrBadHistogram.
func (l *Latency) Histogram() (h *hdrhistogram.Histogram, err error) {
	if err := checkHDR(l.HDR); err != nil {
		return nil, fmt.Errorf("decode latency histogram: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			h, err = nil, fmt.Errorf("decode latency histogram: %v: %w", p, ErrBadHistogram)
		}
	}()
	h, err = hdrhistogram.Decode([]byte(l.HDR))
	if err != nil {
		return nil, fmt.Errorf("decode latency histogram: %v: %w", err, ErrBadHistogram)
	}
	if h.TotalCount() < 0 || (l.Count != 0 && h.TotalCount() != l.Count) {
		return nil, fmt.Errorf("decode latency histogram: %d values, the report says %d: %w", h.TotalCount(), l.Count, ErrBadHistogram)
	}
	return h, nil
}

// checkHDR reads a stored histogram's envelope and decompressed header as
// the library would, and refuses what the library would panic on, spend
// unbounded memory on, or make with other bounds than NewHistogram's.
func checkHDR(s string) error {
	if len(s) > MaxHDRChars {
		return fmt.Errorf("%d characters, over %d: %w", len(s), MaxHDRChars, ErrBadHistogram)
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("%v: %w", err, ErrBadHistogram)
	}
	const envelope, header = 8, 40
	if len(raw) < envelope {
		return fmt.Errorf("%d bytes, too short: %w", len(raw), ErrBadHistogram)
	}
	if cookie := int32(binary.BigEndian.Uint32(raw)) &^ 0xf0; cookie != hdrhistogram.V2CompressedEncodingCookieBase {
		return fmt.Errorf("cookie %#x: %w", cookie, ErrBadHistogram)
	}
	n := int32(binary.BigEndian.Uint32(raw[4:]))
	if n < 0 || int(n) > len(raw)-envelope {
		return fmt.Errorf("compressed length %d of %d bytes: %w", n, len(raw)-envelope, ErrBadHistogram)
	}
	z, err := zlib.NewReader(bytes.NewReader(raw[envelope : envelope+int(n)]))
	if err != nil {
		return fmt.Errorf("%v: %w", err, ErrBadHistogram)
	}
	defer z.Close()
	inflated, err := io.ReadAll(io.LimitReader(z, MaxHDRInflated+1))
	if err != nil {
		return fmt.Errorf("%v: %w", err, ErrBadHistogram)
	}
	if len(inflated) > MaxHDRInflated {
		return fmt.Errorf("decompresses to over %d bytes: %w", MaxHDRInflated, ErrBadHistogram)
	}
	if len(inflated) < header {
		return fmt.Errorf("decompressed header of %d bytes: %w", len(inflated), ErrBadHistogram)
	}
	sig := int32(binary.BigEndian.Uint32(inflated[12:]))
	lo, hi := int64(binary.BigEndian.Uint64(inflated[16:])), int64(binary.BigEndian.Uint64(inflated[24:]))
	if sig != sigFigs || lo != lowestMicros || hi != highestMicros {
		return fmt.Errorf("bounds %d..%d at %d figures, want %d..%d at %d: %w", lo, hi, sig, lowestMicros, highestMicros, sigFigs, ErrBadHistogram)
	}
	return nil
}

// RecordDuration adds one round trip to h, clamped to its range.
func RecordDuration(h *hdrhistogram.Histogram, d time.Duration) {
	us := d.Microseconds()
	if us < lowestMicros {
		us = lowestMicros
	}
	if us > highestMicros {
		us = highestMicros
	}
	_ = h.RecordValue(us)
}
