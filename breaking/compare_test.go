package breaking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// corpusDir holds the real specs shared by the whole project.
var corpusDir = filepath.Join("..", "..", "shared", "corpus", "specs")

// readCorpus returns a corpus spec's bytes, skipping the test when the
// corpus is not checked out next to the repository.
func readCorpus(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("spec corpus not found at %s (shared/corpus is laid beside the repository)", corpusDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// spec is a decoded JSON document that tests mutate.
type spec map[string]any

func decodeCorpus(t testing.TB, name string) spec {
	t.Helper()
	var s spec
	if err := json.Unmarshal(readCorpus(t, name), &s); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return s
}

// clone deep-copies the document so each case mutates its own.
func (s spec) clone(t testing.TB) spec {
	t.Helper()
	var c spec
	if err := json.Unmarshal(s.bytes(t), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// bytes encodes the document indented, one element a line, like a real file.
func (s spec) bytes(t testing.TB) []byte {
	t.Helper()
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// obj walks down object keys; a missing key fails the test.
func (s spec) obj(t testing.TB, keys ...string) map[string]any {
	t.Helper()
	cur := map[string]any(s)
	for _, k := range keys {
		next, ok := cur[k].(map[string]any)
		if !ok {
			t.Fatalf("no object at %q in path %v", k, keys)
		}
		cur = next
	}
	return cur
}

func (s spec) params(t testing.TB, path, method string) []any {
	t.Helper()
	params, _ := s.obj(t, "paths", path, method)["parameters"].([]any)
	return params
}

func (s spec) setParams(t testing.TB, path, method string, params []any) {
	t.Helper()
	s.obj(t, "paths", path, method)["parameters"] = params
}

// mutation is one edit to a real spec and what it must be classified as.
type mutation struct {
	name      string
	mutate    func(t testing.TB, s spec)
	id        string // a change with this check id must be reported...
	level     Level  // ...at this level...
	operation string // ...on this operation
	worst     Level
	old, new  string // expected location pointers of that change; "" = absent
}

func findChange(r Report, id, operation string) (Change, bool) {
	for _, c := range r.Changes {
		if c.ID == id && c.Operation == operation {
			return c, true
		}
	}
	return Change{}, false
}

func runMutations(t *testing.T, base spec, cases []mutation) {
	t.Helper()
	oldBytes := base.bytes(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			changed := base.clone(t)
			tc.mutate(t, changed)
			r, err := Compare(context.Background(), oldBytes, changed.bytes(t))
			if err != nil {
				t.Fatalf("Compare: %v", err)
			}
			c, ok := findChange(r, tc.id, tc.operation)
			if !ok {
				t.Fatalf("no %s change on %q; got:\n%s", tc.id, tc.operation, dump(r))
			}
			if c.Level != tc.level {
				t.Errorf("%s level = %v, want %v", tc.id, c.Level, tc.level)
			}
			if r.Worst() != tc.worst {
				t.Errorf("Worst() = %v, want %v; changes:\n%s", r.Worst(), tc.worst, dump(r))
			}
			if c.Text == "" {
				t.Error("change has no text")
			}
			checkLocation(t, "old", c.Old, tc.old)
			checkLocation(t, "new", c.New, tc.new)
		})
	}
}

func checkLocation(t *testing.T, side string, got Location, wantPath string) {
	t.Helper()
	if got.Path != wantPath {
		t.Errorf("%s location path = %q, want %q", side, got.Path, wantPath)
	}
	if wantPath != "" && got.Line <= 0 {
		t.Errorf("%s location %q has no line", side, got.Path)
	}
}

func dump(r Report) string {
	var b strings.Builder
	_ = Format(&b, r, FormatText)
	return b.String()
}

// TestCompareOpenAPI30 edits the OpenAPI 3.0 Petstore from the corpus the way
// real revisions do and checks each edit's classification and location.
func TestCompareOpenAPI30(t *testing.T) {
	base := decodeCorpus(t, "readme-oas30__petstore.json")
	runMutations(t, base, []mutation{
		{
			name:      "removed operation",
			mutate:    func(t testing.TB, s spec) { delete(s.obj(t, "paths", "/store/order/{orderId}"), "get") },
			id:        "api-removed-without-deprecation",
			level:     Breaking,
			operation: "GET /store/order/{orderId}",
			worst:     Breaking,
			old:       "/paths/~1store~1order~1{orderId}/get",
		},
		{
			name: "new required query parameter",
			mutate: func(t testing.TB, s spec) {
				s.setParams(t, "/pet/findByTags", "get", append(s.params(t, "/pet/findByTags", "get"),
					map[string]any{"name": "limit", "in": "query", "required": true, "schema": map[string]any{"type": "integer"}}))
			},
			id:        "new-required-request-parameter",
			level:     Breaking,
			operation: "GET /pet/findByTags",
			worst:     Breaking,
			old:       "/paths/~1pet~1findByTags/get", // the operation that gained it
			new:       "/paths/~1pet~1findByTags/get/parameters/1",
		},
		{
			name: "narrowed request enum",
			mutate: func(t testing.TB, s spec) {
				items := s.params(t, "/pet/findByStatus", "get")[0].(map[string]any)["schema"].(map[string]any)["items"].(map[string]any)
				items["enum"] = []any{"available", "pending"}
			},
			id:        "request-parameter-property-enum-value-removed",
			level:     Breaking,
			operation: "GET /pet/findByStatus",
			worst:     Breaking,
			old:       "/paths/~1pet~1findByStatus/get/parameters/0/schema/items/enum/2",
			new:       "/paths/~1pet~1findByStatus/get",
		},
		{
			name: "changed property type",
			mutate: func(t testing.TB, s spec) {
				s.obj(t, "components", "schemas", "Pet", "properties", "name")["type"] = "integer"
			},
			id:        "response-property-type-changed",
			level:     Breaking,
			operation: "GET /pet/{petId}",
			worst:     Breaking,
			old:       "/components/schemas/Pet/properties/name/type",
			new:       "/components/schemas/Pet/properties/name/type",
		},
		{
			name: "removed required response property",
			mutate: func(t testing.TB, s spec) {
				pet := s.obj(t, "components", "schemas", "Pet")
				delete(pet["properties"].(map[string]any), "name")
				pet["required"] = []any{"photoUrls"}
			},
			id:        "response-required-property-removed",
			level:     Breaking,
			operation: "GET /pet/{petId}",
			worst:     Breaking,
			old:       "/components/schemas/Pet/properties/name",
			new:       "/paths/~1pet~1{petId}/get",
		},
		{
			// An optional field may be absent anyway, so clients reading it
			// cope; clients still sending it in a request may not.
			name: "removed optional response property",
			mutate: func(t testing.TB, s spec) {
				delete(s.obj(t, "components", "schemas", "Pet", "properties"), "tags")
			},
			id:        "response-optional-property-removed",
			level:     Info,
			operation: "GET /pet/{petId}",
			worst:     Warning, // request-property-removed on POST /pet
			old:       "/components/schemas/Pet/properties/tags",
			new:       "/paths/~1pet~1{petId}/get",
		},
		{
			name: "new optional query parameter",
			mutate: func(t testing.TB, s spec) {
				s.setParams(t, "/pet/findByTags", "get", append(s.params(t, "/pet/findByTags", "get"),
					map[string]any{"name": "limit", "in": "query", "schema": map[string]any{"type": "integer"}}))
			},
			id:        "new-optional-request-parameter",
			level:     Info,
			operation: "GET /pet/findByTags",
			worst:     Info,
			old:       "/paths/~1pet~1findByTags/get",
			new:       "/paths/~1pet~1findByTags/get/parameters/1",
		},
		{
			name: "new endpoint",
			mutate: func(t testing.TB, s spec) {
				s.obj(t, "paths")["/pet/count"] = map[string]any{
					"get": map[string]any{"responses": map[string]any{"200": map[string]any{"description": "count"}}},
				}
			},
			id:        "endpoint-added",
			level:     Info,
			operation: "GET /pet/count",
			worst:     Info,
			new:       "/paths/~1pet~1count/get",
		},
	})
}

// TestCompareSwagger20 checks that Swagger 2.0 revisions are compared too;
// the library has no line numbers for them, so changes are placed at their
// operation.
func TestCompareSwagger20(t *testing.T) {
	base := decodeCorpus(t, "readme-oas20__petstore.json")
	runMutations(t, base, []mutation{
		{
			name:      "removed operation",
			mutate:    func(t testing.TB, s spec) { delete(s.obj(t, "paths", "/store/order/{orderId}"), "get") },
			id:        "api-removed-without-deprecation",
			level:     Breaking,
			operation: "GET /store/order/{orderId}",
			worst:     Breaking,
			old:       "/paths/~1store~1order~1{orderId}/get",
		},
		{
			name: "new required query parameter",
			mutate: func(t testing.TB, s spec) {
				s.setParams(t, "/pet/findByTags", "get", append(s.params(t, "/pet/findByTags", "get"),
					map[string]any{"name": "limit", "in": "query", "required": true, "type": "integer"}))
			},
			id:        "new-required-request-parameter",
			level:     Breaking,
			operation: "GET /pet/findByTags",
			worst:     Breaking,
			old:       "/paths/~1pet~1findByTags/get",
			new:       "/paths/~1pet~1findByTags/get",
		},
		{
			name: "narrowed request enum",
			mutate: func(t testing.TB, s spec) {
				items := s.params(t, "/pet/findByStatus", "get")[0].(map[string]any)["items"].(map[string]any)
				items["enum"] = []any{"available", "pending"}
			},
			id:        "request-parameter-property-enum-value-removed",
			level:     Breaking,
			operation: "GET /pet/findByStatus",
			worst:     Breaking,
			old:       "/paths/~1pet~1findByStatus/get",
			new:       "/paths/~1pet~1findByStatus/get",
		},
	})
}

// TestCompareOpenAPI31 checks a 3.1 pair, with its JSON Schema 2020-12 types.
func TestCompareOpenAPI31(t *testing.T) {
	base := decodeCorpus(t, "readme-oas31__petstore.json")
	runMutations(t, base, []mutation{
		{
			name:      "removed operation",
			mutate:    func(t testing.TB, s spec) { delete(s.obj(t, "paths", "/store/order/{orderId}"), "get") },
			id:        "api-removed-without-deprecation",
			level:     Breaking,
			operation: "GET /store/order/{orderId}",
			worst:     Breaking,
			old:       "/paths/~1store~1order~1{orderId}/get",
		},
		{
			name: "changed property type",
			mutate: func(t testing.TB, s spec) {
				s.obj(t, "components", "schemas", "Pet", "properties", "name")["type"] = "integer"
			},
			id:        "response-property-type-changed",
			level:     Breaking,
			operation: "GET /pet/{petId}",
			worst:     Breaking,
			old:       "/components/schemas/Pet/properties/name/type",
			new:       "/components/schemas/Pet/properties/name/type",
		},
	})
}

// TestCompareUnchanged compares revisions that say the same thing: the same
// bytes, the same document re-encoded as YAML, and a Swagger 2.0 document
// with itself.
func TestCompareUnchanged(t *testing.T) {
	petstore := readCorpus(t, "readme-oas30__petstore.json")
	tests := []struct {
		name     string
		old, new []byte
	}{
		{"identical 3.0", petstore, petstore},
		{"JSON then YAML", petstore, toYAML(t, petstore)},
		{"YAML then JSON", toYAML(t, petstore), petstore},
		{"identical 2.0", readCorpus(t, "readme-oas20__petstore.json"), readCorpus(t, "readme-oas20__petstore.json")},
		{"identical 3.1", readCorpus(t, "readme-oas31__petstore.json"), readCorpus(t, "readme-oas31__petstore.json")},
		{"apis.guru YAML then JSON", readCorpus(t, "walmart.com__inventory.yaml"), toJSON(t, readCorpus(t, "walmart.com__inventory.yaml"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Compare(context.Background(), tc.old, tc.new)
			if err != nil {
				t.Fatalf("Compare: %v", err)
			}
			if len(r.Changes) != 0 {
				t.Errorf("want no changes, got:\n%s", dump(r))
			}
			if r.Worst() != Info {
				t.Errorf("Worst() = %v, want info", r.Worst())
			}
		})
	}
}

func toYAML(t testing.TB, jsonData []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(jsonData, &v); err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func toJSON(t testing.TB, yamlData []byte) []byte {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(yamlData, &v); err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCompareLoadErrors checks that a side that cannot be loaded is named.
func TestCompareLoadErrors(t *testing.T) {
	good := readCorpus(t, "readme-oas30__petstore-simple.json")
	externalRef := []byte(`openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /x:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "other.yaml#/Thing"}
`)
	tests := []struct {
		name     string
		old, new []byte
		side     string
		mention  string
	}{
		{"old not YAML or JSON", []byte("{ openapi: [3.0"), good, SideOld, "neither YAML nor JSON"},
		{"new not YAML or JSON", good, []byte("\t{\"openapi\": "), SideNew, "neither YAML nor JSON"},
		{"old empty", nil, good, SideOld, "empty"},
		{"new not OpenAPI", good, []byte(`{"name": "package.json"}`), SideNew, "no top-level openapi or swagger"},
		{"new a list", good, []byte(`[1, 2]`), SideNew, "not a mapping"},
		{"old unsupported version", []byte(`{"openapi": "4.0.0", "info": {"title": "t", "version": "1"}, "paths": {}}`), good, SideOld, "unsupported version"},
		{"new external $ref not followed", good, externalRef, SideNew, "other.yaml"},
		{"old broken Swagger", []byte(`{"swagger": "2.0", "paths": []}`), good, SideOld, "Swagger 2.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compare(context.Background(), tc.old, tc.new)
			if err == nil {
				t.Fatal("Compare succeeded, want an error")
			}
			le, ok := errors.AsType[*LoadError](err)
			if !ok {
				t.Fatalf("error %v is not a *LoadError", err)
			}
			if le.Side != tc.side {
				t.Errorf("side = %s, want %s", le.Side, tc.side)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "breaking: load "+tc.side+" spec: ") {
				t.Errorf("error %q does not start with the package and side", msg)
			}
			if !strings.Contains(msg, tc.mention) {
				t.Errorf("error %q does not mention %q", msg, tc.mention)
			}
		})
	}
}

func TestCompareCancelled(t *testing.T) {
	petstore := readCorpus(t, "readme-oas30__petstore.json")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Compare(ctx, petstore, petstore); !errors.Is(err, context.Canceled) {
		t.Errorf("Compare with a cancelled context: err = %v, want context.Canceled", err)
	}
}

// TestCompareCorpus compares every corpus spec with itself: whatever the
// library cannot load must fail cleanly, and whatever it loads must show no
// change.
func TestCompareCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("compares the whole corpus; skipped with -short")
	}
	readCorpus(t, "readme-oas30__petstore.json") // skips when the corpus is absent
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			data := readCorpus(t, e.Name())
			r, err := Compare(context.Background(), data, data)
			if err != nil {
				if _, ok := errors.AsType[*LoadError](err); !ok {
					t.Fatalf("not a load error: %v", err)
				}
				t.Skipf("cannot be loaded: %v", err)
			}
			if len(r.Changes) != 0 {
				t.Errorf("a spec compared with itself shows changes:\n%s", dump(r))
			}
		})
	}
}

// TestCompareRetirement checks removals that follow, or skip, the
// deprecation process that Steward's retirement cases drive.
func TestCompareRetirement(t *testing.T) {
	base := decodeCorpus(t, "readme-oas30__petstore.json")
	const path, method = "/store/order/{orderId}", "get"
	tests := []struct {
		name       string
		extensions map[string]any // set on the operation in the old revision
		deprecated bool
		id         string
		level      Level
	}{
		{"not deprecated", nil, false, "api-removed-without-deprecation", Breaking},
		{"deprecated, no sunset", nil, true, "api-removed-with-deprecation", Info},
		{"deprecated, sunset ahead", map[string]any{"x-sunset": "2999-12-31"}, true, "api-removed-before-sunset", Breaking},
		{"deprecated, sunset passed", map[string]any{"x-sunset": "2020-01-01"}, true, removedAfterSunsetID, Info},
		{"alpha", map[string]any{"x-stability-level": "alpha"}, false, removedUnstableID, Info},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := base.clone(t)
			op := old.obj(t, "paths", path, method)
			op["deprecated"] = tc.deprecated
			for k, v := range tc.extensions {
				op[k] = v
			}
			changed := old.clone(t)
			delete(changed.obj(t, "paths", path), method)

			r, err := Compare(context.Background(), old.bytes(t), changed.bytes(t))
			if err != nil {
				t.Fatalf("Compare: %v", err)
			}
			c, ok := findChange(r, tc.id, "GET "+path)
			if !ok {
				t.Fatalf("no %s change; got:\n%s", tc.id, dump(r))
			}
			if c.Level != tc.level {
				t.Errorf("level = %v, want %v", c.Level, tc.level)
			}
			if want := "/paths/~1store~1order~1{orderId}/get"; c.Old.Path != want || !c.New.IsZero() {
				t.Errorf("locations old=%+v new=%+v, want old at %s and no new", c.Old, c.New, want)
			}
		})
	}
}

// TestCompareConcurrent runs comparisons side by side, as concurrent spec
// uploads do; run it with -race.
func TestCompareConcurrent(t *testing.T) {
	oldSpec := readCorpus(t, "readme-oas30__petstore.json")
	newSpec := readCorpus(t, "readme-oas31__petstore.json")
	want, err := Compare(context.Background(), oldSpec, newSpec)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range cap(errs) {
		go func() {
			got, err := Compare(context.Background(), oldSpec, newSpec)
			if err == nil && !reflect.DeepEqual(got, want) {
				err = fmt.Errorf("concurrent result differs: %d changes, want %d", len(got.Changes), len(want.Changes))
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
