package doc

import (
	"context"
	"fmt"
)

// AllLevels asks Converter.Convert for the whole value, however deep.
const AllLevels = -1

// TooLargeError is what a Converter returns for a value that has more
// than Limit nodes once its references are followed.
type TooLargeError struct {
	Limit int
}

// Error words the limit as rule errors show it.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("more than %d nodes after resolving $ref", e.Limit)
}

// Converter turns subtrees into plain Go values (map[string]any, []any,
// string, float64, bool, nil), as Interface does, for documents whose
// references are heavily shared or recursive.
//
// A value reached through a reference (or a YAML alias) is converted once
// and shared by identity wherever it is used again, so the work and the
// memory grow with the document, not with the number of paths through its
// references; the shared parts are never modified by anyone who reads them
// (a JSON Schema validator only reads). The result is never cyclic: a
// reference that leads back into the value being converted is left as its
// {$ref} object, as Interface does.
//
// One Converter may serve many Convert calls on one document (one rule's
// run, say); it is not safe for concurrent use.
type Converter struct {
	// Deref, when non-nil, is applied to every node first, so references
	// are followed (Document.Deref).
	Deref func(*Node) *Node
	// MaxNodes bounds one converted value's size, counted as if every
	// reference were copied where it is used: that is how much a JSON
	// Schema validator may walk. 0 means no limit.
	MaxNodes int
	// Ctx, when non-nil, is polled while converting, so a long conversion
	// stops soon after it ends.
	Ctx context.Context

	memo  map[convKey]converted
	stack []*Node
	made  int
}

type convKey struct {
	n     *Node
	depth int
}

type converted struct {
	v    any
	size int
}

// sizeCap keeps sizes from overflowing when there is no limit: a document
// of 64 nested shared references has 2^64 paths.
const sizeCap = 1 << 60

// pollEvery is how many containers are converted between looks at Ctx.
const pollEvery = 1 << 12

// Convert returns n as plain Go values, down to depth levels below n
// (AllLevels: all of it). The members of a container at the last level
// are nil, so it keeps its keys and its length but nothing below them:
// enough for a schema that looks no deeper. It fails with a
// *TooLargeError when the value would have more than MaxNodes nodes, or
// with Ctx's error when it ends first.
func (c *Converter) Convert(n *Node, depth int) (any, error) {
	v, _, err := c.ConvertSized(n, depth)
	return v, err
}

// ConvertSized is Convert that also returns the value's size, counted as
// MaxNodes counts it.
func (c *Converter) ConvertSized(n *Node, depth int) (any, int, error) {
	if depth < 0 {
		depth = AllLevels
	}
	c.stack = c.stack[:0] // left over by a conversion that failed
	e, err := c.convert(n, nil, depth)
	if err == nil && c.MaxNodes > 0 && e.size > c.MaxNodes {
		// Converted earlier, under a larger limit.
		err = &TooLargeError{Limit: c.MaxNodes}
	}
	if err != nil {
		return nil, 0, err
	}
	return e.v, e.size, nil
}

// convert converts n, found as a member of from (nil at the top), with
// depth levels left below it. Only values that may be reached more than
// once are memoised: a reference's target, an alias's anchor, or the top
// of a call. A member reached in its own container is converted once
// per conversion of that container, which is itself memoised when it is
// shared, so memoising the member too would only cost a map entry.
func (c *Converter) convert(n, from *Node, depth int) (converted, error) {
	if n == nil {
		return converted{nil, 1}, nil
	}
	shared := from == nil || n.Parent != from
	if c.Deref != nil {
		if d := c.Deref(n); d != n && !c.converting(d) {
			n, shared = d, true
		}
	}
	switch n.Kind {
	case Null:
		return converted{nil, 1}, nil
	case Bool:
		return converted{n.Value == "true", 1}, nil
	case Number:
		return converted{n.Num, 1}, nil
	case String:
		return converted{n.Value, 1}, nil
	}
	key := convKey{n, depth}
	if shared {
		if e, ok := c.memo[key]; ok {
			return e, nil
		}
	}
	c.made++
	if c.Ctx != nil && c.made%pollEvery == 0 {
		if err := c.Ctx.Err(); err != nil {
			return converted{}, err
		}
	}
	next := depth - 1
	if depth == AllLevels {
		next = AllLevels
	}
	c.stack = append(c.stack, n)
	size := 1
	var out any
	var items []any
	var members map[string]any
	if n.Kind == Array {
		items = make([]any, len(n.Children))
		out = items
	} else {
		members = make(map[string]any, len(n.Children))
		out = members
	}
	for i, ch := range n.Children {
		var e converted
		if depth == 0 {
			e.size = 1
		} else {
			var err error
			if e, err = c.convert(ch, n, next); err != nil {
				return converted{}, err
			}
		}
		size = min(size+e.size, sizeCap)
		if c.MaxNodes > 0 && size > c.MaxNodes {
			return converted{}, &TooLargeError{Limit: c.MaxNodes}
		}
		if items != nil {
			items[i] = e.v
		} else {
			members[n.Keys[i]] = e.v
		}
	}
	c.stack = c.stack[:len(c.stack)-1]
	e := converted{out, size}
	if shared {
		if c.memo == nil {
			c.memo = map[convKey]converted{}
		}
		c.memo[key] = e
	}
	return e, nil
}

// converting reports whether n is a container being converted, that is
// whether following a reference to it would loop.
func (c *Converter) converting(n *Node) bool {
	for _, s := range c.stack {
		if s == n {
			return true
		}
	}
	return false
}
