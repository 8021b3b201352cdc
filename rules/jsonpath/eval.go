package jsonpath

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/steward-governance/steward/rules/doc"
)

// DefaultMaxResults bounds how many nodes one expression may select unless
// Options says otherwise: far above any real spec, low enough to stop a
// runaway expression before it exhausts memory.
const DefaultMaxResults = 1_000_000

// ErrTooManyResults is wrapped by the error Eval returns when an expression
// selects more nodes than allowed.
var ErrTooManyResults = errors.New("jsonpath: too many results")

// Options tunes an evaluation.
type Options struct {
	// Deref, when set, is applied to every node reached, so references
	// can be followed (Spectral's "resolved" documents).
	Deref func(*doc.Node) *doc.Node
	// MaxResults bounds the result count (and the nodes a descent may
	// visit, times ten); 0 means DefaultMaxResults.
	MaxResults int
	// Context, when set, cancels a long evaluation.
	Context context.Context
	// Index, when set, answers "$.." from the root without walking the
	// tree. It must have been made for the same root and Deref.
	Index *Index
}

// Match is one selected value and the path that reached it.
type Match struct {
	Node *doc.Node
	// Path is how the value was reached from the root; with Deref it can
	// differ from Node.Path(), which is where the value is written.
	Path []string
	// IsKey is set for ~ results: Node is then a string holding the key.
	IsKey bool
}

// loc is a position reached during evaluation; it keeps the chain of
// parents so ^, @parent, @property and @path can be answered.
type loc struct {
	node   *doc.Node
	parent *loc
	seg    string
	isIdx  bool
	isKey  bool
}

func (l *loc) path() []string {
	n := 0
	for p := l; p.parent != nil; p = p.parent {
		n++
	}
	out := make([]string, n)
	for p := l; p.parent != nil; p = p.parent {
		n--
		out[n] = p.seg
	}
	return out
}

type evaluator struct {
	opts    Options
	root    *loc
	count   int
	visits  int
	maxVis  int
	src     string
	ctxTick int
	// scratch and fc are reused by test, so evaluating a filter on a
	// child allocates nothing.
	scratch loc
	fc      fctx
	block   []loc
}

// Eval selects the values p designates in root.
func (p *Path) Eval(root *doc.Node, opts Options) ([]Match, error) {
	if opts.MaxResults <= 0 {
		opts.MaxResults = DefaultMaxResults
	}
	ev := &evaluator{opts: opts, src: p.src, maxVis: opts.MaxResults * 10}
	r := root
	if opts.Deref != nil {
		r = opts.Deref(r)
	}
	ev.root = &loc{node: r}
	if opts.Index != nil && opts.Index.root != root {
		ev.opts.Index = nil
	}
	cur := []*loc{ev.root}
	for i, s := range p.segs {
		var next []*loc
		var err error
		if i == 0 && s.kind == segDescendant && ev.opts.Index != nil {
			next, err = ev.descend(s)
		} else {
			next, err = ev.segment(s, cur)
		}
		if err != nil {
			return nil, err
		}
		if len(next) > opts.MaxResults {
			return nil, fmt.Errorf("%w: %q selects more than %d nodes (after segment %d)", ErrTooManyResults, p.src, opts.MaxResults, i+1)
		}
		cur = next
	}
	out := make([]Match, 0, len(cur))
	for _, l := range cur {
		out = append(out, Match{Node: l.node, Path: l.path(), IsKey: l.isKey})
	}
	return out, nil
}

func (ev *evaluator) deref(n *doc.Node) *doc.Node {
	if ev.opts.Deref != nil && n != nil {
		return ev.opts.Deref(n)
	}
	return n
}

func (ev *evaluator) checkCtx() error {
	ev.ctxTick++
	if ev.opts.Context != nil && ev.ctxTick%4096 == 0 {
		if err := ev.opts.Context.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (ev *evaluator) segment(s segment, cur []*loc) ([]*loc, error) {
	var out []*loc
	switch s.kind {
	case segParent:
		seen := map[*loc]bool{}
		for _, l := range cur {
			if l.parent != nil && !seen[l.parent] {
				seen[l.parent] = true
				out = append(out, l.parent)
			}
		}
		return out, nil
	case segKeyName:
		for _, l := range cur {
			if l.parent == nil {
				continue
			}
			kn := &doc.Node{Kind: doc.String, Value: l.seg, Parent: l.node.Parent, Index: l.node.Index,
				Range: doc.Range{Start: l.node.KeyPos, End: doc.Pos{Line: l.node.KeyPos.Line, Column: l.node.KeyPos.Column + int32(len(l.seg))}}}
			out = append(out, &loc{node: kn, parent: l.parent, seg: l.seg, isIdx: l.isIdx, isKey: true})
		}
		return out, nil
	case segChild:
		for _, l := range cur {
			var err error
			out, err = ev.applySelectors(s.sels, l, out)
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	// Descendant: apply the selectors to every node at or below each
	// current one. With references followed, the same written value can be
	// reached again through another reference (and forever, on a cycle);
	// each written position is expanded once, which yields the same
	// findings, since findings point at where values are written.
	var seen visitSet
	if ev.opts.Deref != nil {
		seen = ev.opts.Index.newVisitSet()
		defer ev.opts.Index.release(seen)
	}
	var walk func(l *loc) error
	walk = func(l *loc) error {
		ev.visits++
		if ev.visits > ev.maxVis {
			return errTooMany(ev.src, ev.maxVis)
		}
		if err := ev.checkCtx(); err != nil {
			return err
		}
		var err error
		out, err = ev.applySelectors(s.sels, l, out)
		if err != nil {
			return err
		}
		if len(out) > ev.opts.MaxResults {
			return errTooManyResults(ev.src, ev.opts.MaxResults)
		}
		n := l.node
		for i, raw := range n.Children {
			if ev.opts.Deref != nil && !seen.add(raw) {
				continue
			}
			c := ev.newLoc()
			*c = loc{node: ev.deref(raw), parent: l}
			if n.Kind == doc.Array {
				c.seg, c.isIdx = strconv.Itoa(i), true
			} else {
				c.seg = n.Keys[i]
			}
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	for _, l := range cur {
		if err := walk(l); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (ev *evaluator) child(l *loc, i int) *loc {
	n := l.node
	c := ev.newLoc()
	*c = loc{node: ev.deref(n.Children[i]), parent: l}
	if n.Kind == doc.Array {
		c.seg, c.isIdx = strconv.Itoa(i), true
	} else {
		c.seg = n.Keys[i]
	}
	return c
}

// newLoc hands out positions from blocks: one allocation for many.
func (ev *evaluator) newLoc() *loc {
	if len(ev.block) == 0 {
		ev.block = make([]loc, 256)
	}
	l := &ev.block[0]
	ev.block = ev.block[1:]
	return l
}

// test evaluates a filter on the i-th child of l. The child's position is
// built in scratch space, since most children do not match.
func (ev *evaluator) test(f expr, l *loc, i int) bool {
	n := l.node
	c := &ev.scratch
	*c = loc{node: ev.deref(n.Children[i]), parent: l}
	if n.Kind == doc.Array {
		c.seg, c.isIdx = strconv.Itoa(i), true
	} else {
		c.seg = n.Keys[i]
	}
	ev.fc = fctx{ev: ev, cur: c}
	v := f.eval(&ev.fc)
	return !ev.fc.threw && v.truthy()
}

// index reads an array index written in decimal, without the error value
// strconv.Atoi allocates for the many names that are not numbers. Signed
// forms are refused: a negative index selects nothing where it is used.
func index(s string) (int, bool) {
	if s == "" || len(s) > 9 || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	i, err := strconv.Atoi(s)
	return i, err == nil
}

func errTooMany(src string, max int) error {
	return fmt.Errorf("%w: %q visits more than %d nodes", ErrTooManyResults, src, max)
}

func errTooManyResults(src string, max int) error {
	return fmt.Errorf("%w: %q selects more than %d nodes", ErrTooManyResults, src, max)
}

func (ev *evaluator) applySelectors(sels []selector, l *loc, out []*loc) ([]*loc, error) {
	n := l.node
	for _, s := range sels {
		switch s.kind {
		case selWildcard:
			for i := range n.Children {
				out = append(out, ev.child(l, i))
			}
		case selName:
			switch n.Kind {
			case doc.Object:
				for i, k := range n.Keys {
					if k == s.name {
						out = append(out, ev.child(l, i))
						break
					}
				}
			case doc.Array:
				if idx, ok := index(s.name); ok && idx >= 0 && idx < len(n.Children) {
					out = append(out, ev.child(l, idx))
				}
			}
		case selIndex:
			switch n.Kind {
			case doc.Array:
				idx := s.index
				if idx < 0 {
					idx += len(n.Children)
				}
				if idx >= 0 && idx < len(n.Children) {
					out = append(out, ev.child(l, idx))
				}
			case doc.Object:
				// JSONPath-Plus reads [429] on an object as the key "429".
				for i, k := range n.Keys {
					if k == s.name {
						out = append(out, ev.child(l, i))
						break
					}
				}
			}
		case selSlice:
			if n.Kind != doc.Array {
				continue
			}
			for _, i := range sliceIndices(len(n.Children), s) {
				out = append(out, ev.child(l, i))
			}
		case selFilter:
			for i := range n.Children {
				if err := ev.checkCtx(); err != nil {
					return nil, err
				}
				if ev.test(s.filter, l, i) {
					out = append(out, ev.child(l, i))
				}
			}
		}
	}
	return out, nil
}

func sliceIndices(n int, s selector) []int {
	step := s.step
	if step == 0 {
		return nil
	}
	norm := func(i int) int {
		if i < 0 {
			return i + n
		}
		return i
	}
	var out []int
	if step > 0 {
		start, end := 0, n
		if s.hasStart {
			start = min(max(norm(s.start), 0), n)
		}
		if s.hasEnd {
			end = min(max(norm(s.end), 0), n)
		}
		for i := start; i < end; i += step {
			out = append(out, i)
		}
		return out
	}
	start, end := n-1, -1
	if s.hasStart {
		start = min(max(norm(s.start), -1), n-1)
	}
	if s.hasEnd {
		end = min(max(norm(s.end), -1), n-1)
	}
	for i := start; i > end; i += step {
		out = append(out, i)
	}
	return out
}

// ---- JavaScript-like values ----

type vkind uint8

const (
	vUndef vkind = iota
	vNull
	vBool
	vNum
	vStr
	vNode // object or array
	vRegex
	vCtor // value.constructor, whose .name is the type name
)

type val struct {
	k    vkind
	b    bool
	n    float64
	s    string
	node *doc.Node
	re   *regexp.Regexp
}

var (
	undef = val{k: vUndef}
	null  = val{k: vNull}
)

func boolVal(b bool) val      { return val{k: vBool, b: b} }
func numVal(f float64) val    { return val{k: vNum, n: f} }
func strVal(s string) val     { return val{k: vStr, s: s} }
func nodeVal(n *doc.Node) val { return fromNode(n) }

func fromNode(n *doc.Node) val {
	if n == nil {
		return undef
	}
	switch n.Kind {
	case doc.Null:
		return null
	case doc.Bool:
		return boolVal(n.Value == "true")
	case doc.Number:
		return numVal(n.Num)
	case doc.String:
		return strVal(n.Value)
	}
	return val{k: vNode, node: n}
}

func (v val) truthy() bool {
	switch v.k {
	case vUndef, vNull:
		return false
	case vBool:
		return v.b
	case vNum:
		return v.n != 0 && !math.IsNaN(v.n)
	case vStr:
		return v.s != ""
	}
	return true
}

func (v val) isArray() bool  { return v.k == vNode && v.node.Kind == doc.Array }
func (v val) isObject() bool { return v.k == vNode && v.node.Kind == doc.Object }

// toNumber is JavaScript's ToNumber for the values filters meet.
func (v val) toNumber() float64 {
	switch v.k {
	case vNull:
		return 0
	case vBool:
		if v.b {
			return 1
		}
		return 0
	case vNum:
		return v.n
	case vStr:
		s := strings.TrimSpace(v.s)
		if s == "" {
			return 0
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return math.NaN()
		}
		return f
	case vNode:
		return val{k: vStr, s: v.toString()}.toNumber()
	}
	return math.NaN()
}

func (v val) toString() string {
	switch v.k {
	case vUndef:
		return "undefined"
	case vNull:
		return "null"
	case vBool:
		return strconv.FormatBool(v.b)
	case vNum:
		return doc.FormatNumber(v.n)
	case vStr:
		return v.s
	case vNode:
		return v.node.JSString()
	case vRegex:
		return "/" + v.re.String() + "/"
	case vCtor:
		return "function " + v.s + "() { [native code] }"
	}
	return ""
}

func strictEqual(a, b val) bool {
	if a.k != b.k {
		return false
	}
	switch a.k {
	case vUndef, vNull:
		return true
	case vBool:
		return a.b == b.b
	case vNum:
		return a.n == b.n
	case vStr, vCtor:
		return a.s == b.s
	case vNode:
		return a.node == b.node
	case vRegex:
		return a.re == b.re
	}
	return false
}

func looseEqual(a, b val) bool {
	if a.k == b.k {
		return strictEqual(a, b)
	}
	aNil, bNil := a.k == vUndef || a.k == vNull, b.k == vUndef || b.k == vNull
	if aNil || bNil {
		return aNil && bNil
	}
	if a.k == vNode || a.k == vRegex || a.k == vCtor {
		a = strVal(a.toString())
	}
	if b.k == vNode || b.k == vRegex || b.k == vCtor {
		b = strVal(b.toString())
	}
	if a.k == vStr && b.k == vStr {
		return a.s == b.s
	}
	return a.toNumber() == b.toNumber()
}

func compare(op string, a, b val) bool {
	if a.k == vStr && b.k == vStr {
		switch op {
		case "<":
			return a.s < b.s
		case "<=":
			return a.s <= b.s
		case ">":
			return a.s > b.s
		default:
			return a.s >= b.s
		}
	}
	x, y := a.toNumber(), b.toNumber()
	switch op {
	case "<":
		return x < y
	case "<=":
		return x <= y
	case ">":
		return x > y
	default:
		return x >= y
	}
}

// ---- expressions ----

// fctx is the state of one filter evaluation; threw records a JavaScript
// TypeError (e.g. reading a property of undefined), which makes
// JSONPath-Plus treat the whole filter as false.
type fctx struct {
	ev    *evaluator
	cur   *loc
	threw bool
}

type expr interface {
	eval(c *fctx) val
}

type litExpr struct{ v val }

func (e *litExpr) eval(*fctx) val { return e.v }

type currentExpr struct{}

func (currentExpr) eval(c *fctx) val { return fromNode(c.cur.node) }

type special uint8

const (
	spProperty special = iota
	spParentProperty
	spPath
	spParent
	spRoot
)

type specialExpr struct{ which special }

func (e *specialExpr) eval(c *fctx) val {
	switch e.which {
	case spProperty:
		return segVal(c.cur)
	case spParentProperty:
		if c.cur.parent == nil {
			return undef
		}
		return segVal(c.cur.parent)
	case spPath:
		var b strings.Builder
		b.WriteString("$")
		for _, s := range c.cur.path() {
			b.WriteString("['")
			b.WriteString(s)
			b.WriteString("']")
		}
		return strVal(b.String())
	case spParent:
		if c.cur.parent == nil {
			return undef
		}
		return fromNode(c.cur.parent.node)
	case spRoot:
		return fromNode(c.ev.root.node)
	}
	return undef
}

func segVal(l *loc) val {
	if l.parent == nil {
		return undef
	}
	if l.isIdx {
		i, _ := strconv.Atoi(l.seg)
		return numVal(float64(i))
	}
	return strVal(l.seg)
}

type memberExpr struct {
	obj  expr
	name string
}

func (e *memberExpr) eval(c *fctx) val {
	return member(c, e.obj.eval(c), strVal(e.name))
}

type indexExpr struct {
	obj, key expr
}

func (e *indexExpr) eval(c *fctx) val {
	return member(c, e.obj.eval(c), e.key.eval(c))
}

func member(c *fctx, o, key val) val {
	name := key.toString()
	switch o.k {
	case vUndef, vNull:
		c.threw = true
		return undef
	case vNode:
		n := o.node
		if n.Kind == doc.Object {
			if ch := n.Get(name); ch != nil {
				return fromNode(c.ev.deref(ch))
			}
		} else {
			if name == "length" {
				return numVal(float64(len(n.Children)))
			}
			if i, ok := index(name); ok {
				if ch := n.Item(i); ch != nil {
					return fromNode(c.ev.deref(ch))
				}
				return undef
			}
		}
		if name == "constructor" {
			return val{k: vCtor, s: n.JSTypeName()}
		}
		return undef
	case vStr:
		if name == "length" {
			return numVal(float64(doc.JSLength(o.s)))
		}
		if name == "constructor" {
			return val{k: vCtor, s: "String"}
		}
		if i, ok := index(name); ok {
			u := []rune(o.s)
			if i >= 0 && i < len(u) {
				return strVal(string(u[i]))
			}
		}
		return undef
	case vNum:
		if name == "constructor" {
			return val{k: vCtor, s: "Number"}
		}
	case vBool:
		if name == "constructor" {
			return val{k: vCtor, s: "Boolean"}
		}
	case vCtor:
		if name == "name" {
			return strVal(o.s)
		}
	}
	return undef
}

type callExpr struct {
	recv   expr
	method string
	args   []expr
}

func (e *callExpr) eval(c *fctx) val {
	r := e.recv.eval(c)
	args := make([]val, len(e.args))
	for i, a := range e.args {
		args[i] = a.eval(c)
	}
	arg := func(i int) val {
		if i < len(args) {
			return args[i]
		}
		return undef
	}
	switch r.k {
	case vStr:
		switch e.method {
		case "match", "search":
			re := toRegex(arg(0))
			if re == nil {
				c.threw = true
				return undef
			}
			loc := re.FindStringIndex(r.s)
			if e.method == "search" {
				if loc == nil {
					return numVal(-1)
				}
				return numVal(float64(doc.JSLength(r.s[:loc[0]])))
			}
			if loc == nil {
				return null
			}
			return val{k: vNode, node: &doc.Node{Kind: doc.Array, Children: []*doc.Node{{Kind: doc.String, Value: r.s[loc[0]:loc[1]]}}}}
		case "includes":
			return boolVal(strings.Contains(r.s, arg(0).toString()))
		case "indexOf":
			i := strings.Index(r.s, arg(0).toString())
			if i < 0 {
				return numVal(-1)
			}
			return numVal(float64(doc.JSLength(r.s[:i])))
		case "lastIndexOf":
			i := strings.LastIndex(r.s, arg(0).toString())
			if i < 0 {
				return numVal(-1)
			}
			return numVal(float64(doc.JSLength(r.s[:i])))
		case "startsWith":
			return boolVal(strings.HasPrefix(r.s, arg(0).toString()))
		case "endsWith":
			return boolVal(strings.HasSuffix(r.s, arg(0).toString()))
		case "toLowerCase":
			return strVal(strings.ToLower(r.s))
		case "toUpperCase":
			return strVal(strings.ToUpper(r.s))
		case "trim":
			return strVal(strings.TrimSpace(r.s))
		}
	case vNode:
		n := r.node
		switch e.method {
		case "includes", "indexOf", "lastIndexOf":
			if n.Kind != doc.Array {
				break
			}
			want := arg(0)
			idx := -1
			for i, ch := range n.Children {
				if strictEqual(fromNode(c.ev.deref(ch)), want) {
					idx = i
					if e.method != "lastIndexOf" {
						break
					}
				}
			}
			if e.method == "includes" {
				return boolVal(idx >= 0)
			}
			return numVal(float64(idx))
		case "hasOwnProperty":
			if n.Kind == doc.Object {
				return boolVal(n.Has(arg(0).toString()))
			}
			return boolVal(false)
		}
	case vRegex:
		if e.method == "test" {
			return boolVal(r.re.MatchString(arg(0).toString()))
		}
	}
	// Calling a method the value does not have is a TypeError in JS.
	c.threw = true
	return undef
}

func toRegex(v val) *regexp.Regexp {
	switch v.k {
	case vRegex:
		return v.re
	case vStr:
		re, err := regexpFromString(v.s)
		if err != nil {
			return nil
		}
		return re
	}
	return nil
}

type logicalExpr struct {
	or   bool
	l, r expr
}

func (e *logicalExpr) eval(c *fctx) val {
	l := e.l.eval(c)
	if e.or {
		if l.truthy() {
			return l
		}
		return e.r.eval(c)
	}
	if !l.truthy() {
		return l
	}
	return e.r.eval(c)
}

type binaryExpr struct {
	op   string
	l, r expr
}

func (e *binaryExpr) eval(c *fctx) val {
	l, r := e.l.eval(c), e.r.eval(c)
	switch e.op {
	case "===":
		return boolVal(strictEqual(l, r))
	case "!==":
		return boolVal(!strictEqual(l, r))
	case "==":
		return boolVal(looseEqual(l, r))
	case "!=":
		return boolVal(!looseEqual(l, r))
	case "in":
		if !r.isObject() && !r.isArray() {
			c.threw = true
			return undef
		}
		if r.isObject() {
			return boolVal(r.node.Has(l.toString()))
		}
		i, err := strconv.Atoi(l.toString())
		return boolVal(err == nil && i >= 0 && i < len(r.node.Children))
	}
	return boolVal(compare(e.op, l, r))
}

type notExpr struct{ e expr }

func (e *notExpr) eval(c *fctx) val { return boolVal(!e.e.eval(c).truthy()) }

type negExpr struct{ e expr }

func (e *negExpr) eval(c *fctx) val { return numVal(-e.e.eval(c).toNumber()) }

type typeofExpr struct{ e expr }

func (e *typeofExpr) eval(c *fctx) val {
	v := e.e.eval(c)
	switch v.k {
	case vUndef:
		return strVal("undefined")
	case vBool:
		return strVal("boolean")
	case vNum:
		return strVal("number")
	case vStr:
		return strVal("string")
	case vCtor:
		return strVal("function")
	}
	return strVal("object")
}

// rfcFuncExpr is one of RFC 9535's function extensions.
type rfcFuncExpr struct {
	name string
	args []expr
	pos  int
}

func (e *rfcFuncExpr) eval(c *fctx) val {
	if len(e.args) == 0 {
		return undef
	}
	a := e.args[0].eval(c)
	switch e.name {
	case "length":
		switch {
		case a.k == vStr:
			return numVal(float64(len([]rune(a.s))))
		case a.k == vNode:
			return numVal(float64(len(a.node.Children)))
		}
		return undef
	case "count":
		if a.k == vUndef {
			return numVal(0)
		}
		return numVal(1)
	case "value":
		return a
	case "match", "search":
		if len(e.args) < 2 || a.k != vStr {
			return boolVal(false)
		}
		p := e.args[1].eval(c)
		if p.k != vStr {
			return boolVal(false)
		}
		pat := p.s
		if e.name == "match" {
			pat = "^(?:" + pat + ")$"
		}
		re, err := regexpFromString(pat)
		if err != nil {
			return boolVal(false)
		}
		return boolVal(re.MatchString(a.s))
	}
	return undef
}
