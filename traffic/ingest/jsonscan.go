package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
)

// The decoders let encoding/json validate and walk the envelope, and read
// the parts whose shape varies between senders (header maps, numbers
// written as strings) with the small scanner below, from inside
// UnmarshalJSON, where encoding/json has already checked the bytes are
// valid JSON. The scanner still checks every index: it reports, never
// panics.

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

// unquote returns the text of the raw JSON string s (quotes included).
func unquote(s []byte) string {
	if len(s) < 2 || s[0] != '"' {
		return ""
	}
	if bytes.IndexByte(s, '\\') < 0 {
		return string(s[1 : len(s)-1])
	}
	var v string
	if json.Unmarshal(s, &v) != nil {
		return ""
	}
	return v
}

// keyText returns a raw member key (no quotes) as text.
func keyText(key []byte) string {
	if bytes.IndexByte(key, '\\') < 0 {
		return string(key)
	}
	q := make([]byte, 0, len(key)+2)
	q = append(append(append(q, '"'), key...), '"')
	return unquote(q)
}

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
	*n = number{}
	s := b
	if len(s) > 0 && s[0] == '"' {
		s = []byte(unquote(s))
	}
	s = bytes.TrimSpace(s)
	if len(s) == 0 || string(s) == "-" || string(s) == "null" {
		return nil
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil || f != f || f > 1e300 || f < -1e300 {
		n.bad = true
		return nil
	}
	n.v, n.ok = f, true
	return nil
}

// text is a JSON string that some senders write as a number (Treblle's
// "version": 0.6) or null.
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '"':
		*t = text(unquote(b))
	case string(b) == "null" || len(b) == 0 || b[0] == '{' || b[0] == '[':
		*t = ""
	default:
		*t = text(b)
	}
	return nil
}

// count is the number of elements of a JSON array; 0 for anything else.
type count int

func (c *count) UnmarshalJSON(b []byte) error {
	n := 0
	err := eachElement(b, func([]byte) { n++ })
	*c = count(n)
	return err
}
