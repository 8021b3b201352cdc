package rules

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/steward-governance/steward/rules/doc"
	"github.com/steward-governance/steward/rules/jsregex"
)

// The official OpenAPI JSON Schemas (see builtin/schemas/NOTICE).
//
//go:embed builtin/schemas/*.json builtin/schemas/NOTICE
var oasSchemaFS embed.FS

// oasSchemaFiles maps each schema's $id to its file; the 3.1 documents are
// checked against schema-base, which also checks every Schema Object
// against the OpenAPI 3.1 dialect (JSON Schema 2020-12).
var oasSchemaFiles = map[string]string{
	"http://swagger.io/v2/schema.json":                         "oas2.0.json",
	"https://spec.openapis.org/oas/3.0/schema/2019-04-02":      "oas3.0.json",
	"https://spec.openapis.org/oas/3.1/schema/2021-04-15":      "oas3.1.json",
	"https://spec.openapis.org/oas/3.1/schema-base/2021-04-15": "oas3.1-schema-base.json",
	"https://spec.openapis.org/oas/3.1/meta/base":              "oas3.1-meta-base.json",
	"https://spec.openapis.org/oas/3.1/dialect/base":           "oas3.1-dialect-base.json",
}

var oasDocSchemas struct {
	once               sync.Once
	oas2, oas30, oas31 *jsonschema.Schema
	err                error
}

// documentSchemas compiles the official schemas once per process.
func documentSchemas() (oas2, oas30, oas31 *jsonschema.Schema, err error) {
	s := &oasDocSchemas
	s.once.Do(func() {
		c := jsonschema.NewCompiler()
		c.UseLoader(noRemoteLoader{})
		c.UseRegexpEngine(jsRegexFormat)
		c.AssertFormat()
		for id, file := range oasSchemaFiles {
			raw, err := oasSchemaFS.ReadFile("builtin/schemas/" + file)
			if err != nil {
				s.err = err
				return
			}
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
			if err != nil {
				s.err = fmt.Errorf("%s: %w", file, err)
				return
			}
			patchOASSchema(file, v)
			if err := c.AddResource(id, v); err != nil {
				s.err = fmt.Errorf("%s: %w", file, err)
				return
			}
		}
		if s.oas2, s.err = c.Compile("http://swagger.io/v2/schema.json"); s.err != nil {
			return
		}
		if s.oas30, s.err = c.Compile("https://spec.openapis.org/oas/3.0/schema/2019-04-02"); s.err != nil {
			return
		}
		s.oas31, s.err = c.Compile("https://spec.openapis.org/oas/3.1/schema-base/2021-04-15")
	})
	return s.oas2, s.oas30, s.oas31, s.err
}

// patchOASSchema corrects the shipped 3.1 schemas where they reject valid
// documents; the OpenAPI Initiative made the same corrections in later
// iterations of these schemas, and Spectral's copies have them too. The
// files stay as published; NOTICE lists the changes.
func patchOASSchema(file string, v any) {
	obj := func(v any, keys ...string) map[string]any {
		for _, k := range keys {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		m, _ := v.(map[string]any)
		return m
	}
	switch file {
	case "oas3.0.json":
		toDraft7(v)
		refOrElse(v, "#/definitions/Reference")
	case "oas2.0.json":
		toDraft7(v)
		refOrElse(v, "#/definitions/jsonReference")
	case "oas3.1.json":
		// References, example and operation URLs may be relative.
		uriRef := func() any { return map[string]any{"type": "string", "format": "uri-reference"} }
		if p := obj(v, "$defs", "reference", "properties"); p != nil {
			p["$ref"] = uriRef()
		}
		if p := obj(v, "$defs", "example", "properties"); p != nil {
			p["externalValue"] = uriRef()
		}
		if p := obj(v, "$defs", "link", "properties"); p != nil {
			p["operationRef"] = uriRef()
		}
		// A Path Item may be a reference ($ref among its fields).
		if p := obj(v, "$defs", "path-item", "properties"); p != nil {
			p["$ref"] = uriRef()
		}
		// A server URL is a template ({scheme}://...) and may be relative.
		if p := obj(v, "$defs", "server", "properties"); p != nil {
			p["url"] = map[string]any{"type": "string"}
		}
	case "oas3.1-schema-base.json":
		// The key is misspelt "$ref\"" in this iteration, which leaves
		// Schema Objects unchecked.
		if s := obj(v, "$defs", "schema"); s != nil {
			if r, ok := s["$ref\""]; ok {
				delete(s, "$ref\"")
				s["$ref"] = r
			}
			// Schema Objects are checked against the base dialect
			// whatever dialect the document names, as Spectral does,
			// so naming another one is not itself an error.
			if p := obj(s, "properties"); p != nil {
				delete(p, "$schema")
			}
		}
		if p := obj(v, "properties"); p != nil {
			delete(p, "jsonSchemaDialect")
		}
	}
}

// toDraft7 moves a draft-04 schema to draft-07, which has if/then/else
// (see refOrElse): "id" becomes "$id", and the boolean exclusiveMinimum and
// exclusiveMaximum become numbers. Nothing else these schemas use differs.
func toDraft7(v any) {
	root, ok := v.(map[string]any)
	if !ok {
		return
	}
	root["$schema"] = "http://json-schema.org/draft-07/schema#"
	if id, ok := root["id"]; ok {
		delete(root, "id")
		root["$id"] = id
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, bound := range [][2]string{{"exclusiveMinimum", "minimum"}, {"exclusiveMaximum", "maximum"}} {
				if b, ok := x[bound[0]].(bool); ok {
					delete(x, bound[0])
					if n, ok := x[bound[1]]; ok && b {
						x[bound[0]] = n
						delete(x, bound[1])
					}
				}
			}
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(root)
}

// refOrElse rewrites each "oneOf: [X, Reference]" as "if it is an object
// with $ref, then Reference, else X", the form the 3.1 schema (and
// Spectral's copies of the others) use. Every X rejects an object with
// $ref, so the two accept the same documents; but the second says what is
// wrong with the X it meant instead of why it is not also a Reference, and
// is much faster, since the "if" part is a plain yes or no.
func refOrElse(v any, ref string) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			refOrElse(e, ref)
		}
	case map[string]any:
		for _, e := range x {
			refOrElse(e, ref)
		}
		alts, ok := x["oneOf"].([]any)
		if !ok || len(alts) != 2 {
			return
		}
		target := func(a any) string {
			m, _ := a.(map[string]any)
			if len(m) != 1 {
				return ""
			}
			s, _ := m["$ref"].(string)
			return s
		}
		a, b := target(alts[0]), target(alts[1])
		if a == "" || b == "" || (a != ref) == (b != ref) {
			return
		}
		then, other := alts[0], alts[1]
		if b == ref {
			then, other = alts[1], alts[0]
		}
		delete(x, "oneOf")
		x["if"] = map[string]any{"type": "object", "required": []any{"$ref"}}
		x["then"] = then
		x["else"] = other
	}
}

// jsRegexFormat is the regexp engine of the document schemas. It serves
// two purposes: compiling the schemas' own patterns, and the "regex"
// format, which Spectral (AJV) checks by building a JavaScript RegExp in
// unicode mode. A valid pattern Go cannot run (lookaround) passes.
func jsRegexFormat(s string) (jsonschema.Regexp, error) {
	if !jsregex.ValidUnicodeMode(s) {
		return nil, fmt.Errorf("not a valid regular expression")
	}
	re, err := jsregex.Compile(s, "")
	if err != nil {
		return anything(s), nil
	}
	return re, nil
}

// runDocumentSchema validates a whole OpenAPI document against the official
// JSON Schema of its version and reports each problem as Spectral's
// oas2-schema/oas3-schema do: at the offending value, in AJV's words.
func runDocumentSchema(c *Call) []Result {
	root := c.Target
	if root == nil || root.Kind != doc.Object {
		return []Result{{Message: "The document must be an object"}}
	}
	oas2, oas30, oas31, err := documentSchemas()
	if err != nil {
		return []Result{{Message: "the OpenAPI JSON Schema could not be loaded: " + err.Error()}}
	}
	var s *jsonschema.Schema
	switch {
	case c.Formats[OAS2]:
		s = oas2
	case c.Formats[OAS3_0]:
		s = oas30
	case c.Formats[OAS3_1]:
		s = oas31
	default:
		// OpenAPI 3.2 has no official schema in Steward yet: check only
		// what every version requires.
		for _, k := range []string{"openapi", "info"} {
			if !root.Has(k) {
				return []Result{{Message: fmt.Sprintf("Object must have required property %q", k)}}
			}
		}
		return nil
	}
	// YAML aliases can make the document's value much bigger than its
	// text: the conversion is bounded like the schema function's.
	v, ok := c.plain(root, reachAll)
	if !ok {
		return nil
	}
	verr := s.Validate(v)
	if verr == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(verr, &ve) {
		return []Result{{Message: verr.Error()}}
	}
	var leaves []*jsonschema.ValidationError
	relevantLeaves(ve, &leaves)
	var out []Result
	seen := map[string]bool{}
	for _, l := range leaves {
		for _, r := range documentResults(l, root) {
			key := strings.Join(r.Path, "\x00") + "\x00" + r.Message
			if !seen[key] {
				seen[key] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// relevantLeaves collects the errors worth showing. A failed oneOf or
// anyOf is a choice between alternatives (a Schema or a Reference, a
// parameter in a path or in a query), and listing why every alternative
// failed buries the one problem: the alternative that got furthest into
// the value is taken as the one meant, as Spectral's schemas do by testing
// for $ref first.
func relevantLeaves(e *jsonschema.ValidationError, out *[]*jsonschema.ValidationError) {
	switch e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
		if len(e.Causes) == 0 {
			*out = append(*out, e)
			return
		}
		var best []*jsonschema.ValidationError
		bestDepth := -1
		var enums []*jsonschema.ValidationError
		for _, c := range e.Causes {
			var leaves []*jsonschema.ValidationError
			relevantLeaves(c, &leaves)
			d := shallowest(leaves)
			if d > bestDepth || d == bestDepth && len(leaves) < len(best) {
				best, bestDepth = leaves, d
			}
			for _, l := range leaves {
				if _, ok := l.ErrorKind.(*kind.Enum); ok {
					enums = append(enums, l)
					break
				}
			}
		}
		// Alternatives told apart by one value (a parameter's "in") that
		// matches none of them: the value is the problem, and every
		// allowed value is worth listing.
		if len(enums) == len(e.Causes) && sameLocation(enums) {
			merged := &kind.Enum{Got: enums[0].ErrorKind.(*kind.Enum).Got}
			for _, l := range enums {
				merged.Want = append(merged.Want, l.ErrorKind.(*kind.Enum).Want...)
			}
			*out = append(*out, &jsonschema.ValidationError{SchemaURL: e.SchemaURL, InstanceLocation: enums[0].InstanceLocation, ErrorKind: merged})
			return
		}
		*out = append(*out, best...)
		return
	}
	if len(e.Causes) == 0 {
		*out = append(*out, e)
		return
	}
	for _, c := range e.Causes {
		relevantLeaves(c, out)
	}
}

func sameLocation(es []*jsonschema.ValidationError) bool {
	for _, e := range es[1:] {
		if strings.Join(e.InstanceLocation, "/") != strings.Join(es[0].InstanceLocation, "/") {
			return false
		}
	}
	return true
}

// shallowest is the depth of the least deep error: how far into the value
// an alternative got before failing. An unexpected property counts one
// level deeper than the object it is in, and a missing $ref counts as not
// getting in at all.
func shallowest(leaves []*jsonschema.ValidationError) int {
	min := -1
	for _, l := range leaves {
		d := 2 * len(l.InstanceLocation)
		switch k := l.ErrorKind.(type) {
		case *kind.AdditionalProperties:
			d += 2
		case *kind.Required:
			if len(k.Missing) > 0 && k.Missing[0] == "$ref" {
				d--
			}
		}
		if min < 0 || d < min {
			min = d
		}
	}
	return min
}

// documentResults words one error as Spectral does (see oasDocumentSchema
// in Spectral's OpenAPI ruleset, which post-processes AJV's errors): the
// property name, then AJV's message with double quotes.
func documentResults(e *jsonschema.ValidationError, root *doc.Node) []Result {
	path := append([]string(nil), e.InstanceLocation...)
	prop := func(p []string, msg string) string {
		if len(p) == 0 {
			return msg
		}
		return fmt.Sprintf("%q property %s", p[len(p)-1], msg)
	}
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		var out []Result
		for _, name := range k.Properties {
			out = append(out, Result{Message: fmt.Sprintf("Property %q is not expected to be here", name), Path: append(append([]string(nil), path...), name)})
		}
		return out
	case *kind.FalseSchema:
		// AJV reports an unexpected member at the object, not at the
		// member: "must not have unevaluated properties", or
		// additionalProperties' message.
		if len(path) > 0 {
			switch {
			case strings.HasSuffix(e.SchemaURL, "/unevaluatedProperties"):
				parent := path[:len(path)-1]
				return []Result{{Message: prop(parent, "must not have unevaluated properties"), Path: parent}}
			case strings.HasSuffix(e.SchemaURL, "/additionalProperties"):
				return []Result{{Message: fmt.Sprintf("Property %q is not expected to be here", path[len(path)-1]), Path: path}}
			}
		}
	case *kind.Enum:
		vals := make([]string, len(k.Want))
		for i, w := range k.Want {
			b, _ := json.Marshal(w)
			vals[i] = string(b)
		}
		msg := prop(path, "must be equal to one of the allowed values: "+strings.Join(vals, ", "))
		if got, ok := k.Got.(string); ok {
			if m := closestValue(got, k.Want); m != "" {
				msg += fmt.Sprintf(". Did you mean %q?", m)
			}
		}
		return []Result{{Message: msg, Path: path}}
	}
	return []Result{{Message: prop(path, ajvText(e)), Path: path}}
}

// ajvText is AJV's message for an error, in the form Spectral prints it.
func ajvText(e *jsonschema.ValidationError) string {
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		return "must be " + strings.Join(k.Want, ",")
	case *kind.Required:
		if len(k.Missing) > 0 {
			return fmt.Sprintf("must have required property %q", k.Missing[0])
		}
	case *kind.DependentRequired:
		if len(k.Missing) > 0 {
			return fmt.Sprintf("must have property %q when property %q is present", k.Missing[0], k.Prop)
		}
	case *kind.Const:
		return "must be equal to constant"
	case *kind.Format:
		return fmt.Sprintf("must match format %q", k.Want)
	case *kind.Pattern:
		return fmt.Sprintf("must match pattern %q", k.Want)
	case *kind.MinItems:
		return fmt.Sprintf("must not have fewer than %d items", k.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("must not have more than %d items", k.Want)
	case *kind.MinLength:
		return fmt.Sprintf("must not have fewer than %d characters", k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("must not have more than %d characters", k.Want)
	case *kind.MinProperties:
		return fmt.Sprintf("must not have fewer than %d properties", k.Want)
	case *kind.MaxProperties:
		return fmt.Sprintf("must not have more than %d properties", k.Want)
	case *kind.UniqueItems:
		return fmt.Sprintf("must not have duplicate items (items ## %d and %d are identical)", k.Duplicates[0], k.Duplicates[1])
	case *kind.Minimum:
		return "must be >= " + ratText(k.Want)
	case *kind.Maximum:
		return "must be <= " + ratText(k.Want)
	case *kind.ExclusiveMinimum:
		return "must be > " + ratText(k.Want)
	case *kind.ExclusiveMaximum:
		return "must be < " + ratText(k.Want)
	case *kind.OneOf:
		return "must match exactly one schema in oneOf"
	case *kind.AnyOf:
		return "must match a schema in anyOf"
	case *kind.Not:
		return "must not be valid"
	case *kind.FalseSchema:
		return "must not be present"
	}
	return e.ErrorKind.LocalizedString(nil)
}

// closestValue suggests the allowed string nearest to got, as Spectral
// does: by edit distance, when the distance is smaller than the
// suggestion's length (or there is only one value).
func closestValue(got string, allowed []any) string {
	type cand struct {
		s string
		d int
	}
	var cs []cand
	for _, a := range allowed {
		if s, ok := a.(string); ok {
			cs = append(cs, cand{s, editDistance(got, s)})
		}
	}
	if len(cs) == 0 {
		return ""
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	if len(allowed) == 1 || cs[0].d < len([]rune(cs[0].s)) {
		return cs[0].s
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
