package specs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	yaml "github.com/pb33f/go-yaml"
	"github.com/pb33f/go-yaml/plugin/limit"
)

// prepassYAML bounds the cost of a YAML document before libopenapi sees it.
// It parses with the same YAML library libopenapi uses (so both accept the
// same documents), with its scanner told to stop at our depth limit: deep
// nesting is refused while tokenising, before anything recurses into it.
// The node tree it builds never expands aliases; it is then checked for
// exact depth, anchors, alias expansions and duplicate keys without
// recursion.
func prepassYAML(data []byte, limits Limits) (topLevel, *ParseError) {
	root, perr := parseYAMLNode(data, limits.MaxDepth)
	if perr != nil {
		return topLevel{}, perr
	}
	if perr := checkYAMLTree(root, limits); perr != nil {
		return topLevel{}, perr
	}
	return yamlTopLevel(root), nil
}

func tooDeep(line, maxDepth int) *ParseError {
	perr := reject(ErrTooDeep, line, 0, "nesting deeper than %d levels at line %d", maxDepth, line)
	if line <= 0 {
		perr = reject(ErrTooDeep, 0, 0, "nesting deeper than %d levels", maxDepth)
	}
	perr.Limit = int64(maxDepth)
	return perr
}

// parseYAMLNode loads the first document only, as libopenapi does, and turns
// the parser's errors into located problems. A panic escaping the parser is
// still the input's fault, so it becomes a syntax error, not a crash.
func parseYAMLNode(data []byte, maxDepth int) (root *yaml.Node, perr *ParseError) {
	defer func() {
		if r := recover(); r != nil {
			root, perr = nil, reject(ErrSyntax, 0, 0, "invalid YAML: the parser gave up (%v)", r)
		}
	}()
	loader, err := yaml.NewLoader(bytes.NewReader(data), yaml.WithPlugin(limit.New(limit.DepthValue(maxDepth))))
	if err != nil {
		return nil, reject(ErrSyntax, 0, 0, "invalid YAML: %v", err)
	}
	var doc yaml.Node
	if err := loader.Load(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(data, err, maxDepth)
	}
	return &doc, nil
}

// yamlError explains a YAML parser error at the place it was noticed, and
// where the construct it was reading began when that is elsewhere.
func yamlError(data []byte, err error, maxDepth int) *ParseError {
	var le *yaml.LoadError
	if !errors.As(err, &le) {
		return reject(ErrSyntax, 0, 0, "invalid YAML: %v", err)
	}
	line, col := le.Mark.Line, le.Mark.Column
	if strings.HasPrefix(le.Message, "exceeded max depth") {
		return tooDeep(line, maxDepth)
	}
	msg := "invalid YAML: " + le.Message
	if c := le.ContextMark; le.ContextMsg != "" && c.Line > 0 && c.Line != line {
		msg += fmt.Sprintf(" (%s that starts at line %d, column %d)", le.ContextMsg, c.Line, c.Column)
	}
	if tabAt(data, line, col) {
		msg += "; YAML does not allow tabs for indentation, use spaces"
	}
	return reject(ErrSyntax, line, col, "%s", msg)
}

// tabAt reports whether the character at a 1-based line and column is a
// tab, the most common cause of "cannot start any token".
func tabAt(data []byte, line, col int) bool {
	if line <= 0 || col <= 0 {
		return false
	}
	for i := 1; i < line; i++ {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			return false
		}
		data = data[nl+1:]
	}
	if nl := bytes.IndexByte(data, '\n'); nl >= 0 {
		data = data[:nl]
	}
	r := []rune(string(data))
	return col <= len(r) && r[col-1] == '\t'
}

// anchorStats is what the tree walk remembers about an anchored node so
// every alias to it can be costed without expanding it.
type anchorStats struct {
	expansions int // alias expansions inside the fully expanded subtree
	height     int // nesting levels of the fully expanded subtree
	done       bool
}

// yamlFrame is one node on the explicit stack of checkYAMLTree.
type yamlFrame struct {
	node       *yaml.Node
	depth      int // nesting level of this node, counting itself if a collection
	next       int // next child to visit
	expansions int
	height     int
}

// checkYAMLTree walks the node tree post-order with an explicit stack. It
// counts what expanding every alias would cost (a billion-laughs document
// has only a few dozen aliases but expands to billions of nodes), so the
// count is computed bottom-up per anchor instead of by expanding.
func checkYAMLTree(root *yaml.Node, limits Limits) *ParseError {
	if root == nil || root.Kind == 0 {
		return nil
	}
	anchors := map[*yaml.Node]*anchorStats{}
	stack := []yamlFrame{{node: root}}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		n := top.node
		if top.next == 0 {
			if perr := enterYAMLNode(n, top, anchors, limits); perr != nil {
				return perr
			}
		}
		if n.Kind != yaml.AliasNode && top.next < len(n.Content) {
			child := n.Content[top.next]
			top.next++
			depth := top.depth
			if child.Kind == yaml.MappingNode || child.Kind == yaml.SequenceNode {
				depth++
			}
			stack = append(stack, yamlFrame{node: child, depth: depth})
			continue
		}
		// All children done: fold this node into its parent.
		done := stack[len(stack)-1]
		if done.node.Kind == yaml.MappingNode || done.node.Kind == yaml.SequenceNode {
			done.height++
		}
		if st := anchors[done.node]; st != nil {
			st.expansions, st.height, st.done = done.expansions, done.height, true
		}
		stack = stack[:len(stack)-1]
		if len(stack) == 0 {
			break
		}
		parent := &stack[len(stack)-1]
		parent.expansions += done.expansions
		if done.height > parent.height {
			parent.height = done.height
		}
		if parent.expansions > limits.MaxAliases {
			return tooManyAliases(done.node, limits.MaxAliases)
		}
	}
	return nil
}

// enterYAMLNode runs the checks that need only the node itself: depth,
// anchor count, alias cost, duplicate keys.
func enterYAMLNode(n *yaml.Node, f *yamlFrame, anchors map[*yaml.Node]*anchorStats, limits Limits) *ParseError {
	if f.depth > limits.MaxDepth {
		return tooDeep(n.Line, limits.MaxDepth)
	}
	if n.Anchor != "" && n.Kind != yaml.AliasNode {
		anchors[n] = &anchorStats{}
		if len(anchors) > limits.MaxAliases {
			perr := reject(ErrAliases, n.Line, n.Column, "the YAML defines more than %d anchors (&%s is one too many)", limits.MaxAliases, n.Anchor)
			perr.Limit = int64(limits.MaxAliases)
			return perr
		}
	}
	switch n.Kind {
	case yaml.AliasNode:
		st := anchors[n.Alias]
		if st == nil {
			return nil
		}
		if !st.done {
			perr := reject(ErrAliases, n.Line, n.Column, "alias *%s is used inside its own anchor, so it would expand forever", n.Value)
			perr.Limit = int64(limits.MaxAliases)
			return perr
		}
		f.expansions = 1 + st.expansions
		// The alias itself is not a level; what it stands for is.
		f.height = st.height
		if f.depth+st.height > limits.MaxDepth {
			return tooDeep(n.Line, limits.MaxDepth)
		}
		if f.expansions > limits.MaxAliases {
			return tooManyAliases(n, limits.MaxAliases)
		}
	case yaml.MappingNode:
		return duplicateKey(n)
	}
	return nil
}

func tooManyAliases(n *yaml.Node, limit int) *ParseError {
	perr := reject(ErrAliases, n.Line, n.Column,
		"YAML aliases would expand to more than %d copies; Steward refuses documents built like an alias bomb — inline the repeated content or use $ref", limit)
	perr.Limit = int64(limit)
	return perr
}

// duplicateKey reports a key defined twice in one mapping, which YAML
// forbids and libopenapi would reject with a less precise message.
func duplicateKey(n *yaml.Node) *ParseError {
	pairs := len(n.Content) / 2
	isDup := func(a, b *yaml.Node) bool {
		return a.Kind == yaml.ScalarNode && b.Kind == yaml.ScalarNode && a.Value == b.Value && a.Value != "<<"
	}
	report := func(first, again *yaml.Node) *ParseError {
		return reject(ErrSyntax, again.Line, again.Column, "invalid YAML: key %q is defined twice (first at line %d)", again.Value, first.Line)
	}
	if pairs <= 16 {
		for i := 0; i < pairs; i++ {
			for j := i + 1; j < pairs; j++ {
				if isDup(n.Content[2*i], n.Content[2*j]) {
					return report(n.Content[2*i], n.Content[2*j])
				}
			}
		}
		return nil
	}
	seen := make(map[string]*yaml.Node, pairs)
	for i := 0; i < pairs; i++ {
		k := n.Content[2*i]
		if k.Kind != yaml.ScalarNode || k.Value == "<<" {
			continue
		}
		if first, ok := seen[k.Value]; ok {
			return report(first, k)
		}
		seen[k.Value] = k
	}
	return nil
}

// yamlTopLevel summarises the root for document-type detection.
func yamlTopLevel(doc *yaml.Node) topLevel {
	var top topLevel
	root := doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return top
		}
		root = root.Content[0]
	}
	if root.Kind == yaml.AliasNode && root.Alias != nil {
		root = root.Alias
	}
	switch root.Kind {
	case yaml.MappingNode:
		top.kind = rootMapping
	case yaml.SequenceNode:
		top.kind = rootSequence
		return top
	case yaml.ScalarNode:
		if root.Tag == "!!null" {
			return top
		}
		top.kind = rootScalar
		top.scalar = root.Value
		return top
	default:
		return top
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		e := topEntry{key: k.Value, line: k.Line}
		switch v.Kind {
		case yaml.ScalarNode:
			e.isScalar = true
			e.value = v.Value
		case yaml.MappingNode:
			if e.key == "info" {
				for j := 0; j+1 < len(v.Content); j += 2 {
					e.children = append(e.children, v.Content[j].Value)
				}
			}
		}
		top.entries = append(top.entries, e)
	}
	return top
}
