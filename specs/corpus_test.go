package specs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// corpusDir holds real-world specs shared by the Steward team.
var corpusDir = filepath.Join("..", "..", "shared", "corpus", "specs")

// expectedRejections lists corpus files Parse must refuse, with why. Any
// other rejection, or an acceptance of a file listed here, fails the test.
// Every file in the corpus is currently a readable OpenAPI description, so
// the list is empty; add an entry only for a file that is really broken.
var expectedRejections = map[string]string{}

// TestCorpus parses every corpus spec with default limits.
func TestCorpus(t *testing.T) {
	entries, err := os.ReadDir(corpusDir)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("corpus folder %s is absent; it lives outside this repository", corpusDir)
	}
	if err != nil {
		t.Fatalf("read corpus: %v", err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join(corpusDir, name))
			if err != nil {
				t.Fatal(err)
			}
			why, wantReject := expectedRejections[name]
			p, err := Parse(context.Background(), data, DefaultLimits())
			if wantReject {
				var perr *ParseError
				if !errors.As(err, &perr) {
					t.Fatalf("expected rejection (%s), got err %v", why, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if p.Family == "" || p.SpecVersion == "" || p.Hash != Hash(data) {
				t.Errorf("incomplete result: family %q version %q", p.Family, p.SpecVersion)
			}
			for _, w := range p.Warnings {
				t.Logf("warning: %s", w)
			}

			doc, err := Describe(context.Background(), data, DefaultLimits())
			if err != nil {
				t.Fatalf("Describe failed after Parse succeeded: %v", err)
			}
			ops := 0
			for _, g := range doc.Groups {
				if len(g.Operations) == 0 {
					t.Errorf("group %q has no operations", g.Name)
				}
				ops += len(g.Operations)
			}
			if len(p.Endpoints) > 0 && ops < len(p.Endpoints) {
				t.Errorf("Describe lists %d operations for %d endpoints", ops, len(p.Endpoints))
			}
		})
	}
	for name := range expectedRejections {
		if !seen[name] {
			t.Errorf("expectedRejections lists %s, which is not in the corpus", name)
		}
	}
}

// BenchmarkParse measures one of the largest corpus specs.
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(corpusDir, "amazonaws.com__quicksight.json"))
	if err != nil {
		b.Skipf("corpus spec unavailable: %v", err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(context.Background(), data, DefaultLimits()); err != nil {
			b.Fatal(err)
		}
	}
}
