package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steward-governance/steward/rules/doc"
	"github.com/steward-governance/steward/rules/jsonpath"
)

// TestIndexMatchesWalk checks that every given of the built-in rulesets
// selects the same positions, in the same order, with the shared "$.."
// index as by walking the tree, on corpus specs of each format.
func TestIndexMatchesWalk(t *testing.T) {
	specs := []string{"linode.com.json", "readme-oas20__petstore.json", "readme-oas20__schema-circular.json", "readme-oas30__circular.json",
		"readme-oas30__schema-circular.json", "azure.com__cognitiveservices-LUIS-Authoring.yaml", "amazonaws.com__organizations.json"}
	var paths []*jsonpath.Path
	seen := map[string]bool{}
	for _, name := range BuiltinNames() {
		rs, err := Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs.Rules {
			for _, ps := range r.given {
				for _, p := range ps {
					// Only "$.." from the root uses the index.
					if strings.HasPrefix(p.String(), "$..") && !seen[p.String()] {
						seen[p.String()] = true
						paths = append(paths, p)
					}
				}
			}
		}
	}
	for _, extra := range []string{"$..*", "$..[0]", "$..[?(@property === 'get' || @.in == 'query')]", "$..[?(@.type != null)]",
		"$..[?(@['x-example'] !== void 0)]", "$..[?(@.length > 2)]", "$..['$ref',description]", "$..[?(@ && @.enum.length)]"} {
		paths = append(paths, jsonpath.MustCompile(extra))
	}
	n := 0
	for _, name := range specs {
		src, err := os.ReadFile(filepath.Join(corpusDir, "specs", name))
		if err != nil {
			t.Logf("skip %s: %v", name, err)
			continue
		}
		d, err := doc.ParseDocument(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, resolved := range []bool{false, true} {
			var deref func(*doc.Node) *doc.Node
			if resolved {
				deref = d.Deref
			}
			idx := jsonpath.NewIndex(d, resolved)
			for _, p := range paths {
				want, err1 := p.Eval(d.Root, jsonpath.Options{Deref: deref})
				got, err2 := p.Eval(d.Root, jsonpath.Options{Deref: deref, Index: idx})
				if (err1 == nil) != (err2 == nil) {
					t.Fatalf("%s %s: errors differ: %v / %v", name, p, err1, err2)
				}
				if a, b := renderMatches(want), renderMatches(got); a != b {
					t.Fatalf("%s %s (deref %v): index selects\n%.500s\nwalk selects\n%.500s", name, p, deref != nil, b, a)
				}
				n++
			}
		}
	}
	t.Logf("%d evaluations compared", n)
}

func renderMatches(ms []jsonpath.Match) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%s %p %v\n", strings.Join(m.Path, "/"), m.Node, m.IsKey)
	}
	return b.String()
}
