package sim

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// RegionMix returns count country codes spread over mix (code -> share) in
// proportion, with the counts rounded by largest remainder so they add up to
// count exactly, interleaved so every prefix of the list is close to the
// mix. An empty mix means the default population. It is deterministic.
func RegionMix(count int, mix map[string]float64) ([]string, error) {
	if count < 0 {
		return nil, fmt.Errorf("region mix: negative count %d", count)
	}
	if len(mix) == 0 {
		out := make([]string, count)
		for i := range out {
			out[i] = defaultRegionMix[i%len(defaultRegionMix)]
		}
		return out, nil
	}
	codes := make([]string, 0, len(mix))
	total := 0.0
	for c, w := range mix {
		code := strings.ToUpper(c)
		if !KnownRegion(code) {
			return nil, fmt.Errorf("region mix: unknown region %q (known: %s)", c, strings.Join(Regions(), ", "))
		}
		if w <= 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("region mix: share of %s must be above 0, got %v", c, w)
		}
		codes = append(codes, code)
		total += w
	}
	sort.Strings(codes)
	want := make([]int, len(codes))
	rem := make([]float64, len(codes))
	given := 0
	for i, c := range codes {
		exact := float64(count) * mix[c] / total
		want[i] = int(math.Floor(exact))
		rem[i] = exact - float64(want[i])
		given += want[i]
	}
	order := make([]int, len(codes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rem[order[a]] > rem[order[b]] })
	for k := 0; given < count; k++ {
		want[order[k%len(order)]]++
		given++
	}
	// Interleave: at each position pick the region furthest behind its share.
	out := make([]string, 0, count)
	placed := make([]int, len(codes))
	for pos := 1; pos <= count; pos++ {
		best, bestLag := -1, math.Inf(-1)
		for i := range codes {
			if placed[i] == want[i] {
				continue
			}
			lag := float64(want[i])*float64(pos)/float64(count) - float64(placed[i])
			if lag > bestLag {
				best, bestLag = i, lag
			}
		}
		placed[best]++
		out = append(out, codes[best])
	}
	return out, nil
}
