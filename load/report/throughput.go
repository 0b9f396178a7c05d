package report

import "time"

// maxBuckets bounds how many spans of virtual time a Throughput counts.
const maxBuckets = 480

// Throughput counts events and Send API calls per span of virtual time,
// from the run's start: what the HTML report draws as throughput over
// virtual time. Shards' counts add up bucket by bucket.
type Throughput struct {
	BucketMS  int64   `json:"bucket_ms"`
	Events    []int64 `json:"events"`
	SendCalls []int64 `json:"send_calls"`
}

// NewThroughput returns empty counts for a run of days virtual days: whole
// hours per bucket, at most maxBuckets of them, the same for every shard.
func NewThroughput(days float64) *Throughput {
	span := time.Duration(days * float64(24*time.Hour))
	bucket := time.Hour
	if n := (span + time.Hour*maxBuckets - 1) / (time.Hour * maxBuckets); n > 1 {
		bucket = n * time.Hour
	}
	n := int((span + bucket - 1) / bucket)
	return &Throughput{BucketMS: bucket.Milliseconds(), Events: make([]int64, max(n, 1)), SendCalls: make([]int64, max(n, 1))}
}

// Count adds an event (a Send API call when send) that happened since after
// the run's start.
func (t *Throughput) Count(since time.Duration, send bool) {
	i := int(since.Milliseconds() / t.BucketMS)
	i = min(max(i, 0), len(t.Events)-1)
	t.Events[i]++
	if send {
		t.SendCalls[i]++
	}
}

// Add adds o's counts to t; a nil t or o, or counts of another bucket
// width, leave t as it is and report false.
func (t *Throughput) Add(o *Throughput) bool {
	if t == nil || o == nil || t.BucketMS != o.BucketMS {
		return false
	}
	for len(t.Events) < len(o.Events) {
		t.Events, t.SendCalls = append(t.Events, 0), append(t.SendCalls, 0)
	}
	for i := range o.Events {
		t.Events[i] += o.Events[i]
		if i < len(o.SendCalls) {
			t.SendCalls[i] += o.SendCalls[i]
		}
	}
	return true
}
