package rules

import (
	"context"
	"strings"
	"testing"
)

// TestDocumentSchema checks oas2-schema and oas3-schema against the official
// JSON Schemas: each broken document gives the finding Spectral words the
// same way (path where the problem is, AJV's message).
func TestDocumentSchema(t *testing.T) {
	rs, err := Parse([]byte("extends: [[spectral:oas, all]]"), "all.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	const info = `"info":{"title":"t","version":"1"}`
	tests := []struct {
		name, src string
		want      []string // "code path | message"
	}{
		{"valid 3.0", `{"openapi":"3.0.3",` + info + `,"paths":{"/a":{"get":{"responses":{"200":{"description":"x"}}}}}}`, nil},
		{"valid 2.0", `{"swagger":"2.0",` + info + `,"paths":{}}`, nil},
		{"valid 3.1 without paths", `{"openapi":"3.1.0",` + info + `,"webhooks":{}}`, nil},
		{"missing title", `{"openapi":"3.0.3","info":{"version":"1"},"paths":{}}`,
			[]string{`oas3-schema info | "info" property must have required property "title".`}},
		{"unknown top-level property", `{"openapi":"3.0.3",` + info + `,"paths":{},"foo":1}`,
			[]string{`oas3-schema foo | Property "foo" is not expected to be here.`}},
		{"response without description", `{"openapi":"3.0.3",` + info + `,"paths":{"/a":{"get":{"responses":{"200":{}}}}}}`,
			[]string{`oas3-schema paths//a/get/responses/200 | "200" property must have required property "description".`}},
		{"parameter in body (3.0)", `{"openapi":"3.0.3",` + info + `,"paths":{"/a":{"get":{"parameters":[{"name":"x","in":"body","schema":{"type":"string"}}],"responses":{"200":{"description":"x"}}}}}}`,
			[]string{`oas3-schema paths//a/get/parameters/0/in | "in" property must be equal to one of the allowed values: "path", "query", "header", "cookie".`}},
		{"misspelt type, with a suggestion", `{"openapi":"3.0.3",` + info + `,"paths":{},"components":{"schemas":{"A":{"type":"strin"}}}}`,
			[]string{`oas3-schema components/schemas/A/type | "type" property must be equal to one of the allowed values: "array", "boolean", "integer", "number", "object", "string". Did you mean "string"?.`}},
		{"negative minLength", `{"openapi":"3.0.3",` + info + `,"paths":{},"components":{"schemas":{"C":{"properties":{"a":{"minLength":-1}}}}}}`,
			[]string{`oas3-schema components/schemas/C/properties/a/minLength | "minLength" property must be >= 0.`}},
		{"required not an array", `{"openapi":"3.0.3",` + info + `,"paths":{},"components":{"schemas":{"A":{"required":"a"}}}}`,
			[]string{`oas3-schema components/schemas/A/required | "required" property must be array.`}},
		{"JavaScript-invalid pattern", `{"openapi":"3.0.3",` + info + `,"paths":{},"components":{"schemas":{"A":{"pattern":"\\A[a-z]\\Z"}}}}`,
			[]string{`oas3-schema components/schemas/A/pattern | "pattern" property must match format "regex".`}},
		{"pattern with lookahead is valid", `{"openapi":"3.0.3",` + info + `,"paths":{},"components":{"schemas":{"A":{"pattern":"^(?!x)[a-z]+$"}}}}`, nil},
		{"3.0 boolean exclusiveMinimum", `{"openapi":"3.0.3",` + info + `,"paths":{},"components":{"schemas":{"A":{"minimum":1,"exclusiveMinimum":1}}}}`,
			[]string{`oas3-schema components/schemas/A/exclusiveMinimum | "exclusiveMinimum" property must be boolean.`}},
		{"a reference is not checked as a schema", `{"openapi":"3.0.3",` + info + `,"paths":{},"components":{"schemas":{"A":{"type":"string"},"B":{"$ref":"#/components/schemas/A"}}}}`, nil},
		{"swagger without paths", `{"swagger":"2.0",` + info + `}`,
			[]string{`oas2-schema  | must have required property "paths".`}},
		{"swagger unknown scheme", `{"swagger":"2.0",` + info + `,"schemes":["ftp"],"paths":{}}`,
			[]string{`oas2-schema schemes/0 | "0" property must be equal to one of the allowed values: "http", "https", "ws", "wss". Did you mean "http"?.`}},
		{"3.1 numeric exclusiveMinimum", `{"openapi":"3.1.0",` + info + `,"components":{"schemas":{"A":{"exclusiveMinimum":true}}}}`,
			[]string{`oas3-schema components/schemas/A/exclusiveMinimum | "exclusiveMinimum" property must be number.`}},
		{"3.1 path not starting with a slash", `{"openapi":"3.1.0",` + info + `,"paths":{"a":{}}}`,
			[]string{`oas3-schema paths | "paths" property must not have unevaluated properties.`}},
		{"3.1 relative $ref is fine", `{"openapi":"3.1.0",` + info + `,"paths":{"/a":{"$ref":"#/components/pathItems/A"}},"components":{"pathItems":{"A":{}}}}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := rs.LintBytes(context.Background(), []byte(tc.src), LintOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range rep.Findings {
				if strings.HasSuffix(f.Code, "-schema") {
					got = append(got, f.Code+" "+strings.Join(f.Path, "/")+" | "+f.Message)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
