package rules

import (
	"context"
	"testing"

	"github.com/steward-governance/steward/rules/internal/benchspec"
)

// largeSpec builds the benchmark document (see benchspec.Build), skipping
// when the corpus is not there.
func largeSpec(tb testing.TB, size int) []byte {
	src, err := benchspec.Build(corpusDir, size)
	if err != nil {
		tb.Skipf("corpus not available: %v", err)
	}
	return src
}

// BenchmarkLint13MB lints the 13 MB OpenAPI 3.0 benchmark document with every
// spectral:oas rule: the target is 2 s and 400 MB on 2 cores. Each
// iteration parses the bytes and lints them, as a CLI run would.
// docs/benchmarks.md ("Rule engine") says how to run it and what it gave.
func BenchmarkLint13MB(b *testing.B) {
	src := largeSpec(b, benchspec.Size13MB)
	rs, err := Parse([]byte("extends: [[spectral:oas, all]]"), "bench.yaml", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		rep, err := rs.LintBytes(context.Background(), src, LintOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.RuleErrors) > 0 {
			b.Fatal(rep.RuleErrors)
		}
	}
}
