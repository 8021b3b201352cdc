package specs

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/pb33f/libopenapi/datamodel/high/base"
	v2high "github.com/pb33f/libopenapi/datamodel/high/v2"
	v3high "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/pb33f/libopenapi/orderedmap"
)

// DefaultTag is the group for operations that have no tags.
const DefaultTag = "default"

// Document is a view-ready description of a spec for the operations page:
// the catalogue view plus operations grouped by tag.
type Document struct {
	Parsed
	Groups []TagGroup
}

// TagGroup is one tag's section on the operations page. An operation with
// several tags appears in each of their groups, as in Swagger UI.
type TagGroup struct {
	Name        string
	Description string
	Operations  []Operation
}

// Operation is one method on one path, with what a reader needs to call it.
type Operation struct {
	Method      string
	Path        string
	OperationID string
	Summary     string
	Description string
	Deprecated  bool
	Parameters  []Parameter
	RequestBody *RequestBody // nil when the operation takes no body
	Responses   []Response
}

// Parameter is one path, query, header, cookie or (2.0) formData parameter.
type Parameter struct {
	Name        string
	In          string
	Required    bool
	Deprecated  bool
	Type        string // one line, e.g. "string (uuid)", "array of integer"
	Description string
}

// RequestBody is what an operation accepts as its body.
type RequestBody struct {
	Description string
	Required    bool
	Content     []MediaType
}

// MediaType pairs a media type with a one-line schema summary. Name is
// empty when a 2.0 spec declares no consumes or produces.
type MediaType struct {
	Name   string
	Schema string // e.g. "object Pet", "array of Pet"; empty when there is no schema
}

// Response is one status code's response ("default" included).
type Response struct {
	Code        string
	Description string
	Content     []MediaType
	Headers     []string // header names
}

// Describe parses data like Parse and returns the operations-page view.
func Describe(ctx context.Context, data []byte, limits Limits) (*Document, error) {
	a, err := analyze(ctx, data, limits, true)
	if err != nil {
		return nil, err
	}
	return a.document, nil
}

// describeModel builds the view. It runs inside the bounded goroutine
// because resolving schemas lazily can be slow on large specs.
func describeModel(p *Parsed, m *model) *Document {
	doc := &Document{Parsed: *p}
	var ops []taggedOp
	tagInfo := map[string]string{}
	var declared []string
	if d := m.v3; d != nil {
		for _, t := range d.Tags {
			if t != nil {
				declared = append(declared, t.Name)
				tagInfo[t.Name] = t.Description
			}
		}
		if d.Paths != nil && d.Paths.PathItems != nil {
			for path, item := range d.Paths.PathItems.FromOldest() {
				for _, o := range v3Operations(item) {
					ops = append(ops, taggedOp{tags: o.op.Tags, op: v3Operation(o.method, path, item, o.op)})
				}
			}
		}
	}
	if d := m.v2; d != nil {
		for _, t := range d.Tags {
			if t != nil {
				declared = append(declared, t.Name)
				tagInfo[t.Name] = t.Description
			}
		}
		if d.Paths != nil && d.Paths.PathItems != nil {
			for path, item := range d.Paths.PathItems.FromOldest() {
				for _, o := range v2Operations(item) {
					ops = append(ops, taggedOp{tags: o.op.Tags, op: v2Operation(d, o.method, path, item, o.op)})
				}
			}
		}
	}
	slices.SortStableFunc(ops, func(a, b taggedOp) int {
		if c := strings.Compare(a.op.Path, b.op.Path); c != 0 {
			return c
		}
		return methodRank(a.op.Method) - methodRank(b.op.Method)
	})
	doc.Groups = groupByTag(ops, declared, tagInfo)
	return doc
}

type taggedOp struct {
	tags []string
	op   Operation
}

// groupByTag orders groups by tag declaration, then the undeclared tags
// (and "default" for untagged operations) alphabetically. Declared tags
// without operations are left out: the page lists operations.
func groupByTag(ops []taggedOp, declared []string, descriptions map[string]string) []TagGroup {
	byTag := map[string][]Operation{}
	for _, o := range ops {
		tags := o.tags
		if len(tags) == 0 {
			tags = []string{DefaultTag}
		}
		seen := map[string]bool{}
		for _, t := range tags {
			if seen[t] {
				continue
			}
			seen[t] = true
			byTag[t] = append(byTag[t], o.op)
		}
	}
	var groups []TagGroup
	placed := map[string]bool{}
	for _, t := range declared {
		if placed[t] || len(byTag[t]) == 0 {
			continue
		}
		placed[t] = true
		groups = append(groups, TagGroup{Name: t, Description: descriptions[t], Operations: byTag[t]})
	}
	var rest []string
	for t := range byTag {
		if !placed[t] {
			rest = append(rest, t)
		}
	}
	slices.Sort(rest)
	for _, t := range rest {
		groups = append(groups, TagGroup{Name: t, Operations: byTag[t]})
	}
	return groups
}

func v3Operation(method, path string, item *v3high.PathItem, op *v3high.Operation) Operation {
	out := Operation{
		Method: method, Path: path, OperationID: op.OperationId, Summary: op.Summary,
		Description: op.Description, Deprecated: op.Deprecated != nil && *op.Deprecated,
	}
	for _, p := range mergeParams(item.Parameters, op.Parameters, func(p *v3high.Parameter) string { return p.In + "\x00" + p.Name }) {
		param := Parameter{Name: p.Name, In: p.In, Required: p.Required != nil && *p.Required, Deprecated: p.Deprecated, Description: p.Description}
		if p.Schema != nil {
			param.Type = schemaSummary(p.Schema, false, summaryDepth)
		} else if p.Content != nil {
			for _, mt := range p.Content.FromOldest() {
				if mt != nil {
					param.Type = schemaSummary(mt.Schema, false, summaryDepth)
				}
				break
			}
		}
		out.Parameters = append(out.Parameters, param)
	}
	if rb := op.RequestBody; rb != nil {
		out.RequestBody = &RequestBody{Description: rb.Description, Required: rb.Required != nil && *rb.Required, Content: v3Content(rb.Content)}
	}
	if op.Responses != nil {
		if op.Responses.Codes != nil {
			for code, r := range op.Responses.Codes.FromOldest() {
				out.Responses = append(out.Responses, v3Response(code, r))
			}
		}
		if op.Responses.Default != nil {
			out.Responses = append(out.Responses, v3Response("default", op.Responses.Default))
		}
	}
	return out
}

func v3Response(code string, r *v3high.Response) Response {
	if r == nil {
		return Response{Code: code}
	}
	out := Response{Code: code, Description: r.Description, Content: v3Content(r.Content)}
	if r.Headers != nil {
		out.Headers = slices.Collect(r.Headers.KeysFromOldest())
	}
	return out
}

func v3Content(content *orderedmap.Map[string, *v3high.MediaType]) []MediaType {
	if content == nil {
		return nil
	}
	var out []MediaType
	for name, mt := range content.FromOldest() {
		entry := MediaType{Name: name}
		if mt != nil {
			entry.Schema = schemaSummary(mt.Schema, false, summaryDepth)
		}
		out = append(out, entry)
	}
	return out
}

func v2Operation(d *v2high.Swagger, method, path string, item *v2high.PathItem, op *v2high.Operation) Operation {
	out := Operation{
		Method: method, Path: path, OperationID: op.OperationId, Summary: op.Summary,
		Description: op.Description, Deprecated: op.Deprecated,
	}
	consumes := op.Consumes
	if len(consumes) == 0 {
		consumes = d.Consumes
	}
	produces := op.Produces
	if len(produces) == 0 {
		produces = d.Produces
	}
	for _, p := range mergeParams(item.Parameters, op.Parameters, func(p *v2high.Parameter) string { return p.In + "\x00" + p.Name }) {
		required := p.Required != nil && *p.Required
		if p.In == "body" {
			out.RequestBody = &RequestBody{Description: p.Description, Required: required, Content: v2Content(consumes, schemaSummary(p.Schema, false, summaryDepth))}
			continue
		}
		out.Parameters = append(out.Parameters, Parameter{
			Name: p.Name, In: p.In, Required: required, Description: p.Description,
			Type: v2TypeSummary(p.Type, p.Format, p.Items, summaryDepth),
		})
	}
	if op.Responses != nil {
		if op.Responses.Codes != nil {
			for code, r := range op.Responses.Codes.FromOldest() {
				out.Responses = append(out.Responses, v2Response(code, r, produces))
			}
		}
		if op.Responses.Default != nil {
			out.Responses = append(out.Responses, v2Response("default", op.Responses.Default, produces))
		}
	}
	return out
}

func v2Response(code string, r *v2high.Response, produces []string) Response {
	if r == nil {
		return Response{Code: code}
	}
	out := Response{Code: code, Description: r.Description}
	if r.Schema != nil {
		out.Content = v2Content(produces, schemaSummary(r.Schema, false, summaryDepth))
	}
	if r.Headers != nil {
		out.Headers = slices.Collect(r.Headers.KeysFromOldest())
	}
	return out
}

func v2Content(mediaTypes []string, schema string) []MediaType {
	if len(mediaTypes) == 0 {
		return []MediaType{{Schema: schema}}
	}
	out := make([]MediaType, 0, len(mediaTypes))
	for _, mt := range mediaTypes {
		out = append(out, MediaType{Name: mt, Schema: schema})
	}
	return out
}

func v2TypeSummary(typ, format string, items *v2high.Items, depth int) string {
	if typ == "array" {
		if items == nil || depth <= 0 {
			return "array"
		}
		return "array of " + v2TypeSummary(items.Type, items.Format, items.Items, depth-1)
	}
	return withFormat(typ, format)
}

// mergeParams applies the OpenAPI rule that an operation's parameter
// replaces a path-level one with the same name and location.
func mergeParams[P comparable](pathLevel, opLevel []P, key func(P) string) []P {
	var none P
	overridden := map[string]bool{}
	for _, p := range opLevel {
		if p != none {
			overridden[key(p)] = true
		}
	}
	var out []P
	for _, p := range pathLevel {
		if p != none && !overridden[key(p)] {
			out = append(out, p)
		}
	}
	for _, p := range opLevel {
		if p != none {
			out = append(out, p)
		}
	}
	return out
}

// summaryDepth bounds how far a one-line summary looks into items and
// compositions; it never follows properties, so recursive schemas are safe.
const summaryDepth = 3

// schemaSummary describes a schema in one line. Referenced schemas are
// named rather than expanded; named is set where only the name is wanted
// ("array of Pet" rather than "array of object Pet").
func schemaSummary(sp *base.SchemaProxy, named bool, depth int) string {
	if sp == nil {
		return ""
	}
	if sp.IsReference() {
		name := refName(sp.GetReference())
		if named || depth <= 0 {
			return name
		}
		s := sp.Schema()
		if s == nil {
			return name
		}
		inner := inlineSummary(s, depth-1)
		switch inner {
		case "", "any":
			return name
		case "object":
			return "object " + name
		}
		return fmt.Sprintf("%s (%s)", name, inner)
	}
	if depth <= 0 {
		return "…"
	}
	s := sp.Schema()
	if s == nil {
		return ""
	}
	return inlineSummary(s, depth)
}

func inlineSummary(s *base.Schema, depth int) string {
	var types []string
	nullable := s.Nullable != nil && *s.Nullable
	for _, t := range s.Type {
		if t == "null" {
			nullable = true
			continue
		}
		types = append(types, t)
	}
	var desc string
	switch {
	case len(types) == 1 && types[0] == "array":
		desc = "array"
		if s.Items != nil && s.Items.IsA() && s.Items.A != nil {
			desc = "array of " + schemaSummary(s.Items.A, true, depth-1)
		}
	case len(types) == 1 && types[0] == "object" || len(types) == 0 && s.Properties != nil && s.Properties.Len() > 0:
		desc = "object"
		if (s.Properties == nil || s.Properties.Len() == 0) && s.AdditionalProperties != nil && s.AdditionalProperties.IsA() && s.AdditionalProperties.A != nil {
			desc = "map of " + schemaSummary(s.AdditionalProperties.A, true, depth-1)
		}
	case len(types) == 1:
		desc = withFormat(types[0], s.Format)
	case len(types) > 1:
		desc = strings.Join(types, " or ")
	case len(s.OneOf) > 0:
		desc = "one of " + listSummary(s.OneOf, depth-1)
	case len(s.AnyOf) > 0:
		desc = "any of " + listSummary(s.AnyOf, depth-1)
	case len(s.AllOf) > 0:
		desc = "all of " + listSummary(s.AllOf, depth-1)
	default:
		desc = "any"
	}
	if nullable {
		desc += " or null"
	}
	return desc
}

func listSummary(list []*base.SchemaProxy, depth int) string {
	const shown = 4
	var parts []string
	for i, sp := range list {
		if i == shown {
			parts = append(parts, fmt.Sprintf("%d more", len(list)-shown))
			break
		}
		if s := schemaSummary(sp, true, depth); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

func withFormat(typ, format string) string {
	if typ == "" {
		typ = "any"
	}
	if format == "" {
		return typ
	}
	return typ + " (" + format + ")"
}

// refName turns "#/components/schemas/Pet" into "Pet".
func refName(ref string) string {
	name := ref
	if i := strings.LastIndexByte(ref, '/'); i >= 0 && i+1 < len(ref) {
		name = ref[i+1:]
	}
	if u, err := url.PathUnescape(name); err == nil {
		name = u
	}
	return strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~")
}
