package jsonpath

import (
	"errors"
	"strings"
	"testing"

	"github.com/steward-governance/steward/rules/doc"
)

const sample = `{
  "openapi": "3.0.0",
  "info": {"title": "t", "contact": {}},
  "tags": [{"name": "b"}, {"name": "a", "description": "x"}],
  "paths": {
    "/users/{id}": {
      "parameters": [{"name": "id", "in": "path"}],
      "get": {"operationId": "getUser", "tags": ["a"], "responses": {"200": {"description": "ok"}, "404": {"$ref": "#/components/responses/NotFound"}}},
      "post": {"responses": {"201": {"description": "made"}}}
    }
  },
  "components": {
    "responses": {"NotFound": {"description": "missing", "headers": {"X-Rate": {"schema": {"type": "integer"}}}}},
    "schemas": {
      "A": {"type": "array", "enum": [1, "x"]},
      "B": {"type": ["string", "null"], "properties": {"type": {"type": "string"}}}
    }
  }
}`

func eval(t *testing.T, expr string, resolved bool) []string {
	t.Helper()
	root, err := doc.ParseJSON([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	d := doc.NewDocument(root)
	p, err := Compile(expr)
	if err != nil {
		t.Fatalf("compile %q: %v", expr, err)
	}
	opts := Options{}
	if resolved {
		opts.Deref = d.Deref
	}
	ms, err := p.Eval(root, opts)
	if err != nil {
		t.Fatalf("eval %q: %v", expr, err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, strings.Join(m.Path, "/"))
	}
	return out
}

func TestEval(t *testing.T) {
	tests := []struct {
		expr     string
		resolved bool
		want     []string
	}{
		{"$", false, []string{""}},
		{"$.info.title", false, []string{"info/title"}},
		{"$.tags[*].name", false, []string{"tags/0/name", "tags/1/name"}},
		{"$.tags[-1]", false, []string{"tags/1"}},
		{"$.tags[0:1]", false, []string{"tags/0"}},
		{"$.paths[*][get,post]", false, []string{"paths//users/{id}/get", "paths//users/{id}/post"}},
		{"$.paths[*][?(@property === 'get')].operationId", false, []string{"paths//users/{id}/get/operationId"}},
		{"$..[?(@ && @.type==\"array\")]", false, []string{"components/schemas/A"}},
		{`$..[?(@ && @.type && @.type.constructor.name === "Array" && @.type.includes("string"))]`, false, []string{"components/schemas/B"}},
		{"$..[?(@property !== 'properties' && @ && @.type === 'string')]", false, []string{"components/schemas/B/properties/type"}},
		{"$.tags[?(@.name.match(/^a/))]", false, []string{"tags/1"}},
		{"$.tags[?(@.name.indexOf('b') === -1)]", false, []string{"tags/1"}},
		{"$.tags[?(!@.description)]", false, []string{"tags/0"}},
		{"$.tags[?(@.description || @.name == 'b')]", false, []string{"tags/0", "tags/1"}},
		{"$.tags[?@.name == 'a']", false, []string{"tags/1"}},
		{"$..parameters[*][?(@property === 'name' && @ === 'id')]^", false, []string{"paths//users/{id}/parameters/0"}},
		{"$.paths.*~", false, []string{"paths//users/{id}"}},
		{"$..responses[404].description", true, []string{"paths//users/{id}/get/responses/404/description"}},
		{"$..responses[404].description", false, nil},
		{"$..headers", true, []string{"paths//users/{id}/get/responses/404/headers", "components/responses/NotFound/headers"}},
		{"$.tags[?(@.name.length > 0 && 'description' in @)]", false, []string{"tags/1"}},
		{"$.components.schemas[?(@.enum.length == 2)]", false, []string{"components/schemas/A"}},
		{"$.tags[?(@path.indexOf('tags') > 0)]", false, []string{"tags/0", "tags/1"}},
		{"$.tags[?(length(@.name) == 1)]", false, []string{"tags/0", "tags/1"}},
		{"$.tags[?(match(@.name, 'a'))]", false, []string{"tags/1"}},
		{"$.tags[?(@parent.length == 2)]", false, []string{"tags/0", "tags/1"}},
		// A TypeError (undefined.match) makes the filter false.
		{"$.tags[?(!@.nothing.match(/x/))]", false, nil},
	}
	for _, tt := range tests {
		got := eval(t, tt.expr, tt.resolved)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s (resolved=%v) = %q, want %q", tt.expr, tt.resolved, got, tt.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		expr string
		pos  int
	}{
		{"$.a[", 3},
		{"$.a[?(@.x =~ /a/)]", 10},
		{"$.a[?(@.x.foo())]", 10},
		{"$.a[?(@.x == 'a)]", 13},
		{"$[(@.length-1)]", 2},
		{"$..x~.y", 5},
		{"$.a[?(@.x.match(/(?=a)/))]", 16},
		{"$.a[?(@foo)]", 6},
	}
	for _, tt := range tests {
		_, err := Compile(tt.expr)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: error %v, want *Error", tt.expr, err)
			continue
		}
		if e.Pos != tt.pos {
			t.Errorf("%s: pos %d (%s), want %d", tt.expr, e.Pos, e.Msg, tt.pos)
		}
	}
}

func TestTooManyResults(t *testing.T) {
	root, _ := doc.ParseJSON([]byte(sample))
	_, err := MustCompile("$..*").Eval(root, Options{MaxResults: 5})
	if !errors.Is(err, ErrTooManyResults) {
		t.Fatalf("err = %v, want ErrTooManyResults", err)
	}
}

func TestCircularDescent(t *testing.T) {
	src := `{"a": {"$ref": "#/b"}, "b": {"next": {"$ref": "#/b"}, "v": 1}}`
	root, _ := doc.ParseJSON([]byte(src))
	d := doc.NewDocument(root)
	ms, err := MustCompile("$..v").Eval(root, Options{Deref: d.Deref})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || len(ms) > 3 {
		t.Fatalf("got %d matches", len(ms))
	}
}

// TestIndexMatchesWalk checks that "$.." answered by an Index selects what
// walking the tree selects, in the same order, filters included.
func TestIndexMatchesWalk(t *testing.T) {
	root, err := doc.ParseJSON([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	d := doc.NewDocument(root)
	for _, expr := range []string{
		"$..description", "$..[description,name]", "$..*", "$..[0]", "$..headers",
		"$..[?(@.type)]", "$..[?(@ && @.type == 'array')]", "$..[?(@.enum && @.type)]",
		"$..[?(@property === '$ref')]", "$..[?(@property == 'get' || @.in == 'path')]",
		"$..[?(@.type !== void 0)]", "$..[?(@.type != null)]", "$..[?(@['operationId'])]",
		"$..[?(@.length > 1)]", "$..[?(@.type.constructor.name === 'Array')]", "$..[?(!@.type)]",
		"$..responses..[?(@.schema)]", "$..[?(@.type === 'integer')]^", "$..enum~",
	} {
		p := MustCompile(expr)
		for _, resolved := range []bool{false, true} {
			opts := Options{}
			if resolved {
				opts.Deref = d.Deref
			}
			want, err1 := p.Eval(root, opts)
			opts.Index = NewIndex(d, resolved)
			got, err2 := p.Eval(root, opts)
			if err1 != nil || err2 != nil {
				t.Fatalf("%s: %v / %v", expr, err1, err2)
			}
			if len(got) != len(want) {
				t.Fatalf("%s (resolved %v): %d matches with the index, %d without", expr, resolved, len(got), len(want))
			}
			for i := range got {
				sameNode := got[i].Node == want[i].Node || got[i].IsKey && want[i].IsKey && got[i].Node.Value == want[i].Node.Value
				if !sameNode || strings.Join(got[i].Path, "/") != strings.Join(want[i].Path, "/") {
					t.Errorf("%s (resolved %v) match %d: %v, want %v", expr, resolved, i, got[i].Path, want[i].Path)
				}
			}
		}
	}
}
