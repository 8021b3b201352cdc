package specs

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

const petstore30YAML = `openapi: 3.0.3
info:
  title: Petstore
  version: 1.2.0
  description: Pets for everyone.
servers:
  - url: https://pets.example.com/v1
tags:
  - name: pets
    description: Pet operations
  - name: store
paths:
  /pets/{petId}:
    delete:
      operationId: deletePet
      tags: [pets]
      deprecated: true
      responses:
        "204": {description: gone}
    get:
      operationId: getPet
      summary: Get one pet
      tags: [pets]
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string, format: uuid}}
      responses:
        "200":
          description: the pet
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
  /pets:
    post:
      operationId: addPet
      tags: [pets]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Pet'}
      responses:
        "201": {description: created}
    get:
      operationId: listPets
      tags: [pets]
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
      responses:
        "200":
          description: pets
          headers:
            X-Next: {schema: {type: string}}
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}
components:
  schemas:
    Pet:
      type: object
      required: [id]
      properties:
        id: {type: string}
        children:
          type: array
          items: {$ref: '#/components/schemas/Pet'}
`

const petstore30JSON = `{
  "openapi": "3.0.0",
  "info": {"title": "Petstore JSON", "version": "1"},
  "paths": {
    "/pets": {
      "get": {"operationId": "listPets", "summary": "List", "responses": {"200": {"description": "ok"}}},
      "post": {"operationId": "addPet", "deprecated": true, "responses": {"201": {"description": "ok"}}}
    }
  }
}`

const petstore31YAML = `openapi: 3.1.0
info: {title: Webhooks, version: "2024-01"}
paths:
  /items:
    patch:
      operationId: patchItems
      responses: {"200": {description: ok}}
    trace:
      operationId: traceItems
      responses: {"200": {description: ok}}
    head:
      operationId: headItems
      responses: {"200": {description: ok}}
webhooks:
  newItem:
    post:
      responses: {"200": {description: ok}}
`

const petstore31JSON = `{"openapi": "3.1.1", "info": {"title": "J31", "version": "1"},
 "paths": {"/a": {"options": {"operationId": "optA", "responses": {"200": {"description": "ok"}}}}}}`

const swagger20YAML = `swagger: "2.0"
info: {title: Swagger Pets, version: "1.0"}
host: api.example.com
basePath: /v2
schemes: [https, http]
tags:
  - name: pet
paths:
  /pet/{id}:
    get:
      operationId: getPet
      tags: [pet]
      parameters:
        - {name: id, in: path, required: true, type: integer, format: int64}
      responses:
        "200":
          description: ok
          schema: {$ref: '#/definitions/Pet'}
    put:
      operationId: updatePet
      deprecated: true
      tags: [pet]
      responses:
        "200": {description: ok}
definitions:
  Pet:
    type: object
    properties:
      name: {type: string}
`

const swagger20JSON = `{"swagger": "2.0", "info": {"title": "S", "version": "1"}, "basePath": "/api",
 "paths": {"/x": {"get": {"operationId": "getX", "responses": {"200": {"description": "ok"}}}}}}`

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		input       string
		format      Format
		version     string
		family      string
		title       string
		servers     []string
		tags        []string
		endpoints   []string // "METHOD path operationId", in order
		deprecated  []string // operationIds
		wantSummary map[string]string
	}{
		{
			name: "3.0 yaml", input: petstore30YAML, format: FormatYAML, version: "3.0.3", family: FamilyOAS3_0,
			title: "Petstore", servers: []string{"https://pets.example.com/v1"}, tags: []string{"pets", "store"},
			endpoints:  []string{"GET /pets listPets", "POST /pets addPet", "GET /pets/{petId} getPet", "DELETE /pets/{petId} deletePet"},
			deprecated: []string{"deletePet"}, wantSummary: map[string]string{"getPet": "Get one pet"},
		},
		{
			name: "3.0 json", input: petstore30JSON, format: FormatJSON, version: "3.0.0", family: FamilyOAS3_0,
			title: "Petstore JSON", endpoints: []string{"GET /pets listPets", "POST /pets addPet"},
			deprecated: []string{"addPet"}, wantSummary: map[string]string{"listPets": "List"},
		},
		{
			name: "3.1 yaml", input: petstore31YAML, format: FormatYAML, version: "3.1.0", family: FamilyOAS3_1,
			title: "Webhooks", endpoints: []string{"HEAD /items headItems", "PATCH /items patchItems", "TRACE /items traceItems"},
		},
		{
			name: "3.1 json", input: petstore31JSON, format: FormatJSON, version: "3.1.1", family: FamilyOAS3_1,
			title: "J31", endpoints: []string{"OPTIONS /a optA"},
		},
		{
			name: "2.0 yaml", input: swagger20YAML, format: FormatYAML, version: "2.0", family: FamilyOAS2,
			title: "Swagger Pets", servers: []string{"https://api.example.com/v2", "http://api.example.com/v2"}, tags: []string{"pet"},
			endpoints: []string{"GET /pet/{id} getPet", "PUT /pet/{id} updatePet"}, deprecated: []string{"updatePet"},
		},
		{
			name: "path item $ref", format: FormatYAML, version: "3.0.3", family: FamilyOAS3_0, title: "t",
			endpoints: []string{"GET /a getA", "GET /b getC", "GET /c getC"},
			input: `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /c:
    get:
      operationId: getC
      responses: {"200": {description: ok}}
  /b: {$ref: '#/paths/~1c'}
  /a: {$ref: '#/components/pathItems/A'}
components:
  pathItems:
    A:
      get:
        operationId: getA
        responses: {"200": {description: ok}}
`,
		},
		{
			name: "2.0 json", input: swagger20JSON, format: FormatJSON, version: "2.0", family: FamilyOAS2,
			title: "S", servers: []string{"/api"}, endpoints: []string{"GET /x getX"},
		},
		{
			name: "utf-8 bom", input: "\uFEFF" + petstore30JSON, format: FormatJSON, version: "3.0.0", family: FamilyOAS3_0,
			title: "Petstore JSON", endpoints: []string{"GET /pets listPets", "POST /pets addPet"}, deprecated: []string{"addPet"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Parse(context.Background(), []byte(tt.input), DefaultLimits())
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if p.Format != tt.format || p.SpecVersion != tt.version || p.Family != tt.family || p.Title != tt.title {
				t.Errorf("got format %q version %q family %q title %q, want %q %q %q %q",
					p.Format, p.SpecVersion, p.Family, p.Title, tt.format, tt.version, tt.family, tt.title)
			}
			if !slices.Equal(p.Servers, tt.servers) {
				t.Errorf("servers = %q, want %q", p.Servers, tt.servers)
			}
			if !slices.Equal(p.Tags, tt.tags) {
				t.Errorf("tags = %q, want %q", p.Tags, tt.tags)
			}
			var got, deprecated []string
			for _, e := range p.Endpoints {
				got = append(got, e.Method+" "+e.Path+" "+e.OperationID)
				if e.Deprecated {
					deprecated = append(deprecated, e.OperationID)
				}
				if want, ok := tt.wantSummary[e.OperationID]; ok && e.Summary != want {
					t.Errorf("summary of %s = %q, want %q", e.OperationID, e.Summary, want)
				}
			}
			if !slices.Equal(got, tt.endpoints) {
				t.Errorf("endpoints = %q, want %q", got, tt.endpoints)
			}
			if !slices.Equal(deprecated, tt.deprecated) {
				t.Errorf("deprecated = %q, want %q", deprecated, tt.deprecated)
			}
			if p.Hash != Hash([]byte(tt.input)) || len(p.Hash) != 64 {
				t.Errorf("hash = %q, want sha256 of the raw input", p.Hash)
			}
			if len(p.Warnings) != 0 {
				t.Errorf("unexpected warnings: %v", p.Warnings)
			}
		})
	}
}

// billionLaughs is the classic alias bomb: nine levels of nine aliases, a
// few hundred bytes that expand to 9^9 strings.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("openapi: 3.0.0\ninfo: {title: lol, version: '1'}\npaths: {}\nx-lol:\n")
	b.WriteString("  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for i := 1; i < 9; i++ {
		prev, cur := string(rune('a'+i-1)), string(rune('a'+i))
		fmt.Fprintf(&b, "  %s: &%s [%s]\n", cur, cur, strings.TrimSuffix(strings.Repeat("*"+prev+",", 9), ","))
	}
	return b.String()
}

func deepJSON(n int) string {
	return `{"openapi": "3.0.0", "x": ` + strings.Repeat("[", n) + strings.Repeat("]", n) + "}"
}

func deepYAMLFlow(n int) string {
	return "openapi: 3.0.0\nx: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n"
}

func deepYAMLBlock(n int) string {
	return "openapi: 3.0.0\nx:\n  " + strings.Repeat("- ", n) + "leaf\n"
}

func deepYAMLIndented(n int) string {
	var b strings.Builder
	b.WriteString("openapi: 3.0.0\n")
	for i := range n {
		fmt.Fprintf(&b, "%sk%d:\n", strings.Repeat(" ", i), i)
	}
	fmt.Fprintf(&b, "%sleaf: 1\n", strings.Repeat(" ", n))
	return b.String()
}

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		input    string
		limits   Limits
		ctx      context.Context
		kind     ErrorKind
		line     int      // 0: not checked
		contains []string // all must appear in Error()
		limit    int64    // 0: not checked
	}{
		{name: "too large", input: petstore30YAML, limits: Limits{MaxBytes: 100}, kind: ErrTooLarge, contains: []string{"larger than the 100 bytes limit"}, limit: 100},
		{name: "invalid utf-8", input: "openapi: 3.0.0\ninfo:\n  title: caf\xe9\n", kind: ErrEncoding, line: 3, contains: []string{"line 3, column 13", "not valid UTF-8", "0xE9"}},
		{name: "utf-16", input: "\xff\xfeo\x00p\x00", kind: ErrEncoding, contains: []string{"UTF-16"}},
		{name: "empty", input: "", kind: ErrSyntax, contains: []string{"the file is empty"}},
		{name: "only whitespace", input: " \n\t\n", kind: ErrSyntax, contains: []string{"the file is empty"}},
		{name: "invalid json", input: "{\n  \"openapi\": \"3.0.0\",\n  \"info\": {\"title\": \"x\",}\n}", kind: ErrSyntax, line: 3, contains: []string{"line 3, column 25", "invalid JSON", "invalid character '}'"}},
		{name: "truncated json", input: "{\n  \"openapi\": \"3.0.0\",\n", kind: ErrSyntax, line: 3, contains: []string{"ends too early"}},
		{name: "invalid yaml", input: "openapi: 3.0.0\ninfo:\n  title: x\n  version: [1, 2\npaths: {}\n", kind: ErrSyntax, line: 5, contains: []string{"line 5", "invalid YAML"}},
		{name: "yaml tab indentation", input: "openapi: 3.0.0\ninfo:\n\ttitle: x\n", kind: ErrSyntax, line: 3, contains: []string{"line 3", "tab"}},
		{name: "duplicate yaml key", input: "openapi: 3.0.0\ninfo: {title: a, version: '1'}\ninfo: {title: b, version: '1'}\npaths: {}\n", kind: ErrSyntax, line: 3, contains: []string{`key "info" is defined twice (first at line 2)`}},
		{name: "backstage catalog-info", input: "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: petstore\nspec:\n  type: service\n", kind: ErrNotOpenAPI, line: 1, contains: []string{"Backstage catalog entity (kind: Component)", "Steward reads OpenAPI 2.0, 3.0 and 3.1"}},
		{name: "asyncapi yaml", input: "asyncapi: 2.6.0\ninfo: {title: Events, version: '1'}\nchannels: {}\n", kind: ErrNotOpenAPI, line: 1, contains: []string{"this looks like an AsyncAPI document", "Steward reads OpenAPI 2.0, 3.0 and 3.1"}},
		{name: "asyncapi json", input: `{"asyncapi": "3.0.0", "info": {"title": "E", "version": "1"}}`, kind: ErrNotOpenAPI, line: 1, contains: []string{"AsyncAPI"}},
		{name: "package.json", input: "{\n  \"name\": \"petstore\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {\"left-pad\": \"1\"}\n}", kind: ErrNotOpenAPI, line: 2, contains: []string{"npm package.json"}},
		{name: "postman collection", input: `{"info": {"_postman_id": "x", "name": "c"}, "item": []}`, kind: ErrNotOpenAPI, contains: []string{"Postman collection"}},
		{name: "kubernetes", input: "apiVersion: apps/v1\nkind: Deployment\n", kind: ErrNotOpenAPI, contains: []string{"Kubernetes-style manifest", "kind: Deployment"}},
		{name: "paths without version", input: "info: {title: x}\npaths: {}\n", kind: ErrNotOpenAPI, line: 2, contains: []string{"no `openapi` or `swagger` version field"}},
		{name: "some other yaml", input: "name: x\nreplicas: 3\n", kind: ErrNotOpenAPI, contains: []string{"found name, replicas"}},
		{name: "yaml list", input: "- a\n- b\n", kind: ErrNotOpenAPI, contains: []string{"the file is a list"}},
		{name: "plain text", input: "This is my README, not a spec.\n", kind: ErrNotOpenAPI, contains: []string{"single text value"}},
		{name: "only comments", input: "# nothing here\n", kind: ErrNotOpenAPI, contains: []string{"no content"}},
		{name: "openapi 4.0", input: "openapi: 4.0.0\ninfo: {title: x, version: '1'}\npaths: {}\n", kind: ErrNotOpenAPI, line: 1, contains: []string{"OpenAPI version 4.0.0 is not supported", "Steward reads OpenAPI 2.0, 3.0 and 3.1"}},
		{name: "openapi 3.2", input: `{"openapi": "3.2.0", "info": {"title": "x", "version": "1"}, "paths": {}}`, kind: ErrNotOpenAPI, line: 1, contains: []string{"OpenAPI version 3.2.0 is not supported"}},
		{name: "swagger 1.2", input: "swagger: \"1.2\"\napis: []\n", kind: ErrNotOpenAPI, line: 1, contains: []string{"Swagger version 1.2 is not supported"}},
		{name: "openapi 2.0", input: "openapi: \"2.0\"\npaths: {}\n", kind: ErrNotOpenAPI, contains: []string{"swagger: \"2.0\""}},
		{name: "openapi not a string", input: "openapi: {version: 3}\n", kind: ErrNotOpenAPI, contains: []string{"must be a version string"}},
		{name: "openapi and swagger", input: "openapi: 3.0.0\nswagger: '2.0'\npaths: {}\n", kind: ErrInvalid, line: 2, contains: []string{"both `openapi` (line 1) and `swagger` (line 2)"}},
		{name: "alias bomb", input: billionLaughs(), kind: ErrAliases, contains: []string{"expand to more than 1000 copies", "alias bomb"}, limit: 1000},
		{name: "recursive alias", input: "openapi: 3.0.0\nx: &a [1, *a]\n", kind: ErrAliases, line: 2, contains: []string{"alias *a is used inside its own anchor"}},
		{name: "too many anchors", input: "openapi: 3.0.0\nx: [&a 1, &b 2, &c 3]\n", limits: Limits{MaxAliases: 2}, kind: ErrAliases, line: 2, contains: []string{"more than 2 anchors (&c"}},
		{name: "alias expansions over limit", input: "openapi: 3.0.0\nx: &a [1]\ny: [*a, *a, *a]\n", limits: Limits{MaxAliases: 2}, kind: ErrAliases, line: 3, contains: []string{"more than 2 copies"}},
		{name: "deep json", input: deepJSON(10000), kind: ErrTooDeep, line: 1, contains: []string{"nesting deeper than 200 levels at line 1"}, limit: 200},
		{name: "deep json unterminated", input: `{"x": ` + strings.Repeat("[", 10000), kind: ErrTooDeep, contains: []string{"deeper than 200"}},
		{name: "deep json small limit", input: `{"a": {"b": {"c": {}}}}`, limits: Limits{MaxDepth: 3}, kind: ErrTooDeep, contains: []string{"deeper than 3 levels"}, limit: 3},
		{name: "deep yaml flow", input: deepYAMLFlow(10000), kind: ErrTooDeep, line: 2, contains: []string{"nesting deeper than 200 levels at line 2"}},
		{name: "deep yaml block sequences", input: deepYAMLBlock(10000), kind: ErrTooDeep, line: 3, contains: []string{"deeper than 200"}},
		{name: "deep yaml indentation", input: deepYAMLIndented(300), kind: ErrTooDeep, contains: []string{"deeper than 200"}},
		{name: "deep yaml small limit", input: "openapi: 3.0.0\na:\n  b:\n    c: [1]\n", limits: Limits{MaxDepth: 3}, kind: ErrTooDeep, line: 4, contains: []string{"specs: nesting deeper than 3 levels at line 4"}},
		{name: "deep through alias", input: "openapi: 3.0.0\nx: &a [[[1]]]\ny: {z: *a}\n", limits: Limits{MaxDepth: 4}, kind: ErrTooDeep, line: 3, contains: []string{"deeper than 4"}},
		{
			name: "pure ref loop", kind: ErrCircular, line: 13,
			contains: []string{"$ref loop with no schema in between: #/components/schemas/A → #/components/schemas/B → #/components/schemas/A", "line 14"},
			input: `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json: {schema: {$ref: '#/components/schemas/A'}}
components:
  schemas:
    A: {$ref: '#/components/schemas/B'}
    B: {$ref: '#/components/schemas/A'}
`,
		},
		{
			name: "self ref", kind: ErrCircular, line: 1,
			contains: []string{"#/components/schemas/Self is only a $ref to itself"},
			input:    `{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "components": {"schemas": {"Self": {"$ref": "#/components/schemas/Self"}}}}`,
		},
		{
			name: "parameter ref loop in 2.0", kind: ErrCircular, line: 5,
			contains: []string{"#/parameters/p → #/parameters/q → #/parameters/p"},
			input: `swagger: "2.0"
info: {title: t, version: "1"}
paths: {}
parameters:
  p: {$ref: '#/parameters/q'}
  q: {$ref: '#/parameters/p'}
`,
		},
		{name: "timeout", input: petstore30YAML, limits: Limits{Timeout: time.Nanosecond}, kind: ErrTimeout, contains: []string{"took longer than the 1ns limit"}},
		{name: "cancelled", input: petstore30YAML, ctx: cancelled(), kind: ErrTimeout, contains: []string{"cancelled"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			p, err := Parse(ctx, []byte(tt.input), tt.limits)
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", p)
			}
			t.Log(err)
			var perr *ParseError
			if !errors.As(err, &perr) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			if perr.Kind != tt.kind {
				t.Errorf("kind = %q, want %q (%v)", perr.Kind, tt.kind, err)
			}
			if tt.line != 0 && perr.Line() != tt.line {
				t.Errorf("line = %d, want %d (%v)", perr.Line(), tt.line, err)
			}
			for _, want := range tt.contains {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if tt.limit != 0 && perr.Limit != tt.limit {
				t.Errorf("limit = %d, want %d", perr.Limit, tt.limit)
			}
			if !strings.HasPrefix(err.Error(), "specs: ") {
				t.Errorf("error %q lacks the layer prefix", err)
			}
		})
	}
}

func TestCancelledParseUnwrapsToContextError(t *testing.T) {
	t.Parallel()
	_, err := Parse(cancelled(), []byte(petstore30YAML), DefaultLimits())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("errors.Is(%v, context.Canceled) = false", err)
	}
}

// TestHostileInputIsCheap checks that the inputs built to exhaust a parser
// are refused quickly and without building anything big.
func TestHostileInputIsCheap(t *testing.T) {
	tests := []struct {
		name  string
		input string
		kind  ErrorKind
	}{
		{"billion laughs", billionLaughs(), ErrAliases},
		{"10000 deep json", deepJSON(10000), ErrTooDeep},
		{"10000 deep yaml flow", deepYAMLFlow(10000), ErrTooDeep},
		{"10000 deep yaml block", deepYAMLBlock(10000), ErrTooDeep},
		{"100000 deep json", deepJSON(100000), ErrTooDeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := Parse(context.Background(), []byte(tt.input), DefaultLimits())
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			var perr *ParseError
			if !errors.As(err, &perr) || perr.Kind != tt.kind {
				t.Fatalf("err = %v, want kind %q", err, tt.kind)
			}
			if elapsed > 250*time.Millisecond {
				t.Errorf("took %v, want well under a second", elapsed)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
				t.Errorf("allocated %d bytes, want under 8 MB", alloc)
			}
		})
	}
}

func TestParseWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		want  []string // "line: substring"
	}{
		{
			name: "unresolved refs",
			input: `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get:
      parameters:
        - $ref: '#/components/parameters/Nope'
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Missing'}
`,
			want: []string{"7: #/components/parameters/Nope", "13: #/components/schemas/Missing"},
		},
		{
			name: "external ref",
			input: `{"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
"paths": {"/a": {"get": {"responses": {"200": {"description": "ok",
  "content": {"application/json": {"schema": {"$ref": "other.yaml#/Pet"}}}}}}}}}`,
			want: []string{`3: $ref "other.yaml#/Pet" points outside this file`},
		},
		{
			name: "required loop is a warning, not a rejection",
			input: `openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    TreeNode:
      type: object
      required: [parent]
      properties:
        parent: {$ref: '#/components/schemas/TreeNode'}
`,
			want: []string{"6: schema loop through required properties (TreeNode -> TreeNode)"},
		},
		{
			name: "2.0 unresolved definition",
			input: `swagger: "2.0"
info: {title: t, version: "1"}
paths:
  /a:
    get:
      responses:
        "200":
          description: ok
          schema: {$ref: '#/definitions/Missing'}
`,
			want: []string{"9: #/definitions/Missing"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Parse(context.Background(), []byte(tt.input), DefaultLimits())
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var got []string
			for _, w := range p.Warnings {
				got = append(got, fmt.Sprintf("%d: %s", w.Line, w.Message))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("warnings = %q, want %d like %q", got, len(tt.want), tt.want)
			}
			for i, want := range tt.want {
				line, text, _ := strings.Cut(want, ": ")
				if !strings.HasPrefix(got[i], line+": ") || !strings.Contains(got[i], text) {
					t.Errorf("warning %d = %q, want line %s mentioning %q", i, got[i], line, text)
				}
			}
		})
	}
}

func TestRecursiveSchemasAreAccepted(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, input string }{
		{"tree of nodes", `openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Node:
      type: object
      properties:
        children: {type: array, items: {$ref: '#/components/schemas/Node'}}
`},
		{"mutual recursion through properties", `openapi: 3.1.0
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Person: {type: object, properties: {employer: {$ref: '#/components/schemas/Company'}}}
    Company: {type: object, properties: {ceo: {$ref: '#/components/schemas/Person'}}}
`},
		{"alias to a ref chain that ends", `openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    A: {$ref: '#/components/schemas/B'}
    B: {$ref: '#/components/schemas/C'}
    C: {type: string}
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Parse(context.Background(), []byte(tt.input), DefaultLimits()); err != nil {
				t.Fatalf("Parse rejected a legitimate recursive schema: %v", err)
			}
		})
	}
}

// FuzzParse checks that no input panics or yields an error other than a
// *ParseError.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{petstore30YAML, petstore30JSON, petstore31YAML, swagger20YAML, billionLaughs(), deepYAMLFlow(300), "a: [", "{", "openapi: 3.0.0\nx: &a [*a]"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse(context.Background(), data, Limits{Timeout: 5 * time.Second})
		var perr *ParseError
		if err != nil && !errors.As(err, &perr) {
			t.Fatalf("error %T %v is not a *ParseError", err, err)
		}
	})
}

// TestLibraryFailuresAreContained stands in a model builder that panics or
// hangs, which a real libopenapi bug could do on some upload.
func TestLibraryFailuresAreContained(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	tests := []struct {
		name     string
		builder  func([]byte, string) (*model, *ParseError)
		limits   Limits
		kind     ErrorKind
		contains string
	}{
		{
			name:    "panic",
			builder: func([]byte, string) (*model, *ParseError) { panic("index out of range") },
			kind:    ErrInvalid, contains: "the OpenAPI library failed on this document (index out of range)",
		},
		{
			name: "hang",
			builder: func([]byte, string) (*model, *ParseError) {
				<-release
				return nil, &ParseError{Kind: ErrInvalid}
			},
			limits: Limits{Timeout: 50 * time.Millisecond},
			kind:   ErrTimeout, contains: "took longer than the 50ms limit",
		},
	}
	defer func(orig func([]byte, string) (*model, *ParseError)) { modelBuilder = orig }(modelBuilder)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			modelBuilder = tt.builder
			start := time.Now()
			_, err := Parse(context.Background(), []byte(petstore30YAML), tt.limits)
			var perr *ParseError
			if !errors.As(err, &perr) || perr.Kind != tt.kind || !strings.Contains(err.Error(), tt.contains) {
				t.Fatalf("err = %v, want kind %q mentioning %q", err, tt.kind, tt.contains)
			}
			if elapsed := time.Since(start); elapsed > time.Second {
				t.Errorf("took %v", elapsed)
			}
		})
	}
}
