// Package doc holds the document tree the rule engine lints: a JSON-like tree
// that keeps object key order and where each value sits in the source, so a
// finding can point at a line and column. JSON and YAML both parse into it.
package doc

import (
	"math"
	"strconv"
	"strings"
)

// Kind is the JSON type of a Node.
type Kind uint8

// The JSON types a Node can have.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// String returns the JSON name of the kind.
func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "boolean"
	case Number:
		return "number"
	case String:
		return "string"
	case Array:
		return "array"
	case Object:
		return "object"
	}
	return "unknown"
}

// Pos is a place in the source text; Line and Column count from 1 and
// Column counts characters, not bytes.
type Pos struct {
	Line, Column int32
}

// Range is the stretch of source a value covers; End is exclusive.
type Range struct {
	Start, End Pos
}

// Node is one value of a document. Objects keep their keys in source order.
type Node struct {
	Kind Kind
	// Value is the scalar's text: the string itself, a number's literal,
	// "true"/"false" or "null". Empty for arrays and objects.
	Value string
	// Num is the value of a Number node.
	Num float64
	// Keys are an object's keys in order; Children[i] is the value of Keys[i].
	Keys []string
	// Children are an object's values or an array's items.
	Children []*Node
	// Parent is the container this node sits in within its own document,
	// nil for the root; it is how a node knows its path, even when it is
	// reached through a $ref.
	Parent *Node
	// Index is the node's position in Parent.Children.
	Index int
	// Range is where the value is written; KeyPos where its key starts.
	Range  Range
	KeyPos Pos
	// ID numbers the node within its Document, from 1, so that walks can
	// mark nodes in a slice rather than a map; 0 for nodes made outside
	// one.
	ID int32

	lookup map[string]int
	// target is what a resolvable local $ref object stands for; set once
	// per document by Document.resolveAll.
	target *Node
}

// lookupThreshold is the object size from which Get builds a map: small
// objects are faster to scan.
const lookupThreshold = 12

// Get returns the value of key in an object, or nil.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != Object {
		return nil
	}
	if len(n.Keys) >= lookupThreshold {
		if n.lookup == nil {
			n.buildLookup()
		}
		if i, ok := n.lookup[key]; ok {
			return n.Children[i]
		}
		return nil
	}
	for i, k := range n.Keys {
		if k == key {
			return n.Children[i]
		}
	}
	return nil
}

// prepareLookup builds the key index of a large object up front, so that
// concurrent readers never build it at the same time.
func (n *Node) prepareLookup() {
	if len(n.Keys) >= lookupThreshold {
		n.buildLookup()
	}
}

func (n *Node) buildLookup() {
	m := make(map[string]int, len(n.Keys))
	for i, k := range n.Keys {
		m[k] = i
	}
	n.lookup = m
}

// Has reports whether an object has key.
func (n *Node) Has(key string) bool { return n.Get(key) != nil }

// Item returns the i-th array item, or nil.
func (n *Node) Item(i int) *Node {
	if n == nil || n.Kind != Array || i < 0 || i >= len(n.Children) {
		return nil
	}
	return n.Children[i]
}

// Len is the number of items or members; for strings, the number of UTF-16
// code units, as JavaScript counts (rulesets are written against JS).
func (n *Node) Len() int {
	switch n.Kind {
	case Array, Object:
		return len(n.Children)
	case String:
		return JSLength(n.Value)
	}
	return 0
}

// JSLength counts a string as JavaScript's String.length does.
func JSLength(s string) int {
	l := 0
	for _, r := range s {
		if r > 0xFFFF {
			l += 2
		} else {
			l++
		}
	}
	return l
}

// Segment returns the key under which the node sits in its parent: the
// object key, or the array index in decimal. The root has "".
func (n *Node) Segment() string {
	if n.Parent == nil {
		return ""
	}
	if n.Parent.Kind == Array {
		return strconv.Itoa(n.Index)
	}
	return n.Parent.Keys[n.Index]
}

// Path returns the node's location in its document as segments.
func (n *Node) Path() []string {
	depth := 0
	for p := n; p.Parent != nil; p = p.Parent {
		depth++
	}
	out := make([]string, depth)
	for p := n; p.Parent != nil; p = p.Parent {
		depth--
		out[depth] = p.Segment()
	}
	return out
}

// IsTruthy applies JavaScript truthiness, which Spectral's functions use.
func (n *Node) IsTruthy() bool {
	if n == nil {
		return false
	}
	switch n.Kind {
	case Null:
		return false
	case Bool:
		return n.Value == "true"
	case Number:
		return n.Num != 0 && !math.IsNaN(n.Num)
	case String:
		return n.Value != ""
	}
	return true
}

// IsInteger reports whether a Number node holds a whole number.
func (n *Node) IsInteger() bool {
	return n.Kind == Number && n.Num == math.Trunc(n.Num) && !math.IsInf(n.Num, 0)
}

// Interface converts the subtree to plain Go values (map[string]any,
// []any, string, float64, bool, nil), as JSON decoding would. deref, when
// non-nil, is applied to every node first, so references can be followed;
// a reference that leads back into the value being converted is left as is.
// With deref, a value reached through several references is converted once
// and shared (see Converter, which also bounds the size and polls a
// context: callers that convert what a user wrote should use it).
func (n *Node) Interface(deref func(*Node) *Node) any {
	if deref == nil {
		return n.plain()
	}
	v, _ := (&Converter{Deref: deref}).Convert(n, AllLevels)
	return v
}

// plain is Interface without references to follow, and so without a
// stack of values being converted: a parsed tree has no cycles (YAML
// anchors cannot contain themselves).
func (n *Node) plain() any {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case Null:
		return nil
	case Bool:
		return n.Value == "true"
	case Number:
		return n.Num
	case String:
		return n.Value
	case Array:
		out := make([]any, len(n.Children))
		for i, c := range n.Children {
			out[i] = c.plain()
		}
		return out
	default:
		out := make(map[string]any, len(n.Children))
		for i, c := range n.Children {
			out[n.Keys[i]] = c.plain()
		}
		return out
	}
}

// FromInterface builds a detached tree from plain Go values, for values that
// functions compute rather than read from a source.
func FromInterface(v any) *Node {
	switch x := v.(type) {
	case nil:
		return &Node{Kind: Null, Value: "null"}
	case bool:
		return &Node{Kind: Bool, Value: strconv.FormatBool(x)}
	case float64:
		return &Node{Kind: Number, Num: x, Value: strconv.FormatFloat(x, 'g', -1, 64)}
	case int:
		return &Node{Kind: Number, Num: float64(x), Value: strconv.Itoa(x)}
	case string:
		return &Node{Kind: String, Value: x}
	case []any:
		n := &Node{Kind: Array}
		for i, e := range x {
			c := FromInterface(e)
			c.Parent, c.Index = n, i
			n.Children = append(n.Children, c)
		}
		return n
	case map[string]any:
		n := &Node{Kind: Object}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sortStrings(keys)
		for i, k := range keys {
			c := FromInterface(x[k])
			c.Parent, c.Index = n, i
			n.Keys = append(n.Keys, k)
			n.Children = append(n.Children, c)
		}
		return n
	}
	return &Node{Kind: Null, Value: "null"}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// JSTypeName is the name JavaScript's value.constructor.name gives, which
// Spectral rulesets test in filters ("Array", "Object", ...).
func (n *Node) JSTypeName() string {
	switch n.Kind {
	case Array:
		return "Array"
	case Object:
		return "Object"
	case String:
		return "String"
	case Number:
		return "Number"
	case Bool:
		return "Boolean"
	}
	return ""
}

// JSString renders a value as JavaScript's String(value) would, which is what
// message templates show for {{value}}.
func (n *Node) JSString() string {
	if n == nil {
		return "undefined"
	}
	switch n.Kind {
	case Array:
		parts := make([]string, len(n.Children))
		for i, c := range n.Children {
			if c.Kind != Null {
				parts[i] = c.JSString()
			}
		}
		return strings.Join(parts, ",")
	case Object:
		return "[object Object]"
	case Number:
		return FormatNumber(n.Num)
	}
	return n.Value
}

// FormatNumber prints a number as JavaScript does for common values.
func FormatNumber(f float64) string {
	if math.IsNaN(f) {
		return "NaN"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
