package report_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/otnsim/otnsim/load/report"
)

// FuzzMerge reads two arbitrary JSON reports as otnsim report merge does
// (UnmarshalJSON, then Check) and merges them: nothing may panic (issue 17:
// the histogram library did on a crafted payload), and a merge that
// succeeds gives a report that passes Check, with counters no smaller than
// either report's, and that writes and reads back.
func FuzzMerge(f *testing.F) {
	base := func(shard string, events int64, lat ...time.Duration) []byte {
		r := &report.Report{Version: report.FormatVersion, Engine: "http", Profile: "p", Seed: 1, Population: 10, Days: 30,
			Subscribers: 5, Shards: []string{shard}, Findings: map[string]int64{"OTN-TOKEN-ONCE": 1},
			Counters: report.Counters{Events: events}}
		h := report.NewHistogram()
		for _, d := range lat {
			report.RecordDuration(h, d)
		}
		r.Latency, _ = report.LatencyFrom(h)
		b, err := r.MarshalIndent()
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	f.Add(base("0/2", 3, time.Millisecond), base("1/2", 4, 2*time.Millisecond))
	f.Add(base("0/2", 9223372036854775807), base("1/2", 1))
	f.Add(base("5/3", 1), base("-1/0", 1))
	f.Add([]byte(`{"schema":"otnsim-load","version":2,"send_latency":{"count":1,"hdr":"HISTFAAAAB14nJNpmSzMwMDAxQABzFCaEUzOmNZg/wEmLQKbAA=="}}`), base("1/2", 1))
	f.Add([]byte(`{}`), []byte(`[]`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var reps []*report.Report
		for _, src := range [][]byte{a, b} {
			var r report.Report
			if json.Unmarshal(src, &r) != nil || r.Check() != nil {
				return
			}
			reps = append(reps, &r)
		}
		m, err := report.Merge(reps...)
		if err != nil {
			return
		}
		if err := m.Check(); err != nil {
			t.Fatalf("a merged report fails Check: %v", err)
		}
		if m.Counters.Events < reps[0].Counters.Events || m.Counters.Events < reps[1].Counters.Events {
			t.Fatalf("events %d after merging %d and %d", m.Counters.Events, reps[0].Counters.Events, reps[1].Counters.Events)
		}
		out, err := m.MarshalIndent()
		if err != nil {
			t.Fatalf("a merged report does not encode: %v", err)
		}
		var back report.Report
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("a merged report does not read back: %v", err)
		}
	})
}
