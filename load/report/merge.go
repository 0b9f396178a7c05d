package report

import (
	"fmt"
	"sort"
)

// Merge combines reports of shards of one run (or of partial runs of the
// same configuration) into one: counters, findings and violations add up,
// latency histograms merge, wall time and memory take the largest shard's.
// It refuses reports of different runs and a shard given twice.
func Merge(rs ...*Report) (*Report, error) {
	if len(rs) == 0 {
		return nil, fmt.Errorf("merge: no reports")
	}
	first := rs[0]
	out := &Report{
		Version:    FormatVersion,
		Engine:     first.Engine,
		Profile:    first.Profile,
		Seed:       first.Seed,
		Population: first.Population,
		Days:       first.Days,
		Bot:        first.Bot,
		Findings:   map[string]int64{},
	}
	seen := map[string]bool{}
	h, wh := NewHistogram(), NewHistogram()
	for i, r := range rs {
		if r.Engine != first.Engine || r.Profile != first.Profile || r.Seed != first.Seed ||
			r.Population != first.Population || r.Days != first.Days {
			return nil, fmt.Errorf("merge report %d (seed %d, %d subscribers, %v days, %s, %s) with report 1 (seed %d, %d subscribers, %v days, %s, %s): %w",
				i+1, r.Seed, r.Population, r.Days, r.Profile, r.Engine, first.Seed, first.Population, first.Days, first.Profile, first.Engine, ErrMismatch)
		}
		shards := r.Shards
		if len(shards) == 0 {
			shards = []string{"1/1"}
		}
		for _, s := range shards {
			if seen[s] {
				return nil, fmt.Errorf("merge report %d: shard %s given twice: %w", i+1, s, ErrMismatch)
			}
			seen[s] = true
			out.Shards = append(out.Shards, s)
		}
		out.Subscribers += r.Subscribers
		out.Counters.Add(r.Counters)
		for rule, n := range r.Findings {
			out.Findings[rule] += n
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
	sort.Strings(out.Shards)
	if out.Subscribers > out.Population {
		return nil, fmt.Errorf("merge: %d subscribers in the reports, more than the run's %d: %w", out.Subscribers, out.Population, ErrMismatch)
	}
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

// Complete reports whether the report covers the whole population.
func (r *Report) Complete() bool { return r.Subscribers == r.Population }
