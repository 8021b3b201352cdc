package doc

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Parse reads a JSON or YAML document. JSON goes through a dedicated parser,
// because large specs are usually JSON and the YAML parser is several times
// slower and hungrier on them; anything that is not strict JSON is read as
// YAML (which also accepts JSON with duplicate keys or comments).
func Parse(src []byte) (*Node, error) {
	trimmed := bytes.TrimLeft(src, " \t\r\n\ufeff")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		if n, err := ParseJSON(src); err == nil {
			return n, nil
		}
	}
	return ParseYAML(src)
}

// SyntaxError is a document that cannot be parsed, with where it failed.
type SyntaxError struct {
	Pos Pos
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Pos.Line, e.Pos.Column, e.Msg)
}

// ParseJSON reads strict JSON (RFC 8259); a repeated key keeps its last value,
// as JavaScript's JSON.parse does.
func ParseJSON(src []byte) (*Node, error) {
	p := &jsonParser{src: src, line: 1, lineStart: 0, colOff: 0, col: 1}
	p.skipSpace()
	if p.off < len(p.src) && strings.HasPrefix(string(p.src[p.off:min(p.off+3, len(p.src))]), "\ufeff") {
		p.off += 3
	}
	n, err := p.value(nil, 0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.off != len(p.src) {
		return nil, p.errf("unexpected data after the document")
	}
	return n, nil
}

type jsonParser struct {
	src       []byte
	off       int
	line      int32
	lineStart int
	// colOff/col cache the column of a byte offset on the current line, so
	// positions on a long minified line cost linear time overall.
	colOff int
	col    int32
	depth  int
}

const maxDepth = 10000

func (p *jsonParser) pos() Pos {
	if p.colOff < p.lineStart {
		p.colOff, p.col = p.lineStart, 1
	}
	if p.off >= p.colOff {
		p.col += int32(utf8.RuneCount(p.src[p.colOff:p.off]))
	} else {
		p.col = 1 + int32(utf8.RuneCount(p.src[p.lineStart:p.off]))
	}
	p.colOff = p.off
	return Pos{Line: p.line, Column: p.col}
}

func (p *jsonParser) errf(format string, args ...any) error {
	return &SyntaxError{Pos: p.pos(), Msg: fmt.Sprintf(format, args...)}
}

func (p *jsonParser) skipSpace() {
	for p.off < len(p.src) {
		switch p.src[p.off] {
		case ' ', '\t', '\r':
			p.off++
		case '\n':
			p.off++
			p.line++
			p.lineStart = p.off
		default:
			return
		}
	}
}

func (p *jsonParser) value(parent *Node, index int) (*Node, error) {
	p.skipSpace()
	if p.off >= len(p.src) {
		return nil, p.errf("unexpected end of input")
	}
	n := &Node{Parent: parent, Index: index}
	n.Range.Start = p.pos()
	c := p.src[p.off]
	switch {
	case c == '{':
		if err := p.object(n); err != nil {
			return nil, err
		}
	case c == '[':
		if err := p.array(n); err != nil {
			return nil, err
		}
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		n.Kind, n.Value = String, s
	case c == 't' && bytes.HasPrefix(p.src[p.off:], []byte("true")):
		n.Kind, n.Value = Bool, "true"
		p.off += 4
	case c == 'f' && bytes.HasPrefix(p.src[p.off:], []byte("false")):
		n.Kind, n.Value = Bool, "false"
		p.off += 5
	case c == 'n' && bytes.HasPrefix(p.src[p.off:], []byte("null")):
		n.Kind, n.Value = Null, "null"
		p.off += 4
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.off
		for p.off < len(p.src) && strings.IndexByte("+-0123456789.eE", p.src[p.off]) >= 0 {
			p.off++
		}
		lit := string(p.src[start:p.off])
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, p.errf("invalid number %q", lit)
		}
		n.Kind, n.Value, n.Num = Number, lit, f
	default:
		return nil, p.errf("unexpected character %q", c)
	}
	n.Range.End = p.pos()
	return n, nil
}

func (p *jsonParser) object(n *Node) error {
	n.Kind = Object
	p.depth++
	if p.depth > maxDepth {
		return p.errf("document nested deeper than %d levels", maxDepth)
	}
	defer func() { p.depth-- }()
	p.off++ // {
	p.skipSpace()
	if p.off < len(p.src) && p.src[p.off] == '}' {
		p.off++
		return nil
	}
	for {
		p.skipSpace()
		if p.off >= len(p.src) || p.src[p.off] != '"' {
			return p.errf("expected a string key")
		}
		keyPos := p.pos()
		key, err := p.str()
		if err != nil {
			return err
		}
		p.skipSpace()
		if p.off >= len(p.src) || p.src[p.off] != ':' {
			return p.errf("expected ':' after key")
		}
		p.off++
		// A repeated key replaces the earlier value in place, keeping the
		// first key's position in the order. Large objects look keys up
		// in their index, built as they grow: a scan per key would make
		// an object of 60,000 paths take seconds.
		dup := -1
		if n.lookup != nil {
			if i, ok := n.lookup[key]; ok {
				dup = i
			}
		} else {
			for i, k := range n.Keys {
				if k == key {
					dup = i
					break
				}
			}
		}
		idx := len(n.Children)
		if dup >= 0 {
			idx = dup
		}
		v, err := p.value(n, idx)
		if err != nil {
			return err
		}
		v.KeyPos = keyPos
		if dup >= 0 {
			n.Children[dup] = v
		} else {
			n.Keys = append(n.Keys, key)
			n.Children = append(n.Children, v)
			if n.lookup != nil {
				n.lookup[key] = idx
			} else {
				n.prepareLookup()
			}
		}
		p.skipSpace()
		if p.off >= len(p.src) {
			return p.errf("unexpected end of input in object")
		}
		switch p.src[p.off] {
		case ',':
			p.off++
		case '}':
			p.off++
			return nil
		default:
			return p.errf("expected ',' or '}' in object")
		}
	}
}

func (p *jsonParser) array(n *Node) error {
	n.Kind = Array
	p.depth++
	if p.depth > maxDepth {
		return p.errf("document nested deeper than %d levels", maxDepth)
	}
	defer func() { p.depth-- }()
	p.off++ // [
	p.skipSpace()
	if p.off < len(p.src) && p.src[p.off] == ']' {
		p.off++
		return nil
	}
	for {
		v, err := p.value(n, len(n.Children))
		if err != nil {
			return err
		}
		n.Children = append(n.Children, v)
		p.skipSpace()
		if p.off >= len(p.src) {
			return p.errf("unexpected end of input in array")
		}
		switch p.src[p.off] {
		case ',':
			p.off++
		case ']':
			p.off++
			return nil
		default:
			return p.errf("expected ',' or ']' in array")
		}
	}
}

func (p *jsonParser) str() (string, error) {
	p.off++ // opening quote
	start := p.off
	for p.off < len(p.src) {
		c := p.src[p.off]
		if c == '"' {
			s := string(p.src[start:p.off])
			p.off++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.errf("control character in string")
		}
		p.off++
	}
	var b strings.Builder
	b.Write(p.src[start:p.off])
	for p.off < len(p.src) {
		c := p.src[p.off]
		switch {
		case c == '"':
			p.off++
			return b.String(), nil
		case c == '\\':
			if p.off+1 >= len(p.src) {
				return "", p.errf("unterminated escape")
			}
			e := p.src[p.off+1]
			p.off += 2
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.errf("invalid \\u escape")
				}
				if utf16.IsSurrogate(r) {
					if p.off+1 < len(p.src) && p.src[p.off] == '\\' && p.src[p.off+1] == 'u' {
						p.off += 2
						r2, ok := p.hex4()
						if !ok {
							return "", p.errf("invalid \\u escape")
						}
						r = utf16.DecodeRune(r, r2)
					} else {
						r = utf8.RuneError
					}
				}
				b.WriteRune(r)
			default:
				return "", p.errf("invalid escape \\%c", e)
			}
		case c < 0x20:
			return "", p.errf("control character in string")
		default:
			b.WriteByte(c)
			p.off++
		}
	}
	return "", p.errf("unterminated string")
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.off+4 > len(p.src) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.src[p.off:p.off+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.off += 4
	return rune(v), true
}

// ParseYAML reads a YAML 1.2 document (the first one, if there are several).
func ParseYAML(src []byte) (*Node, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	b := &yamlBuilder{lines: splitLines(src), anchors: map[*yaml.Node]*Node{}}
	if root.Kind == 0 {
		return &Node{Kind: Null, Value: "null", Range: Range{Start: Pos{1, 1}, End: Pos{1, 1}}}, nil
	}
	y := &root
	if y.Kind == yaml.DocumentNode {
		if len(y.Content) == 0 {
			return &Node{Kind: Null, Value: "null"}, nil
		}
		y = y.Content[0]
	}
	return b.build(y, nil, 0, 0)
}

type yamlBuilder struct {
	lines   [][]byte
	anchors map[*yaml.Node]*Node
}

func splitLines(src []byte) [][]byte {
	return bytes.Split(src, []byte("\n"))
}

func (b *yamlBuilder) build(y *yaml.Node, parent *Node, index, depth int) (*Node, error) {
	if depth > maxDepth {
		return nil, &SyntaxError{Pos: Pos{int32(y.Line), int32(y.Column)}, Msg: "document nested too deeply"}
	}
	if y.Kind == yaml.AliasNode {
		// An alias shares its anchor's subtree: the value is the same,
		// and its home (for paths and positions) stays at the anchor.
		if n, ok := b.anchors[y.Alias]; ok {
			return n, nil
		}
		return b.build(y.Alias, parent, index, depth+1)
	}
	n := &Node{Parent: parent, Index: index}
	n.Range.Start = Pos{int32(y.Line), int32(y.Column)}
	if y.Anchor != "" {
		b.anchors[y] = n
	}
	switch y.Kind {
	case yaml.MappingNode:
		n.Kind = Object
		if err := b.mapping(n, y, depth); err != nil {
			return nil, err
		}
		n.Range.End = b.containerEnd(n)
	case yaml.SequenceNode:
		n.Kind = Array
		for _, c := range y.Content {
			cn, err := b.build(c, n, len(n.Children), depth+1)
			if err != nil {
				return nil, err
			}
			n.Children = append(n.Children, cn)
		}
		n.Range.End = b.containerEnd(n)
	default:
		b.scalar(n, y)
	}
	return n, nil
}

func (b *yamlBuilder) mapping(n *Node, y *yaml.Node, depth int) error {
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		if k.Tag == "!!merge" {
			src := v
			if src.Kind == yaml.AliasNode {
				src = src.Alias
			}
			merged, err := b.build(src, nil, 0, depth+1)
			if err != nil {
				return err
			}
			if merged.Kind == Object {
				for j, mk := range merged.Keys {
					if !n.Has(mk) {
						n.Keys = append(n.Keys, mk)
						n.Children = append(n.Children, merged.Children[j])
					}
				}
			}
			continue
		}
		key := k.Value
		vn, err := b.build(v, n, len(n.Children), depth+1)
		if err != nil {
			return err
		}
		if vn.Parent == n {
			vn.KeyPos = Pos{int32(k.Line), int32(k.Column)}
		}
		if j := indexOf(n.Keys, key); j >= 0 {
			if vn.Parent == n {
				vn.Index = j
			}
			n.Children[j] = vn
			continue
		}
		n.Keys = append(n.Keys, key)
		n.Children = append(n.Children, vn)
	}
	n.lookup = nil
	n.prepareLookup()
	return nil
}

func indexOf(keys []string, k string) int {
	for i, x := range keys {
		if x == k {
			return i
		}
	}
	return -1
}

func (b *yamlBuilder) scalar(n *Node, y *yaml.Node) {
	n.Value = y.Value
	switch y.ShortTag() {
	case "!!null":
		n.Kind, n.Value = Null, "null"
	case "!!bool":
		n.Kind = Bool
		var v bool
		_ = y.Decode(&v)
		n.Value = strconv.FormatBool(v)
	case "!!int", "!!float":
		var f float64
		if err := y.Decode(&f); err == nil {
			n.Kind, n.Num = Number, f
		} else {
			n.Kind = String
		}
	default:
		n.Kind = String
	}
	n.Range.End = b.scalarEnd(y)
}

// scalarEnd finds where a scalar's text ends by reading the source line, since
// yaml.v3 only records where nodes start.
func (b *yamlBuilder) scalarEnd(y *yaml.Node) Pos {
	line := y.Line - 1
	if line < 0 || line >= len(b.lines) {
		return Pos{int32(y.Line), int32(y.Column)}
	}
	text := []rune(strings.TrimRight(string(b.lines[line]), "\r"))
	col := y.Column - 1
	if col > len(text) {
		col = len(text)
	}
	switch y.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		q := text[col]
		for i := col + 1; i < len(text); i++ {
			if q == '"' && text[i] == '\\' {
				i++
				continue
			}
			if text[i] == q {
				if q == '\'' && i+1 < len(text) && text[i+1] == '\'' {
					i++
					continue
				}
				return Pos{int32(y.Line), int32(i + 2)}
			}
		}
	case yaml.LiteralStyle, yaml.FoldedStyle:
		n := strings.Count(strings.TrimRight(y.Value, "\n"), "\n") + 1
		last := y.Line + n
		if last-1 < len(b.lines) {
			return Pos{int32(last), int32(len([]rune(strings.TrimRight(string(b.lines[last-1]), "\r"))) + 1)}
		}
	}
	if strings.Contains(y.Value, "\n") {
		n := strings.Count(y.Value, "\n")
		last := y.Line + n
		if last-1 < len(b.lines) {
			return Pos{int32(last), int32(len([]rune(strings.TrimRight(string(b.lines[last-1]), "\r"))) + 1)}
		}
	}
	end := col
	for end < len(text) {
		if text[end] == '#' && end > col && text[end-1] == ' ' {
			break
		}
		if y.Style&yaml.FlowStyle == 0 && (text[end] == ',' || text[end] == ']' || text[end] == '}') && b.inFlow(y) {
			break
		}
		end++
	}
	for end > col && (text[end-1] == ' ' || text[end-1] == '\t') {
		end--
	}
	if end == col {
		end = col + len([]rune(y.Value))
	}
	return Pos{int32(y.Line), int32(end + 1)}
}

func (b *yamlBuilder) inFlow(y *yaml.Node) bool {
	line := b.lines[y.Line-1]
	return bytes.ContainsAny(line, "[{")
}

func (b *yamlBuilder) containerEnd(n *Node) Pos {
	if len(n.Children) == 0 {
		return Pos{n.Range.Start.Line, n.Range.Start.Column + 2}
	}
	last := n.Children[len(n.Children)-1]
	if last.Parent != n {
		return last.Range.Start
	}
	return last.Range.End
}
