package report

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ErrNoVerdict is returned when a report to merge holds an error instead of
// counts: its shard could not be run.
var ErrNoVerdict = errors.New("the report holds an error, not a run's counts")

// Merge combines reports of shards of one run (or of partial runs of the
// same configuration) into one: counters, findings and violations add up,
// latency histograms merge, wall time and memory take the largest shard's,
// the start the earliest shard's. It refuses reports of different runs, of
// different splits (0/2 with 1/4), a shard given twice, and a report that
// holds an error. The shards of the split that no report covers are the
// merged report's MissingShards: see Complete.
func Merge(rs ...*Report) (*Report, error) {
	if len(rs) == 0 {
		return nil, fmt.Errorf("merge: no reports")
	}
	first := rs[0]
	out := &Report{
		Version:    FormatVersion,
		Tool:       first.Tool,
		Started:    first.Started,
		Engine:     first.Engine,
		Profile:    first.Profile,
		Seed:       first.Seed,
		Population: first.Population,
		Days:       first.Days,
		Bot:        first.Bot,
		Findings:   map[string]int64{},
	}
	seen := map[int]bool{}
	split := 0 // the N of the shards' i/N
	h, wh := NewHistogram(), NewHistogram()
	for i, r := range rs {
		if e := r.Error; e != nil {
			return nil, fmt.Errorf("merge report %d (shards %s): %s: %s: %w", i+1, strings.Join(r.Shards, ", "), e.Kind, e.Message, ErrNoVerdict)
		}
		if r.Engine != first.Engine || r.Profile != first.Profile || r.Seed != first.Seed ||
			r.Population != first.Population || r.Days != first.Days {
			return nil, fmt.Errorf("merge report %d (seed %d, %d subscribers, %v days, %s, %s) with report 1 (seed %d, %d subscribers, %v days, %s, %s): %w",
				i+1, r.Seed, r.Population, r.Days, r.Profile, r.Engine, first.Seed, first.Population, first.Days, first.Profile, first.Engine, ErrMismatch)
		}
		shards := r.Shards
		if len(shards) == 0 {
			shards = []string{"0/1"} // the whole run
		}
		for _, s := range shards {
			idx, n, err := parseShard(s)
			if err != nil {
				return nil, fmt.Errorf("merge report %d: %w", i+1, err)
			}
			if split == 0 {
				split = n
			}
			if n != split {
				return nil, fmt.Errorf("merge report %d: shard %s is of another split than shard %s: %w", i+1, s, out.Shards[0], ErrMismatch)
			}
			if seen[idx] {
				return nil, fmt.Errorf("merge report %d: shard %s given twice: %w", i+1, s, ErrMismatch)
			}
			seen[idx] = true
			out.Shards = append(out.Shards, s)
		}
		if r.Subscribers > first.Population-out.Subscribers {
			return nil, fmt.Errorf("merge: %d subscribers in the reports, more than the run's %d: %w", out.Subscribers+r.Subscribers, first.Population, ErrMismatch)
		}
		if !r.Started.IsZero() && (out.Started.IsZero() || r.Started.Before(out.Started)) {
			out.Started = r.Started
		}
		if err := r.Check(); err != nil {
			return nil, fmt.Errorf("merge report %d: %w", i+1, err)
		}
		out.Subscribers += r.Subscribers // each at most the population, checked below
		if err := out.Counters.addChecked(r.Counters); err != nil {
			return nil, fmt.Errorf("merge report %d: %w", i+1, err)
		}
		if r.Throughput != nil {
			if out.Throughput == nil {
				out.Throughput = &Throughput{BucketMS: r.Throughput.BucketMS}
			}
			out.Throughput.Add(r.Throughput)
		}
		for rule, n := range r.Findings {
			v := out.Findings[rule]
			if err := addInt64(&v, n, "findings_by_rule."+rule); err != nil {
				return nil, fmt.Errorf("merge report %d: %w", i+1, err)
			}
			out.Findings[rule] = v
		}
		if vc := out.ViolationCount; addInt64(&vc, r.ViolationCount, "violation_count") != nil {
			return nil, fmt.Errorf("merge report %d: violation_count overflows: %w", i+1, ErrBadReport)
		}
		for rule, s := range r.Samples {
			out.AddSample(rule, s)
		}
		out.AddViolations(r.ViolationCount, r.Violations)
		out.WallSeconds = max(out.WallSeconds, r.WallSeconds)
		out.ShardSeconds += r.ShardSeconds
		out.PeakMemoryBytes = max(out.PeakMemoryBytes, r.PeakMemoryBytes)
		if r.Latency != nil {
			lh, err := r.Latency.Histogram()
			if err != nil {
				return nil, fmt.Errorf("merge report %d: %w", i+1, err)
			}
			h.Merge(lh)
		}
		if r.WebhookLatency != nil {
			lh, err := r.WebhookLatency.Histogram()
			if err != nil {
				return nil, fmt.Errorf("merge report %d: %w", i+1, err)
			}
			wh.Merge(lh)
		}
	}
	sort.Slice(out.Shards, func(a, b int) bool {
		x, _, _ := parseShard(out.Shards[a])
		y, _, _ := parseShard(out.Shards[b])
		return x < y
	})
	for idx := range split {
		if !seen[idx] {
			out.MissingShards = append(out.MissingShards, fmt.Sprintf("%d/%d", idx, split))
		}
	}
	if out.Subscribers > out.Population {
		return nil, fmt.Errorf("merge: %d subscribers in the reports, more than the run's %d: %w", out.Subscribers, out.Population, ErrMismatch)
	}
	out.TrimLifelines()
	lat, err := LatencyFrom(h)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	out.Latency = lat
	if out.WebhookLatency, err = LatencyFrom(wh); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	return out, nil
}

// parseShard reads a report's "i/N" (0 <= i < N), as otnsim load --shard
// writes it.
func parseShard(s string) (idx, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	idx, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || idx < 0 || idx >= n ||
		s != strconv.Itoa(idx)+"/"+strconv.Itoa(n) { // digits only: no sign, space or leading zero
		return 0, 0, fmt.Errorf("shard %q: want i/N with 0 <= i < N: %w", s, ErrMismatch)
	}
	return idx, n, nil
}
