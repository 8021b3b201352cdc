package specs

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	lyaml "github.com/pb33f/go-yaml"
)

// refScan is what one walk over libopenapi's node tree finds about $ref.
type refScan struct {
	loop     *ParseError // a pure $ref loop, if any
	external []Problem   // refs to other files or URLs, which are not followed
}

// refLink is a mapping node that holds a $ref.
type refLink struct {
	ref  string
	line int
	col  int
}

// scanRefs finds $ref chains that loop without ever reaching a schema, such
// as A: {$ref: B} and B: {$ref: A}. Such a document has no meaning at all,
// unlike a recursive schema (a Node whose children are Nodes), which is
// legitimate and must be accepted. libopenapi flags both kinds, plus loops
// through required properties, as "infinite", so we tell them apart
// ourselves. Every node in the tree has at most one outgoing $ref, so the
// chains form a functional graph and each node is visited once.
func scanRefs(doc *lyaml.Node) refScan {
	var scan refScan
	if doc == nil {
		return scan
	}
	links := map[*lyaml.Node]refLink{}
	var order []*lyaml.Node
	stack := []*lyaml.Node{doc}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Kind == lyaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Value != "$ref" || v.Kind != lyaml.ScalarNode {
					continue
				}
				if strings.HasPrefix(v.Value, "#") {
					links[n] = refLink{ref: v.Value, line: v.Line, col: v.Column}
					order = append(order, n)
				} else if v.Value != "" {
					scan.external = append(scan.external, Problem{Line: v.Line, Column: v.Column,
						Message: fmt.Sprintf("$ref %q points outside this file; Steward does not follow references to other files or URLs, so its target is not shown", abbreviate(v.Value, 120))})
				}
			}
		}
		// Aliases are walked where their anchor is defined.
		if n.Kind != lyaml.AliasNode {
			for i := len(n.Content) - 1; i >= 0; i-- {
				stack = append(stack, n.Content[i])
			}
		}
	}
	if len(links) == 0 {
		return scan
	}

	root := doc
	if root.Kind == lyaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	resolved := map[string]*lyaml.Node{}
	resolve := func(ref string) *lyaml.Node {
		if n, ok := resolved[ref]; ok {
			return n
		}
		n := resolvePointer(root, ref)
		resolved[ref] = n
		return n
	}

	const (
		unvisited = iota
		onPath
		finished
	)
	state := map[*lyaml.Node]int{}
	for _, start := range order {
		if state[start] != unvisited {
			continue
		}
		var path []*lyaml.Node
		for n := start; ; {
			if state[n] == finished {
				break
			}
			if state[n] == onPath {
				scan.loop = loopError(path[slices.Index(path, n):], links)
				return scan
			}
			state[n] = onPath
			path = append(path, n)
			next := resolve(links[n].ref)
			if _, isRef := links[next]; next == nil || !isRef {
				break
			}
			n = next
		}
		for _, n := range path {
			state[n] = finished
		}
	}
	return scan
}

// loopError names every hop of the loop, starting from the one written first
// in the file so the message is stable.
func loopError(cycle []*lyaml.Node, links map[*lyaml.Node]refLink) *ParseError {
	first := 0
	for i, n := range cycle {
		if links[n].line < links[cycle[first]].line {
			first = i
		}
	}
	cycle = append(cycle[first:len(cycle):len(cycle)], cycle[:first]...)
	// Each node is reached through the $ref of the node before it.
	names := make([]string, len(cycle)+1)
	for i := range cycle {
		prev := cycle[(i+len(cycle)-1)%len(cycle)]
		names[i] = links[prev].ref
	}
	names[len(cycle)] = names[0]
	head := links[cycle[0]]
	msg := fmt.Sprintf("$ref loop with no schema in between: %s; at least one of them must define a schema instead of only pointing to the next", strings.Join(names, " → "))
	if len(cycle) == 1 {
		msg = fmt.Sprintf("$ref loop: %s is only a $ref to itself; give it a schema", names[0])
	}
	perr := &ParseError{Kind: ErrCircular}
	perr.Problems = append(perr.Problems, Problem{Line: head.line, Column: head.col, Message: msg})
	for i, n := range cycle[1:] {
		l := links[n]
		perr.Problems = append(perr.Problems, Problem{Line: l.line, Column: l.col,
			Message: fmt.Sprintf("%s is only a $ref to %s", names[i+1], l.ref)})
	}
	return perr
}

// resolvePointer follows a local JSON pointer ("#/components/schemas/Pet")
// in the raw tree, without following $refs on the way.
func resolvePointer(root *lyaml.Node, ref string) *lyaml.Node {
	frag := strings.TrimPrefix(ref, "#")
	if frag == "" {
		return root
	}
	if !strings.HasPrefix(frag, "/") {
		return nil // a named anchor ($anchor); not a pointer
	}
	n := root
	for _, tok := range strings.Split(frag[1:], "/") {
		if u, err := url.PathUnescape(tok); err == nil {
			tok = u
		}
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		for n != nil && n.Kind == lyaml.AliasNode {
			n = n.Alias
		}
		if n == nil {
			return nil
		}
		switch n.Kind {
		case lyaml.MappingNode:
			var next *lyaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == tok {
					next = n.Content[i+1]
					break
				}
			}
			n = next
		case lyaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
		default:
			return nil
		}
	}
	for n != nil && n.Kind == lyaml.AliasNode {
		n = n.Alias
	}
	return n
}
