package clock

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// day, week and year are the units otnsim adds to Go's: a year is 365 days.
const (
	day  = 24 * time.Hour
	week = 7 * day
	year = 365 * day
)

// units are the unit suffixes ParseDuration reads, in nanoseconds.
var units = map[string]uint64{
	"ns": uint64(time.Nanosecond),
	"us": uint64(time.Microsecond),
	"µs": uint64(time.Microsecond), // U+00B5
	"μs": uint64(time.Microsecond), // U+03BC
	"ms": uint64(time.Millisecond),
	"s":  uint64(time.Second),
	"m":  uint64(time.Minute),
	"h":  uint64(time.Hour),
	"d":  uint64(day),
	"w":  uint64(week),
	"y":  uint64(year),
}

// errTooLong is returned for a duration that does not fit in time.Duration.
var errTooLong = errors.New("too long (the longest duration is 292y171d23h47m16.854775807s, about 292 years)")

// ParseDuration reads otnsim's duration syntax: Go's units (ns, us, ms, s,
// m, h) with days (d), weeks (w) and 365-day years (y) as well, each
// number optionally with a fraction: "48h", "2d", "1.5d", "1y",
// "23h59m59.999s", "1y1ms". A bare "0" is zero. There is no sign: a
// duration is never negative. A value that does not fit in time.Duration
// (about 292 years) is an error, not a wrap-around.
func ParseDuration(s string) (time.Duration, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	if s == "0" {
		return 0, nil
	}
	var total uint64
	for s != "" {
		i := 0
		for i < len(s) && isNumByte(s[i]) {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("bad duration %q: expected a number before %q", orig, s)
		}
		j := i
		for j < len(s) && !isNumByte(s[j]) {
			j++
		}
		num, unit := s[:i], s[i:j]
		s = s[j:]
		if unit == "" {
			return 0, fmt.Errorf("bad duration %q: %q needs a unit (ms, s, m, h, d, w, y)", orig, num)
		}
		mult, ok := units[unit]
		if !ok {
			return 0, fmt.Errorf("bad duration %q: unknown unit %q (use ms, s, m, h, d, w, y)", orig, unit)
		}
		v, err := scale(num, mult)
		if err != nil {
			return 0, fmt.Errorf("bad duration %q: %w", orig, err)
		}
		total += v
		if total > math.MaxInt64 {
			return 0, fmt.Errorf("bad duration %q: %w", orig, errTooLong)
		}
	}
	return time.Duration(total), nil
}

func isNumByte(c byte) bool { return c >= '0' && c <= '9' || c == '.' }

// scale returns num (digits, optionally a fraction) times unit nanoseconds,
// or an error when num is malformed or the product exceeds math.MaxInt64.
func scale(num string, unit uint64) (uint64, error) {
	whole, frac, _ := strings.Cut(num, ".")
	if whole == "" && frac == "" || strings.Contains(frac, ".") {
		return 0, fmt.Errorf("bad number %q", num)
	}
	var v uint64
	for _, c := range []byte(whole) {
		if v > math.MaxInt64/10 {
			return 0, errTooLong
		}
		v = v*10 + uint64(c-'0')
	}
	if v > math.MaxInt64/unit {
		return 0, errTooLong
	}
	v *= unit
	// The fraction: digits beyond what a uint64 holds are below a nanosecond
	// for every unit, so they are dropped.
	var f uint64
	div := 1.0
	for _, c := range []byte(frac) {
		if f > (math.MaxInt64-9)/10 {
			break
		}
		f = f*10 + uint64(c-'0')
		div *= 10
	}
	if f > 0 {
		v += uint64(float64(f) * (float64(unit) / div))
		if v > math.MaxInt64 {
			return 0, errTooLong
		}
	}
	return v, nil
}

// FormatDuration renders d in the syntax ParseDuration reads, in the largest
// units that fit: 24h is "1d", 36h "1d12h", 1.5s "1.5s", 250ms "250ms", 366
// days "1y1d", zero "0". ParseDuration(FormatDuration(d)) == d for every d
// ≥ 0. A negative d, which the syntax cannot express, is rendered as Go's
// time.Duration.String would.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		return d.String()
	}
	if d == 0 {
		return "0"
	}
	u := uint64(d)
	var b []byte
	for _, p := range [...]struct {
		unit string
		n    uint64
	}{{"y", uint64(year)}, {"d", uint64(day)}, {"h", uint64(time.Hour)}, {"m", uint64(time.Minute)}} {
		if u >= p.n {
			b = strconv.AppendUint(b, u/p.n, 10)
			b = append(b, p.unit...)
			u %= p.n
		}
	}
	sec := uint64(time.Second)
	switch {
	case u == 0:
	case u >= sec || len(b) > 0:
		b = strconv.AppendUint(b, u/sec, 10)
		if frac := u % sec; frac > 0 {
			f := strconv.AppendUint(nil, frac+sec, 10)[1:] // nine digits, leading zeros kept
			b = append(b, '.')
			b = append(b, strings.TrimRight(string(f), "0")...)
		}
		b = append(b, 's')
	case u%uint64(time.Millisecond) == 0:
		b = append(strconv.AppendUint(b, u/uint64(time.Millisecond), 10), "ms"...)
	case u%uint64(time.Microsecond) == 0:
		b = append(strconv.AppendUint(b, u/uint64(time.Microsecond), 10), "us"...)
	default:
		b = append(strconv.AppendUint(b, u, 10), "ns"...)
	}
	return string(b)
}
