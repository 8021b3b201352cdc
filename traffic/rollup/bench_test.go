package rollup

import (
	"slices"
	"testing"
)

// BenchmarkRollup adds events spread over 500 endpoints and 24 hours
// (12,000 buckets) with a realistic mix of statuses, probes, consumers and
// latencies, in time order as logs deliver them. 10 million events in 60 s
// needs 167,000 events/s.
func BenchmarkRollup(b *testing.B) {
	ks, es := events(11, 1<<16, 500)
	order := make([]int, len(es))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return es[i].Time.Compare(es[j].Time) })
	ks = permute(ks, order)
	es = permute(es, order)
	b.ReportAllocs()
	r := New(nil)
	i := 0
	for b.Loop() {
		j := i & (len(es) - 1)
		r.Add(ks[j], &es[j])
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func permute[T any](s []T, order []int) []T {
	out := make([]T, len(s))
	for i, j := range order {
		out[i] = s[j]
	}
	return out
}
