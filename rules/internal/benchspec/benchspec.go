// Package benchspec builds the large OpenAPI document the rule engine is
// benchmarked on, the same bytes every time, so that Steward and other
// linters can be measured on one file.
package benchspec

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Base is the corpus spec the document is grown from: a real OpenAPI 3.0
// description with many paths, schemas, examples and references.
const Base = "linode.com.json"

// Size13MB is the size of the benchmark document the issue asks about.
const Size13MB = 13 << 20

// Build grows the corpus spec Base (read from corpusDir/specs) to at least
// size bytes, by copying its paths under new prefixes (/copy0/..., /copy1/...)
// until the pretty-printed document is large enough. The copies keep their
// references into the shared components, as a large real API would.
//
// The output is deterministic: encoding/json writes object keys sorted.
func Build(corpusDir string, size int) ([]byte, error) {
	raw, err := os.ReadFile(filepath.Join(corpusDir, "specs", Base))
	if err != nil {
		return nil, fmt.Errorf("benchspec: %w", err)
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("benchspec: %s: %w", Base, err)
	}
	paths, ok := spec["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		return nil, fmt.Errorf("benchspec: %s has no paths", Base)
	}
	orig := make(map[string]any, len(paths))
	for k, v := range paths {
		orig[k] = v
	}
	for i := 0; ; i++ {
		out, err := json.MarshalIndent(spec, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("benchspec: %w", err)
		}
		if len(out) >= size {
			return out, nil
		}
		for k, v := range orig {
			paths[fmt.Sprintf("/copy%d%s", i, k)] = v
		}
	}
}
