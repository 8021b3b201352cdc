// Package jsregex translates JavaScript regular expressions, which Spectral
// rulesets are written in, to Go's RE2 syntax. What RE2 cannot express
// (lookaround, backreferences) is refused with the reason, so a rule never
// runs with a pattern that means something else.
package jsregex

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Error explains why a pattern cannot be used.
type Error struct {
	Pattern string
	Pos     int
	Reason  string
	// unsupported marks valid JavaScript that RE2 cannot express, as
	// opposed to a pattern that is invalid in JavaScript too.
	unsupported bool
}

// Unsupported reports whether the pattern is valid JavaScript that Go's
// engine cannot run (lookaround, backreferences, ...).
func (e *Error) Unsupported() bool { return e.unsupported }

func (e *Error) Error() string {
	return fmt.Sprintf("regular expression /%s/: %s (at offset %d)", e.Pattern, e.Reason, e.Pos)
}

// ParseLiteral splits "/body/flags" into its parts; ok is false when s is not
// written as a literal, in which case the whole string is the body.
func ParseLiteral(s string) (body, flags string, ok bool) {
	if len(s) < 2 || s[0] != '/' {
		return s, "", false
	}
	end := strings.LastIndexByte(s, '/')
	if end <= 0 {
		return s, "", false
	}
	fl := s[end+1:]
	for _, c := range fl {
		if !strings.ContainsRune("dgimsuyv", c) {
			return s, "", false
		}
	}
	return s[1:end], fl, true
}

var cache sync.Map // string -> *regexp.Regexp or error

// Compile translates a JavaScript pattern with flags and compiles it.
func Compile(pattern, flags string) (*regexp.Regexp, error) {
	key := flags + "/" + pattern
	if v, ok := cache.Load(key); ok {
		if re, ok := v.(*regexp.Regexp); ok {
			return re, nil
		}
		return nil, v.(error)
	}
	re, err := compile(pattern, flags)
	if err != nil {
		cache.Store(key, err)
		return nil, err
	}
	cache.Store(key, re)
	return re, nil
}

// CompileSpectral compiles a pattern as Spectral's pattern function reads
// it: "/body/flags" is a literal, anything else is the body alone.
func CompileSpectral(s string) (*regexp.Regexp, error) {
	body, flags, _ := ParseLiteral(s)
	return Compile(body, flags)
}

func compile(pattern, flags string) (*regexp.Regexp, error) {
	var prefix strings.Builder
	for _, f := range flags {
		switch f {
		case 'i', 'm', 's':
			prefix.WriteRune(f)
		case 'g', 'u', 'd', 'v':
			// g and d change how matches are reported, not what matches;
			// u and v are Go's default (code points, not code units).
		case 'y':
			return nil, &Error{Pattern: pattern, Reason: "the sticky flag y is not supported", unsupported: true}
		default:
			return nil, &Error{Pattern: pattern, Reason: fmt.Sprintf("unknown flag %q", f)}
		}
	}
	body, err := translate(pattern)
	if err != nil {
		return nil, err
	}
	if prefix.Len() > 0 {
		body = "(?" + prefix.String() + ")" + body
	}
	re, err := regexp.Compile(body)
	if err != nil {
		return nil, &Error{Pattern: pattern, Reason: strings.TrimPrefix(err.Error(), "error parsing regexp: ")}
	}
	return re, nil
}

func translate(p string) (string, error) {
	var b strings.Builder
	rs := []rune(p)
	inClass := false
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '\\':
			if i+1 >= len(rs) {
				return "", &Error{Pattern: p, Pos: i, Reason: "trailing backslash"}
			}
			n := rs[i+1]
			i++
			switch {
			case n >= '1' && n <= '9' && !inClass:
				return "", &Error{Pattern: p, Pos: i - 1, Reason: "backreferences are not supported by Go's RE2 engine", unsupported: true}
			case n == 'k' && !inClass:
				return "", &Error{Pattern: p, Pos: i - 1, Reason: "named backreferences are not supported by Go's RE2 engine", unsupported: true}
			case n == 'u':
				if i+1 < len(rs) && rs[i+1] == '{' {
					end := indexRune(rs, '}', i+1)
					if end < 0 {
						return "", &Error{Pattern: p, Pos: i, Reason: "unterminated \\u{...} escape"}
					}
					fmt.Fprintf(&b, `\x{%s}`, string(rs[i+2:end]))
					i = end
				} else if i+4 < len(rs) {
					fmt.Fprintf(&b, `\x{%s}`, string(rs[i+1:i+5]))
					i += 4
				} else {
					return "", &Error{Pattern: p, Pos: i, Reason: "short \\u escape"}
				}
			case n == 'c':
				return "", &Error{Pattern: p, Pos: i - 1, Reason: "control escapes \\cX are not supported", unsupported: true}
			case n == '0':
				b.WriteString(`\x00`)
			case n == '/' || n == '-' && !inClass:
				b.WriteRune(n)
			case n == 'd' || n == 'D' || n == 'w' || n == 'W' || n == 's' || n == 'S' || n == 'b' || n == 'B':
				b.WriteRune('\\')
				b.WriteRune(n)
			case n == 'n' || n == 'r' || n == 't' || n == 'f' || n == 'v' || n == 'x':
				b.WriteRune('\\')
				b.WriteRune(n)
			case isAlnum(n):
				// JavaScript without the u flag reads an unknown escape
				// as the letter itself.
				b.WriteString(regexp.QuoteMeta(string(n)))
			default:
				b.WriteRune('\\')
				b.WriteRune(n)
			}
		case inClass:
			if c == ']' {
				inClass = false
			}
			if c == '[' {
				b.WriteString(`\[`)
				continue
			}
			b.WriteRune(c)
		case c == '[':
			if i+2 < len(rs) && rs[i+1] == '^' && rs[i+2] == ']' {
				b.WriteString(`[\s\S]`)
				i += 2
				continue
			}
			if i+1 < len(rs) && rs[i+1] == ']' {
				// [] matches nothing in JavaScript.
				b.WriteString(`[^\s\S]`)
				i++
				continue
			}
			inClass = true
			b.WriteRune(c)
			if i+1 < len(rs) && rs[i+1] == '^' {
				b.WriteRune('^')
				i++
			}
			// A leading ] is literal in RE2 but closes the class in JS;
			// JS [] is handled above, so nothing to do here.
		case c == '(':
			if i+2 < len(rs) && rs[i+1] == '?' {
				switch rs[i+2] {
				case '=', '!':
					return "", &Error{Pattern: p, Pos: i, Reason: "lookahead assertions are not supported by Go's RE2 engine", unsupported: true}
				case '<':
					if i+3 < len(rs) && (rs[i+3] == '=' || rs[i+3] == '!') {
						return "", &Error{Pattern: p, Pos: i, Reason: "lookbehind assertions are not supported by Go's RE2 engine", unsupported: true}
					}
					b.WriteString("(?P<")
					i += 2
					continue
				}
			}
			b.WriteRune(c)
		case c == '{':
			// JavaScript reads a brace that does not start a quantifier as
			// a literal brace.
			if !isQuantifier(rs, i) {
				b.WriteString(`\{`)
				continue
			}
			end := indexRune(rs, '}', i)
			b.WriteString(capRepeat(string(rs[i+1 : end])))
			i = end
		case c == '}':
			if !closesQuantifier(rs, i) {
				b.WriteString(`\}`)
				continue
			}
			b.WriteRune(c)
		default:
			b.WriteRune(c)
		}
	}
	if inClass {
		return "", &Error{Pattern: p, Pos: len(rs), Reason: "unterminated character class"}
	}
	return b.String(), nil
}

// maxRepeat is RE2's largest repetition count.
const maxRepeat = 1000

// capRepeat rewrites a {n,m} body for RE2, which refuses counts above 1000:
// a larger bound becomes open-ended, so the check gets more lenient rather
// than rejecting valid input.
func capRepeat(body string) string {
	parts := strings.SplitN(body, ",", 2)
	lo, _ := strconv.Atoi(parts[0])
	if len(parts) == 1 {
		if lo > maxRepeat {
			return fmt.Sprintf("{%d,}", maxRepeat)
		}
		return "{" + body + "}"
	}
	hi := parts[1]
	if n, err := strconv.Atoi(hi); err == nil && n > maxRepeat {
		hi = ""
	}
	if lo > maxRepeat {
		lo = maxRepeat
	}
	return fmt.Sprintf("{%d,%s}", lo, hi)
}

// ValidUnicodeMode reports whether p is a valid JavaScript pattern in
// unicode mode (the u flag), as JSON Schema's "regex" format demands: there,
// escaping a letter that has no meaning (\A, \Z, \e) is an error.
func ValidUnicodeMode(p string) bool {
	rs := []rune(p)
	depth := 0
	inClass := false
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; {
		case c == '\\':
			if i+1 >= len(rs) {
				return false
			}
			i++
			n := rs[i]
			if isAlnum(n) && !strings.ContainsRune("dDwWsSbBtnvfrcxupPk0123456789", n) {
				return false
			}
			if n == 'B' && inClass {
				return false
			}
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0 && !inClass
}

func indexRune(rs []rune, r rune, from int) int {
	for i := from; i < len(rs); i++ {
		if rs[i] == r {
			return i
		}
	}
	return -1
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// isQuantifier reports whether the brace at i starts {n}, {n,} or {n,m}.
func isQuantifier(rs []rune, i int) bool {
	j := i + 1
	digits := 0
	for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
		j++
		digits++
	}
	if digits == 0 || j >= len(rs) {
		return false
	}
	if rs[j] == '}' {
		return i > 0
	}
	if rs[j] != ',' {
		return false
	}
	j++
	for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
		j++
	}
	return j < len(rs) && rs[j] == '}' && i > 0
}

func closesQuantifier(rs []rune, i int) bool {
	j := i - 1
	for j >= 0 && (rs[j] >= '0' && rs[j] <= '9' || rs[j] == ',') {
		j--
	}
	return j >= 0 && j < i-1 && rs[j] == '{' && isQuantifier(rs, j)
}
