package rules

import (
	"regexp"
	"strings"

	"github.com/steward-governance/steward/rules/doc"
)

// Functions behind steward:recommended's governance checks.
func init() {
	register(&Function{Name: "stewardVersioning", prepare: noOptions, run: runVersioning})
	register(&Function{Name: "stewardPagination", prepare: noOptions, run: runPagination})
}

var (
	versionSegment = regexp.MustCompile(`(?i)/v\d+(?:[.-]\d+)*(?:/|$)|/\d{4}-\d{2}-\d{2}(?:/|$)`)
	versionParam   = regexp.MustCompile(`(?i)^(?:x-)?(?:api-?)?version$|^api-version$|^accept-version$`)
)

// runVersioning accepts any of the usual versioning schemes: a version in
// the server URL or base path, in every path, or a version header or query
// parameter.
func runVersioning(c *Call) []Result {
	t := c.Target
	if t == nil || t.Kind != doc.Object {
		return nil
	}
	if servers := c.get(t, "servers"); servers != nil {
		for _, s := range c.children(servers) {
			if u := c.get(s, "url"); u != nil && versionSegment.MatchString(u.Value+"/") {
				return nil
			}
		}
	}
	if bp := c.get(t, "basePath"); bp != nil && versionSegment.MatchString(bp.Value+"/") {
		return nil
	}
	paths := c.get(t, "paths")
	if paths != nil && len(paths.Keys) > 0 {
		all := true
		for _, p := range paths.Keys {
			if !versionSegment.MatchString(p) {
				all = false
				break
			}
		}
		if all {
			return nil
		}
	}
	found := false
	var visit func(params *doc.Node)
	visit = func(params *doc.Node) {
		if params == nil || params.Kind != doc.Array {
			return
		}
		for _, p := range c.children(params) {
			name, in := c.get(p, "name"), c.get(p, "in")
			if name != nil && in != nil && (in.Value == "header" || in.Value == "query") && versionParam.MatchString(name.Value) {
				found = true
			}
		}
	}
	if comps := c.get(t, "components"); comps != nil {
		if ps := c.get(comps, "parameters"); ps != nil {
			for _, p := range c.children(ps) {
				visit(&doc.Node{Kind: doc.Array, Children: []*doc.Node{p}})
			}
		}
	}
	for _, op := range c.operations(paths) {
		visit(c.get(op.node, "parameters"))
	}
	if found {
		return nil
	}
	return []Result{{Message: "The API declares no versioning scheme (a version in the server URL or paths, or a version header)."}}
}

var pageParam = regexp.MustCompile(`(?i)^(?:\$?top|\$?skip|limit|offset|page|page_?size|per_?page|page_?number|cursor|after|before|starting_?after|ending_?before|next|next_?token|page_?token|continuation_?token|max_?results|max_?items|size)$`)

// runPagination reports GET operations on collections (a path not ending in
// a parameter, answering 200 with a JSON array or a list wrapper) that take
// no paging parameter.
func runPagination(c *Call) []Result {
	t := c.Target
	if t == nil || t.Kind != doc.Object {
		return nil
	}
	paths := c.get(t, "paths")
	var out []Result
	for _, op := range c.operations(paths) {
		if op.method != "get" || strings.HasSuffix(op.path, "}") || !returnsList(c, op.node) {
			continue
		}
		params := []*doc.Node{c.get(op.node, "parameters"), c.get(c.deref(paths.Get(op.path)), "parameters")}
		paged := false
		for _, ps := range params {
			if ps == nil || ps.Kind != doc.Array {
				continue
			}
			for _, p := range c.children(ps) {
				if n := c.get(p, "name"); n != nil && pageParam.MatchString(n.Value) {
					paged = true
				}
			}
		}
		if !paged {
			out = append(out, Result{Message: "Collection endpoint has no pagination parameters (limit/offset, page or cursor).", Path: []string{"paths", op.path, op.method}})
		}
	}
	return out
}

func returnsList(c *Call, op *doc.Node) bool {
	r := c.get(c.get(op, "responses"), "200")
	if r == nil {
		return false
	}
	var schema *doc.Node
	if content := c.get(r, "content"); content != nil {
		for i, mt := range content.Keys {
			if strings.Contains(mt, "json") {
				schema = c.get(c.deref(content.Children[i]), "schema")
				break
			}
		}
	} else {
		schema = c.get(r, "schema")
	}
	if schema == nil {
		return false
	}
	if ty := c.get(schema, "type"); ty != nil && ty.Value == "array" {
		return true
	}
	props := c.get(schema, "properties")
	if props == nil {
		return false
	}
	for _, k := range []string{"items", "data", "results", "values", "value", "records", "entries"} {
		if p := c.get(props, k); p != nil {
			if ty := c.get(p, "type"); ty != nil && ty.Value == "array" {
				return true
			}
		}
	}
	return false
}
