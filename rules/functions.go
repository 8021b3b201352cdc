package rules

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/steward-governance/steward/rules/doc"
	"github.com/steward-governance/steward/rules/jsregex"
)

// Function is a check a rule's then can call by name.
type Function struct {
	Name string
	// prepare validates the functionOptions (nil when absent) when the
	// ruleset is loaded and returns them in the form run expects.
	prepare func(opts *doc.Node) (any, error)
	run     func(c *Call) []Result
}

// Call is what a function sees for one target.
type Call struct {
	// Target is the value to check; nil when the field does not exist
	// (JavaScript's undefined).
	Target *doc.Node
	Opts   any
	// Path is where Target is, as the rule sees the document.
	Path     []string
	Doc      *doc.Document
	Formats  Formats
	Resolved bool
	Rule     *Rule
	lint     *linter
}

// Result is one problem a function reports; Path defaults to the target's.
type Result struct {
	Message string
	Path    []string
}

// get reads an object member as the rule sees the document (following
// references for resolved rules).
func (c *Call) get(n *doc.Node, key string) *doc.Node {
	v := n.Get(key)
	if v != nil && c.Resolved {
		v = c.Doc.Deref(v)
	}
	return v
}

func (c *Call) deref(n *doc.Node) *doc.Node {
	if n != nil && c.Resolved {
		return c.Doc.Deref(n)
	}
	return n
}

// plain converts n to plain Go values for a JSON Schema validator, reach
// levels deep (see schemaReach), following references when the rule is
// resolved. When the value is too large (LintOptions.MaxResolvedNodes) or
// the run is over, it fails the call and returns false.
func (c *Call) plain(n *doc.Node, reach int) (any, bool) {
	depth := reach
	switch {
	case reach == reachAll:
		depth = doc.AllLevels
	case reach < 0:
		depth = 0
	}
	v, err := c.lint.converter(c.Resolved).Convert(n, depth)
	if err != nil {
		c.fail(err)
		return nil, false
	}
	return v, true
}

// fail stops the rule: it lands in Report.RuleErrors with err, rather
// than passing on a document it could not evaluate.
func (c *Call) fail(err error) {
	var tl *doc.TooLargeError
	if errors.As(err, &tl) {
		err = tooLarge(c.Rule.Name, err)
	}
	if c.lint.failed == nil {
		c.lint.failed = err
	}
}

func (c *Call) children(n *doc.Node) []*doc.Node {
	if !c.Resolved {
		return n.Children
	}
	out := make([]*doc.Node, len(n.Children))
	for i, ch := range n.Children {
		out[i] = c.Doc.Deref(ch)
	}
	return out
}

// property is the last path segment, which default messages name.
func (c *Call) property() string {
	if len(c.Path) == 0 {
		return ""
	}
	return c.Path[len(c.Path)-1]
}

// printProperty renders `"name" property ` as Spectral's messages start, or
// "" at the root.
func (c *Call) printProperty() string {
	if p := c.property(); p != "" {
		return fmt.Sprintf("%q property ", p)
	}
	return ""
}

var registry = map[string]*Function{}

func register(f *Function) { registry[f.Name] = f }

func lookupFunction(name string) *Function { return registry[name] }

func functionNames() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// noOptions accepts only an absent or null functionOptions.
func noOptions(n *doc.Node) (any, error) {
	if n != nil && n.Kind != doc.Null && !(n.Kind == doc.Object && len(n.Keys) == 0) {
		return nil, fmt.Errorf("takes no options")
	}
	return nil, nil
}

// optionsObject checks that opts is an object with only the allowed keys.
func optionsObject(n *doc.Node, allowed ...string) error {
	if n == nil {
		return nil
	}
	if n.Kind != doc.Object {
		return fmt.Errorf("options must be an object")
	}
	for _, k := range n.Keys {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
			}
		}
		if !ok {
			return fmt.Errorf("unknown option %q (allowed: %s)", k, strings.Join(allowed, ", "))
		}
	}
	return nil
}

func init() {
	register(&Function{Name: "truthy", prepare: noOptions, run: func(c *Call) []Result {
		if c.Target.IsTruthy() {
			return nil
		}
		return []Result{{Message: c.printProperty() + "must be truthy"}}
	}})
	register(&Function{Name: "falsy", prepare: noOptions, run: func(c *Call) []Result {
		if !c.Target.IsTruthy() {
			return nil
		}
		return []Result{{Message: c.printProperty() + "must be falsy"}}
	}})
	register(&Function{Name: "defined", prepare: noOptions, run: func(c *Call) []Result {
		if c.Target != nil {
			return nil
		}
		return []Result{{Message: c.printProperty() + "must be defined"}}
	}})
	register(&Function{Name: "undefined", prepare: noOptions, run: func(c *Call) []Result {
		if c.Target == nil {
			return nil
		}
		return []Result{{Message: c.printProperty() + "must be undefined"}}
	}})
	register(&Function{Name: "pattern", prepare: preparePattern, run: runPattern})
	register(&Function{Name: "casing", prepare: prepareCasing, run: runCasing})
	register(&Function{Name: "enumeration", prepare: prepareEnumeration, run: runEnumeration})
	register(&Function{Name: "length", prepare: prepareLength, run: runLength})
	register(&Function{Name: "alphabetical", prepare: prepareAlphabetical, run: runAlphabetical})
	register(&Function{Name: "xor", prepare: prepareXor, run: runXor})
	register(&Function{Name: "typedEnum", prepare: noOptions, run: runTypedEnum})
	register(&Function{Name: "schema", prepare: prepareSchema, run: runSchema})
	register(&Function{Name: "unreferencedReusableObject", prepare: prepareUnreferenced, run: runUnreferenced})
}

// ---- pattern ----

type patternOpts struct {
	match, notMatch       *regexp.Regexp
	matchSrc, notMatchSrc string
}

func preparePattern(n *doc.Node) (any, error) {
	if err := optionsObject(n, "match", "notMatch"); err != nil {
		return nil, err
	}
	if n == nil || (n.Get("match") == nil && n.Get("notMatch") == nil) {
		return nil, fmt.Errorf("needs at least one of the options match, notMatch")
	}
	o := &patternOpts{}
	for _, k := range []string{"match", "notMatch"} {
		v := n.Get(k)
		if v == nil {
			continue
		}
		if v.Kind != doc.String {
			return nil, fmt.Errorf("option %s must be a string", k)
		}
		re, err := jsregex.CompileSpectral(v.Value)
		if err != nil {
			return nil, fmt.Errorf("option %s: %v", k, err)
		}
		if k == "match" {
			o.match, o.matchSrc = re, v.Value
		} else {
			o.notMatch, o.notMatchSrc = re, v.Value
		}
	}
	return o, nil
}

func runPattern(c *Call) []Result {
	o := c.Opts.(*patternOpts)
	t := c.Target
	if t == nil || t.Kind != doc.String {
		return nil
	}
	var out []Result
	if o.match != nil && !o.match.MatchString(t.Value) {
		out = append(out, Result{Message: fmt.Sprintf("%q must match the pattern %q", t.Value, o.matchSrc)})
	}
	if o.notMatch != nil && o.notMatch.MatchString(t.Value) {
		out = append(out, Result{Message: fmt.Sprintf("%q must not match the pattern %q", t.Value, o.notMatchSrc)})
	}
	return out
}

// ---- casing ----

type casingOpts struct {
	re   *regexp.Regexp
	kind string
}

var casingPatterns = map[string][2]string{
	// first-character class, rest: written with %d for the digit class.
	"flat":   {`[a-z][a-z%[1]s]*`, ""},
	"camel":  {`[a-z][a-z%[1]s]*(?:[A-Z%[1]s](?:[a-z%[1]s]+|$))*`, ""},
	"pascal": {`[A-Z][a-z%[1]s]*(?:[A-Z%[1]s](?:[a-z%[1]s]+|$))*`, ""},
	"kebab":  {`[a-z][a-z%[1]s]*(?:-[a-z%[1]s]+)*`, ""},
	"cobol":  {`[A-Z][A-Z%[1]s]*(?:-[A-Z%[1]s]+)*`, ""},
	"snake":  {`[a-z][a-z%[1]s]*(?:_[a-z%[1]s]+)*`, ""},
	"macro":  {`[A-Z][A-Z%[1]s]*(?:_[A-Z%[1]s]+)*`, ""},
}

func prepareCasing(n *doc.Node) (any, error) {
	if err := optionsObject(n, "type", "disallowDigits", "separator"); err != nil {
		return nil, err
	}
	if n == nil || n.Get("type") == nil {
		return nil, fmt.Errorf("needs the option type (flat, camel, pascal, kebab, cobol, snake, macro)")
	}
	kind := n.Get("type").Value
	tpl, ok := casingPatterns[kind]
	if !ok {
		return nil, fmt.Errorf("unknown casing type %q: want flat, camel, pascal, kebab, cobol, snake or macro", kind)
	}
	digits := "0-9"
	if d := n.Get("disallowDigits"); d != nil {
		if d.Kind != doc.Bool {
			return nil, fmt.Errorf("disallowDigits must be true or false")
		}
		if d.Value == "true" {
			digits = ""
		}
	}
	body := fmt.Sprintf(tpl[0], digits)
	full := "^" + body + "$"
	if s := n.Get("separator"); s != nil {
		if err := optionsObject(s, "char", "allowLeading"); err != nil {
			return nil, fmt.Errorf("separator: %v", err)
		}
		ch := s.Get("char")
		if ch == nil || ch.Kind != doc.String || len([]rune(ch.Value)) != 1 {
			return nil, fmt.Errorf("separator.char must be a single character")
		}
		sep := regexp.QuoteMeta(ch.Value)
		lead := ""
		if al := s.Get("allowLeading"); al != nil && al.Value == "true" {
			lead = sep + "?"
		}
		full = "^" + lead + body + "(?:" + sep + body + ")*$"
	}
	return &casingOpts{re: regexp.MustCompile(full), kind: kind}, nil
}

func runCasing(c *Call) []Result {
	o := c.Opts.(*casingOpts)
	t := c.Target
	if t == nil || t.Kind != doc.String || t.Value == "" {
		return nil
	}
	if o.re.MatchString(t.Value) {
		return nil
	}
	return []Result{{Message: fmt.Sprintf("%q must be %s case", t.Value, o.kind)}}
}

// ---- enumeration ----

func prepareEnumeration(n *doc.Node) (any, error) {
	if err := optionsObject(n, "values"); err != nil {
		return nil, err
	}
	if n == nil || n.Get("values") == nil || n.Get("values").Kind != doc.Array {
		return nil, fmt.Errorf("needs the option values (an array)")
	}
	return n.Get("values"), nil
}

func runEnumeration(c *Call) []Result {
	values := c.Opts.(*doc.Node)
	t := c.Target
	if t == nil || t.Kind == doc.Object || t.Kind == doc.Array {
		return nil
	}
	var names []string
	for _, v := range values.Children {
		if sameScalar(v, t) {
			return nil
		}
		names = append(names, v.JSString())
	}
	return []Result{{Message: fmt.Sprintf("%q must be equal to one of the allowed values: %s", t.JSString(), strings.Join(names, ", "))}}
}

func sameScalar(a, b *doc.Node) bool {
	if a.Kind != b.Kind {
		return false
	}
	if a.Kind == doc.Number {
		return a.Num == b.Num
	}
	return a.Value == b.Value
}

// ---- length ----

type lengthOpts struct {
	min, max       float64
	hasMin, hasMax bool
}

func prepareLength(n *doc.Node) (any, error) {
	if err := optionsObject(n, "min", "max"); err != nil {
		return nil, err
	}
	o := &lengthOpts{}
	if n != nil {
		if v := n.Get("min"); v != nil {
			if v.Kind != doc.Number {
				return nil, fmt.Errorf("min must be a number")
			}
			o.min, o.hasMin = v.Num, true
		}
		if v := n.Get("max"); v != nil {
			if v.Kind != doc.Number {
				return nil, fmt.Errorf("max must be a number")
			}
			o.max, o.hasMax = v.Num, true
		}
	}
	if !o.hasMin && !o.hasMax {
		return nil, fmt.Errorf("needs at least one of the options min, max")
	}
	return o, nil
}

func runLength(c *Call) []Result {
	o := c.Opts.(*lengthOpts)
	t := c.Target
	if t == nil {
		return nil
	}
	var l float64
	switch t.Kind {
	case doc.Number:
		l = t.Num
	case doc.String, doc.Array, doc.Object:
		l = float64(t.Len())
	default:
		return nil
	}
	switch {
	case o.hasMin && l < o.min:
		return []Result{{Message: c.printProperty() + "must not be shorter than " + doc.FormatNumber(o.min)}}
	case o.hasMax && l > o.max:
		return []Result{{Message: c.printProperty() + "must not be longer than " + doc.FormatNumber(o.max)}}
	}
	return nil
}

// ---- alphabetical ----

func prepareAlphabetical(n *doc.Node) (any, error) {
	if err := optionsObject(n, "keyedBy"); err != nil {
		return nil, err
	}
	if n != nil {
		if k := n.Get("keyedBy"); k != nil {
			if k.Kind != doc.String {
				return nil, fmt.Errorf("keyedBy must be a string")
			}
			return k.Value, nil
		}
	}
	return "", nil
}

func runAlphabetical(c *Call) []Result {
	keyedBy := c.Opts.(string)
	t := c.Target
	if t == nil {
		return nil
	}
	var vals []*doc.Node
	switch t.Kind {
	case doc.Object:
		for _, k := range t.Keys {
			vals = append(vals, &doc.Node{Kind: doc.String, Value: k})
		}
	case doc.Array:
		for _, ch := range c.children(t) {
			if keyedBy != "" {
				if ch.Kind != doc.Object {
					return []Result{{Message: c.printProperty() + "must be an array of objects with " + keyedBy}}
				}
				v := c.get(ch, keyedBy)
				if v == nil {
					v = &doc.Node{Kind: doc.Null}
				}
				vals = append(vals, v)
				continue
			}
			vals = append(vals, ch)
		}
	default:
		return nil
	}
	for i := 1; i < len(vals); i++ {
		if compareValues(vals[i-1], vals[i]) > 0 {
			msg := c.printProperty() + "must be sorted in ascending order"
			return []Result{{Message: strings.TrimSpace(msg)}}
		}
	}
	return nil
}

// compareValues orders numbers numerically and everything else as strings
// in a locale-like order (case-insensitive first), close to JavaScript's
// localeCompare which Spectral uses.
func compareValues(a, b *doc.Node) int {
	if a.Kind == doc.Number && b.Kind == doc.Number {
		switch {
		case a.Num < b.Num:
			return -1
		case a.Num > b.Num:
			return 1
		}
		return 0
	}
	x, y := a.JSString(), b.JSString()
	if c := strings.Compare(strings.ToLower(x), strings.ToLower(y)); c != 0 {
		return c
	}
	// localeCompare puts lower case before upper case.
	return -strings.Compare(x, y)
}

// ---- xor ----

func prepareXor(n *doc.Node) (any, error) {
	if err := optionsObject(n, "properties"); err != nil {
		return nil, err
	}
	if n == nil || n.Get("properties") == nil || n.Get("properties").Kind != doc.Array {
		return nil, fmt.Errorf("needs the option properties (an array of at least two names)")
	}
	var props []string
	for _, p := range n.Get("properties").Children {
		if p.Kind != doc.String {
			return nil, fmt.Errorf("properties must be strings")
		}
		props = append(props, p.Value)
	}
	if len(props) < 2 {
		return nil, fmt.Errorf("properties needs at least two names")
	}
	return props, nil
}

func runXor(c *Call) []Result {
	props := c.Opts.([]string)
	t := c.Target
	if t == nil || t.Kind != doc.Object {
		return nil
	}
	n := 0
	for _, p := range props {
		if t.Has(p) {
			n++
		}
	}
	if n == 1 {
		return nil
	}
	quoted := make([]string, len(props))
	for i, p := range props {
		quoted[i] = fmt.Sprintf("%q", p)
	}
	list := strings.Join(quoted[:len(quoted)-1], ", ") + " and " + quoted[len(quoted)-1]
	if n == 0 {
		return []Result{{Message: list + " must not be both undefined"}}
	}
	return []Result{{Message: list + " must not be both defined"}}
}

// ---- typedEnum ----

func runTypedEnum(c *Call) []Result {
	t := c.Target
	if t == nil || t.Kind != doc.Object {
		return nil
	}
	enum, typ := c.get(t, "enum"), c.get(t, "type")
	if enum == nil || typ == nil || enum.Kind != doc.Array || typ.Kind == doc.Null {
		return nil
	}
	var types []string
	switch typ.Kind {
	case doc.String:
		types = []string{typ.Value}
	case doc.Array:
		for _, x := range typ.Children {
			if x.Kind == doc.String {
				types = append(types, x.Value)
			}
		}
	default:
		return nil
	}
	nullable := (c.Formats[OAS3] && isTrue(c.get(t, "nullable"))) || (c.Formats[OAS2] && isTrue(c.get(t, "x-nullable")))
	if nullable {
		types = append(types, "null")
	}
	var out []Result
	for i, v := range c.children(enum) {
		ok := false
		for _, ty := range types {
			if valueHasType(v, ty) {
				ok = true
				break
			}
		}
		if !ok {
			out = append(out, Result{
				Message: fmt.Sprintf("Enum value %s must be %q.", jsonish(v), strings.Join(types, ",")),
				Path:    appendPath(c.Path, "enum", fmt.Sprint(i)),
			})
		}
	}
	return out
}

func isTrue(n *doc.Node) bool { return n != nil && n.Kind == doc.Bool && n.Value == "true" }

// valueHasType is JSON Schema's type test.
func valueHasType(v *doc.Node, ty string) bool {
	switch ty {
	case "string":
		return v.Kind == doc.String
	case "number":
		return v.Kind == doc.Number
	case "integer":
		return v.IsInteger()
	case "boolean":
		return v.Kind == doc.Bool
	case "null":
		return v.Kind == doc.Null
	case "array":
		return v.Kind == doc.Array
	case "object":
		return v.Kind == doc.Object
	}
	return true
}

func jsonish(v *doc.Node) string {
	if v.Kind == doc.String {
		return fmt.Sprintf("%q", v.Value)
	}
	return v.JSString()
}

func appendPath(p []string, segs ...string) []string {
	out := make([]string, 0, len(p)+len(segs))
	out = append(out, p...)
	return append(out, segs...)
}

// ---- unreferencedReusableObject ----

func prepareUnreferenced(n *doc.Node) (any, error) {
	if err := optionsObject(n, "reusableObjectsLocation"); err != nil {
		return nil, err
	}
	if n == nil || n.Get("reusableObjectsLocation") == nil {
		return nil, fmt.Errorf("needs the option reusableObjectsLocation, e.g. \"#/components/schemas\"")
	}
	loc := n.Get("reusableObjectsLocation")
	if loc.Kind != doc.String || !strings.HasPrefix(loc.Value, "#") {
		return nil, fmt.Errorf("reusableObjectsLocation must be a JSON pointer fragment such as \"#/components/schemas\"")
	}
	return loc.Value, nil
}

func runUnreferenced(c *Call) []Result {
	loc := c.Opts.(string)
	return unreferenced(c, c.Target, loc)
}

func unreferenced(c *Call, t *doc.Node, loc string) []Result {
	if t == nil || t.Kind != doc.Object {
		return nil
	}
	refs := c.Doc.References()
	base := strings.TrimPrefix(loc, "#")
	var baseSegs []string
	for _, s := range strings.Split(strings.TrimPrefix(base, "/"), "/") {
		if s != "" {
			baseSegs = append(baseSegs, strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~"))
		}
	}
	var out []Result
	for _, k := range t.Keys {
		ptr := doc.EscapePointer(append(append([]string(nil), baseSegs...), k))
		if refs[ptr] {
			continue
		}
		out = append(out, Result{
			Message: "Potential orphaned reusable object has been detected",
			Path:    append(append([]string(nil), baseSegs...), k),
		})
	}
	return out
}
