package lintreport

import (
	"bytes"

	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/rules/doc"
)

// SpectralRanges returns findings with their ranges drawn as Spectral draws
// them, so that every format points where Spectral would:
//   - an object or array held under a key starts just after the key's
//     colon, on the key's line, which is where a reader looks for "info"
//     or "get" (a scalar starts where it is written, as here);
//   - an object or array ends where its last scalar ends, not at its
//     closing bracket.
//
// The engine's ranges cover exactly the value's text. src and d are the
// linted document and its parse; a finding whose path does not lead to the
// value its range covers keeps its range. The findings passed in are not
// changed.
func SpectralRanges(src []byte, d *doc.Document, findings []rules.Finding) []rules.Finding {
	if d == nil || d.Root == nil {
		return findings
	}
	lines := &sourceLines{lines: bytes.Split(src, []byte("\n")), runes: map[int32][]rune{}}
	out := make([]rules.Finding, len(findings))
	for i, f := range findings {
		out[i] = f
		n, depth := d.Lookup(f.Path, false)
		if n == nil || depth != len(f.Path) || n.Range != f.Range {
			continue
		}
		out[i].Range = rangeAsSpectral(lines, n)
	}
	return out
}

// sourceLines decodes each line to runes once: columns count characters,
// and minified JSON is one line the size of the file, so decoding it per
// finding made a report cost findings × file size.
type sourceLines struct {
	lines [][]byte
	runes map[int32][]rune
}

func (s *sourceLines) line(n int32) ([]rune, bool) {
	if int(n) > len(s.lines) || n < 1 {
		return nil, false
	}
	r, ok := s.runes[n]
	if !ok {
		r = []rune(string(bytes.TrimRight(s.lines[n-1], "\r")))
		s.runes[n] = r
	}
	return r, true
}

func rangeAsSpectral(lines *sourceLines, n *doc.Node) doc.Range {
	r := n.Range
	switch {
	case n.Parent == nil:
		r.Start = doc.Pos{Line: 1, Column: 1}
	case n.Parent.Kind == doc.Object && n.KeyPos.Line > 0 && (n.Kind == doc.Object || n.Kind == doc.Array):
		if p, ok := afterColon(lines, n.KeyPos); ok {
			r.Start = p
		}
	}
	last := n
	for (last.Kind == doc.Object || last.Kind == doc.Array) && len(last.Children) > 0 {
		c := last.Children[len(last.Children)-1]
		if c.Parent != last {
			break // shared through a YAML alias: its text is elsewhere
		}
		last = c
	}
	if last != n {
		r.End = last.Range.End
	}
	return r
}

// afterColon finds the colon that ends the key written at key and returns
// the position just after it. Keys are JSON strings, or YAML plain or quoted
// scalars; a key that spans lines is not followed.
func afterColon(lines *sourceLines, key doc.Pos) (doc.Pos, bool) {
	text, ok := lines.line(key.Line)
	if !ok || key.Column < 1 {
		return doc.Pos{}, false
	}
	i := int(key.Column) - 1
	if i >= len(text) {
		return doc.Pos{}, false
	}
	switch q := text[i]; q {
	case '"', '\'':
		for i++; i < len(text) && text[i] != q; i++ {
			if q == '"' && text[i] == '\\' {
				i++
			} else if q == '\'' && text[i] == '\'' && i+1 < len(text) && text[i+1] == '\'' {
				i++
			}
		}
		if i >= len(text) {
			return doc.Pos{}, false
		}
		i++
		for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
			i++
		}
		if i >= len(text) || text[i] != ':' {
			return doc.Pos{}, false
		}
	default:
		// A plain YAML key ends at the first ": " (or a colon at the end
		// of the line); a colon inside it, as in "x:y", does not count.
		for ; i < len(text); i++ {
			if text[i] == ':' && (i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\t') {
				break
			}
		}
		if i >= len(text) {
			return doc.Pos{}, false
		}
	}
	return doc.Pos{Line: key.Line, Column: int32(i + 2)}, true
}
