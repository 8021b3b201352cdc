package breaking

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// position is a 1-based line and column in a document's text.
type position struct{ line, column int }

// documentIndex maps positions in one revision's text to JSON pointers and
// back. The library reports a change by line and column only; the pointer is
// what lets a reader find the element without opening the file.
type documentIndex struct {
	pointerAt map[position]string // start of a key or of a sequence item
	byLine    map[int][]position  // keys and items starting on each line, in order
	placeOf   map[string]position // the inverse of pointerAt
}

// newDocumentIndex indexes a parsed document; nil when there is none.
func newDocumentIndex(root *yaml.Node) *documentIndex {
	if root == nil {
		return nil
	}
	idx := &documentIndex{
		pointerAt: map[position]string{},
		byLine:    map[int][]position{},
		placeOf:   map[string]position{},
	}
	idx.walk(root, "")
	return idx
}

// walk records every key and sequence item under n. Aliases are not
// followed: the element lives where its anchor is.
func (idx *documentIndex) walk(n *yaml.Node, pointer string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, value := n.Content[i], n.Content[i+1]
			child := pointer + "/" + escapePointer(key.Value)
			idx.add(position{key.Line, key.Column}, child)
			idx.walk(value, child)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			child := pointer + "/" + strconv.Itoa(i)
			idx.add(position{item.Line, item.Column}, child)
			// kin-openapi places an object in a list (a parameter, a server)
			// at its first key; in JSON that is not where the object starts.
			if item.Kind == yaml.MappingNode && len(item.Content) > 0 {
				idx.add(position{item.Content[0].Line, item.Content[0].Column}, child)
			}
			idx.walk(item, child)
		}
	}
}

func (idx *documentIndex) add(p position, pointer string) {
	if _, seen := idx.pointerAt[p]; seen {
		return // a sequence item and its first key share a start: keep the item
	}
	idx.pointerAt[p] = pointer
	idx.byLine[p.line] = append(idx.byLine[p.line], p)
	idx.placeOf[pointer] = p
}

// locate returns the location of the element starting at line and column, or
// failing that the last element that starts before it on the same line.
func (idx *documentIndex) locate(line, column int) Location {
	loc := Location{Line: line, Column: column}
	if idx == nil || line <= 0 {
		return loc
	}
	if pointer, ok := idx.pointerAt[position{line, column}]; ok {
		loc.Path = pointer
		return loc
	}
	for _, p := range idx.byLine[line] {
		if p.column <= column {
			loc.Path = idx.pointerAt[p]
		}
	}
	return loc
}

// operation returns the location of an operation ("get" under a path), or
// the zero Location when this revision has no such operation.
func (idx *documentIndex) operation(method, path string) Location {
	if idx == nil || method == "" || path == "" {
		return Location{}
	}
	pointer := "/paths/" + escapePointer(path) + "/" + strings.ToLower(method)
	p, ok := idx.placeOf[pointer]
	if !ok {
		return Location{}
	}
	return Location{Path: pointer, Line: p.line, Column: p.column}
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// escapePointer escapes one JSON pointer segment (RFC 6901).
func escapePointer(s string) string { return pointerEscaper.Replace(s) }
