package specs

import (
	"bytes"
	"unicode/utf8"
)

// position converts a byte offset into a 1-based line and a 1-based column
// counted in characters, because that is what editors show a person.
func position(data []byte, offset int) (line, col int) {
	if offset > len(data) {
		offset = len(data)
	}
	if offset < 0 {
		offset = 0
	}
	prefix := data[:offset]
	line = 1 + bytes.Count(prefix, []byte{'\n'})
	lineStart := bytes.LastIndexByte(prefix, '\n') + 1
	col = 1 + utf8.RuneCount(prefix[lineStart:])
	return line, col
}

// checkEncoding rejects input that is not UTF-8, pointing at the first bad
// byte; OpenAPI documents must be UTF-8 and libopenapi assumes it.
func checkEncoding(data []byte) *ParseError {
	if utf8.Valid(data) {
		return nil
	}
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return reject(ErrEncoding, 1, 1, "the file is UTF-16 encoded; save it as UTF-8 and upload it again")
	}
	offset := 0
	for offset < len(data) {
		r, size := utf8.DecodeRune(data[offset:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		offset += size
	}
	line, col := position(data, offset)
	return reject(ErrEncoding, line, col, "the file is not valid UTF-8 (unexpected byte 0x%02X); save it as UTF-8 and upload it again", data[offset])
}
