package specs

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// prepassJSON checks nesting depth and syntax of a JSON document and reads
// its top-level keys, in a single iterative scan plus the standard library's
// (also iterative) validator, so hostile input never recurses on the stack.
func prepassJSON(data []byte, maxDepth int) (topLevel, *ParseError) {
	top, deepAt := scanJSON(data, maxDepth)
	if deepAt >= 0 {
		line, col := position(data, deepAt)
		perr := tooDeep(line, maxDepth)
		perr.Problems[0].Column = col
		return top, perr
	}
	if !json.Valid(data) {
		return top, jsonSyntaxError(data)
	}
	return top, nil
}

// jsonSyntaxError re-runs the standard decoder only to learn where and why
// the input is malformed; json.Valid does not say.
func jsonSyntaxError(data []byte) *ParseError {
	var raw json.RawMessage
	err := json.Unmarshal(data, &raw)
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		offset := int(syn.Offset)
		// Offset counts the bytes read, so the culprit is the byte before it,
		// except at end of input where pointing past the last byte is clearer.
		if offset > 0 && offset <= len(data) && syn.Error() != "unexpected end of JSON input" {
			offset--
		}
		line, col := position(data, offset)
		msg := strings.TrimPrefix(syn.Error(), "json: ")
		if msg == "unexpected end of JSON input" {
			msg = "the JSON ends too early (an unclosed object, array or string?)"
		}
		return reject(ErrSyntax, line, col, "invalid JSON: %s", msg)
	}
	if err == nil {
		err = errors.New("the decoder rejected it without saying why")
	}
	return reject(ErrSyntax, 0, 0, "invalid JSON: %v", err)
}

// scanJSON walks the bytes once, tracking only the nesting depth and the
// spans of the root object's values. It is lenient: json.Valid has the last
// word on syntax. It returns the offset of the first bracket past maxDepth,
// or -1.
func scanJSON(data []byte, maxDepth int) (topLevel, int) {
	var top topLevel
	depth := 0
	line := 1
	expectKey := false // at depth 1 of an object root, the next string is a key
	valueStart := -1   // start of the current root value, -1 when none pending
	current := -1      // index into top.entries of the key whose value we read

	closeValue := func(end int) {
		if current < 0 || valueStart < 0 {
			return
		}
		fillEntry(&top.entries[current], data[valueStart:end])
		current, valueStart = -1, -1
	}

	for i := 0; i < len(data); i++ {
		c := data[i]
		switch c {
		case '\n':
			line++
		case '"':
			end := skipJSONString(data, i)
			if depth == 1 && top.kind == rootMapping {
				if expectKey {
					top.entries = append(top.entries, topEntry{key: decodeJSONString(data[i:end]), line: line})
					current = len(top.entries) - 1
					expectKey = false
				} else if valueStart < 0 && current >= 0 {
					valueStart = i
				}
			}
			i = end - 1
		case '{', '[':
			depth++
			if depth > maxDepth {
				return top, i
			}
			if depth == 1 {
				if c == '{' {
					top.kind = rootMapping
					expectKey = true
				} else {
					top.kind = rootSequence
				}
			}
			if depth == 2 && valueStart < 0 && current >= 0 {
				valueStart = i
			}
		case '}', ']':
			if depth == 2 {
				closeValue(i + 1)
			}
			if depth == 1 {
				closeValue(i)
			}
			if depth > 0 {
				depth--
			}
		case ',':
			if depth == 1 {
				closeValue(i)
				expectKey = top.kind == rootMapping
			}
		case ':', ' ', '\t', '\r':
		default:
			if depth == 1 && valueStart < 0 && current >= 0 && !expectKey {
				valueStart = i
			}
		}
	}
	return top, -1
}

// skipJSONString returns the offset just past the string starting at i.
func skipJSONString(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(data)
}

func decodeJSONString(quoted []byte) string {
	if bytes.IndexByte(quoted, '\\') < 0 && len(quoted) >= 2 {
		return string(quoted[1 : len(quoted)-1])
	}
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		return string(bytes.Trim(quoted, `"`))
	}
	return s
}

// fillEntry records a root value: scalars as written, and the keys of
// "info", which is where Postman collections give themselves away.
func fillEntry(e *topEntry, raw []byte) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return
	}
	switch raw[0] {
	case '"':
		e.isScalar = true
		e.value = decodeJSONString(raw)
	case '{':
		if e.key != "info" {
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) == nil {
			for k := range m {
				e.children = append(e.children, k)
			}
		}
	case '[':
	default:
		e.isScalar = true
		e.value = string(raw)
	}
}
