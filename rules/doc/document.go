package doc

import (
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// Document is a parsed source together with the local $ref resolution the
// engine needs: rules marked "resolved" see referenced values in place of
// their {$ref} objects, while findings keep pointing at where a value is
// written in the source.
type Document struct {
	Root *Node

	mu     sync.Mutex
	once   sync.Once
	byRef  map[string]*Node
	refSet map[string]bool
	size   int
}

// NewDocument wraps a parsed tree and numbers its nodes (see Node.ID).
func NewDocument(root *Node) *Document {
	d := &Document{Root: root}
	var number func(n *Node)
	number = func(n *Node) {
		if n.ID != 0 {
			return // a YAML alias: the node is shared
		}
		d.size++
		n.ID = int32(d.size)
		for _, c := range n.Children {
			number(c)
		}
	}
	if root != nil {
		number(root)
	}
	return d
}

// Size is the number of nodes in the document; IDs run from 1 to Size.
func (d *Document) Size() int { return d.size }

// ParseDocument parses src (JSON or YAML) into a Document.
func ParseDocument(src []byte) (*Document, error) {
	root, err := Parse(src)
	if err != nil {
		return nil, err
	}
	return NewDocument(root), nil
}

// RefTarget returns the $ref string of a reference object, if n is one.
func RefTarget(n *Node) (string, bool) {
	if n == nil || n.Kind != Object {
		return "", false
	}
	r := n.Get("$ref")
	if r == nil || r.Kind != String {
		return "", false
	}
	return r.Value, true
}

// Pointer resolves a local JSON pointer ("#/a/b", "#" or "/a/b"); nil when it
// leads nowhere or is not local.
func (d *Document) Pointer(ref string) *Node {
	if !strings.HasPrefix(ref, "#") {
		return nil
	}
	frag := ref[1:]
	if strings.Contains(frag, "%") {
		if u, err := url.PathUnescape(frag); err == nil {
			frag = u
		}
	}
	if frag == "" {
		return d.Root
	}
	if !strings.HasPrefix(frag, "/") {
		return nil
	}
	n := d.Root
	for _, seg := range strings.Split(frag[1:], "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		switch n.Kind {
		case Object:
			n = n.Get(seg)
		case Array:
			i, err := strconv.Atoi(seg)
			if err != nil {
				return nil
			}
			n = n.Item(i)
		default:
			return nil
		}
		if n == nil {
			return nil
		}
	}
	return n
}

// maxRefChain bounds a chain of references to references.
const maxRefChain = 64

// Deref follows n's local $ref chain to the value it stands for. A reference
// that cannot be followed (external, broken or circular) is returned as is,
// so rules still see the {$ref} object rather than nothing.
//
// Every reference is resolved once, on first use, so that afterwards Deref
// is a field read, safe and cheap from many goroutines.
func (d *Document) Deref(n *Node) *Node {
	if n == nil || n.Kind != Object {
		return n
	}
	d.once.Do(d.resolveAll)
	if n.target != nil {
		return n.target
	}
	return n
}

func (d *Document) resolveAll() {
	var walk func(n *Node)
	walk = func(n *Node) {
		if ref, ok := RefTarget(n); ok {
			if t := d.follow(n, ref); t != n {
				n.target = t
			}
		}
		for _, c := range n.Children {
			if c.Parent == n {
				walk(c)
			}
		}
	}
	walk(d.Root)
}

func (d *Document) follow(n *Node, ref string) *Node {
	if d.byRef == nil {
		d.byRef = map[string]*Node{}
	}
	if t, ok := d.byRef[ref]; ok {
		if t == nil {
			return n
		}
		return t
	}
	cur := n
	for i := 0; i < maxRefChain; i++ {
		r, ok := RefTarget(cur)
		if !ok {
			d.byRef[ref] = cur
			return cur
		}
		t := d.Pointer(r)
		if t == nil || t == cur {
			break
		}
		cur = t
	}
	d.byRef[ref] = nil
	return n
}

// Lookup walks path from the root, following references when resolved is
// set, and returns the deepest node that exists and how many segments it
// took to get there.
func (d *Document) Lookup(path []string, resolved bool) (*Node, int) {
	n := d.Root
	if resolved {
		n = d.Deref(n)
	}
	for i, seg := range path {
		var c *Node
		switch n.Kind {
		case Object:
			c = n.Get(seg)
		case Array:
			if idx, err := strconv.Atoi(seg); err == nil {
				c = n.Item(idx)
			}
		}
		if c == nil {
			return n, i
		}
		if resolved {
			c = d.Deref(c)
		}
		n = c
	}
	return n, len(path)
}

// Locate maps a path in the document as rules see it (resolved or not) to
// where the value is written: the path of the deepest existing node in the
// source, and that node.
func (d *Document) Locate(path []string, resolved bool) ([]string, *Node) {
	n, depth := d.Lookup(path, resolved)
	if !resolved {
		return append([]string(nil), path[:depth]...), n
	}
	return n.Path(), n
}

// References returns the set of every $ref string written in the document,
// which tells whether a reusable object is used anywhere.
func (d *Document) References() map[string]bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.refSet != nil {
		return d.refSet
	}
	set := map[string]bool{}
	var walk func(n *Node)
	walk = func(n *Node) {
		if n.Kind == Object {
			if r, ok := RefTarget(n); ok {
				set[r] = true
			}
		}
		for _, c := range n.Children {
			if c.Parent == n {
				walk(c)
			}
		}
	}
	walk(d.Root)
	d.refSet = set
	return set
}

// EscapePointer encodes path segments as a JSON pointer fragment ("#/a~1b").
func EscapePointer(path []string) string {
	var b strings.Builder
	b.WriteByte('#')
	for _, s := range path {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1"))
	}
	return b.String()
}
