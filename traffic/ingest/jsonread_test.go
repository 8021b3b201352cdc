package ingest

import (
	"encoding/json"
	"strings"
	"testing"
)

type malformedJSONTest struct {
	name, body, reason string
}

// malformedJSONTests are payloads that are not JSON, each with the reason
// DecodeTreblle gives: encoding/json's, but for nesting too deep.
func malformedJSONTests() []malformedJSONTest {
	return []malformedJSONTest{
		// Input that ends early, anywhere.
		{"empty", ``, `not valid JSON at byte 0: unexpected end of JSON input`},
		{"only spaces", " \n\t", `not valid JSON at byte 3: unexpected end of JSON input`},
		{"truncated object", `{"data":{"request":`, `not valid JSON at byte 19: unexpected end of JSON input`},
		{"truncated after key", `{"data"`, `not valid JSON at byte 7: unexpected end of JSON input`},
		{"truncated string", `{"api_key":"ab`, `not valid JSON at byte 14: unexpected end of JSON input`},
		{"truncated skipped array", `{"x":[1,[2`, `not valid JSON at byte 10: unexpected end of JSON input`},
		// encoding/json reads a token cut short as if a space followed it.
		{"truncated literal", `{"sdk":tr`, `not valid JSON at byte 9: invalid character ' ' in literal true (expecting 'u')`},
		{"truncated number", `{"sdk":-`, `not valid JSON at byte 8: invalid character ' ' in numeric literal`},
		{"truncated fraction", `{"data":{"response":{"code":1.`, `not valid JSON at byte 30: invalid character ' ' after decimal point in numeric literal`},
		{"truncated escape", `{"sdk":"\`, `not valid JSON at byte 9: invalid character ' ' in string escape code`},
		{"truncated \\u escape", `{"x":"\u00`, `not valid JSON at byte 10: invalid character ' ' in \u hexadecimal character escape`},

		// Strings.
		{"control character in a string", "{\"sdk\":\"a\tb\"}", `not valid JSON at byte 10: invalid character '\t' in string literal`},
		{"control character in a key", "{\"a\nb\":1}", `not valid JSON at byte 4: invalid character '\n' in string literal`},
		{"control character in a skipped body", "{\"data\":{\"body\":\"x\x01\"}}", `not valid JSON at byte 19: invalid character '\x01' in string literal`},
		{"NUL in a header", "{\"data\":{\"request\":{\"headers\":{\"host\":\"\x00\"}}}}", `not valid JSON at byte 40: invalid character '\x00' in string literal`},
		{"invalid escape", `{"sdk":"\x"}`, `not valid JSON at byte 10: invalid character 'x' in string escape code`},
		{"invalid escape in a skipped member", `{"other":"\a"}`, `not valid JSON at byte 12: invalid character 'a' in string escape code`},
		{"invalid escape in a header name", `{"data":{"request":{"headers":{"\'":1}}}}`, `not valid JSON at byte 34: invalid character '\'' in string escape code`},
		{"bad hex digit", `{"sdk":"\u12G4"}`, `not valid JSON at byte 13: invalid character 'G' in \u hexadecimal character escape`},
		{"single quotes", `{'x':1}`, `not valid JSON at byte 2: invalid character '\'' looking for beginning of object key string`},

		// Numbers.
		{"leading zero", `{"x":01}`, `not valid JSON at byte 7: invalid character '1' after object key:value pair`},
		{"no digit after the point", `{"x":1.}`, `not valid JSON at byte 8: invalid character '}' after decimal point in numeric literal`},
		{"no exponent digit", `{"x":1e+}`, `not valid JSON at byte 9: invalid character '}' in exponent of numeric literal`},
		{"minus alone", `{"x":[-]}`, `not valid JSON at byte 8: invalid character ']' in numeric literal`},
		{"plus sign", `{"x":+1}`, `not valid JSON at byte 6: invalid character '+' looking for beginning of value`},
		{"leading point", `{"x":.5}`, `not valid JSON at byte 6: invalid character '.' looking for beginning of value`},
		{"letters after a read number", `{"data":{"response":{"code":2x}}}`, `not valid JSON at byte 30: invalid character 'x' after object key:value pair`},
		{"hex number", `{"data":{"response":{"size":0x10}}}`, `not valid JSON at byte 30: invalid character 'x' after object key:value pair`},

		// Literals.
		{"misspelt null", `{"x":nul}`, `not valid JSON at byte 9: invalid character '}' in literal null (expecting 'l')`},
		{"misspelt false", `{"x":fals3}`, `not valid JSON at byte 10: invalid character '3' in literal false (expecting 'e')`},
		{"capitalised literal", `{"x":True}`, `not valid JSON at byte 6: invalid character 'T' looking for beginning of value`},

		// Structure.
		{"trailing comma in an object", `{"x":1,}`, `not valid JSON at byte 8: invalid character '}' looking for beginning of object key string`},
		{"trailing comma in an array", `{"data":{"errors":[1,]}}`, `not valid JSON at byte 22: invalid character ']' looking for beginning of value`},
		{"missing colon", `{"x" 1}`, `not valid JSON at byte 6: invalid character '1' after object key`},
		{"missing comma", `{"x":1 "y":2}`, `not valid JSON at byte 8: invalid character '"' after object key:value pair`},
		{"missing comma in an array", `[1 2]`, `not valid JSON at byte 4: invalid character '2' after array element`},
		{"mismatched brackets", `{"x":{"y":[1}}`, `not valid JSON at byte 13: invalid character '}' after array element`},
		{"mismatched braces", `{"x":{"y":1]}`, `not valid JSON at byte 12: invalid character ']' after object key:value pair`},
		{"byte order mark", "\xef\xbb\xbf{}", `not valid JSON at byte 1: invalid character 'ï' looking for beginning of value`},
		{"bare word", `api_key=abc`, `not valid JSON at byte 1: invalid character 'a' looking for beginning of value`},

		// Garbage after the payload.
		{"trailing word", `{} x`, `not valid JSON at byte 4: invalid character 'x' after top-level value`},
		{"second object", `{"data":{}}{}`, `not valid JSON at byte 12: invalid character '{' after top-level value`},
		{"extra brace", `{"data":1}}`, `not valid JSON at byte 11: invalid character '}' after top-level value`},
		{"after null", "null\x00", `not valid JSON at byte 5: invalid character '\x00' after top-level value`},

		// Nesting deeper than encoding/json allows, skipped or read.
		{"deep skipped member", `{"x":` + strings.Repeat("[", maxDepth), `not valid JSON at byte 10005: ` + depthReason},
		{"deep array at the top", strings.Repeat("[", maxDepth+1), `not valid JSON at byte 10001: ` + depthReason},
		{"deep errors", `{"data":{"errors":` + strings.Repeat(`[`, maxDepth-1) + strings.Repeat(`]`, maxDepth-1) + `}}`, `not valid JSON at byte 10017: ` + depthReason},
		{"deep header value", `{"data":{"request":{"headers":{"host":` + strings.Repeat(`{"a":`, maxDepth) + `}}}}`, `not valid JSON at byte 50019: ` + depthReason},
	}
}

func TestDecodeTreblleRefusesMalformedJSON(t *testing.T) {
	for _, tt := range malformedJSONTests() {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := DecodeTreblle([]byte(tt.body), testHasher)
			if err == nil {
				t.Fatal("accepted")
			}
			if got := reasonOf(t, err); got != tt.reason {
				t.Errorf("reason %q\nwant   %q", got, tt.reason)
			}
			sameAsReference(t, []byte(tt.body))
		})
	}
}

func TestDecodeTreblleRefusesMembersOfTheWrongType(t *testing.T) {
	for _, tt := range []struct{ body, reason string }{
		{`[1,2]`, "the payload is a JSON array, not an object"},
		{`"x"`, "the payload is a JSON string, not an object"},
		{`12`, "the payload is a JSON number, not an object"},
		{`false`, "the payload is a JSON bool, not an object"},
		{`{"api_key":true}`, "api_key is a JSON bool, which is not what this field holds"},
		{`{"sdk":{"name":"go"}}`, "sdk is a JSON object, which is not what this field holds"},
		{`{"data":[]}`, "data is a JSON array, which is not what this field holds"},
		{`{"data":{"request":"GET /"}}`, "data.request is a JSON string, which is not what this field holds"},
		{`{"data":{"response":200}}`, "data.response is a JSON number, which is not what this field holds"},
		{`{"data":{"request":{"method":7}}}`, "data.request.method is a JSON number, which is not what this field holds"},
		{`{"DATA":{"Request":{"User_Agent":["x"]}}}`, "data.request.user_agent is a JSON array, which is not what this field holds"},
		// The first wins; a syntax error anywhere wins over it.
		{`{"project_id":1,"sdk_token":[]}`, "project_id is a JSON number, which is not what this field holds"},
		{`{"project_id":1,"sdk_token":x}`, "not valid JSON at byte 29: invalid character 'x' looking for beginning of value"},
	} {
		_, _, err := DecodeTreblle([]byte(tt.body), testHasher)
		if err == nil {
			t.Errorf("%s: accepted", tt.body)
			continue
		}
		if got := reasonOf(t, err); got != tt.reason {
			t.Errorf("%s: reason %q\nwant %q", tt.body, got, tt.reason)
		}
		sameAsReference(t, []byte(tt.body))
	}
}

// TestDecodeTreblleDepthLimit checks both sides of the limit, counting the
// payload's own objects: nesting maxDepth deep is read, one more refused.
func TestDecodeTreblleDepthLimit(t *testing.T) {
	payload := func(bodyDepth int) []byte {
		return []byte(`{"data":{"request":{"method":"GET","timestamp":"2026-01-01 00:00:00","body":` +
			strings.Repeat("[", bodyDepth) + strings.Repeat("]", bodyDepth) + `}}}`)
	}
	if _, _, err := DecodeTreblle(payload(maxDepth-3), testHasher); err != nil {
		t.Errorf("%d levels: %v", maxDepth, err)
	}
	_, _, err := DecodeTreblle(payload(maxDepth-2), testHasher)
	if err == nil || !strings.HasSuffix(reasonOf(t, err), depthReason) {
		t.Errorf("%d levels: err = %v, want %q", maxDepth+1, err, depthReason)
	}
	sameAsReference(t, payload(maxDepth-3))
	sameAsReference(t, payload(maxDepth-2))
}

func TestDecodeStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		`"plain"`, `"\/\\\"\b\f\n\r\t"`, `"\u00e9\u20AC"`, `"\ud83d\ude00"`,
		`"\ud83d"`, `"\ude00\ud83d"`, `"\ud83d\u0041"`, `"\ud83d\ud83d\ude00"`, `"\u0000"`,
		"\"\xff\\n\"", "\"\xed\xa0\x80\\t\"", "\"a\xc3\\u0041\"", `"ſ\u212a"`,
	} {
		var want string
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		content := []byte(s[1 : len(s)-1])
		if got, ok := decodeString(content); !ok || got != want {
			t.Errorf("decodeString(%q) = %q, %v; want %q", content, got, ok, want)
		}
		if got := wellFormedText(content); got != want {
			t.Errorf("wellFormedText(%q) = %q, want %q", content, got, want)
		}
	}
	for _, bad := range []string{`\`, `\x`, `\u12`, `\u12G4`, "a\tb", `a"b`} {
		if got, ok := decodeString([]byte(bad)); ok {
			t.Errorf("decodeString(%q) = %q, want it refused", bad, got)
		}
	}
}

func TestFieldName(t *testing.T) {
	var buf [16]byte
	for key, want := range map[string]string{
		"api_key":            "api_key",
		"API_Key":            "api_key",
		`api_\u004bey`:       "api_key",
		"api_\u212aey":       "api_key", // the Kelvin sign folds to k
		"\u017fdk":           "sdk",     // and the long s to s
		"\u0130p":            "",        // İ has no simple folding to i
		"ip\xff":             "",
		"a_very_long_member": "",
	} {
		if got := string(fieldName([]byte(key), buf[:])); got != want {
			t.Errorf("fieldName(%q) = %q, want %q", key, got, want)
		}
	}
}
