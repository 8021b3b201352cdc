package ingest

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// reader walks JSON once, validating every byte it passes, while a decoder
// reads the members it needs and skips the rest. It refuses what
// encoding/json refuses, with the same messages and offsets, and decodes
// members with encoding/json's rules (keys matched to fields ignoring
// case, the last of duplicate members wins, null leaves a string field as
// it is, a member of the wrong type is an error), so that the Treblle
// decoder could leave encoding/json without senders noticing.
//
// Errors do not stop the caller: after a syntax error every read returns
// nothing and every walk ends, so decoding code reads straight through and
// asks reason at the end.
type reader struct {
	data  []byte
	pos   int
	depth int // objects and arrays open at pos

	// syntaxErr is the first syntax error, typeErr the first member of
	// the wrong type. A syntax error anywhere wins, as encoding/json
	// validated the whole input before decoding any of it.
	syntaxErr, typeErr string
}

// maxDepth is how deeply objects and arrays may nest: encoding/json's
// limit, which the Treblle decoder had before. SDKs forward request and
// response bodies as they are, and refusing an event for a deep body
// would lose a request that was made.
const maxDepth = 10000

// reason returns why the input is refused, "" when it is not.
func (r *reader) reason() string {
	if r.syntaxErr != "" {
		return r.syntaxErr
	}
	return r.typeErr
}

func (r *reader) failed() bool { return r.syntaxErr != "" }

// end refuses anything but spaces after the top-level value.
func (r *reader) end() {
	if r.valueStart(); r.pos < len(r.data) {
		r.fail("after top-level value")
	}
}

// fail records a syntax error: the byte at r.pos is not allowed in context
// (encoding/json's wording), or the input ended early. Offsets count bytes
// from 1, as encoding/json's do.
func (r *reader) fail(context string) {
	if r.pos >= len(r.data) {
		r.stop(len(r.data), "unexpected end of JSON input")
		return
	}
	r.stop(r.pos+1, "invalid character "+quoteChar(r.data[r.pos])+" "+context)
}

// failInToken is fail inside a number, literal or escape sequence, where
// encoding/json reports an input that ends early as a space it refuses.
func (r *reader) failInToken(context string) {
	if r.pos >= len(r.data) {
		r.stop(len(r.data), "invalid character ' ' "+context)
		return
	}
	r.fail(context)
}

// stop records the first syntax error and moves to the end of the input,
// which ends every walk.
func (r *reader) stop(offset int, message string) {
	if r.syntaxErr == "" {
		r.syntaxErr = fmt.Sprintf("not valid JSON at byte %d: %s", offset, message)
	}
	r.pos = len(r.data)
}

// quoteChar quotes a byte for an error message as encoding/json does.
func quoteChar(c byte) string { return strconv.QuoteRune(rune(c)) }

// mismatch records that the value at r.pos does not fit field (a dotted
// path; "" for the payload itself), and skips it.
func (r *reader) mismatch(field string) {
	if kind := kindOf(r.valueStart()); kind != "" && r.typeErr == "" {
		r.typeErr = typeMismatch(field, kind)
	}
	r.skip()
}

// typeMismatch is the reason for a value of JSON type kind where field
// holds another.
func typeMismatch(field, kind string) string {
	if field == "" {
		return fmt.Sprintf("the payload is a JSON %s, not an object", kind)
	}
	return fmt.Sprintf("%s is a JSON %s, which is not what this field holds", field, kind)
}

// kindOf names the type of the JSON value starting with c as encoding/json
// does in its errors; "" when no value starts with c (or for null, which
// fits every field).
func kindOf(c byte) string {
	switch {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "bool"
	case c == '-' || isDigit(c):
		return "number"
	}
	return ""
}

// valueStart moves past spaces and returns the byte a value starts with, 0
// at the end of the input.
func (r *reader) valueStart() byte {
	r.pos = skipSpace(r.data, r.pos)
	return r.peek()
}

func (r *reader) peek() byte {
	if r.pos < len(r.data) {
		return r.data[r.pos]
	}
	return 0
}

// enter steps into the object or array at r.pos.
func (r *reader) enter() bool {
	if r.depth == maxDepth {
		r.stop(r.pos+1, fmt.Sprintf("exceeded max depth of %d nested objects and arrays", maxDepth))
		return false
	}
	r.depth++
	r.pos++
	return true
}

// leave steps out of an object or array over its closing bracket.
func (r *reader) leave() {
	r.depth--
	r.pos++
}

// members walks the object at r.pos: it yields each member's position and
// raw key (escapes kept), with r.pos at the member's value, which the loop
// body must read or skip.
func (r *reader) members(yield func(i int, key []byte) bool) {
	if !r.enter() {
		return
	}
	if r.valueStart() == '}' {
		r.leave()
		return
	}
	for i := 0; ; i++ {
		key, ok := r.key()
		if !ok || !yield(i, key) || r.failed() {
			return
		}
		switch r.valueStart() {
		case ',':
			r.pos++
		case '}':
			r.leave()
			return
		default:
			r.fail("after object key:value pair")
			return
		}
	}
}

// key reads a member's key and the colon after it.
func (r *reader) key() ([]byte, bool) {
	if r.valueStart() != '"' {
		r.fail("looking for beginning of object key string")
		return nil, false
	}
	key := r.str()
	if r.valueStart() != ':' {
		r.fail("after object key")
		return nil, false
	}
	r.pos++
	return key, true
}

// elements walks the array at r.pos, yielding with r.pos at each element,
// which the loop body must read or skip.
func (r *reader) elements(yield func() bool) {
	if !r.enter() {
		return
	}
	if r.valueStart() == ']' {
		r.leave()
		return
	}
	for {
		if !yield() || r.failed() {
			return
		}
		switch r.valueStart() {
		case ',':
			r.pos++
		case ']':
			r.leave()
			return
		default:
			r.fail("after array element")
			return
		}
	}
}

// skip validates the value at r.pos and steps over it.
func (r *reader) skip() {
	switch r.valueStart() {
	case '{', '[':
		r.skipNested()
	case '"':
		r.str()
	case 't':
		r.skipLiteral("true")
	case 'f':
		r.skipLiteral("false")
	case 'n':
		r.skipLiteral("null")
	default:
		r.skipNumber()
	}
}

// skipNested validates the object or array at r.pos and steps over it. It
// keeps the brackets of the containers it is in on a stack rather than
// recursing, so a body nested maxDepth deep costs that many bytes, not
// that many stack frames.
func (r *reader) skipNested() {
	var inline [64]byte
	open := inline[:0]
	for {
		// r.pos is at a value: step into a container, or over a scalar.
		if c := r.valueStart(); c == '{' || c == '[' {
			if !r.enter() {
				return
			}
			open = append(open, c)
			if r.valueStart() != closing(c) {
				if c == '{' {
					if _, ok := r.key(); !ok {
						return
					}
				}
				continue
			}
			r.leave()
			open = open[:len(open)-1]
		} else if r.skip(); r.failed() {
			return
		}
		// After a value: close containers until one goes on with a comma.
		for {
			if len(open) == 0 {
				return
			}
			in := open[len(open)-1]
			c := r.valueStart()
			if c == closing(in) {
				r.leave()
				open = open[:len(open)-1]
				continue
			}
			if c != ',' {
				r.fail(afterElement(in))
				return
			}
			r.pos++
			if in == '{' {
				if _, ok := r.key(); !ok {
					return
				}
			}
			break
		}
	}
}

func closing(open byte) byte {
	if open == '{' {
		return '}'
	}
	return ']'
}

// afterElement is encoding/json's context for a bad byte after a value in
// the container that open opened.
func afterElement(open byte) string {
	if open == '{' {
		return "after object key:value pair"
	}
	return "after array element"
}

// stringStops marks the bytes that end a run of plain string content.
var stringStops = func() (t [256]bool) {
	for c := range ' ' {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// str validates the string at r.pos and steps over it, returning its
// content without the quotes, escapes kept; nil after a syntax error.
// Invalid UTF-8 is let through, as encoding/json lets it through.
func (r *reader) str() []byte {
	start := r.pos + 1
	i := start
	for {
		for i < len(r.data) && !stringStops[r.data[i]] {
			i++
		}
		r.pos = i
		switch {
		case i == len(r.data):
			r.fail("")
			return nil
		case r.data[i] == '"':
			r.pos++
			return r.data[start:i]
		case r.data[i] == '\\':
			if i = r.escape(); i < 0 {
				return nil
			}
		default:
			r.fail("in string literal")
			return nil
		}
	}
}

// escape validates the escape sequence at r.pos and returns the index
// after it, -1 after a syntax error.
func (r *reader) escape() int {
	r.pos++
	switch r.peek() {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return r.pos + 1
	case 'u':
		for range 4 {
			if r.pos++; r.pos >= len(r.data) || !isHex(r.data[r.pos]) {
				r.failInToken(`in \u hexadecimal character escape`)
				return -1
			}
		}
		return r.pos + 1
	}
	r.failInToken("in string escape code")
	return -1
}

// skipLiteral validates the literal word (true, false or null) at r.pos and
// steps over it.
func (r *reader) skipLiteral(word string) {
	for i := 1; i < len(word); i++ {
		if r.pos++; r.peek() != word[i] {
			r.failInToken("in literal " + word + " (expecting " + quoteChar(word[i]) + ")")
			return
		}
	}
	r.pos++
}

// skipNumber validates the number at r.pos by JSON's grammar,
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and steps over it.
// Anything else that is no value ends up here too, to be refused.
func (r *reader) skipNumber() {
	switch c := r.peek(); {
	case c == '-':
		r.pos++
		if !isDigit(r.peek()) {
			r.failInToken("in numeric literal")
			return
		}
	case !isDigit(c):
		r.fail("looking for beginning of value")
		return
	}
	if r.peek() == '0' {
		r.pos++
	} else {
		r.digits()
	}
	if r.peek() == '.' {
		r.pos++
		if !isDigit(r.peek()) {
			r.failInToken("after decimal point in numeric literal")
			return
		}
		r.digits()
	}
	if c := r.peek(); c == 'e' || c == 'E' {
		r.pos++
		if c := r.peek(); c == '+' || c == '-' {
			r.pos++
		}
		if !isDigit(r.peek()) {
			r.failInToken("in exponent of numeric literal")
			return
		}
		r.digits()
	}
}

func (r *reader) digits() {
	for isDigit(r.peek()) {
		r.pos++
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool {
	_, ok := hexDigit(c)
	return ok
}

// rawValue skips the value at r.pos and returns its bytes; nil after a
// syntax error.
func (r *reader) rawValue() []byte {
	r.valueStart()
	start := r.pos
	if r.skip(); r.failed() {
		return nil
	}
	return r.data[start:r.pos]
}

// The readers below decode a member the way encoding/json decoded it into
// the Go type the decoders used to declare for it.

// object reports whether the value at r.pos is an object, for a member
// encoding/json decoded into a struct: null is skipped, anything else is
// a mismatch with field.
func (r *reader) object(field string) bool {
	switch r.valueStart() {
	case '{':
		return true
	case 'n':
		r.skip()
	default:
		r.mismatch(field)
	}
	return false
}

// stringField reads a member encoding/json decoded into a Go string: a
// string sets *s (as well-formed UTF-8), null leaves it as it is, anything
// else is a mismatch with field.
func (r *reader) stringField(field string, s *string) {
	switch r.valueStart() {
	case '"':
		if content := r.str(); !r.failed() {
			*s = wellFormedText(content)
		}
	case 'n':
		r.skip()
	default:
		r.mismatch(field)
	}
}

// text reads a string that some senders write as a number (Treblle's
// "version": 0.6): a number or boolean comes back as written, null, an
// object or an array as "".
func (r *reader) text() string {
	switch r.valueStart() {
	case '"':
		return stringText(r.str())
	case 'n', '{', '[':
		r.skip()
		return ""
	}
	return string(r.rawValue())
}

// number reads a number as numberOf does.
func (r *reader) number() number {
	if raw := r.rawValue(); raw != nil {
		return numberOf(raw)
	}
	return number{}
}

// count reads the number of elements of an array; 0 for anything else.
func (r *reader) count() int {
	if r.valueStart() != '[' {
		r.skip()
		return 0
	}
	n := 0
	for range r.elements {
		n++
		r.skip()
	}
	return n
}

// headers reads a header map into f as headerFacts.UnmarshalJSON does: an
// object of strings or arrays of strings, of which the first
// MaxHeaderEntries are looked at. Anything else (PHP's [] for an empty
// map, null) is an empty map.
func (r *reader) headers(f *headerFacts) {
	if r.valueStart() != '{' {
		r.skip()
		return
	}
	for i, key := range r.members {
		k := hOther
		if i < MaxHeaderEntries {
			k = keyKind(key)
		}
		if k == hOther {
			r.skip()
			continue
		}
		switch v := r.headerValue(); {
		case v == nil:
		case k.readsValue():
			f.set(k, tokenText(v))
		default:
			f.note(k)
		}
	}
}

// headerValue reads a header's value and returns the token holding the
// text valueText would give: a string (quotes included), the first
// non-empty string of an array, a number or true as written. It returns
// nil when that text is empty: for null, false, an object, "" or an array
// without a non-empty string. Only the token the caller wants as text gets
// copied into a string.
func (r *reader) headerValue() []byte {
	switch r.valueStart() {
	case '"':
		start := r.pos
		if len(r.str()) == 0 {
			return nil
		}
		return r.data[start:r.pos]
	case '[':
		var first []byte
		for range r.elements {
			if first == nil && r.valueStart() == '"' {
				first = r.headerValue()
			} else {
				r.skip()
			}
		}
		return first
	case '{', 'n', 'f':
		r.skip()
		return nil
	}
	return r.rawValue()
}

// tokenText returns a token headerValue returned as text.
func tokenText(token []byte) string {
	if len(token) > 0 && token[0] == '"' {
		return unquote(token)
	}
	return string(token)
}

// query reads a query-string object ({"api_key": "..."}), a raw query
// string, or PHP's [] for none, into q as queryNames.UnmarshalJSON does.
func (r *reader) query(q *queryNames) {
	switch r.valueStart() {
	case '"':
		q.apiKey = queryHasKey(strings.TrimPrefix(stringText(r.str()), "?"))
	case '{':
		for i, key := range r.members {
			if i < MaxHeaderEntries && isAPIKeyParamKey(key) {
				q.apiKey = true
			}
			r.skip()
		}
	default:
		r.skip()
	}
}

// isAPIKeyParamKey is isAPIKeyParam for a raw member key (escapes kept).
func isAPIKeyParamKey(key []byte) bool {
	if bytes.IndexByte(key, '\\') >= 0 {
		return isAPIKeyParam(keyText(key))
	}
	return isAPIKeyParam(string(key)) // not kept, so not copied to the heap
}

// fieldName returns a member key as encoding/json matched it to struct
// fields, for a switch over the decoder's field names: escapes resolved
// and case folded, in lower-case ASCII, using buf. encoding/json folds
// case by Unicode's simple folding, so the Kelvin sign matches k and the
// long s matches s. It returns nil for a key that cannot name a field:
// one that is longer than buf or folds to something other than ASCII.
func fieldName(key, buf []byte) []byte {
	if bytes.IndexByte(key, '\\') >= 0 {
		key = []byte(wellFormedText(key))
	}
	name := buf[:0]
	for i := 0; i < len(key); {
		c, size := key[i], 1
		if c >= utf8.RuneSelf {
			var r rune
			r, size = utf8.DecodeRune(key[i:])
			if r = foldRune(r); r >= utf8.RuneSelf {
				return nil
			}
			c = byte(r)
		}
		if len(name) == cap(name) {
			return nil
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		name = append(name, c)
		i += size
	}
	return name
}

// foldRune returns the smallest rune of r's case-folding orbit, the
// representative encoding/json compares keys by.
func foldRune(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}
