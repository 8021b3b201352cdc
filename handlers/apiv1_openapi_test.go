package handlers_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/labstack/echo/v4"
	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi/datamodel"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/steward-governance/steward/config"
	"github.com/steward-governance/steward/handlers"
	"github.com/steward-governance/steward/models/storetest"
)

// newApp builds the application without serving it, for tests that look
// at its routes or answer one request.
func newApp(t *testing.T) *echo.Echo {
	t.Helper()
	cfg, err := config.Load(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	e, err := handlers.New(handlers.Deps{
		Store: storetest.New(t, "sqlite"), Config: cfg, Log: slog.New(slog.DiscardHandler),
		Static: fstest.MapFS{"app.css": {Data: []byte("")}, "app.js": {Data: []byte("")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// openAPIDocument fetches the document the way a client does.
func openAPIDocument(t *testing.T, e *echo.Echo) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/v1/openapi.json: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	return rec.Body.Bytes()
}

// TestAPIv1OpenAPIDocumentIsValid checks the published document is OpenAPI
// 3.1 that tools can load: it matches the specification's JSON Schema,
// libopenapi builds a model of it with every reference resolved, each
// path parameter is declared, and operation ids are unique.
func TestAPIv1OpenAPIDocumentIsValid(t *testing.T) {
	raw := openAPIDocument(t, newApp(t))

	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		t.Fatalf("libopenapi cannot read the document: %v", err)
	}
	if v := doc.GetSpecInfo().Version; v != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", v)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("libopenapi cannot build the document: %v", err)
	}
	if model == nil || model.Model.Paths == nil || model.Model.Paths.PathItems.Len() == 0 {
		t.Fatal("the document has no paths")
	}

	meta, err := jsonschema.UnmarshalJSON(strings.NewReader(datamodel.OpenAPI31SchemaData))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const metaURL = "https://spec.openapis.org/oas/3.1/schema/2022-10-07"
	if err := c.AddResource(metaURL, meta); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(metaURL)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("the document does not match the OpenAPI 3.1 schema: %v", err)
	}

	var plain struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &plain); err != nil {
		t.Fatal(err)
	}
	type param struct {
		Ref  string `json:"$ref"`
		Name string `json:"name"`
		In   string `json:"in"`
	}
	var components struct {
		Components struct {
			Parameters map[string]param `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &components); err != nil {
		t.Fatal(err)
	}
	pathParams := func(ps []param) []string {
		var out []string
		for _, p := range ps {
			if p.Ref != "" {
				p = components.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
			}
			if p.In == "path" {
				out = append(out, p.Name)
			}
		}
		return out
	}
	braces := regexp.MustCompile(`\{([^}]+)\}`)
	ids := map[string]string{}
	for path, item := range plain.Paths {
		var shared []param
		if b, ok := item["parameters"]; ok {
			if err := json.Unmarshal(b, &shared); err != nil {
				t.Fatal(err)
			}
		}
		var inPath []string
		for _, m := range braces.FindAllStringSubmatch(path, -1) {
			inPath = append(inPath, m[1])
		}
		slices.Sort(inPath)
		for method, b := range item {
			if method == "parameters" {
				continue
			}
			var op struct {
				OperationID string  `json:"operationId"`
				Parameters  []param `json:"parameters"`
			}
			if err := json.Unmarshal(b, &op); err != nil {
				t.Fatal(err)
			}
			declared := append(pathParams(shared), pathParams(op.Parameters)...)
			slices.Sort(declared)
			if !slices.Equal(declared, inPath) {
				t.Errorf("%s %s declares path parameters %v, the path has %v", method, path, declared, inPath)
			}
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
			} else if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %s is used by %s and %s %s", op.OperationID, prev, method, path)
			}
			ids[op.OperationID] = method + " " + path
		}
	}
}

// TestAPIv1OpenAPIDocumentMatchesRoutes fails when a route under /api/v1 is
// missing from the document or the document describes one that is not
// registered, so the two cannot drift apart.
func TestAPIv1OpenAPIDocumentMatchesRoutes(t *testing.T) {
	e := newApp(t)
	raw := openAPIDocument(t, e)

	var doc struct {
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/api/v1" {
		t.Fatalf("servers = %+v, want one, /api/v1", doc.Servers)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
				documented[strings.ToUpper(method)+" /api/v1"+path] = true
			}
		}
	}

	param := regexp.MustCompile(`:([^/]+)`)
	registered := map[string]bool{}
	for _, r := range e.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") || strings.HasSuffix(r.Path, "/*") {
			continue
		}
		registered[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	if len(registered) == 0 {
		t.Fatal("no routes are registered under /api/v1")
	}
	for op := range registered {
		if !documented[op] {
			t.Errorf("%s is registered but not in the OpenAPI document", op)
		}
	}
	for op := range documented {
		if !registered[op] {
			t.Errorf("%s is in the OpenAPI document but not registered", op)
		}
	}
}
