package fakegraph

import "time"

// rateState counts Send API calls on the simulated clock.
type rateState struct {
	second     int64 // unix second of the current per-second bucket
	pageCount  int
	mediaCount int
	hours      [24]hourBucket // sliding 24-hour quota, one bucket an hour
	threads    map[string]*threadCount
}

type hourBucket struct {
	hour  int64 // unix hour the bucket counts
	count int
}

type threadCount struct {
	start time.Time
	n     int
}

// throttle counts one call for the page and, when psid is known, its thread,
// and returns the refusal if a limit is exceeded. Callers hold s.mu.
func (s *Server) throttle(now time.Time, psid string, media bool) *Error {
	rl := &s.set().RateLimit
	if rl.Disabled {
		return nil
	}
	st := &s.rate
	sec := now.Unix()
	if sec != st.second {
		st.second, st.pageCount, st.mediaCount = sec, 0, 0
	}
	st.pageCount++
	if st.pageCount > rl.PerPagePerSecond {
		return s.errThrottle(rl.PageCode, "Page request limit reached")
	}
	if media {
		st.mediaCount++
		if st.mediaCount > rl.MediaPerSecond {
			return s.errThrottle(rl.MediaCode, "Calls to this api have exceeded the rate limit.")
		}
	}
	hour := sec / 3600
	b := &st.hours[hour%24]
	if b.hour != hour {
		b.hour, b.count = hour, 0
	}
	b.count++
	total := 0
	for i := range st.hours {
		if st.hours[i].hour > hour-24 {
			total += st.hours[i].count
		}
	}
	if total > rl.DailyPerUser*s.messageableLocked() {
		return s.errThrottle(rl.DailyCode, "Application request limit reached")
	}
	if psid != "" && rl.ThreadBurst > 0 {
		if st.threads == nil {
			st.threads = map[string]*threadCount{}
		}
		tc := st.threads[psid]
		if tc == nil {
			tc = &threadCount{}
			st.threads[psid] = tc
		}
		if !now.Before(tc.start.Add(rl.ThreadWindow)) {
			tc.start, tc.n = now, 0
		}
		tc.n++
		if tc.n > rl.ThreadBurst {
			return s.errThrottle(rl.ThreadCode, "Calls to this api have exceeded the rate limit.")
		}
	}
	return nil
}

// messageableLocked is the number of people the page can message (known users
// who have not blocked it or gone), at least one.
func (s *Server) messageableLocked() int { return max(s.activeUsers, 1) }
