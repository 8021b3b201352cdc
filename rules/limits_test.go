package rules

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/rules/doc"
)

// fanOutSpec is an OpenAPI document whose schemas S0 ... S(depth-1) each
// reference the next one twice, so that copying every $ref in place makes
// 2^depth copies of the last one. lastExtra is written into the last
// schema, s0Extra into the first (both JSON members, or "").
func fanOutSpec(depth int, s0Extra, lastExtra string) []byte {
	var b strings.Builder
	b.WriteString(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"ok",` +
		`"content":{"application/json":{"schema":{"$ref":"#/components/schemas/S0"}}}}}}}},"components":{"schemas":{`)
	for i := 0; i < depth-1; i++ {
		extra := ""
		if i == 0 && s0Extra != "" {
			extra = "," + s0Extra
		}
		fmt.Fprintf(&b, `"S%d":{"type":"object","properties":{"left":{"$ref":"#/components/schemas/S%d"},"right":{"$ref":"#/components/schemas/S%d"}}%s},`, i, i+1, i+1, extra)
	}
	extra := ""
	if lastExtra != "" {
		extra = "," + lastExtra
	}
	fmt.Fprintf(&b, `"S%d":{"type":"object"%s}}}}`, depth-1, extra)
	return []byte(b.String())
}

// everywhereSchema is a schema function rule on the whole document that
// looks at every object in it, however deep: none may have x-secret.
const everywhereSchema = `rules:
  r:
    given: $
    severity: error
    then:
      function: schema
      functionOptions:
        schema:
          $ref: "#/definitions/node"
          definitions:
            node:
              not: {type: object, required: [x-secret]}
              additionalProperties: {$ref: "#/definitions/node"}
              items: {$ref: "#/definitions/node"}
`

// rootSchema is a schema function rule on the whole document with the
// given schema (one line of YAML flow).
func rootSchema(schema string) string {
	return "rules:\n  r:\n    given: $\n    severity: error\n    then:\n      function: schema\n      functionOptions:\n        schema: " + schema + "\n"
}

// TestSchemaFunctionOnSharedRefs runs the schema function over documents
// whose $refs fan out: a copy with every $ref in place would have up to
// 2^30 copies of a schema (hundreds of gigabytes). The rule gives its
// findings, or fails with a clear rule error, with the work and memory of
// the document's own size.
func TestSchemaFunctionOnSharedRefs(t *testing.T) {
	tests := []struct {
		name     string
		ruleset  string
		src      []byte
		maxNodes int
		want     []string // "path | message" of the findings
		wantErr  string   // the rule error, if any
	}{
		{
			name:    "keys of the root only, 2^30 copies below",
			ruleset: rootSchema("{type: object, required: [openapi, x-owner]}"),
			src:     fanOutSpec(30, "", ""),
			want:    []string{` | Must have required property "x-owner"`},
		},
		{
			name:    "two levels down, 2^30 copies below",
			ruleset: rootSchema("{properties: {components: {properties: {schemas: {required: [S0, Pet]}}}}}"),
			src:     fanOutSpec(30, "", ""),
			want:    []string{`components/schemas | "schemas" property must have required property "Pet"`},
		},
		{
			name:    "everywhere, 2^30 copies",
			ruleset: everywhereSchema,
			src:     fanOutSpec(30, "", `"x-secret":true`),
			wantErr: "rule r: spec too large to evaluate rule r: more than 1000000 nodes after resolving $ref",
		},
		{
			name:    "everywhere, 2^8 copies, within the limit",
			ruleset: everywhereSchema,
			src:     fanOutSpec(8, "", `"x-secret":true`),
			want:    []string{`components/schemas/S7 | "left" property must not be valid`},
		},
		{
			name:     "everywhere, 2^8 copies, over a lower limit",
			ruleset:  everywhereSchema,
			src:      fanOutSpec(8, "", `"x-secret":true`),
			maxNodes: 100,
			wantErr:  "rule r: spec too large to evaluate rule r: more than 100 nodes after resolving $ref",
		},
		{
			name:    "an example whose schema inlines to 2^30 copies",
			ruleset: "extends: [[spectral:oas, off]]\nrules:\n  oas3-valid-schema-example: true\n",
			src:     fanOutSpec(30, `"example":{}`, ""),
			wantErr: "rule oas3-valid-schema-example: spec too large to evaluate rule oas3-valid-schema-example: more than 100000 nodes after resolving $ref",
		},
		{
			name:    "an example whose schema inlines to 2^8 copies",
			ruleset: "extends: [[spectral:oas, off]]\nrules:\n  oas3-valid-schema-example: true\n",
			src:     fanOutSpec(8, `"example":{"left":{"left":5}}`, ""),
			want:    []string{`components/schemas/S0/example/left/left | "left" property type must be object`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := Parse([]byte(tt.ruleset), "r.yaml", nil)
			if err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			rep, err := rs.LintBytes(context.Background(), tt.src, LintOptions{MaxResolvedNodes: tt.maxNodes})
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range rep.Findings {
				got = append(got, strings.Join(f.Path, "/")+" | "+f.Message)
			}
			// Both properties of a fan-out schema fail alike; the JSON
			// Schema library names whichever it checked first, in map
			// order, so either side is the same finding.
			sides := strings.NewReplacer(`"right" property`, `"left" property`)
			if sides.Replace(strings.Join(got, "\n")) != sides.Replace(strings.Join(tt.want, "\n")) {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			var errs []string
			for _, e := range rep.RuleErrors {
				errs = append(errs, e.Error())
			}
			if strings.Join(errs, "\n") != tt.wantErr {
				t.Errorf("rule errors = %q, want %q", errs, tt.wantErr)
			}
			if tt.wantErr != "" {
				var tl *doc.TooLargeError
				if !errors.As(rep.RuleErrors[0].Err, &tl) {
					t.Errorf("rule error %v does not wrap a *doc.TooLargeError", rep.RuleErrors[0].Err)
				}
			}
			// Copying 2^30 schemas would allocate hundreds of gigabytes;
			// the document itself is a few kilobytes.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 512<<20 {
				t.Errorf("allocated %d MB", alloc>>20)
			}
		})
	}
}

// TestSchemaFunctionFollowsCycles checks that recursive schemas are still
// followed through, and cut where they come back.
func TestSchemaFunctionFollowsCycles(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // paths of the findings
	}{
		{
			name: "self reference",
			src: `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{
"Node":{"type":"object","x-secret":1,"properties":{"next":{"$ref":"#/components/schemas/Node"}}}}}}`,
			want: []string{"components/schemas/Node"},
		},
		{
			name: "mutual references",
			src: `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{
"A":{"type":"object","properties":{"b":{"$ref":"#/components/schemas/B"},"a":{"$ref":"#/components/schemas/A"}}},
"B":{"type":"object","properties":{"a":{"$ref":"#/components/schemas/A"}},"x-secret":1}}}}`,
			want: []string{"components/schemas/B"},
		},
		{
			name: "references to references",
			src: `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{
"A":{"$ref":"#/components/schemas/B"},"B":{"$ref":"#/components/schemas/A"},
"C":{"items":{"$ref":"#/components/schemas/C"}}}}}`,
		},
	}
	rs, err := Parse([]byte(everywhereSchema), "r.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := rs.LintBytes(context.Background(), []byte(tt.src), LintOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range rep.RuleErrors {
				t.Error(e)
			}
			var got []string
			for _, f := range rep.Findings {
				got = append(got, strings.Join(f.Path, "/"))
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("findings at %q, want %q", got, tt.want)
			}
		})
	}
}

// hugeSpec is an OpenAPI document of n paths, each with an operation,
// about 15 nodes per path.
func hugeSpec(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"/p%d":{"get":{"operationId":"op%d","tags":["t"],"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"type":"string"}}}}}}}`, i, i)
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

// TestLintStopsAtDeadline checks that Lint returns soon after its context
// ends, with ErrTimeout and an incomplete report, whether the rule still
// running looks at the context (a long conversion) or not (a function
// that never returns until released).
func TestLintStopsAtDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	register(&Function{Name: "testWaitsForRelease", prepare: noOptions, run: func(*Call) []Result {
		<-release
		return nil
	}})
	defer delete(registry, "testWaitsForRelease")

	huge, err := doc.ParseDocument(hugeSpec(60_000))
	if err != nil {
		t.Fatal(err)
	}
	small, err := doc.ParseDocument(fanOutSpec(3, "", ""))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		ruleset string
		doc     *doc.Document
	}{
		{"a function that ignores the context", "rules:\n  stuck:\n    given: $\n    then: {function: testWaitsForRelease}\n", small},
		{"converting a huge document", everywhereSchema, huge},
		{"a rule with many matches", "rules:\n  all:\n    given: $..*\n    then: {function: schema, functionOptions: {schema: {not: {const: 0}}}}\n", huge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := Parse([]byte(tt.ruleset), "r.yaml", nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			type result struct {
				rep *Report
				err error
			}
			done := make(chan result, 1)
			go func() {
				rep, err := rs.Lint(ctx, tt.doc, LintOptions{MaxResolvedNodes: 1 << 40, MaxResults: 1 << 30})
				done <- result{rep, err}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("Lint did not return after its deadline")
			}
			if !errors.Is(r.err, ErrTimeout) {
				t.Fatalf("err = %v, want ErrTimeout", r.err)
			}
			if r.rep == nil || !r.rep.Incomplete {
				t.Fatalf("report = %+v, want Incomplete", r.rep)
			}
		})
	}
}

// TestExampleSchemasCompileOnce checks that schemas which differ only in
// their examples, and schemas two rules both check, are compiled once per
// lint run: compiling is most of what example rules cost.
func TestExampleSchemasCompileOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{`)
	const ops = 40
	for i := 0; i < ops; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"/p%d":{"get":{"parameters":[{"name":"n","in":"query","example":%d,"schema":{"type":"integer","minimum":1,"example":%d}}],"responses":{"200":{"description":"ok"}}}}`, i, i, i)
	}
	b.WriteString(`}}`)
	rs, err := Parse([]byte("extends: [[spectral:oas, off]]\nrules:\n  oas3-valid-schema-example: true\n  oas3-valid-media-example: true\n"), "r.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	before := schemaSeq.Load()
	rep, err := rs.LintBytes(context.Background(), []byte(b.String()), LintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if compiled := schemaSeq.Load() - before; compiled != 1 {
		t.Errorf("compiled %d schemas, want 1", compiled)
	}
	// Example 0 is below the minimum, as the parameter and as the schema.
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.Code+" "+strings.Join(f.Path, "/"))
	}
	want := []string{"oas3-valid-media-example paths//p0/get/parameters/0/example", "oas3-valid-schema-example paths//p0/get/parameters/0/schema/example"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSchemaReach checks how deep the schema function converts its
// target for a schema.
func TestSchemaReach(t *testing.T) {
	tests := []struct {
		schema string
		want   int
	}{
		{`true`, -1},
		{`{}`, -1},
		{`{"type":"object"}`, 0},
		{`{"type":"object","anyOf":[{"required":["a"]},{"required":["b"]}]}`, 0},
		{`{"propertyNames":{"pattern":"^x"}}`, 0},
		{`{"additionalProperties":false}`, 0},
		{`{"properties":{"a":{"type":"string"}}}`, 1},
		{`{"items":{"properties":{"a":{"minLength":1}}}}`, 2},
		{`{"items":[{"type":"string"},{"items":{"type":"string"}}]}`, 2},
		{`{"not":{"properties":{"type":{"const":"integer"}}}}`, reachAll},
		{`{"enum":["a"]}`, reachAll},
		{`{"uniqueItems":true}`, reachAll},
		{`{"uniqueItems":false}`, -1},
		{`{"$ref":"#/definitions/x","definitions":{"x":{}}}`, reachAll},
		{`{"if":{"properties":{"a":{"type":"string"}}},"then":{"required":["b"]}}`, 1},
		{`{"dependentSchemas":{"a":{"properties":{"b":{"contains":{"type":"string"}}}}}}`, 2},
	}
	for _, tt := range tests {
		n, err := doc.Parse([]byte(tt.schema))
		if err != nil {
			t.Fatal(err)
		}
		if got := schemaReach(n); got != tt.want {
			t.Errorf("schemaReach(%s) = %d, want %d", tt.schema, got, tt.want)
		}
	}
}
