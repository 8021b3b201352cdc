package match

import "strings"

// partKind says what one piece of a template segment is.
type partKind uint8

const (
	partLiteral partKind = iota
	partParam
	// partWildcard is a greedy parameter that takes the rest of the path
	// ({proxy+}, {path...}, *, <path:p>).
	partWildcard
)

// part is one piece of a template segment: literal text or a parameter.
type part struct {
	kind partKind
	text string // the literal text, or the parameter's name
}

// scanPart reads the piece of template segment seg that starts at i and
// returns it with the index just past it. It understands the parameter
// syntaxes gateways and frameworks report: {id} (OpenAPI, gorilla, chi,
// including {id:[0-9]+}), {proxy+} (API Gateway), {path...} and {*path}
// (Go ServeMux, ASP.NET), :id at the start of a segment (Express, gin,
// Rails), <id> and <int:id> (Flask) and a leading * (catch-alls).
func scanPart(seg string, i int) (kind partKind, text string, next int) {
	switch c := seg[i]; {
	case c == '{':
		if end := closingBrace(seg, i); end > 0 {
			kind, text = braceParam(seg[i+1 : end])
			return kind, text, end + 1
		}
	case c == ':' && i == 0 && len(seg) > 1 && isNameByte(seg[1]):
		j := 1
		for j < len(seg) && isNameByte(seg[j]) {
			j++
		}
		text, kind = seg[1:j], partParam
		if j < len(seg) && seg[j] == '(' { // Express-style constraint
			if end := strings.IndexByte(seg[j:], ')'); end > 0 {
				j += end + 1
			}
		}
		if j < len(seg) {
			switch seg[j] {
			case '?':
				j++
			case '*', '+':
				kind = partWildcard
				j++
			}
		}
		return kind, text, j
	case c == '<':
		if end := strings.IndexByte(seg[i:], '>'); end > 1 {
			conv, name, ok := strings.Cut(seg[i+1:i+end], ":")
			if !ok {
				conv, name = "", conv
			}
			if conv == "path" {
				return partWildcard, name, i + end + 1
			}
			return partParam, name, i + end + 1
		}
	case c == '*' && i == 0:
		return partWildcard, seg[1:], len(seg)
	}
	j := i + 1
	for j < len(seg) && seg[j] != '{' && seg[j] != '<' {
		j++
	}
	return partLiteral, seg[i:j], j
}

// closingBrace returns the index of the brace closing the one at open,
// allowing nested braces inside regular-expression constraints, or -1.
func closingBrace(seg string, open int) int {
	depth := 0
	for j := open; j < len(seg); j++ {
		switch seg[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				if j == open+1 {
					return -1 // "{}" names nothing: keep it literal
				}
				return j
			}
		}
	}
	return -1
}

// braceParam reads the inside of a {…} parameter.
func braceParam(in string) (partKind, string) {
	name, _, _ := strings.Cut(in, ":") // drop a regular-expression constraint
	switch {
	case strings.HasPrefix(name, "*"):
		return partWildcard, name[1:]
	case strings.HasSuffix(name, "..."):
		return partWildcard, name[:len(name)-3]
	case strings.HasSuffix(name, "+"):
		return partWildcard, name[:len(name)-1]
	}
	return partParam, name
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// segKind says what a whole template segment is.
type segKind uint8

const (
	segLiteral segKind = iota
	segParam
	segWildcard
	segMixed // literal text and parameters, like "{id}.json" or "v{major}"
)

// classify tells what template segment seg is without allocating.
func classify(seg string) segKind {
	kind, _, next := scanPart(seg, 0)
	if next < len(seg) {
		return segMixed
	}
	switch kind {
	case partParam:
		return segParam
	case partWildcard:
		return segWildcard
	}
	return segLiteral
}

// parseMixed splits a mixed segment into its parts. Adjacent parameters
// collapse into one and wildcards inside a segment count as plain
// parameters, so the parts alternate between literal text and parameters.
func parseMixed(seg string) []part {
	var parts []part
	for i := 0; i < len(seg); {
		kind, text, next := scanPart(seg, i)
		i = next
		if kind == partWildcard {
			kind = partParam
		}
		if kind == partParam && len(parts) > 0 && parts[len(parts)-1].kind == partParam {
			continue
		}
		if kind == partLiteral && len(parts) > 0 && parts[len(parts)-1].kind == partLiteral {
			parts[len(parts)-1].text += text
			continue
		}
		parts = append(parts, part{kind: kind, text: text})
	}
	return parts
}

// sameShape reports whether mixed route segment seg has the shape of parts:
// the same literal text in the same places, parameter names aside. It does
// what parseMixed does without allocating.
func sameShape(seg string, parts []part) bool {
	k := 0
	lit := "" // literal text read but not yet compared, for split literals
	for i := 0; i < len(seg); {
		kind, text, next := scanPart(seg, i)
		i = next
		if kind == partLiteral {
			if lit == "" {
				lit = text
			} else {
				lit = seg[next-len(lit)-len(text) : next]
			}
			continue
		}
		if lit != "" {
			if k >= len(parts) || parts[k].kind != partLiteral || parts[k].text != lit {
				return false
			}
			k++
			lit = ""
		}
		if k > 0 && parts[k-1].kind == partParam {
			continue // adjacent parameters collapse
		}
		if k >= len(parts) || parts[k].kind != partParam {
			return false
		}
		k++
	}
	if lit != "" {
		if k >= len(parts) || parts[k].kind != partLiteral || parts[k].text != lit {
			return false
		}
		k++
	}
	return k == len(parts)
}

// matchesParts reports whether path segment value fits the mixed segment
// parts, each parameter taking at least one byte. Literal text between
// parameters matches at its first occurrence.
func matchesParts(value string, parts []part) bool {
	i := 0
	for k, p := range parts {
		last := k == len(parts)-1
		if p.kind == partParam {
			if last {
				return len(value) > i
			}
			continue // the literal after it places it
		}
		switch {
		case k == 0:
			if !strings.HasPrefix(value, p.text) {
				return false
			}
			i = len(p.text)
		case last:
			// The parameter before it needs at least one byte.
			return len(value)-len(p.text) > i && strings.HasSuffix(value, p.text)
		default:
			if i+1 > len(value) {
				return false
			}
			j := strings.Index(value[i+1:], p.text)
			if j < 0 {
				return false
			}
			i += 1 + j + len(p.text)
		}
	}
	return i == len(value)
}

// nextSegment returns the first non-empty segment of path and what follows
// it; seg is "" when path has no segments left.
func nextSegment(path string) (seg, rest string) {
	for len(path) > 0 && path[0] == '/' {
		path = path[1:]
	}
	if i := strings.IndexByte(path, '/'); i >= 0 {
		return path[:i], path[i:]
	}
	return path, ""
}

// NormaliseTemplate rewrites a route template from any supported parameter
// syntax into OpenAPI's: "/users/:id" and "/users/<int:id>" both become
// "/users/{id}", and catch-alls ({proxy+}, *path, <path:p>) become
// "{name...}". Empty segments and a trailing slash are dropped, so the
// result starts with "/" and "/" stands for the root.
func NormaliseTemplate(template string) string {
	var b strings.Builder
	b.Grow(len(template) + 1)
	for seg, rest := nextSegment(template); seg != ""; seg, rest = nextSegment(rest) {
		b.WriteByte('/')
		for i := 0; i < len(seg); {
			kind, text, next := scanPart(seg, i)
			i = next
			switch kind {
			case partLiteral:
				b.WriteString(text)
			case partParam:
				b.WriteString("{" + text + "}")
			case partWildcard:
				b.WriteString("{" + text + "...}")
			}
		}
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}
