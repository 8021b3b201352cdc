package journal

import (
	"context"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkAppendParallel appends one ~100-byte event per Append from about
// 32 goroutines, as 32 ingest connections would, and reports records/s, the
// 99th percentile Append latency and how many records each fdatasync carried.
func BenchmarkAppendParallel(b *testing.B) {
	j, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((32 + procs - 1) / procs)

	var mu sync.Mutex
	var latencies []time.Duration
	before := j.Stats()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		e := sampleEvent()
		var buf []byte
		var mine []time.Duration
		for pb.Next() {
			buf = EncodeEvent(buf[:0], 1, &e)
			t0 := time.Now()
			if err := j.Append(context.Background(), buf); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		latencies = append(latencies, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()

	after := j.Stats()
	slices.Sort(latencies)
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "records/s")
	b.ReportMetric(percentile(latencies, 0.50).Seconds()*1e3, "p50-ms")
	b.ReportMetric(percentile(latencies, 0.99).Seconds()*1e3, "p99-ms")
	if syncs := after.Fsyncs - before.Fsyncs; syncs > 0 {
		b.ReportMetric(float64(after.Appended-before.Appended)/float64(syncs), "records/fsync")
	}
}

// percentile reads the q-quantile off sorted latencies.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// BenchmarkFdatasync is the floor under every group commit: one small write
// and one fdatasync on the disk the temporary directory lives on.
func BenchmarkFdatasync(b *testing.B) {
	f, err := os.Create(b.TempDir() + "/sync")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	record := make([]byte, 128)
	var latencies []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := f.Write(record); err != nil {
			b.Fatal(err)
		}
		if err := fdatasync(f); err != nil {
			b.Fatal(err)
		}
		latencies = append(latencies, time.Since(t0))
	}
	slices.Sort(latencies)
	b.ReportMetric(percentile(latencies, 0.50).Seconds()*1e6, "p50-µs")
	b.ReportMetric(percentile(latencies, 0.99).Seconds()*1e6, "p99-µs")
}

func BenchmarkEncodeDecodeEvent(b *testing.B) {
	e := sampleEvent()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = EncodeEvent(buf[:0], 1, &e)
		if _, _, err := DecodeEvent(buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(buf)), "bytes/event")
}
