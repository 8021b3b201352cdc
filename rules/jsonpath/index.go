package jsonpath

import (
	"strconv"
	"sync"

	"github.com/steward-governance/steward/rules/doc"
)

// Index shares the work of "$.." between the many expressions a ruleset
// evaluates over one document. Walking the whole tree once per expression
// is most of a lint's cost on a large spec, so the walk from the root is
// done once, and the positions it reaches are indexed by the keys that
// select them: the key a child sits under, and the keys a child object has.
//
// An Index is safe for concurrent use; it is built on first use.
type Index struct {
	root  *doc.Node
	deref func(*doc.Node) *doc.Node
	size  int
	// marks recycles the slices walks mark visited nodes in.
	marks sync.Pool

	once  sync.Once
	start *loc
	// visits are the positions "$.." reaches from the root, in walk order.
	visits []*loc
	// byProp lists, for each object key, the children sitting under it;
	// byChildKey lists the children that are objects having that key.
	byProp     map[string][]edge
	byChildKey map[string][]edge
}

// edge is the child at index c of visits[v].
type edge struct{ v, c int32 }

// NewIndex prepares an index for expressions evaluated on d.Root, with
// references followed (Options.Deref set to d.Deref) when resolved is set.
// Pass it in Options.Index only with that root and Deref.
func NewIndex(d *doc.Document, resolved bool) *Index {
	x := &Index{root: d.Root, size: d.Size()}
	if resolved {
		x.deref = d.Deref
	}
	return x
}

// visitSet records the nodes a descent has expanded. Nodes numbered by
// their document are marked in a slice that is reused between walks (a
// new generation clears it); others go to a map.
type visitSet struct {
	marks *marks
	m     map[*doc.Node]struct{}
}

type marks struct {
	gen uint32
	s   []uint32
}

func (x *Index) newVisitSet() visitSet {
	if x == nil || x.size == 0 {
		return visitSet{}
	}
	mk, _ := x.marks.Get().(*marks)
	if mk == nil {
		mk = &marks{s: make([]uint32, x.size+1)}
	}
	mk.gen++
	if mk.gen == 0 {
		clear(mk.s)
		mk.gen = 1
	}
	return visitSet{marks: mk}
}

func (x *Index) release(v visitSet) {
	if v.marks != nil {
		x.marks.Put(v.marks)
	}
}

// add marks n and reports whether it was new.
func (v *visitSet) add(n *doc.Node) bool {
	if v.marks != nil && n.ID > 0 && int(n.ID) < len(v.marks.s) {
		if v.marks.s[n.ID] == v.marks.gen {
			return false
		}
		v.marks.s[n.ID] = v.marks.gen
		return true
	}
	if v.m == nil {
		v.m = map[*doc.Node]struct{}{}
	}
	if _, ok := v.m[n]; ok {
		return false
	}
	v.m[n] = struct{}{}
	return true
}

func (x *Index) build() {
	x.once.Do(func() {
		r := x.root
		if x.deref != nil {
			r = x.deref(r)
		}
		x.start = &loc{node: r}
		x.walk()
		x.index()
	})
}

// walk lists the positions "$.." reaches from the root. It mirrors
// evaluator.segment's descent exactly, so that indexed and walked
// evaluations select the same positions in the same order.
func (x *Index) walk() {
	seen := x.newVisitSet()
	defer x.release(seen)
	// Positions are allocated in blocks: one allocation per block rather
	// than per node.
	var block []loc
	var walk func(l *loc)
	walk = func(l *loc) {
		x.visits = append(x.visits, l)
		n := l.node
		for i, raw := range n.Children {
			if x.deref != nil && !seen.add(raw) {
				continue
			}
			c := raw
			if x.deref != nil {
				c = x.deref(raw)
			}
			if len(block) == 0 {
				block = make([]loc, 4096)
			}
			cl := &block[0]
			block = block[1:]
			*cl = loc{node: c, parent: l}
			if n.Kind == doc.Array {
				cl.seg, cl.isIdx = strconv.Itoa(i), true
			} else {
				cl.seg = n.Keys[i]
			}
			walk(cl)
		}
	}
	walk(x.start)
}

// index fills byProp and byChildKey. Keys are counted first, so that every
// list is cut to size from one array.
func (x *Index) index() {
	ids := map[string]int32{}
	var names []string
	id := func(k string) int32 {
		i, ok := ids[k]
		if !ok {
			i = int32(len(names))
			ids[k] = i
			names = append(names, k)
		}
		return i
	}
	// Pass 1: the key of every (edge, key) pair, in walk order.
	var propIDs, childIDs []int32
	var propN, childN []int32
	count := func(counts []int32, i int32) []int32 {
		for int(i) >= len(counts) {
			counts = append(counts, 0)
		}
		counts[i]++
		return counts
	}
	for _, l := range x.visits {
		n := l.node
		for i, raw := range n.Children {
			if n.Kind == doc.Object {
				k := id(n.Keys[i])
				propIDs = append(propIDs, k)
				propN = count(propN, k)
			}
			c := raw
			if x.deref != nil {
				c = x.deref(raw)
			}
			if c.Kind == doc.Object {
				for _, key := range c.Keys {
					k := id(key)
					childIDs = append(childIDs, k)
					childN = count(childN, k)
				}
			}
		}
	}
	// Pass 2: hand out the lists and fill them in the same order.
	cut := func(counts []int32, total int) (map[string][]edge, [][]edge) {
		all := make([]edge, total)
		m := make(map[string][]edge, len(counts))
		lists := make([][]edge, len(counts))
		off := 0
		for i, c := range counts {
			if c > 0 {
				lists[i] = all[off : off : off+int(c)]
				off += int(c)
			}
		}
		return m, lists
	}
	var props, childs [][]edge
	x.byProp, props = cut(propN, len(propIDs))
	x.byChildKey, childs = cut(childN, len(childIDs))
	pi, ci := 0, 0
	for v, l := range x.visits {
		n := l.node
		for i, raw := range n.Children {
			e := edge{int32(v), int32(i)}
			if n.Kind == doc.Object {
				k := propIDs[pi]
				pi++
				props[k] = append(props[k], e)
			}
			c := raw
			if x.deref != nil {
				c = x.deref(raw)
			}
			if c.Kind == doc.Object {
				for range c.Keys {
					k := childIDs[ci]
					ci++
					childs[k] = append(childs[k], e)
				}
			}
		}
	}
	for i, l := range props {
		if len(l) > 0 {
			x.byProp[names[i]] = l
		}
	}
	for i, l := range childs {
		if len(l) > 0 {
			x.byChildKey[names[i]] = l
		}
	}
}

// requirement is a condition a filter's match must meet, which the index
// answers without evaluating the filter: the child sits under key (prop),
// or the child is an object that has key.
type requirement struct {
	prop bool
	key  string
}

// requirements works out, for a filter, alternative sets of requirements:
// for each set, a position can match only if it meets one requirement of
// the set. Any set will do; the index then picks the one that leaves the
// fewest candidates. nil means every position must be checked.
//
// The reasoning is JavaScript's: reading @.k of something that is not an
// object having k yields undefined, which is falsy and equal to no string,
// number or boolean; reading a property of undefined, or calling a method
// on it, throws, which makes the filter false.
func requirements(e expr) [][]requirement {
	switch x := e.(type) {
	case *logicalExpr:
		l, r := requirements(x.l), requirements(x.r)
		if !x.or {
			return append(l, r...)
		}
		if len(l) == 0 || len(r) == 0 {
			return nil
		}
		// Either side may hold: a match meets the narrowest set of one
		// side or of the other.
		return [][]requirement{append(append([]requirement(nil), smallest(l)...), smallest(r)...)}
	case *binaryExpr:
		if p := propRequirement(x); p != nil {
			return p
		}
		other := func(lit func(val) bool) [][]requirement {
			if l, ok := x.r.(*litExpr); ok && lit(l.v) {
				return chainRequirements(x.l)
			}
			if l, ok := x.l.(*litExpr); ok && lit(l.v) {
				return chainRequirements(x.r)
			}
			return nil
		}
		switch x.op {
		case "===", "==":
			return other(definite)
		case "!==":
			// "@.k !== void 0" holds only where @.k exists.
			return other(func(v val) bool { return v.k == vUndef })
		case "!=":
			return other(func(v val) bool { return v.k == vUndef || v.k == vNull })
		}
		return nil
	}
	return chainRequirements(e)
}

// definite reports whether a literal differs from undefined and null under
// both == and ===.
func definite(v val) bool {
	return v.k == vStr || v.k == vNum || v.k == vBool
}

// chainRequirements covers @.k, @['k'] and chains read from them, such as
// @.k.constructor.name or @.k.includes(x): when @.k is missing the chain is
// undefined or throws.
func chainRequirements(e expr) [][]requirement {
	for {
		var obj expr
		var name string
		switch x := e.(type) {
		case *memberExpr:
			obj, name = x.obj, x.name
		case *indexExpr:
			lit, ok := x.key.(*litExpr)
			if !ok || lit.v.k != vStr {
				return nil
			}
			obj, name = x.obj, lit.v.s
		case *callExpr:
			e = x.recv
			continue
		default:
			return nil
		}
		if _, ok := obj.(*currentExpr); ok {
			if !plainKey(name) {
				return nil
			}
			return [][]requirement{{{key: name}}}
		}
		e = obj
	}
}

// plainKey reports whether reading name gives undefined on every value that
// is not an object having that key: not "length" (arrays, strings), not
// "constructor" (everything), not an index.
func plainKey(name string) bool {
	if name == "length" || name == "constructor" || name == "" {
		return false
	}
	if _, err := strconv.Atoi(name); err == nil {
		return false
	}
	return true
}

// propRequirement recognises @property === 'name' (either order).
func propRequirement(x *binaryExpr) [][]requirement {
	if x.op != "===" && x.op != "==" {
		return nil
	}
	lit, ok := x.r.(*litExpr)
	sp, ok2 := x.l.(*specialExpr)
	if !ok || !ok2 {
		lit, ok = x.l.(*litExpr)
		sp, ok2 = x.r.(*specialExpr)
	}
	if !ok || !ok2 || sp.which != spProperty || lit.v.k != vStr || !plainKey(lit.v.s) {
		return nil
	}
	return [][]requirement{{{prop: true, key: lit.v.s}}}
}

func smallest(sets [][]requirement) []requirement {
	best := sets[0]
	for _, s := range sets[1:] {
		if len(s) < len(best) {
			best = s
		}
	}
	return best
}

// candidates returns the edges meeting one requirement of the set, in walk
// order, without duplicates.
func (x *Index) candidates(set []requirement) []edge {
	lists := make([][]edge, 0, len(set))
	total := 0
	for _, r := range set {
		var l []edge
		if r.prop {
			l = x.byProp[r.key]
		} else {
			l = x.byChildKey[r.key]
		}
		if len(l) > 0 {
			lists = append(lists, l)
			total += len(l)
		}
	}
	switch len(lists) {
	case 0:
		return nil
	case 1:
		return lists[0]
	}
	out := make([]edge, 0, total)
	pos := make([]int, len(lists))
	for {
		best := -1
		for i, l := range lists {
			if pos[i] < len(l) && (best < 0 || less(l[pos[i]], lists[best][pos[best]])) {
				best = i
			}
		}
		if best < 0 {
			return out
		}
		e := lists[best][pos[best]]
		pos[best]++
		if len(out) == 0 || out[len(out)-1] != e {
			out = append(out, e)
		}
	}
}

func less(a, b edge) bool { return a.v < b.v || a.v == b.v && a.c < b.c }

// cost is how many candidates a set leaves, an upper bound.
func (x *Index) cost(set []requirement) int {
	n := 0
	for _, r := range set {
		if r.prop {
			n += len(x.byProp[r.key])
		} else {
			n += len(x.byChildKey[r.key])
		}
	}
	return n
}

// descend evaluates a "$.." segment from the root through the index; it
// returns what the walk in evaluator.segment would.
func (ev *evaluator) descend(s segment) ([]*loc, error) {
	x := ev.opts.Index
	x.build()
	ev.root = x.start
	if len(x.visits) > ev.maxVis {
		return nil, errTooMany(ev.src, ev.maxVis)
	}
	ev.visits += len(x.visits)
	var out []*loc
	// A list of plain names uses the key index.
	allNames := true
	for _, sel := range s.sels {
		if sel.kind != selName || !plainKey(sel.name) {
			allNames = false
		}
	}
	if allNames {
		lists := make([][]edge, len(s.sels))
		for i, sel := range s.sels {
			lists[i] = x.byProp[sel.name]
		}
		// For each position, the selectors apply in order: merge by
		// position, then by selector.
		pos := make([]int, len(lists))
		for {
			best := -1
			for i, l := range lists {
				if pos[i] < len(l) && (best < 0 || l[pos[i]].v < lists[best][pos[best]].v) {
					best = i
				}
			}
			if best < 0 {
				break
			}
			e := lists[best][pos[best]]
			pos[best]++
			out = append(out, ev.child(x.visits[e.v], int(e.c)))
			if len(out) > ev.opts.MaxResults {
				return nil, errTooManyResults(ev.src, ev.opts.MaxResults)
			}
		}
		return out, nil
	}
	if len(s.sels) == 1 && s.sels[0].kind == selFilter {
		f := s.sels[0].filter
		if sets := requirements(f); len(sets) > 0 {
			best := sets[0]
			for _, set := range sets[1:] {
				if x.cost(set) < x.cost(best) {
					best = set
				}
			}
			for _, e := range x.candidates(best) {
				if err := ev.checkCtx(); err != nil {
					return nil, err
				}
				l := x.visits[e.v]
				if ev.test(f, l, int(e.c)) {
					out = append(out, ev.child(l, int(e.c)))
					if len(out) > ev.opts.MaxResults {
						return nil, errTooManyResults(ev.src, ev.opts.MaxResults)
					}
				}
			}
			return out, nil
		}
	}
	for _, l := range x.visits {
		if err := ev.checkCtx(); err != nil {
			return nil, err
		}
		var err error
		out, err = ev.applySelectors(s.sels, l, out)
		if err != nil {
			return nil, err
		}
		if len(out) > ev.opts.MaxResults {
			return nil, errTooManyResults(ev.src, ev.opts.MaxResults)
		}
	}
	return out, nil
}
