package rules

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/steward-governance/steward/rules/doc"
	"github.com/steward-governance/steward/rules/jsregex"
)

type schemaOpts struct {
	schema    *jsonschema.Schema
	allErrors bool
	// reach is how deep below its target the schema looks (schemaReach),
	// so only that much of the target is converted for the validator.
	reach int
}

var dialects = map[string]*jsonschema.Draft{
	"draft4":       jsonschema.Draft4,
	"draft6":       jsonschema.Draft6,
	"draft7":       jsonschema.Draft7,
	"draft2019-09": jsonschema.Draft2019,
	"draft2020-12": jsonschema.Draft2020,
}

// noRemoteLoader refuses every URL: a ruleset or spec must not make the
// server fetch anything.
type noRemoteLoader struct{}

func (noRemoteLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("remote schema %s is not fetched", url)
}

// regexpEngine runs schema patterns with JavaScript semantics. A pattern Go
// cannot run (lookaround, backreferences) accepts everything, so an example
// is never reported for a constraint Steward could not check.
func regexpEngine(s string) (jsonschema.Regexp, error) {
	re, err := jsregex.Compile(s, "")
	if err != nil {
		var je *jsregex.Error
		if errors.As(err, &je) && je.Unsupported() {
			return anything(s), nil
		}
		return nil, err
	}
	return re, nil
}

type anything string

func (a anything) String() string        { return string(a) }
func (anything) MatchString(string) bool { return true }

// urlFormat is the "url" format AJV knows and JSON Schema does not: an
// absolute http(s) or ftp URL.
var urlFormat = &jsonschema.Format{Name: "url", Validate: func(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "ftp") || u.Host == "" {
		return fmt.Errorf("not a url")
	}
	return nil
}}

var schemaSeq atomic.Int64

// compileSchema compiles a JSON Schema value; draft is used when the
// schema has no $schema.
func compileSchema(v any, draft *jsonschema.Draft) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(draft)
	c.UseLoader(noRemoteLoader{})
	c.UseRegexpEngine(regexpEngine)
	c.AssertFormat()
	c.RegisterFormat(urlFormat)
	url := fmt.Sprintf("mem:///schema-%d.json", schemaSeq.Add(1))
	if err := c.AddResource(url, v); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

func prepareSchema(n *doc.Node) (any, error) {
	if err := optionsObject(n, "schema", "dialect", "allErrors", "prepareResults"); err != nil {
		return nil, err
	}
	if n == nil || n.Get("schema") == nil {
		return nil, fmt.Errorf("needs the option schema")
	}
	s := n.Get("schema")
	if s.Kind != doc.Object && s.Kind != doc.Bool {
		return nil, fmt.Errorf("option schema must be a JSON Schema (an object or a boolean), got %s", s.Kind)
	}
	draft := jsonschema.Draft7
	if d := n.Get("dialect"); d != nil && d.Value != "auto" {
		var ok bool
		draft, ok = dialects[d.Value]
		if !ok {
			return nil, fmt.Errorf("unknown dialect %q: want auto, draft4, draft6, draft7, draft2019-09 or draft2020-12", d.Value)
		}
	}
	compiled, err := compileSchema(s.Interface(nil), draft)
	if err != nil {
		return nil, fmt.Errorf("option schema is not a valid JSON Schema: %s", schemaErrorText(err))
	}
	o := &schemaOpts{schema: compiled, reach: schemaReach(s)}
	if a := n.Get("allErrors"); a != nil && a.Value == "true" {
		o.allErrors = true
	}
	return o, nil
}

func schemaErrorText(err error) string {
	var se *jsonschema.SchemaValidationError
	if errors.As(err, &se) {
		return strings.ReplaceAll(se.Err.Error(), "\n", "; ")
	}
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

func runSchema(c *Call) []Result {
	o := c.Opts.(*schemaOpts)
	if c.Target == nil {
		return validateMissing(c, o.schema)
	}
	return validate(c, o.schema, c.Target, c.Path, o.allErrors, o.reach)
}

// reachAll is schemaReach's answer for a schema that may look anywhere in
// its value.
const reachAll = math.MaxInt32

// schemaReach is how many levels below the value it is given a JSON Schema
// can look: 0 when it checks only the value itself (its type, its keys,
// its length), 1 when it also checks the value's members, and so on; -1
// when it checks nothing (true, false, {}). It is reachAll when the schema
// compares whole values (enum, const, uniqueItems) or follows a $ref, which
// could lead anywhere.
//
// The schema function converts only that much of its target: a rule that
// looks at the keys of a responses object must not pay for copying every
// schema the responses reference.
func schemaReach(s *doc.Node) int {
	if s == nil || s.Kind != doc.Object {
		return -1
	}
	r := -1
	same := func(sub int) { r = max(r, sub) }
	deeper := func(sub int) {
		if sub == reachAll {
			r = reachAll
		} else {
			r = max(r, sub+1)
		}
	}
	for i, k := range s.Keys {
		v := s.Children[i]
		switch k {
		case "$ref", "$dynamicRef", "$recursiveRef", "enum", "const":
			return reachAll
		case "uniqueItems":
			if v.IsTruthy() {
				return reachAll
			}
		case "allOf", "anyOf", "oneOf":
			for _, sub := range v.Children {
				same(schemaReach(sub))
			}
		case "not", "if", "then", "else":
			same(schemaReach(v))
		case "dependentSchemas", "dependencies":
			// dependencies also takes lists of required names, which
			// look at keys only.
			same(0)
			for _, sub := range v.Children {
				same(schemaReach(sub))
			}
		case "properties", "patternProperties":
			for _, sub := range v.Children {
				deeper(schemaReach(sub))
			}
		case "items", "prefixItems":
			if v.Kind == doc.Array {
				for _, sub := range v.Children {
					deeper(schemaReach(sub))
				}
			} else {
				deeper(schemaReach(v))
			}
		case "additionalProperties", "unevaluatedProperties", "additionalItems", "unevaluatedItems", "contains":
			deeper(schemaReach(v))
		default:
			// Any other keyword (propertyNames included: it checks the
			// keys) checks the value itself or nothing.
			same(0)
		}
	}
	return r
}

// validateMissing mirrors Spectral, whose schema function reports a value
// that is not there at all, whatever the schema says.
func validateMissing(c *Call, _ *jsonschema.Schema) []Result {
	return []Result{{Message: c.printProperty() + "must exist"}}
}

// validate checks value against s, which looks reach levels into it (see
// schemaReach), and turns errors into results whose paths extend base. A
// value too large to convert fails the rule (Call.fail) with no result.
func validate(c *Call, s *jsonschema.Schema, value *doc.Node, base []string, all bool, reach int) []Result {
	var deref func(*doc.Node) *doc.Node
	if c.Resolved {
		deref = c.Doc.Deref
	}
	v, ok := c.plain(value, reach)
	if !ok {
		return nil
	}
	err := s.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []Result{{Message: err.Error()}}
	}
	var leaves []*jsonschema.ValidationError
	if all {
		collectLeaves(ve, &leaves)
	} else {
		leaves = []*jsonschema.ValidationError{firstLeaf(ve, value, deref)}
	}
	var out []Result
	for _, l := range leaves {
		p := appendPath(base, l.InstanceLocation...)
		out = append(out, Result{Message: ajvMessage(l, p, value), Path: p})
	}
	return out
}

// firstLeaf follows the first cause down, as a validator that stops at the
// first error (AJV without allErrors, which Spectral uses) would report;
// anyOf and oneOf stop there, since their branches failing is the error.
//
// Which error comes first depends on evaluation order; AJV follows the
// schema, which usually lists properties in the order examples do, so the
// error at the earliest place in the value wins.
func firstLeaf(e *jsonschema.ValidationError, value *doc.Node, deref func(*doc.Node) *doc.Node) *jsonschema.ValidationError {
	var leaves []*jsonschema.ValidationError
	collectLeaves(e, &leaves)
	if len(leaves) == 0 {
		return e
	}
	best, bestPos := leaves[0], instancePos(value, leaves[0].InstanceLocation, deref)
	for _, l := range leaves[1:] {
		p := instancePos(value, l.InstanceLocation, deref)
		if p.Line < bestPos.Line || p.Line == bestPos.Line && p.Column < bestPos.Column {
			best, bestPos = l, p
		}
	}
	return best
}

func instancePos(n *doc.Node, loc []string, deref func(*doc.Node) *doc.Node) doc.Pos {
	for _, seg := range loc {
		var c *doc.Node
		switch n.Kind {
		case doc.Object:
			c = n.Get(seg)
		case doc.Array:
			if i, err := strconv.Atoi(seg); err == nil {
				c = n.Item(i)
			}
		}
		if c == nil {
			break
		}
		if deref != nil {
			c = deref(c)
		}
		n = c
	}
	return n.Range.Start
}

func collectLeaves(e *jsonschema.ValidationError, out *[]*jsonschema.ValidationError) {
	switch e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
		*out = append(*out, e)
		return
	}
	if len(e.Causes) == 0 {
		*out = append(*out, e)
		return
	}
	for _, c := range e.Causes {
		collectLeaves(c, out)
	}
}

// ratText prints a bound as JavaScript prints the number.
func ratText(r *big.Rat) string {
	if r == nil {
		return ""
	}
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return doc.FormatNumber(f)
}

// ajvMessage words an error as Spectral (AJV) does, so messages read the
// same to people used to Spectral.
func ajvMessage(e *jsonschema.ValidationError, path []string, _ *doc.Node) string {
	prefix := ""
	if len(path) > 0 {
		prefix = fmt.Sprintf("%q property ", path[len(path)-1])
	}
	var msg string
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		msg = "type must be " + strings.Join(k.Want, ",")
	case *kind.Required:
		if len(k.Missing) > 0 {
			msg = fmt.Sprintf("must have required property %q", k.Missing[0])
		}
	case *kind.Enum:
		msg = "must be equal to one of the allowed values"
	case *kind.Const:
		msg = "must be equal to constant"
	case *kind.Format:
		msg = fmt.Sprintf("must match format %q", k.Want)
	case *kind.Pattern:
		msg = fmt.Sprintf("must match pattern %q", k.Want)
	case *kind.MaxProperties:
		msg = fmt.Sprintf("must not have more than %d properties", k.Want)
	case *kind.MinProperties:
		msg = fmt.Sprintf("must not have fewer than %d properties", k.Want)
	case *kind.MaxItems:
		msg = fmt.Sprintf("must not have more than %d items", k.Want)
	case *kind.MinItems:
		msg = fmt.Sprintf("must not have fewer than %d items", k.Want)
	case *kind.MaxLength:
		msg = fmt.Sprintf("must not have more than %d characters", k.Want)
	case *kind.MinLength:
		msg = fmt.Sprintf("must not have fewer than %d characters", k.Want)
	case *kind.UniqueItems:
		msg = fmt.Sprintf("must not have duplicate items (items ## %d and %d are identical)", k.Duplicates[0], k.Duplicates[1])
	case *kind.AdditionalProperties:
		if len(k.Properties) > 0 {
			return fmt.Sprintf("Property %q is not expected to be here", k.Properties[0])
		}
		msg = "must not have additional properties"
	case *kind.AnyOf:
		msg = "must match a schema in anyOf"
	case *kind.OneOf:
		msg = "must match exactly one schema in oneOf"
	case *kind.Not:
		msg = "must not be valid"
	case *kind.Minimum:
		msg = "must be >= " + ratText(k.Want)
	case *kind.Maximum:
		msg = "must be <= " + ratText(k.Want)
	case *kind.ExclusiveMinimum:
		msg = "must be > " + ratText(k.Want)
	case *kind.ExclusiveMaximum:
		msg = "must be < " + ratText(k.Want)
	case *kind.MultipleOf:
		msg = "must be multiple of " + ratText(k.Want)
	case *kind.FalseSchema:
		msg = "must not be present"
	}
	if msg == "" {
		msg = e.ErrorKind.LocalizedString(nil)
	}
	if prefix == "" {
		return strings.ToUpper(msg[:1]) + msg[1:]
	}
	return prefix + msg
}
