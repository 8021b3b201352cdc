package rules

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"regexp"
	"strings"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/rules/doc"
	"github.com/steward-governance/steward/rules/jsonpath"
)

// Ruleset is a loaded, validated set of rules ready to lint documents.
type Ruleset struct {
	// Name is where the ruleset came from (a file or a built-in name).
	Name             string
	DocumentationURL string
	Formats          []Format
	// Rules holds every rule, enabled or not, in definition order.
	Rules []*Rule
	// CategoryWeights is how much each category counts in a scorecard's
	// overall score (x-steward-category-weights); a category not listed
	// counts 1. Weights are inherited through extends, a ruleset's own
	// entries replacing its parents' one category at a time. Nil when no
	// ruleset in the chain sets any.
	CategoryWeights map[Category]float64
	// BreakingChanges is what an upload with breaking changes meets at each
	// lifecycle stage (x-steward-breaking-changes), inherited like the
	// category weights; use BreakingPolicyFor, which fills in the defaults.
	BreakingChanges map[catalog.Stage]BreakingPolicy
	// Lifecycle are the gates on entering production, deprecation and
	// retirement (x-steward-lifecycle, lifecycle.go), inherited setting by
	// setting; use LifecycleGates, which fills in the defaults.
	Lifecycle LifecycleSettings

	byName    map[string]*Rule
	aliases   map[string]*alias
	overrides []*override
}

// Rule is one rule of a ruleset.
type Rule struct {
	Name        string
	Description string
	// Message is the template for findings; empty means the description,
	// or the function's own message when there is no description.
	Message string
	// Severity is the effective severity; Off means the rule is disabled.
	Severity Severity
	// DefaultSeverity is what the rule definition says.
	DefaultSeverity  Severity
	Recommended      bool
	Resolved         bool
	Formats          []Format
	DocumentationURL string
	Given            []string
	Then             []Then
	// Steward's extensions.
	Category Category
	Weight   float64
	HowToFix string

	// given holds the compiled expressions per format combination (see
	// Formats.key), with aliases expanded for that combination.
	given map[string][]*jsonpath.Path
	// explicitOff records that a ruleset turned the rule off by name, so
	// extending with "all" does not turn it back on.
	explicitOff bool
	hasMessage  bool
}

// Enabled reports whether the rule runs.
func (r *Rule) Enabled() bool { return r.Severity != Off }

// Then is one check of a rule: a function applied to a field of each
// value the rule's given selects.
type Then struct {
	Field           string
	Function        string
	FunctionOptions any

	fn        *Function
	opts      any
	fieldPath *jsonpath.Path
	fieldSegs []string
}

type alias struct {
	plain   []string
	targets []aliasTarget
	scoped  bool
}

type aliasTarget struct {
	formats []Format
	given   []string
}

type override struct {
	files []overrideFile
	rules map[string]*Rule
	sev   map[string]Severity
}

type overrideFile struct {
	glob    string
	pointer []string
	hasPtr  bool
}

// Rule returns the rule with that name, or nil.
func (rs *Ruleset) Rule(name string) *Rule { return rs.byName[name] }

// LoadError is a ruleset that cannot be used, with where the problem is.
type LoadError struct {
	File string
	Pos  doc.Pos
	// Path is the location in the ruleset document, e.g. rules/my-rule/given.
	Path []string
	Msg  string
}

func (e *LoadError) Error() string {
	loc := e.File
	if e.Pos.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", e.File, e.Pos.Line, e.Pos.Column)
	}
	if len(e.Path) > 0 {
		return fmt.Sprintf("%s: %s: %s", loc, strings.Join(e.Path, "."), e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// Load reads a ruleset file (YAML or JSON) from fsys; local files it
// extends are read from fsys too, relative to it.
func Load(fsys fs.FS, name string) (*Ruleset, error) {
	l := &loader{fsys: fsys}
	return l.loadFile(name, nil)
}

// Parse reads a ruleset from src; name is used in messages and to resolve
// local extends against fsys (which may be nil when there are none).
func Parse(src []byte, name string, fsys fs.FS) (*Ruleset, error) {
	l := &loader{fsys: fsys}
	return l.parse(src, name, nil)
}

type loader struct {
	fsys fs.FS
}

func (l *loader) loadFile(name string, stack []string) (*Ruleset, error) {
	if l.fsys == nil {
		return nil, &LoadError{File: name, Msg: "local rulesets cannot be read here (no file system given)"}
	}
	src, err := fs.ReadFile(l.fsys, name)
	if err != nil {
		return nil, &LoadError{File: name, Msg: fmt.Sprintf("cannot read ruleset: %v", err)}
	}
	return l.parse(src, name, stack)
}

func (l *loader) parse(src []byte, name string, stack []string) (*Ruleset, error) {
	for _, s := range stack {
		if s == name {
			return nil, &LoadError{File: name, Msg: "circular extends: " + strings.Join(append(stack, name), " -> ")}
		}
	}
	stack = append(stack, name)
	root, err := doc.Parse(src)
	if err != nil {
		var se *doc.SyntaxError
		if errors.As(err, &se) {
			return nil, &LoadError{File: name, Pos: se.Pos, Msg: se.Msg}
		}
		return nil, &LoadError{File: name, Msg: err.Error()}
	}
	b := &builder{l: l, file: name, stack: stack, rs: &Ruleset{Name: name, byName: map[string]*Rule{}, aliases: map[string]*alias{}}}
	if err := b.build(root); err != nil {
		return nil, err
	}
	return b.rs, nil
}

type builder struct {
	l     *loader
	file  string
	stack []string
	rs    *Ruleset
}

func (b *builder) errAt(n *doc.Node, format string, args ...any) error {
	e := &LoadError{File: b.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Pos = n.Range.Start
		e.Path = n.Path()
	}
	return e
}

var rootKeys = map[string]bool{
	"extends": true, "rules": true, "formats": true, "documentationUrl": true, "aliases": true,
	"overrides": true, "description": true, "parserOptions": true, "functions": true, "functionsDir": true,
}

func (b *builder) build(root *doc.Node) error {
	if root.Kind != doc.Object {
		return b.errAt(root, "a ruleset must be an object, got %s", root.Kind)
	}
	for i, k := range root.Keys {
		if !rootKeys[k] && !strings.HasPrefix(k, "x-") {
			return b.errAt(root.Children[i], "unknown ruleset property %q", k)
		}
	}
	if fn := root.Get("functions"); fn != nil && fn.Kind == doc.Array && len(fn.Children) > 0 {
		return b.errAt(fn, "custom JavaScript functions are not supported; use the built-in functions")
	}
	if f := root.Get("formats"); f != nil {
		fs, err := b.formats(f)
		if err != nil {
			return err
		}
		b.rs.Formats = fs
	}
	if u := root.Get("documentationUrl"); u != nil {
		if u.Kind != doc.String {
			return b.errAt(u, "documentationUrl must be a string")
		}
		b.rs.DocumentationURL = u.Value
	}
	if ext := root.Get("extends"); ext != nil {
		if err := b.extends(ext); err != nil {
			return err
		}
	}
	if cw := root.Get(categoryWeightsKey); cw != nil {
		if err := b.categoryWeights(cw); err != nil {
			return err
		}
	}
	if bc := root.Get(breakingChangesKey); bc != nil {
		if err := b.breakingChanges(bc); err != nil {
			return err
		}
	}
	if lc := root.Get(lifecycleKey); lc != nil {
		if err := b.lifecycleSettings(lc); err != nil {
			return err
		}
	}
	if al := root.Get("aliases"); al != nil {
		if err := b.aliases(al, b.rs.aliases); err != nil {
			return err
		}
	}
	if rules := root.Get("rules"); rules != nil {
		if rules.Kind != doc.Object {
			return b.errAt(rules, "rules must be an object")
		}
		for i, name := range rules.Keys {
			if err := b.ruleEntry(name, rules.Children[i], b.rs.byName, b.rs.aliases, true); err != nil {
				return err
			}
		}
	}
	if ov := root.Get("overrides"); ov != nil {
		if err := b.overrides(ov); err != nil {
			return err
		}
	}
	return nil
}

// categoryWeightsKey is the top-level property that weighs categories.
const categoryWeightsKey = "x-steward-category-weights"

// categoryWeights reads x-steward-category-weights: an object from known
// categories to positive numbers. Its entries replace inherited ones.
func (b *builder) categoryWeights(n *doc.Node) error {
	if n.Kind != doc.Object {
		return b.errAt(n, "%s must be an object from categories to weights, such as {security: 2, design: 1}, got %s", categoryWeightsKey, describe(n))
	}
	for i, k := range n.Keys {
		v := n.Children[i]
		if !validCategory(k) {
			e := b.errAt(v, "unknown category %q: want %s", k, categoryList).(*LoadError)
			if v.KeyPos.Line > 0 {
				e.Pos = v.KeyPos
			}
			return e
		}
		if v.Kind != doc.Number || !(v.Num > 0) || math.IsInf(v.Num, 0) {
			return b.errAt(v, "the weight of category %s must be a positive number, got %s", k, describe(v))
		}
		if b.rs.CategoryWeights == nil {
			b.rs.CategoryWeights = map[Category]float64{}
		}
		b.rs.CategoryWeights[Category(k)] = v.Num
	}
	return nil
}

func (b *builder) formats(n *doc.Node) ([]Format, error) {
	if n.Kind != doc.Array {
		return nil, b.errAt(n, "formats must be an array")
	}
	var out []Format
	for _, c := range n.Children {
		if c.Kind != doc.String || !knownFormats[c.Value] {
			return nil, b.errAt(c, "unknown format %s: want oas2, oas3, oas3_0 or oas3_1", describe(c))
		}
		out = append(out, Format(c.Value))
	}
	return out, nil
}

// extends merges the rules of each extended ruleset, applying its mode.
func (b *builder) extends(n *doc.Node) error {
	items := []*doc.Node{n}
	if n.Kind == doc.Array {
		items = n.Children
		// [name, mode] at the top level is one entry, not two.
		if len(n.Children) == 2 && n.Children[0].Kind == doc.String && n.Children[1].Kind == doc.String && isMode(n.Children[1].Value) {
			items = []*doc.Node{n}
		}
	}
	for _, it := range items {
		var nameNode *doc.Node
		mode := "recommended"
		switch it.Kind {
		case doc.String:
			nameNode = it
		case doc.Array:
			if len(it.Children) != 2 || it.Children[0].Kind != doc.String || it.Children[1].Kind != doc.String {
				return b.errAt(it, "an extends entry must be a name or [name, all|recommended|off]")
			}
			nameNode = it.Children[0]
			mode = it.Children[1].Value
			if !isMode(mode) {
				return b.errAt(it.Children[1], "unknown extends mode %q: want all, recommended or off", mode)
			}
		default:
			return b.errAt(it, "an extends entry must be a name or [name, all|recommended|off]")
		}
		parent, err := b.resolveExtends(nameNode)
		if err != nil {
			return err
		}
		b.inherit(parent, mode)
	}
	return nil
}

func isMode(s string) bool { return s == "all" || s == "recommended" || s == "off" }

func (b *builder) resolveExtends(n *doc.Node) (*Ruleset, error) {
	name := n.Value
	if src, ok := builtinSource(name); ok {
		for _, s := range b.stack {
			if s == builtinCanonical(name) {
				return nil, b.errAt(n, "circular extends through %q", name)
			}
		}
		rs, err := b.l.parse(src, builtinCanonical(name), b.stack)
		if err != nil {
			return nil, err
		}
		return rs, nil
	}
	if strings.HasPrefix(name, "spectral:") || strings.HasPrefix(name, "@") || strings.HasPrefix(name, "http://") || strings.HasPrefix(name, "https://") {
		return nil, b.errAt(n, "unknown ruleset %q: built-in rulesets are %s; remote and npm rulesets are not fetched", name, strings.Join(BuiltinNames(), ", "))
	}
	if b.l.fsys == nil {
		return nil, b.errAt(n, "cannot extend local ruleset %q: no file system given", name)
	}
	p := name
	if !path.IsAbs(p) {
		p = path.Join(path.Dir(b.file), p)
	}
	p = strings.TrimPrefix(path.Clean(p), "/")
	rs, err := b.l.loadFile(p, b.stack)
	if err != nil {
		var le *LoadError
		if errors.As(err, &le) && le.File == p && le.Pos.Line == 0 {
			return nil, b.errAt(n, "%s", le.Msg)
		}
		return nil, err
	}
	return rs, nil
}

// inherit copies parent's rules into the ruleset being built, enabled as
// the extends mode says; a later definition of the same name replaces it.
func (b *builder) inherit(parent *Ruleset, mode string) {
	for name, a := range parent.aliases {
		b.rs.aliases[name] = a
	}
	for _, r := range parent.Rules {
		c := *r
		c.Then = append([]Then(nil), r.Then...)
		switch mode {
		case "all":
			if !c.explicitOff {
				c.Severity = c.DefaultSeverity
			}
		case "recommended":
			if !c.Recommended {
				c.Severity = Off
			}
		case "off":
			c.Severity = Off
		}
		b.putRule(&c)
	}
	b.rs.overrides = append(b.rs.overrides, parent.overrides...)
	for c, w := range parent.CategoryWeights {
		if b.rs.CategoryWeights == nil {
			b.rs.CategoryWeights = map[Category]float64{}
		}
		b.rs.CategoryWeights[c] = w
	}
	for st, p := range parent.BreakingChanges {
		if b.rs.BreakingChanges == nil {
			b.rs.BreakingChanges = map[catalog.Stage]BreakingPolicy{}
		}
		b.rs.BreakingChanges[st] = p
	}
	b.rs.Lifecycle.inheritFrom(parent.Lifecycle)
	if b.rs.DocumentationURL == "" {
		b.rs.DocumentationURL = parent.DocumentationURL
	}
}

func (b *builder) putRule(r *Rule) {
	if old, ok := b.rs.byName[r.Name]; ok {
		for i, x := range b.rs.Rules {
			if x == old {
				b.rs.Rules[i] = r
			}
		}
	} else {
		b.rs.Rules = append(b.rs.Rules, r)
	}
	b.rs.byName[r.Name] = r
}

var aliasName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

func (b *builder) aliases(n *doc.Node, into map[string]*alias) error {
	if n.Kind != doc.Object {
		return b.errAt(n, "aliases must be an object")
	}
	for i, name := range n.Keys {
		v := n.Children[i]
		if !aliasName.MatchString(name) {
			return b.errAt(v, "alias name %q must start with a letter and use letters, digits, - or _", name)
		}
		a := &alias{}
		switch v.Kind {
		case doc.Array:
			for _, g := range v.Children {
				if g.Kind != doc.String {
					return b.errAt(g, "alias paths must be strings")
				}
				a.plain = append(a.plain, g.Value)
			}
			if len(a.plain) == 0 {
				return b.errAt(v, "alias %q has no paths", name)
			}
		case doc.Object:
			a.scoped = true
			t := v.Get("targets")
			if t == nil || t.Kind != doc.Array || len(t.Children) == 0 {
				return b.errAt(v, "scoped alias %q needs a non-empty targets array", name)
			}
			for _, tn := range t.Children {
				if tn.Kind != doc.Object {
					return b.errAt(tn, "an alias target must be an object with formats and given")
				}
				var at aliasTarget
				fn := tn.Get("formats")
				if fn == nil {
					return b.errAt(tn, "an alias target needs formats")
				}
				fs, err := b.formats(fn)
				if err != nil {
					return err
				}
				at.formats = fs
				gn := tn.Get("given")
				gs, err := b.strings(gn, "given")
				if err != nil {
					return err
				}
				if gn == nil {
					return b.errAt(tn, "an alias target needs given")
				}
				at.given = gs
				a.targets = append(a.targets, at)
			}
		default:
			return b.errAt(v, "alias %q must be an array of paths or an object with targets", name)
		}
		into[name] = a
	}
	return nil
}

func (b *builder) strings(n *doc.Node, what string) ([]string, error) {
	if n == nil {
		return nil, nil
	}
	switch n.Kind {
	case doc.String:
		return []string{n.Value}, nil
	case doc.Array:
		var out []string
		for _, c := range n.Children {
			if c.Kind != doc.String {
				return nil, b.errAt(c, "%s entries must be strings", what)
			}
			out = append(out, c.Value)
		}
		if len(out) == 0 {
			return nil, b.errAt(n, "%s must not be empty", what)
		}
		return out, nil
	}
	return nil, b.errAt(n, "%s must be a string or an array of strings", what)
}

var ruleKeys = map[string]bool{
	"given": true, "then": true, "severity": true, "message": true, "description": true, "formats": true,
	"resolved": true, "recommended": true, "documentationUrl": true, "type": true, "tags": true,
	"x-steward-category": true, "x-steward-weight": true, "x-steward-how-to-fix": true,
}

// ruleEntry reads one entry of rules: either a full definition or, for a
// rule defined by an extended ruleset, a severity alone.
func (b *builder) ruleEntry(name string, n *doc.Node, into map[string]*Rule, aliases map[string]*alias, top bool) error {
	if n.Kind != doc.Object {
		old, ok := into[name]
		if !ok {
			return b.errAt(n, "rule %q is not defined by an extended ruleset, so it needs a full definition (given, then)", name)
		}
		sev, err := ParseSeverity(n, old.DefaultSeverity)
		if err != nil {
			return b.errAt(n, "%v", err)
		}
		c := *old
		c.Severity = sev
		c.explicitOff = sev == Off
		if top {
			b.putRule(&c)
		} else {
			into[name] = &c
		}
		return nil
	}
	for i, k := range n.Keys {
		if !ruleKeys[k] && !strings.HasPrefix(k, "x-") {
			return b.errAt(n.Children[i], "unknown rule property %q", k)
		}
	}
	r := &Rule{Name: name, DefaultSeverity: Warn, Recommended: true, Resolved: true, Weight: 1}
	if n.Get("given") == nil && n.Get("then") == nil {
		// Spectral lets an extending ruleset adjust an inherited rule with
		// an object holding only severity and similar fields.
		if old, ok := into[name]; ok {
			c := *old
			r = &c
		}
	}
	if s := n.Get("severity"); s != nil {
		sev, err := ParseSeverity(s, Warn)
		if err != nil {
			return b.errAt(s, "%v", err)
		}
		r.DefaultSeverity = sev
	}
	if d := n.Get("description"); d != nil {
		if d.Kind != doc.String {
			return b.errAt(d, "description must be a string")
		}
		r.Description = d.Value
	}
	if m := n.Get("message"); m != nil {
		if m.Kind != doc.String {
			return b.errAt(m, "message must be a string")
		}
		r.Message, r.hasMessage = m.Value, true
	}
	if f := n.Get("formats"); f != nil {
		fs, err := b.formats(f)
		if err != nil {
			return err
		}
		r.Formats = fs
	} else if len(r.Formats) == 0 {
		r.Formats = b.rs.Formats
	}
	for _, k := range []string{"resolved", "recommended"} {
		v := n.Get(k)
		if v == nil {
			continue
		}
		if v.Kind != doc.Bool {
			return b.errAt(v, "%s must be true or false", k)
		}
		if k == "resolved" {
			r.Resolved = v.Value == "true"
		} else {
			r.Recommended = v.Value == "true"
		}
	}
	if u := n.Get("documentationUrl"); u != nil {
		if u.Kind != doc.String {
			return b.errAt(u, "documentationUrl must be a string")
		}
		r.DocumentationURL = u.Value
	} else if r.DocumentationURL == "" && b.rs.DocumentationURL != "" {
		r.DocumentationURL = b.rs.DocumentationURL + "#" + name
	}
	if c := n.Get("x-steward-category"); c != nil {
		if c.Kind != doc.String || !validCategory(c.Value) {
			return b.errAt(c, "x-steward-category must be one of %s", categoryList)
		}
		r.Category = Category(c.Value)
	}
	if w := n.Get("x-steward-weight"); w != nil {
		if w.Kind != doc.Number || w.Num < 0 {
			return b.errAt(w, "x-steward-weight must be a number of at least 0")
		}
		r.Weight = w.Num
	}
	if h := n.Get("x-steward-how-to-fix"); h != nil {
		if h.Kind != doc.String {
			return b.errAt(h, "x-steward-how-to-fix must be a string")
		}
		r.HowToFix = h.Value
	}
	if g := n.Get("given"); g != nil {
		gs, err := b.strings(g, "given")
		if err != nil {
			return err
		}
		r.Given = gs
		if err := b.compileGiven(r, g, aliases); err != nil {
			return err
		}
	} else if r.given == nil {
		return b.errAt(n, "rule %q has no given", name)
	}
	if t := n.Get("then"); t != nil {
		thens, err := b.thens(t)
		if err != nil {
			return err
		}
		r.Then = thens
	} else if len(r.Then) == 0 {
		return b.errAt(n, "rule %q has no then", name)
	}
	if r.Category == "" {
		r.Category = guessCategory(name)
	}
	r.Severity = r.DefaultSeverity
	if top {
		b.putRule(r)
	} else {
		into[name] = r
	}
	return nil
}

// guessCategory gives rules without x-steward-category a sensible one, so
// every finding can be scored.
func guessCategory(name string) Category {
	switch {
	case strings.HasPrefix(name, "owasp:"):
		return Security
	case strings.Contains(name, "security"):
		return Security
	case strings.Contains(name, "description") || strings.Contains(name, "contact") || strings.Contains(name, "license") ||
		strings.Contains(name, "example") || strings.Contains(name, "tag") || strings.Contains(name, "info"):
		return Documentation
	}
	return Design
}

// compileGiven expands aliases for every format combination and compiles
// the results, so a bad expression is reported now, not at lint time.
func (b *builder) compileGiven(r *Rule, g *doc.Node, aliases map[string]*alias) error {
	r.given = map[string][]*jsonpath.Path{}
	nodes := []*doc.Node{g}
	if g.Kind == doc.Array {
		nodes = g.Children
	}
	compiled := map[string]*jsonpath.Path{}
	for _, fk := range allFormatKeys {
		var paths []*jsonpath.Path
		for _, gn := range nodes {
			exprs, err := expandAlias(gn.Value, aliases, fk, 0)
			if err != nil {
				return b.errAt(gn, "%v", err)
			}
			for _, e := range exprs {
				p, ok := compiled[e]
				if !ok {
					var err error
					p, err = jsonpath.Compile(e)
					if err != nil {
						var je *jsonpath.Error
						if errors.As(err, &je) && e == gn.Value {
							return b.errAt(gn, "invalid JSONPath %q: %s at offset %d", e, je.Msg, je.Pos)
						}
						return b.errAt(gn, "invalid JSONPath %q (from %q): %v", e, gn.Value, err)
					}
					compiled[e] = p
				}
				paths = append(paths, p)
			}
		}
		r.given[fk.key()] = paths
	}
	return nil
}

var aliasRef = regexp.MustCompile(`^#([A-Za-z][A-Za-z0-9_-]*)`)

func expandAlias(expr string, aliases map[string]*alias, f Formats, depth int) ([]string, error) {
	if !strings.HasPrefix(expr, "#") {
		return []string{expr}, nil
	}
	if depth > 16 {
		return nil, fmt.Errorf("aliases nested too deeply (circular?) in %q", expr)
	}
	m := aliasRef.FindStringSubmatch(expr)
	if m == nil {
		return nil, fmt.Errorf("invalid alias reference in %q", expr)
	}
	a, ok := aliases[m[1]]
	if !ok {
		return nil, fmt.Errorf("alias %q is not defined", m[1])
	}
	rest := expr[len(m[0]):]
	var bases []string
	if a.scoped {
		for _, t := range a.targets {
			if f.matchesAny(t.formats) {
				bases = t.given
				break
			}
		}
	} else {
		bases = a.plain
	}
	var out []string
	for _, base := range bases {
		exp, err := expandAlias(base, aliases, f, depth+1)
		if err != nil {
			return nil, err
		}
		for _, e := range exp {
			out = append(out, e+rest)
		}
	}
	return out, nil
}

func (b *builder) thens(n *doc.Node) ([]Then, error) {
	items := []*doc.Node{n}
	if n.Kind == doc.Array {
		items = n.Children
		if len(items) == 0 {
			return nil, b.errAt(n, "then must not be empty")
		}
	}
	var out []Then
	for _, it := range items {
		if it.Kind != doc.Object {
			return nil, b.errAt(it, "then must be an object with a function")
		}
		var t Then
		for i, k := range it.Keys {
			if k != "field" && k != "function" && k != "functionOptions" {
				return nil, b.errAt(it.Children[i], "unknown then property %q", k)
			}
		}
		if f := it.Get("field"); f != nil {
			if f.Kind != doc.String {
				return nil, b.errAt(f, "field must be a string")
			}
			t.Field = f.Value
			switch {
			case f.Value == "@key":
			case f.Value == "$" || strings.HasPrefix(f.Value, "$.") || strings.HasPrefix(f.Value, "$["):
				p, err := jsonpath.Compile(f.Value)
				if err != nil {
					return nil, b.errAt(f, "invalid field JSONPath: %v", err)
				}
				t.fieldPath = p
			default:
				t.fieldSegs = splitField(f.Value)
			}
		}
		fn := it.Get("function")
		if fn == nil || fn.Kind != doc.String {
			return nil, b.errAt(it, "then needs a function name")
		}
		t.Function = fn.Value
		t.fn = lookupFunction(fn.Value)
		if t.fn == nil {
			return nil, b.errAt(fn, "unknown function %q; available: %s", fn.Value, strings.Join(functionNames(), ", "))
		}
		opts := it.Get("functionOptions")
		if opts != nil {
			t.FunctionOptions = opts.Interface(nil)
		}
		prepared, err := t.fn.prepare(opts)
		if err != nil {
			at := opts
			if at == nil {
				at = it
			}
			return nil, b.errAt(at, "function %s: %v", fn.Value, err)
		}
		t.opts = prepared
		out = append(out, t)
	}
	return out, nil
}

// splitField reads a lodash-style property path: a.b, a[0], a['b.c'].
func splitField(s string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '.':
			flush()
		case '[':
			flush()
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				cur.WriteString(s[i:])
				i = len(s)
				continue
			}
			inner := s[i+1 : i+end]
			inner = strings.Trim(inner, `'"`)
			out = append(out, inner)
			i += end
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

func (b *builder) overrides(n *doc.Node) error {
	if n.Kind != doc.Array {
		return b.errAt(n, "overrides must be an array")
	}
	for _, on := range n.Children {
		if on.Kind != doc.Object {
			return b.errAt(on, "an override must be an object with files and rules")
		}
		o := &override{rules: map[string]*Rule{}, sev: map[string]Severity{}}
		files := on.Get("files")
		fs, err := b.strings(files, "files")
		if err != nil {
			return err
		}
		if files == nil {
			return b.errAt(on, "an override needs files")
		}
		for _, f := range fs {
			of := overrideFile{glob: f}
			if i := strings.IndexByte(f, '#'); i >= 0 {
				of.glob = f[:i]
				of.hasPtr = true
				for _, s := range strings.Split(strings.TrimPrefix(f[i+1:], "/"), "/") {
					if s != "" {
						of.pointer = append(of.pointer, strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~"))
					}
				}
			}
			if _, err := path.Match(strings.ReplaceAll(of.glob, "**", "*"), "x"); err != nil {
				return b.errAt(files, "bad glob %q: %v", f, err)
			}
			o.files = append(o.files, of)
		}
		aliases := map[string]*alias{}
		for k, v := range b.rs.aliases {
			aliases[k] = v
		}
		if al := on.Get("aliases"); al != nil {
			if err := b.aliases(al, aliases); err != nil {
				return err
			}
		}
		if rn := on.Get("rules"); rn != nil {
			if rn.Kind != doc.Object {
				return b.errAt(rn, "override rules must be an object")
			}
			for i, name := range rn.Keys {
				v := rn.Children[i]
				if v.Kind != doc.Object {
					def := Warn
					if r := b.rs.byName[name]; r != nil {
						def = r.DefaultSeverity
					}
					sev, err := ParseSeverity(v, def)
					if err != nil {
						return b.errAt(v, "%v", err)
					}
					o.sev[name] = sev
					continue
				}
				into := map[string]*Rule{}
				for k, r := range b.rs.byName {
					into[k] = r
				}
				if err := b.ruleEntry(name, v, into, aliases, false); err != nil {
					return err
				}
				o.rules[name] = into[name]
			}
		}
		if ext := on.Get("extends"); ext != nil {
			return b.errAt(ext, "extends inside overrides is not supported")
		}
		b.rs.overrides = append(b.rs.overrides, o)
	}
	return nil
}

// matches reports whether an override applies to source, and the pointer it
// is limited to, if any.
func (of overrideFile) matches(source string) bool {
	if source == "" {
		return false
	}
	return globMatch(of.glob, source) || globMatch(of.glob, path.Base(source))
}

// globMatch matches with path.Match semantics plus "**" for any depth.
func globMatch(glob, name string) bool {
	if !strings.Contains(glob, "**") {
		ok, _ := path.Match(glob, name)
		return ok
	}
	parts := strings.SplitN(glob, "**", 2)
	prefix, suffix := parts[0], strings.TrimPrefix(parts[1], "/")
	if !strings.HasPrefix(name, prefix) {
		return false
	}
	rest := name[len(prefix):]
	segs := strings.Split(rest, "/")
	for i := range segs {
		if globMatch(suffix, strings.Join(segs[i:], "/")) {
			return true
		}
	}
	return false
}
