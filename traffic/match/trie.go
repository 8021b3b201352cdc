package match

import (
	"cmp"
	"slices"
	"strings"
)

// node is one position in a version's segment trie. A request path walks
// down one segment at a time, preferring literal children, then mixed
// segments, then parameters, then catch-alls, and backs up when a branch
// leads nowhere.
type node struct {
	literal  literals
	patterns []patternEdge // most literal text first
	param    *node
	wildcard *node // a catch-all: ends the template, takes the rest
	ops      []operation
}

// patternEdge leads to a child through a mixed segment like "{id}.json".
type patternEdge struct {
	key   string // the segment's shape, parameter names aside
	parts []part
	next  *node
}

// operation is one documented template ending at a node, with the methods
// the spec gives it.
type operation struct {
	template string
	methods  methodSet
}

// insert adds template with method to the trie rooted at n.
func (n *node) insert(template string, method methodSet) {
	for seg, rest := nextSegment(template); seg != ""; seg, rest = nextSegment(rest) {
		switch classify(seg) {
		case segLiteral:
			n = n.literal.add(seg)
		case segParam:
			if n.param == nil {
				n.param = &node{}
			}
			n = n.param
		case segWildcard:
			if rest != "" && strings.Trim(rest, "/") != "" {
				// A catch-all before more segments can only be a
				// parameter in disguise.
				if n.param == nil {
					n.param = &node{}
				}
				n = n.param
				continue
			}
			if n.wildcard == nil {
				n.wildcard = &node{}
			}
			n = n.wildcard
		case segMixed:
			n = n.pattern(seg)
		}
	}
	for i := range n.ops {
		if n.ops[i].template == template {
			n.ops[i].methods |= method
			return
		}
	}
	n.ops = append(n.ops, operation{template: template, methods: method})
}

// pattern returns the child of n through mixed segment seg, adding it when
// missing.
func (n *node) pattern(seg string) *node {
	parts := parseMixed(seg)
	var key strings.Builder
	literalLen := 0
	for _, p := range parts {
		if p.kind == partLiteral {
			key.WriteString(p.text)
			literalLen += len(p.text)
		} else {
			key.WriteByte(0)
		}
	}
	for _, e := range n.patterns {
		if e.key == key.String() {
			return e.next
		}
	}
	child := &node{}
	n.patterns = append(n.patterns, patternEdge{key: key.String(), parts: parts, next: child})
	slices.SortStableFunc(n.patterns, func(a, b patternEdge) int {
		if c := cmp.Compare(literalText(b.parts), literalText(a.parts)); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	return child
}

func literalText(parts []part) int {
	n := 0
	for _, p := range parts {
		if p.kind == partLiteral {
			n += len(p.text)
		}
	}
	return n
}

// lookupPath finds the node where a request path ends: literal segments
// beat mixed ones, which beat parameters, which beat catch-alls, position
// by position from the left.
func (n *node) lookupPath(path string) *node {
	seg, rest := nextSegment(path)
	if seg == "" {
		if n.ops != nil {
			return n
		}
		return nil
	}
	if child := n.literal.get(seg); child != nil {
		if found := child.lookupPath(rest); found != nil {
			return found
		}
	}
	for i := range n.patterns {
		if matchesParts(seg, n.patterns[i].parts) {
			if found := n.patterns[i].next.lookupPath(rest); found != nil {
				return found
			}
		}
	}
	if n.param != nil {
		if found := n.param.lookupPath(rest); found != nil {
			return found
		}
	}
	if n.wildcard != nil && n.wildcard.ops != nil {
		return n.wildcard
	}
	return nil
}

// lookupRoute finds the node of the template with exactly the shape of
// route: a parameter in the route meets a parameter in the template,
// whatever either is called, and literal text meets the same text.
func (n *node) lookupRoute(route string) *node {
	for seg, rest := nextSegment(route); seg != ""; seg, rest = nextSegment(rest) {
		switch classify(seg) {
		case segLiteral:
			n = n.literal.get(seg)
		case segParam:
			n = n.param
		case segWildcard:
			if strings.Trim(rest, "/") != "" {
				n = n.param
			} else {
				n = n.wildcard
			}
		case segMixed:
			var next *node
			for i := range n.patterns {
				if sameShape(seg, n.patterns[i].parts) {
					next = n.patterns[i].next
					break
				}
			}
			n = next
		}
		if n == nil {
			return nil
		}
	}
	if n.ops == nil {
		return nil
	}
	return n
}

// methodSet holds the HTTP methods an operation documents, one bit each.
type methodSet uint16

const (
	methodGet methodSet = 1 << iota
	methodPut
	methodPost
	methodDelete
	methodOptions
	methodHead
	methodPatch
	methodTrace
	methodQuery
	methodConnect
)

// methodBit returns the bit of an upper-case method, 0 for methods OpenAPI
// cannot document.
func methodBit(method string) methodSet {
	switch method {
	case "GET":
		return methodGet
	case "PUT":
		return methodPut
	case "POST":
		return methodPost
	case "DELETE":
		return methodDelete
	case "OPTIONS":
		return methodOptions
	case "HEAD":
		return methodHead
	case "PATCH":
		return methodPatch
	case "TRACE":
		return methodTrace
	case "QUERY":
		return methodQuery
	case "CONNECT":
		return methodConnect
	}
	return 0
}

// documents reports whether s documents method. HEAD counts as documented
// wherever GET is, since HTTP servers answer HEAD for every GET resource.
func (s methodSet) documents(method string) bool {
	bit := methodBit(method)
	if bit == 0 {
		return false
	}
	return s&bit != 0 || bit == methodHead && s&methodGet != 0
}

// literals holds a node's literal children. Most nodes have a handful,
// which a scan finds faster than a map: request segments that are ids
// differ in length from every name, so each comparison costs one length
// check. Nodes with many children, like a version's resource names, get a
// map.
type literals struct {
	names []string
	nodes []*node
	index map[string]*node // set once there are more than maxScanned
}

const maxScanned = 8

func (l *literals) get(seg string) *node {
	if l.index != nil {
		return l.index[seg]
	}
	for i, name := range l.names {
		if name == seg {
			return l.nodes[i]
		}
	}
	return nil
}

// add returns the child named seg, adding it when missing.
func (l *literals) add(seg string) *node {
	if child := l.get(seg); child != nil {
		return child
	}
	child := &node{}
	l.names = append(l.names, seg)
	l.nodes = append(l.nodes, child)
	if l.index != nil || len(l.names) > maxScanned {
		if l.index == nil {
			l.index = make(map[string]*node, len(l.names))
			for i, name := range l.names {
				l.index[name] = l.nodes[i]
			}
		}
		l.index[seg] = child
	}
	return child
}
