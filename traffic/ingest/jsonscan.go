package ingest

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The decoders other than Treblle's let encoding/json validate and walk
// their input, and read the parts whose shape varies between senders
// (header maps, numbers written as strings) with the small scanner below,
// from inside UnmarshalJSON, where encoding/json has already checked the
// bytes are valid JSON. The scanner still checks every index: it reports,
// never panics. The Treblle decoder validates as it reads (see reader);
// both turn JSON strings into text with the functions at the end.

var errScan = errors.New("unexpected end of JSON")

// eachMember calls fn with the raw key (quotes removed, escapes kept) and
// raw value of each member of the JSON object data, in order, stopping
// after max members. Anything but an object (PHP encodes an empty map as
// []) has no members.
func eachMember(data []byte, max int, fn func(key, value []byte)) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil
	}
	i++
	for n := 0; ; n++ {
		i = skipSpace(data, i)
		if i >= len(data) {
			return errScan
		}
		if data[i] == '}' || n >= max {
			return nil
		}
		kEnd, err := skipString(data, i)
		if err != nil {
			return err
		}
		key := data[i+1 : kEnd-1]
		i = skipSpace(data, kEnd)
		if i >= len(data) || data[i] != ':' {
			return errScan
		}
		i = skipSpace(data, i+1)
		vEnd, err := skipValue(data, i)
		if err != nil {
			return err
		}
		fn(key, data[i:vEnd])
		i = skipSpace(data, vEnd)
		if i >= len(data) {
			return errScan
		}
		switch data[i] {
		case ',':
			i++
		case '}':
			return nil
		default:
			return errScan
		}
	}
}

// eachElement calls fn with each raw element of the JSON array data.
// Anything but an array has no elements.
func eachElement(data []byte, fn func(value []byte)) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return nil
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return nil
	}
	for {
		i = skipSpace(data, i)
		end, err := skipValue(data, i)
		if err != nil {
			return err
		}
		fn(data[i:end])
		i = skipSpace(data, end)
		if i >= len(data) {
			return errScan
		}
		switch data[i] {
		case ',':
			i++
		case ']':
			return nil
		default:
			return errScan
		}
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the string starting at data[i].
func skipString(data []byte, i int) (int, error) {
	if i >= len(data) || data[i] != '"' {
		return 0, errScan
	}
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1, nil
		}
	}
	return 0, errScan
}

// skipValue returns the index just past the value starting at data[i],
// walking nested objects and arrays without recursion.
func skipValue(data []byte, i int) (int, error) {
	if i >= len(data) {
		return 0, errScan
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				end, err := skipString(data, i)
				if err != nil {
					return 0, err
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return 0, errScan
	}
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i, nil
		}
		i++
	}
	return i, nil
}

// unquote returns the text of the raw JSON string s (quotes included), as
// stringText reads it; "" when s is not a JSON string.
func unquote(s []byte) string {
	if len(s) < 2 || s[0] != '"' {
		return ""
	}
	return stringText(s[1 : len(s)-1])
}

// keyText returns a raw member key (no quotes) as text.
func keyText(key []byte) string { return stringText(key) }

// valueText returns a header-ish value as text: a string, the first
// string of an array (as Node and Kong write repeated headers), or a
// number or true as written; "" for null, false, objects and empty arrays.
func valueText(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		return unquote(raw)
	case '[':
		var first string
		_ = eachElement(raw, func(v []byte) {
			if first == "" && len(v) > 0 && v[0] == '"' {
				first = unquote(v)
			}
		})
		return first
	case '{', 'n', 'f':
		return ""
	}
	return string(raw)
}

// number is a JSON number that senders also write as a string ("200",
// "0.005") or leave out ("", "-", null). Decoding never fails: a value that
// is no number sets bad, so the decoder can name the field in its error.
type number struct {
	v   float64
	ok  bool
	bad bool
}

func (n *number) UnmarshalJSON(b []byte) error {
	*n = numberOf(b)
	return nil
}

// numberOf reads the raw JSON value b (of any type) as a number.
func numberOf(b []byte) number {
	s := b
	if len(s) > 0 && s[0] == '"' {
		if len(s) >= 2 && bytes.IndexByte(s, '\\') < 0 {
			s = s[1 : len(s)-1] // unquote's text, without copying
		} else {
			s = []byte(unquote(s))
		}
	}
	s = bytes.TrimSpace(s)
	if len(s) == 0 || string(s) == "-" || string(s) == "null" {
		return number{}
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil || f != f || f > 1e300 || f < -1e300 {
		return number{bad: true}
	}
	return number{v: f, ok: true}
}

// stringText returns the text of a JSON string's content (quotes
// removed): the bytes as sent when there is no escape, else what
// encoding/json decodes, which also replaces invalid UTF-8. It is how
// header maps, numbers and the Treblle text members have always been
// read; "" when the content is not a JSON string's.
func stringText(content []byte) string {
	if bytes.IndexByte(content, '\\') < 0 {
		return string(content)
	}
	s, _ := decodeString(content)
	return s
}

// wellFormedText returns the text of a JSON string's content as
// encoding/json decodes it into a Go string: escapes resolved, and every
// byte of invalid UTF-8 replaced by U+FFFD.
func wellFormedText(content []byte) string {
	if bytes.IndexByte(content, '\\') < 0 && utf8.Valid(content) {
		return string(content)
	}
	s, _ := decodeString(content)
	return s
}

// decodeString resolves the escapes of a JSON string's content and
// replaces each byte of invalid UTF-8, and each \u escape of a surrogate
// that is not half of a pair, with U+FFFD, as encoding/json does. ok is
// false when content is not a JSON string's: a bad escape, a control
// character or a bare quote.
func decodeString(content []byte) (s string, ok bool) {
	var b strings.Builder
	b.Grow(len(content))
	for i := 0; i < len(content); {
		switch c := content[i]; {
		case c == '\\':
			r, n := unescape(content[i:])
			if n == 0 {
				return "", false
			}
			b.WriteRune(r)
			i += n
		case c == '"' || c < ' ':
			return "", false
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			i++
		default:
			r, n := utf8.DecodeRune(content[i:])
			b.WriteRune(r) // utf8.RuneError for an invalid byte
			i += n
		}
	}
	return b.String(), true
}

// unescape returns the character the escape sequence at the start of s
// stands for and the sequence's length, 0 when it is not one. A \u escape
// of a high surrogate takes the low surrogate escape after it along.
func unescape(s []byte) (rune, int) {
	if len(s) < 2 {
		return 0, 0
	}
	switch s[1] {
	case '"', '\\', '/', '\'':
		return rune(s[1]), 2
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
		r := hexEscape(s)
		if r < 0 {
			return 0, 0
		}
		if !utf16.IsSurrogate(r) {
			return r, 6
		}
		if pair := utf16.DecodeRune(r, hexEscape(s[6:])); pair != utf8.RuneError {
			return pair, 12
		}
		return utf8.RuneError, 6
	}
	return 0, 0
}

// hexEscape returns the code unit of the \uXXXX escape at the start of s,
// -1 when s does not start with one.
func hexEscape(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		d, ok := hexDigit(c)
		if !ok {
			return -1
		}
		r = r<<4 | d
	}
	return r
}

func hexDigit(c byte) (rune, bool) {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0'), true
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10), true
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10), true
	}
	return 0, false
}
