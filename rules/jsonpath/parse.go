// Package jsonpath compiles and evaluates JSONPath expressions over doc
// trees: RFC 9535 plus the JSONPath-Plus forms Spectral rulesets rely on
// (JavaScript filter expressions, @property, @path, @parent, ^ and ~).
// Anything it cannot evaluate faithfully is rejected by Compile with the
// offset where it stopped, so a rule never silently selects nothing.
package jsonpath

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/steward-governance/steward/rules/jsregex"
)

// Error is an expression Compile rejects; Pos is a byte offset into Expr.
type Error struct {
	Expr string
	Pos  int
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("jsonpath %q: %s at offset %d", e.Expr, e.Msg, e.Pos)
}

// Path is a compiled expression.
type Path struct {
	src  string
	segs []segment
}

// String returns the source of the expression.
func (p *Path) String() string { return p.src }

type segKind uint8

const (
	segChild segKind = iota
	segDescendant
	segParent  // ^
	segKeyName // ~
)

type segment struct {
	kind segKind
	sels []selector
}

type selKind uint8

const (
	selName selKind = iota
	selWildcard
	selIndex
	selSlice
	selFilter
)

type selector struct {
	kind             selKind
	name             string
	index            int
	start, end, step int
	hasStart, hasEnd bool
	filter           expr
}

// Compile parses expr. The leading "$" may be omitted, as Spectral allows.
func Compile(src string) (*Path, error) {
	p := &parser{src: src}
	segs, err := p.path()
	if err != nil {
		return nil, err
	}
	return &Path{src: src, segs: segs}, nil
}

// MustCompile is Compile for expressions known to be valid.
func MustCompile(src string) *Path {
	p, err := Compile(src)
	if err != nil {
		panic(err)
	}
	return p
}

type parser struct {
	src string
	pos int
}

func (p *parser) errf(pos int, format string, args ...any) error {
	return &Error{Expr: p.src, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

func (p *parser) skipSpace() {
	for !p.eof() && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n' || p.src[p.pos] == '\r') {
		p.pos++
	}
}

func (p *parser) path() ([]segment, error) {
	p.skipSpace()
	if p.peek() == '$' {
		p.pos++
	} else if p.eof() {
		return nil, p.errf(0, "empty expression")
	}
	var segs []segment
	for {
		p.skipSpace()
		if p.eof() {
			return segs, nil
		}
		start := p.pos
		switch c := p.peek(); c {
		case '.':
			if strings.HasPrefix(p.src[p.pos:], "..") {
				p.pos += 2
				sels, err := p.afterDot(true)
				if err != nil {
					return nil, err
				}
				segs = append(segs, segment{kind: segDescendant, sels: sels})
				continue
			}
			p.pos++
			sels, err := p.afterDot(false)
			if err != nil {
				return nil, err
			}
			segs = append(segs, segment{kind: segChild, sels: sels})
		case '[':
			sels, err := p.bracket()
			if err != nil {
				return nil, err
			}
			segs = append(segs, segment{kind: segChild, sels: sels})
		case '^':
			p.pos++
			segs = append(segs, segment{kind: segParent})
		case '~':
			p.pos++
			segs = append(segs, segment{kind: segKeyName})
			p.skipSpace()
			if !p.eof() {
				return nil, p.errf(p.pos, "~ (property name) must end the expression")
			}
		default:
			if len(segs) == 0 && start == 0 && isNameStart(c) {
				// "paths.*" without the leading "$.", as Spectral accepts.
				sels, err := p.afterDot(false)
				if err != nil {
					return nil, err
				}
				segs = append(segs, segment{kind: segChild, sels: sels})
				continue
			}
			return nil, p.errf(p.pos, "unexpected %q", c)
		}
	}
}

// afterDot reads what follows "." or "..": a name, "*" or a bracket.
func (p *parser) afterDot(desc bool) ([]selector, error) {
	if p.eof() {
		return nil, p.errf(p.pos, "expected a name after '.'")
	}
	c := p.peek()
	switch {
	case c == '*':
		p.pos++
		return []selector{{kind: selWildcard}}, nil
	case c == '[' && desc:
		return p.bracket()
	case c == '[':
		return nil, p.errf(p.pos, "'.' followed by '['")
	}
	start := p.pos
	for !p.eof() {
		r, size := utf8.DecodeRuneInString(p.src[p.pos:])
		if r == '.' || r == '[' || r == '^' || r == '~' || r == ' ' || r == ']' || r == '(' || r == ')' {
			break
		}
		if r != '$' && r != '-' && r != '_' && r != '@' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return nil, p.errf(p.pos, "unexpected %q in a name", r)
		}
		p.pos += size
	}
	if p.pos == start {
		return nil, p.errf(p.pos, "expected a name")
	}
	return []selector{{kind: selName, name: p.src[start:p.pos]}}, nil
}

func isNameStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// bracket reads "[...]": a comma-separated list of selectors.
func (p *parser) bracket() ([]selector, error) {
	open := p.pos
	p.pos++ // [
	var sels []selector
	for {
		p.skipSpace()
		if p.eof() {
			return nil, p.errf(open, "unclosed '['")
		}
		sel, err := p.selector()
		if err != nil {
			return nil, err
		}
		sels = append(sels, sel)
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return sels, nil
		default:
			return nil, p.errf(p.pos, "expected ',' or ']' in brackets")
		}
	}
}

func (p *parser) selector() (selector, error) {
	c := p.peek()
	switch {
	case c == '*':
		p.pos++
		return selector{kind: selWildcard}, nil
	case c == '\'' || c == '"':
		s, err := p.quoted()
		if err != nil {
			return selector{}, err
		}
		return selector{kind: selName, name: s}, nil
	case c == '?':
		p.pos++
		p.skipSpace()
		fp := &filterParser{parser: p}
		var e expr
		var err error
		if p.peek() == '(' {
			// JSONPath-Plus form ?( ... ): parse the parenthesised
			// expression, then require the closing bracket.
			e, err = fp.expression()
		} else {
			e, err = fp.expression()
		}
		if err != nil {
			return selector{}, err
		}
		return selector{kind: selFilter, filter: e}, nil
	case c == '(':
		return selector{}, p.errf(p.pos, "script expressions [(...)] are not supported")
	case c == '-' || c == ':' || (c >= '0' && c <= '9'):
		return p.indexOrSlice()
	}
	// JSONPath-Plus accepts unquoted names in brackets: [get,put].
	start := p.pos
	for !p.eof() {
		r, size := utf8.DecodeRuneInString(p.src[p.pos:])
		if r == ',' || r == ']' {
			break
		}
		if r == '[' || r == '(' || r == '\'' || r == '"' {
			return selector{}, p.errf(p.pos, "unexpected %q in brackets", r)
		}
		p.pos += size
	}
	name := strings.TrimSpace(p.src[start:p.pos])
	if name == "" {
		return selector{}, p.errf(start, "empty selector")
	}
	return selector{kind: selName, name: name}, nil
}

func (p *parser) indexOrSlice() (selector, error) {
	start := p.pos
	var nums [3]int
	var has [3]bool
	part := 0
	for {
		p.skipSpace()
		ns := p.pos
		if p.peek() == '-' {
			p.pos++
		}
		for !p.eof() && p.peek() >= '0' && p.peek() <= '9' {
			p.pos++
		}
		if p.pos > ns {
			n, err := strconv.Atoi(p.src[ns:p.pos])
			if err != nil {
				return selector{}, p.errf(ns, "bad number")
			}
			nums[part], has[part] = n, true
		}
		p.skipSpace()
		if p.peek() == ':' {
			if part == 2 {
				return selector{}, p.errf(p.pos, "too many ':' in slice")
			}
			part++
			p.pos++
			continue
		}
		break
	}
	if part == 0 {
		if !has[0] {
			return selector{}, p.errf(start, "expected an index")
		}
		// An identifier-like tail ("429abc") is a name, as JSONPath-Plus reads it.
		if !p.eof() && p.peek() != ',' && p.peek() != ']' {
			for !p.eof() && p.peek() != ',' && p.peek() != ']' {
				p.pos++
			}
			return selector{kind: selName, name: strings.TrimSpace(p.src[start:p.pos])}, nil
		}
		return selector{kind: selIndex, index: nums[0], name: p.src[start:p.pos]}, nil
	}
	step := 1
	if has[2] {
		step = nums[2]
	}
	return selector{kind: selSlice, start: nums[0], end: nums[1], step: step, hasStart: has[0], hasEnd: has[1]}, nil
}

func (p *parser) quoted() (string, error) {
	q := p.peek()
	start := p.pos
	p.pos++
	var b strings.Builder
	for !p.eof() {
		c := p.src[p.pos]
		if c == q {
			p.pos++
			return b.String(), nil
		}
		if c == '\\' && p.pos+1 < len(p.src) {
			n := p.src[p.pos+1]
			p.pos += 2
			switch n {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'u':
				if p.pos+4 <= len(p.src) {
					if v, err := strconv.ParseUint(p.src[p.pos:p.pos+4], 16, 32); err == nil {
						b.WriteRune(rune(v))
						p.pos += 4
						continue
					}
				}
				return "", p.errf(p.pos-2, "bad \\u escape")
			default:
				b.WriteByte(n)
			}
			continue
		}
		b.WriteByte(c)
		p.pos++
	}
	return "", p.errf(start, "unterminated string")
}

// ---- filter expressions ----

type filterParser struct {
	*parser
}

// expression parses a JavaScript-style expression with the usual
// precedence: || < && < equality < relational < unary < member/call.
func (fp *filterParser) expression() (expr, error) { return fp.or() }

func (fp *filterParser) or() (expr, error) {
	l, err := fp.and()
	if err != nil {
		return nil, err
	}
	for {
		fp.skipSpace()
		if !strings.HasPrefix(fp.src[fp.pos:], "||") {
			return l, nil
		}
		fp.pos += 2
		r, err := fp.and()
		if err != nil {
			return nil, err
		}
		l = &logicalExpr{or: true, l: l, r: r}
	}
}

func (fp *filterParser) and() (expr, error) {
	l, err := fp.equality()
	if err != nil {
		return nil, err
	}
	for {
		fp.skipSpace()
		if !strings.HasPrefix(fp.src[fp.pos:], "&&") {
			return l, nil
		}
		fp.pos += 2
		r, err := fp.equality()
		if err != nil {
			return nil, err
		}
		l = &logicalExpr{l: l, r: r}
	}
}

func (fp *filterParser) equality() (expr, error) {
	l, err := fp.relational()
	if err != nil {
		return nil, err
	}
	for {
		fp.skipSpace()
		rest := fp.src[fp.pos:]
		var op string
		switch {
		case strings.HasPrefix(rest, "==="):
			op = "==="
		case strings.HasPrefix(rest, "!=="):
			op = "!=="
		case strings.HasPrefix(rest, "=="):
			op = "=="
		case strings.HasPrefix(rest, "!="):
			op = "!="
		case strings.HasPrefix(rest, "=~"):
			return nil, fp.errf(fp.pos, "the =~ operator is not supported; use .match(/re/)")
		default:
			return l, nil
		}
		fp.pos += len(op)
		r, err := fp.relational()
		if err != nil {
			return nil, err
		}
		l = &binaryExpr{op: op, l: l, r: r}
	}
}

func (fp *filterParser) relational() (expr, error) {
	l, err := fp.unary()
	if err != nil {
		return nil, err
	}
	for {
		fp.skipSpace()
		rest := fp.src[fp.pos:]
		var op string
		switch {
		case strings.HasPrefix(rest, "<="):
			op = "<="
		case strings.HasPrefix(rest, ">="):
			op = ">="
		case strings.HasPrefix(rest, "<"):
			op = "<"
		case strings.HasPrefix(rest, ">"):
			op = ">"
		case strings.HasPrefix(rest, "in") && len(rest) > 2 && !isIdentByte(rest[2]):
			op = "in"
		default:
			return l, nil
		}
		fp.pos += len(op)
		r, err := fp.unary()
		if err != nil {
			return nil, err
		}
		l = &binaryExpr{op: op, l: l, r: r}
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (fp *filterParser) unary() (expr, error) {
	fp.skipSpace()
	switch {
	case fp.peek() == '!' && !strings.HasPrefix(fp.src[fp.pos:], "!="):
		fp.pos++
		e, err := fp.unary()
		if err != nil {
			return nil, err
		}
		return &notExpr{e: e}, nil
	case fp.peek() == '-':
		fp.pos++
		e, err := fp.unary()
		if err != nil {
			return nil, err
		}
		return &negExpr{e: e}, nil
	case fp.keyword("typeof"):
		e, err := fp.unary()
		if err != nil {
			return nil, err
		}
		return &typeofExpr{e: e}, nil
	case fp.keyword("void"):
		if _, err := fp.unary(); err != nil {
			return nil, err
		}
		return &litExpr{v: undef}, nil
	}
	return fp.postfix()
}

func (fp *filterParser) keyword(w string) bool {
	rest := fp.src[fp.pos:]
	if strings.HasPrefix(rest, w) && (len(rest) == len(w) || !isIdentByte(rest[len(w)])) {
		fp.pos += len(w)
		return true
	}
	return false
}

func (fp *filterParser) postfix() (expr, error) {
	e, err := fp.primary()
	if err != nil {
		return nil, err
	}
	for {
		// No space skipping before '.', so "1 .x" stays odd, as in JS.
		fp.skipSpace()
		switch fp.peek() {
		case '.':
			if strings.HasPrefix(fp.src[fp.pos:], "..") {
				return nil, fp.errf(fp.pos, "recursive descent inside a filter is not supported")
			}
			fp.pos++
			start := fp.pos
			for !fp.eof() && (isIdentByte(fp.peek()) || fp.peek() == '-' && false) {
				fp.pos++
			}
			if fp.pos == start {
				if fp.peek() == '*' {
					return nil, fp.errf(fp.pos, "wildcards inside a filter are not supported")
				}
				return nil, fp.errf(fp.pos, "expected a property name")
			}
			name := fp.src[start:fp.pos]
			fp.skipSpace()
			if fp.peek() == '(' {
				args, err := fp.args()
				if err != nil {
					return nil, err
				}
				if !knownMethods[name] {
					return nil, fp.errf(start, "method %s() is not supported", name)
				}
				e = &callExpr{recv: e, method: name, args: args}
				continue
			}
			e = &memberExpr{obj: e, name: name}
		case '[':
			open := fp.pos
			fp.pos++
			fp.skipSpace()
			var key expr
			switch c := fp.peek(); {
			case c == '\'' || c == '"':
				s, err := fp.quoted()
				if err != nil {
					return nil, err
				}
				key = &litExpr{v: strVal(s)}
			case c == '-' || c >= '0' && c <= '9':
				ns := fp.pos
				if c == '-' {
					fp.pos++
				}
				for !fp.eof() && fp.peek() >= '0' && fp.peek() <= '9' {
					fp.pos++
				}
				n, err := strconv.Atoi(fp.src[ns:fp.pos])
				if err != nil {
					return nil, fp.errf(ns, "bad index")
				}
				key = &litExpr{v: numVal(float64(n))}
			case c == '*' || c == '?':
				return nil, fp.errf(fp.pos, "wildcards and filters inside a filter are not supported")
			default:
				k, err := fp.expression()
				if err != nil {
					return nil, err
				}
				key = k
			}
			fp.skipSpace()
			if fp.peek() != ']' {
				return nil, fp.errf(open, "unclosed '[' in filter")
			}
			fp.pos++
			e = &indexExpr{obj: e, key: key}
		default:
			return e, nil
		}
	}
}

var knownMethods = map[string]bool{
	"match": true, "test": true, "includes": true, "indexOf": true, "startsWith": true,
	"endsWith": true, "toLowerCase": true, "toUpperCase": true, "trim": true, "lastIndexOf": true,
	"search": true, "hasOwnProperty": true, "some": false,
}

func (fp *filterParser) args() ([]expr, error) {
	fp.pos++ // (
	var out []expr
	fp.skipSpace()
	if fp.peek() == ')' {
		fp.pos++
		return nil, nil
	}
	for {
		e, err := fp.expression()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		fp.skipSpace()
		switch fp.peek() {
		case ',':
			fp.pos++
		case ')':
			fp.pos++
			return out, nil
		default:
			return nil, fp.errf(fp.pos, "expected ',' or ')' in arguments")
		}
	}
}

func (fp *filterParser) primary() (expr, error) {
	fp.skipSpace()
	if fp.eof() {
		return nil, fp.errf(fp.pos, "unexpected end of filter")
	}
	start := fp.pos
	c := fp.peek()
	switch {
	case c == '(':
		fp.pos++
		e, err := fp.expression()
		if err != nil {
			return nil, err
		}
		fp.skipSpace()
		if fp.peek() != ')' {
			return nil, fp.errf(start, "unclosed '('")
		}
		fp.pos++
		return e, nil
	case c == '\'' || c == '"':
		s, err := fp.quoted()
		if err != nil {
			return nil, err
		}
		return &litExpr{v: strVal(s)}, nil
	case c >= '0' && c <= '9':
		for !fp.eof() && (fp.peek() >= '0' && fp.peek() <= '9' || fp.peek() == '.' || fp.peek() == 'e' || fp.peek() == 'E') {
			fp.pos++
		}
		f, err := strconv.ParseFloat(fp.src[start:fp.pos], 64)
		if err != nil {
			return nil, fp.errf(start, "bad number")
		}
		return &litExpr{v: numVal(f)}, nil
	case c == '/':
		return fp.regexLiteral()
	case c == '@':
		fp.pos++
		name := fp.ident()
		switch name {
		case "":
			return &currentExpr{}, nil
		case "property":
			return &specialExpr{which: spProperty}, nil
		case "parentProperty":
			return &specialExpr{which: spParentProperty}, nil
		case "path":
			return &specialExpr{which: spPath}, nil
		case "parent":
			return &specialExpr{which: spParent}, nil
		case "root":
			return &specialExpr{which: spRoot}, nil
		case "string", "number", "boolean", "null", "object", "array", "integer", "scalar":
			return nil, fp.errf(start, "type selector @%s() is not supported", name)
		default:
			return nil, fp.errf(start, "unknown variable @%s", name)
		}
	case c == '$':
		fp.pos++
		if isIdentByte(fp.peek()) {
			return nil, fp.errf(start, "unknown variable")
		}
		return &specialExpr{which: spRoot}, nil
	case isIdentByte(c):
		name := fp.ident()
		switch name {
		case "true":
			return &litExpr{v: boolVal(true)}, nil
		case "false":
			return &litExpr{v: boolVal(false)}, nil
		case "null":
			return &litExpr{v: null}, nil
		case "undefined":
			return &litExpr{v: undef}, nil
		case "length", "count", "match", "search", "value":
			// RFC 9535 function extensions.
			fp.skipSpace()
			if fp.peek() != '(' {
				return nil, fp.errf(start, "unknown identifier %q", name)
			}
			args, err := fp.args()
			if err != nil {
				return nil, err
			}
			return &rfcFuncExpr{name: name, args: args, pos: start}, nil
		}
		return nil, fp.errf(start, "unknown identifier %q", name)
	}
	return nil, fp.errf(start, "unexpected %q in filter", c)
}

func (fp *filterParser) ident() string {
	start := fp.pos
	for !fp.eof() && isIdentByte(fp.peek()) {
		fp.pos++
	}
	return fp.src[start:fp.pos]
}

func (fp *filterParser) regexLiteral() (expr, error) {
	start := fp.pos
	fp.pos++
	inClass := false
	for !fp.eof() {
		c := fp.peek()
		if c == '\\' {
			fp.pos += 2
			continue
		}
		if c == '[' {
			inClass = true
		} else if c == ']' {
			inClass = false
		} else if c == '/' && !inClass {
			break
		}
		fp.pos++
	}
	if fp.eof() {
		return nil, fp.errf(start, "unterminated regular expression")
	}
	body := fp.src[start+1 : fp.pos]
	fp.pos++
	fs := fp.pos
	for !fp.eof() && fp.peek() >= 'a' && fp.peek() <= 'z' {
		fp.pos++
	}
	re, err := jsregex.Compile(body, fp.src[fs:fp.pos])
	if err != nil {
		return nil, fp.errf(start, "%v", err)
	}
	return &litExpr{v: val{k: vRegex, re: re}}, nil
}

func regexpFromString(s string) (*regexp.Regexp, error) { return jsregex.Compile(s, "") }
