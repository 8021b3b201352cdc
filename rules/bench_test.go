package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// largeSpec grows a real corpus spec to about size bytes by copying its
// paths under new prefixes, to benchmark linting a spec of that size.
func largeSpec(tb testing.TB, name string, size int) []byte {
	raw, err := os.ReadFile(filepath.Join(corpusDir, "specs", name))
	if err != nil {
		tb.Skipf("corpus not available: %v", err)
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		tb.Fatal(err)
	}
	paths := spec["paths"].(map[string]any)
	orig := make(map[string]any, len(paths))
	for k, v := range paths {
		orig[k] = v
	}
	for i := 0; ; i++ {
		out, _ := json.MarshalIndent(spec, "", "  ")
		if len(out) >= size {
			return out
		}
		for k, v := range orig {
			paths[fmt.Sprintf("/copy%d%s", i, k)] = v
		}
	}
}

// BenchmarkLintLargeSpec lints a ~13 MB OpenAPI 3.0 spec with every
// spectral:oas rule (the target: 2 s and 400 MB on 2 cores).
func BenchmarkLintLargeSpec(b *testing.B) {
	src := largeSpec(b, "linode.com.json", 13<<20)
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
