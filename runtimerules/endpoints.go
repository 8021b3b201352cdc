package runtimerules

import (
	"cmp"
	"slices"
	"strings"

	"github.com/steward-governance/steward/specs"
)

// EndpointsOf lists the documented endpoints of a described spec
// (specs.Describe, OpenAPI 2.0 or 3.x) with their response keys, ready for
// ComputeDrift: each operation once, however many tags it has, sorted by
// path and then method.
func EndpointsOf(doc *specs.Document) []Endpoint {
	if doc == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []Endpoint
	for _, g := range doc.Groups {
		for _, op := range g.Operations {
			key := strings.ToUpper(op.Method) + " " + op.Path
			if seen[key] {
				continue
			}
			seen[key] = true
			e := Endpoint{Method: strings.ToUpper(op.Method), Path: op.Path}
			for _, r := range op.Responses {
				e.Statuses = append(e.Statuses, r.Code)
			}
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b Endpoint) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return cmp.Compare(methodRank(a.Method), methodRank(b.Method))
	})
	return out
}

// methodRank orders methods as the operations page does.
func methodRank(m string) int {
	if i := slices.Index([]string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}, m); i >= 0 {
		return i
	}
	return 99
}
