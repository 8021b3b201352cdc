package specs

import (
	"context"
	"slices"
	"strings"
	"testing"
)

const describeSpec = `openapi: 3.1.0
info: {title: Shop, version: "1"}
tags:
  - name: store
    description: Orders
  - name: pets
  - name: unused
paths:
  /pets/{petId}:
    parameters:
      - {name: petId, in: path, required: true, schema: {type: integer}}
      - {name: trace, in: header, schema: {type: string}}
    get:
      operationId: getPet
      tags: [pets, store]
      description: Returns one pet.
      parameters:
        - {name: petId, in: path, required: true, description: the id, schema: {type: string, format: uuid}}
        - {name: ids, in: query, schema: {type: array, items: {type: integer}}}
        - $ref: '#/components/parameters/Nickname'
        - {name: filter, in: query, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
      responses:
        "200":
          description: the pet
          headers:
            X-Rate-Limit: {schema: {type: integer}}
            ETag: {schema: {type: string}}
          content:
            application/json: {schema: {$ref: '#/components/schemas/Pet'}}
        default:
          description: error
          content:
            application/problem+json: {schema: {type: object, additionalProperties: {type: integer}}}
  /pets:
    post:
      operationId: addPet
      tags: [pets]
      deprecated: true
      requestBody:
        description: pets to add
        required: true
        content:
          application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}}
          application/xml: {schema: {$ref: '#/components/schemas/Pet'}}
      responses:
        "201": {description: created}
  /zoo:
    get:
      operationId: zoo
      tags: [zeta]
      responses: {"200": {description: ok, content: {application/json: {schema: {oneOf: [{$ref: '#/components/schemas/Cat'}, {$ref: '#/components/schemas/Dog'}]}}}}}
  /alpha:
    get:
      operationId: alpha
      tags: [alpha]
      responses: {"200": {description: ok, content: {text/plain: {schema: {type: [string, "null"]}}}}}
  /untagged:
    get:
      operationId: untagged
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Node'}}}}}
components:
  parameters:
    Nickname: {name: nick, in: cookie, deprecated: true, schema: {type: string}}
  schemas:
    Pet: {type: object, properties: {name: {type: string}}}
    Cat: {type: object}
    Dog: {type: object}
    Node:
      type: object
      properties:
        children: {type: array, items: {$ref: '#/components/schemas/Node'}}
`

func TestDescribeGroupsByTag(t *testing.T) {
	t.Parallel()
	doc, err := Describe(context.Background(), []byte(describeSpec), DefaultLimits())
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if doc.Title != "Shop" || doc.Family != FamilyOAS3_1 || len(doc.Endpoints) != 5 {
		t.Errorf("catalogue view not filled: title %q family %q %d endpoints", doc.Title, doc.Family, len(doc.Endpoints))
	}
	var got []string
	for _, g := range doc.Groups {
		var ops []string
		for _, o := range g.Operations {
			ops = append(ops, o.OperationID)
		}
		got = append(got, g.Name+": "+strings.Join(ops, ","))
	}
	want := []string{"store: getPet", "pets: addPet,getPet", "alpha: alpha", "default: untagged", "zeta: zoo"}
	if !slices.Equal(got, want) {
		t.Errorf("groups = %q, want %q", got, want)
	}
	if doc.Groups[0].Description != "Orders" {
		t.Errorf("store description = %q", doc.Groups[0].Description)
	}
}

func findOperation(t *testing.T, doc *Document, id string) Operation {
	t.Helper()
	for _, g := range doc.Groups {
		for _, o := range g.Operations {
			if o.OperationID == id {
				return o
			}
		}
	}
	t.Fatalf("operation %s not found", id)
	return Operation{}
}

func TestDescribeOperations(t *testing.T) {
	t.Parallel()
	doc, err := Describe(context.Background(), []byte(describeSpec), DefaultLimits())
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	get := findOperation(t, doc, "getPet")
	wantParams := []Parameter{
		{Name: "trace", In: "header", Type: "string"},
		{Name: "petId", In: "path", Required: true, Type: "string (uuid)", Description: "the id"},
		{Name: "ids", In: "query", Type: "array of integer"},
		{Name: "nick", In: "cookie", Deprecated: true, Type: "string"},
		{Name: "filter", In: "query", Type: "object Pet"},
	}
	if !slices.Equal(get.Parameters, wantParams) {
		t.Errorf("parameters =\n%+v\nwant\n%+v", get.Parameters, wantParams)
	}
	if get.Description != "Returns one pet." || get.Method != "GET" || get.Path != "/pets/{petId}" || get.RequestBody != nil {
		t.Errorf("getPet = %+v", get)
	}
	if len(get.Responses) != 2 {
		t.Fatalf("responses = %+v", get.Responses)
	}
	ok, def := get.Responses[0], get.Responses[1]
	if ok.Code != "200" || ok.Description != "the pet" || !slices.Equal(ok.Headers, []string{"X-Rate-Limit", "ETag"}) ||
		!slices.Equal(ok.Content, []MediaType{{Name: "application/json", Schema: "object Pet"}}) {
		t.Errorf("200 = %+v", ok)
	}
	if def.Code != "default" || !slices.Equal(def.Content, []MediaType{{Name: "application/problem+json", Schema: "map of integer"}}) {
		t.Errorf("default = %+v", def)
	}

	add := findOperation(t, doc, "addPet")
	if !add.Deprecated || add.RequestBody == nil || !add.RequestBody.Required || add.RequestBody.Description != "pets to add" {
		t.Fatalf("addPet = %+v", add)
	}
	wantBody := []MediaType{{Name: "application/json", Schema: "array of Pet"}, {Name: "application/xml", Schema: "object Pet"}}
	if !slices.Equal(add.RequestBody.Content, wantBody) {
		t.Errorf("body = %+v, want %+v", add.RequestBody.Content, wantBody)
	}
}

func TestDescribeSchemaSummaries(t *testing.T) {
	t.Parallel()
	doc, err := Describe(context.Background(), []byte(describeSpec), DefaultLimits())
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	tests := []struct {
		operation string
		want      string
	}{
		{"zoo", "one of Cat, Dog"},
		{"alpha", "string or null"},
		{"untagged", "object Node"}, // recursive, summarised without following it
	}
	for _, tt := range tests {
		t.Run(tt.operation, func(t *testing.T) {
			op := findOperation(t, doc, tt.operation)
			if got := op.Responses[0].Content[0].Schema; got != tt.want {
				t.Errorf("schema summary = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDescribeSwagger(t *testing.T) {
	t.Parallel()
	spec := `swagger: "2.0"
info: {title: S, version: "1"}
consumes: [application/json]
produces: [application/json, application/xml]
paths:
  /pets:
    post:
      operationId: addPet
      parameters:
        - {name: body, in: body, required: true, description: the pet, schema: {$ref: '#/definitions/Pet'}}
        - {name: tags, in: query, type: array, items: {type: string}}
      responses:
        "200":
          description: ok
          headers: {X-Id: {type: string}}
          schema: {type: array, items: {$ref: '#/definitions/Pet'}}
    put:
      operationId: uploadPet
      consumes: [multipart/form-data]
      parameters:
        - {name: file, in: formData, type: file}
      responses:
        default: {description: whatever}
definitions:
  Pet: {type: object}
`
	doc, err := Describe(context.Background(), []byte(spec), DefaultLimits())
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	add := findOperation(t, doc, "addPet")
	if add.RequestBody == nil || !add.RequestBody.Required || add.RequestBody.Description != "the pet" ||
		!slices.Equal(add.RequestBody.Content, []MediaType{{Name: "application/json", Schema: "object Pet"}}) {
		t.Errorf("body = %+v", add.RequestBody)
	}
	if !slices.Equal(add.Parameters, []Parameter{{Name: "tags", In: "query", Type: "array of string"}}) {
		t.Errorf("parameters = %+v", add.Parameters)
	}
	wantContent := []MediaType{{Name: "application/json", Schema: "array of Pet"}, {Name: "application/xml", Schema: "array of Pet"}}
	if r := add.Responses[0]; !slices.Equal(r.Content, wantContent) || !slices.Equal(r.Headers, []string{"X-Id"}) {
		t.Errorf("response = %+v", r)
	}
	upload := findOperation(t, doc, "uploadPet")
	if upload.RequestBody != nil || !slices.Equal(upload.Parameters, []Parameter{{Name: "file", In: "formData", Type: "file"}}) {
		t.Errorf("uploadPet = %+v", upload)
	}
	if len(doc.Groups) != 1 || doc.Groups[0].Name != DefaultTag {
		t.Errorf("groups = %+v", doc.Groups)
	}
}

func TestDescribeRejectsLikeParse(t *testing.T) {
	t.Parallel()
	_, err := Describe(context.Background(), []byte("asyncapi: 2.6.0\n"), DefaultLimits())
	if perr, ok := err.(*ParseError); !ok || perr.Kind != ErrNotOpenAPI {
		t.Fatalf("err = %v, want a not_openapi ParseError", err)
	}
}
