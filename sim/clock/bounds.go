package clock

import (
	"errors"
	"fmt"
	"time"
)

// The virtual clock's range. Every instant otnsim handles lies in
// [Earliest, Latest]: inside it a time is a whole number of nanoseconds
// since 1970 in an int64 (Time.UnixNano), and renders in RFC 3339 and JSON
// with a four-digit year. A start, an advance or an "at" outside it is an
// input error, and a virtual clock never moves past Latest.
var (
	Earliest = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	Latest   = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
)

// ErrOutOfRange is wrapped by the errors of CheckTime and Add.
var ErrOutOfRange = errors.New("outside the clock's range")

// CheckTime returns an error wrapping ErrOutOfRange when t lies outside
// [Earliest, Latest].
func CheckTime(t time.Time) error {
	if t.Before(Earliest) || t.After(Latest) {
		return fmt.Errorf("%s is %w (%s to %s)", t.UTC().Format(time.RFC3339Nano), ErrOutOfRange,
			Earliest.Format(time.RFC3339), Latest.Format(time.RFC3339))
	}
	return nil
}

// Add returns t+d, or an error wrapping ErrOutOfRange when d is negative or
// the sum lies past Latest (or t itself outside the range). It is the one
// checked addition of a duration to an instant: time.Time.Add itself never
// fails, so an unchecked sum can land anywhere.
func Add(t time.Time, d time.Duration) (time.Time, error) {
	if err := CheckTime(t); err != nil {
		return t, err
	}
	if d < 0 {
		return t, fmt.Errorf("negative duration %s", d)
	}
	if d > Latest.Sub(t) { // Sub saturates, and Latest-t is at most about 292 years here
		return t, fmt.Errorf("%s after %s is %w (the latest instant is %s)", FormatDuration(d),
			t.UTC().Format(time.RFC3339Nano), ErrOutOfRange, Latest.Format(time.RFC3339))
	}
	return t.Add(d), nil
}
