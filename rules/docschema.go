package rules

import (
	"fmt"

	"github.com/steward-governance/steward/rules/doc"
	"github.com/steward-governance/steward/rules/jsregex"
)

// runDocumentSchema checks the structure of an OpenAPI document. It covers
// the structural mistakes that break tools (missing required fields,
// wrongly typed keywords, invalid regular expressions) rather than the
// whole official schema, which Steward does not ship.
func runDocumentSchema(c *Call) []Result {
	root := c.Target
	if root == nil || root.Kind != doc.Object {
		return []Result{{Message: "The document must be an object"}}
	}
	dv := &docValidator{c: c}
	switch {
	case c.Formats[OAS2]:
		dv.required(root, nil, "swagger", "info", "paths")
	case c.Formats[OAS3_0]:
		dv.required(root, nil, "openapi", "info", "paths")
	case c.Formats[OAS3]:
		dv.required(root, nil, "openapi", "info")
	}
	if info := root.Get("info"); info != nil {
		if info.Kind != doc.Object {
			dv.add([]string{"info"}, `"info" property type must be object`)
		} else {
			dv.required(info, []string{"info"}, "title", "version")
		}
	}
	dv.walkSchemas(root, nil, false)
	return dv.out
}

type docValidator struct {
	c   *Call
	out []Result
}

func (dv *docValidator) add(path []string, msg string) {
	dv.out = append(dv.out, Result{Message: msg, Path: path})
}

func (dv *docValidator) required(n *doc.Node, path []string, keys ...string) {
	for _, k := range keys {
		if !n.Has(k) {
			name := "Object"
			if len(path) > 0 {
				name = fmt.Sprintf("%q property", path[len(path)-1])
			}
			dv.add(path, fmt.Sprintf("%s must have required property %q", name, k))
			return
		}
	}
}

// walkSchemas visits schema objects (under schema, schemas, definitions,
// properties, items, ...) and checks the keywords whose type is fixed.
func (dv *docValidator) walkSchemas(n *doc.Node, path []string, inSchema bool) {
	if n.Kind == doc.Array {
		for i, ch := range n.Children {
			dv.walkSchemas(ch, append(path, fmt.Sprint(i)), inSchema)
		}
		return
	}
	if n.Kind != doc.Object {
		return
	}
	if inSchema && !n.Has("$ref") {
		dv.checkSchema(n, path)
	}
	for i, k := range n.Keys {
		ch := n.Children[i]
		p := append(append([]string(nil), path...), k)
		switch k {
		case "example", "examples", "default", "enum", "const", "x-example":
			if inSchema {
				continue
			}
		}
		child := false
		switch k {
		case "schema", "items", "additionalProperties", "not", "additionalItems", "contains", "propertyNames", "if", "then", "else":
			child = true
		case "allOf", "anyOf", "oneOf", "prefixItems":
			child = true
		}
		parentIsMap := len(path) > 0 && (path[len(path)-1] == "properties" || path[len(path)-1] == "schemas" || path[len(path)-1] == "definitions" || path[len(path)-1] == "$defs" || path[len(path)-1] == "patternProperties")
		if parentIsMap && (inSchema || path[len(path)-1] == "schemas" || path[len(path)-1] == "definitions") {
			child = true
		}
		if inSchema && (k == "properties" || k == "patternProperties" || k == "$defs" || k == "definitions") && ch.Kind == doc.Object {
			for j, name := range ch.Keys {
				dv.walkSchemas(ch.Children[j], append(append([]string(nil), p...), name), true)
			}
			continue
		}
		dv.walkSchemas(ch, p, child)
	}
}

func (dv *docValidator) checkSchema(n *doc.Node, path []string) {
	oas31 := dv.c.Formats[OAS3_1]
	for _, k := range []string{"exclusiveMinimum", "exclusiveMaximum"} {
		v := n.Get(k)
		if v == nil {
			continue
		}
		if oas31 && v.Kind != doc.Number {
			dv.add(append(append([]string(nil), path...), k), fmt.Sprintf("%q property must be number", k))
		}
		if !oas31 && v.Kind != doc.Bool {
			dv.add(append(append([]string(nil), path...), k), fmt.Sprintf("%q property type must be boolean", k))
		}
	}
	if p := n.Get("pattern"); p != nil && p.Kind == doc.String {
		if !jsregex.ValidUnicodeMode(p.Value) {
			dv.add(append(append([]string(nil), path...), "pattern"), `"pattern" property must match format "regex"`)
		}
	}
}
