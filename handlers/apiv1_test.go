package handlers_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steward-governance/steward/config"
)

// ordersSpec is a small OpenAPI 3.0 description with three operations, one
// deprecated.
const ordersSpec = `openapi: 3.0.3
info:
  title: Orders
  version: "1.0"
paths:
  /orders:
    get:
      operationId: listOrders
      summary: List orders
      responses:
        "200": {description: The orders}
    post:
      operationId: createOrder
      summary: Place an order
      responses:
        "201": {description: Placed}
  /orders/{id}:
    get:
      operationId: getOrder
      summary: One order
      deprecated: true
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: The order}
`

// corpusSpec is a real OpenAPI 3.0 description in JSON from the shared corpus.
const corpusSpec = "afterbanks.com.json"

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestAPIv1Catalogue walks the JSON API as a script would: teams, APIs,
// filters and pages, versions, deployments and specs, then deletes it all.
// Every answer is also checked against the published OpenAPI document.
func TestAPIv1Catalogue(t *testing.T) {
	forEngines(t, func(t *testing.T, engine string) {
		s := newAPISite(t, engine)

		const specPath = "/api/v1/apis/payments-api/versions/v1/spec"
		steps := []apiStep{
			{name: "create team with derived slug", method: "POST", path: "/api/v1/teams",
				body: `{"name": "Payments Platform", "contact": "pay@example.com"}`, status: http.StatusCreated,
				expect: map[string]any{"slug": "payments-platform", "name": "Payments Platform", "contact": "pay@example.com", "api_count": 0},
				header: map[string]string{"Location": "/api/v1/teams/payments-platform"}},
			{name: "create second team", method: "POST", path: "/api/v1/teams",
				body: `{"slug": "identity", "name": "Identity"}`, status: http.StatusCreated},
			{name: "create API", method: "POST", path: "/api/v1/apis",
				body: `{"name": "Payments API", "description": "Take card payments.\n\nRetries are safe.", "team": "payments-platform",
					"kind": "REST", "visibility": "Public", "tags": ["Billing", "cards", "billing"],
					"links": [{"title": "Runbook", "url": "https://runbook.example.com/pay"}]}`,
				status: http.StatusCreated, header: map[string]string{"Location": "/api/v1/apis/payments-api"},
				expect: map[string]any{
					"slug": "payments-api", "team.slug": "payments-platform", "team.name": "Payments Platform",
					"kind": "rest", "visibility": "public", "tags": []string{"billing", "cards"},
					"links.0.url": "https://runbook.example.com/pay", "description": "Take card payments.\n\nRetries are safe.",
				}},
			{name: "create gRPC API", method: "POST", path: "/api/v1/apis",
				body: `{"name": "Ledger", "team": "payments-platform", "kind": "grpc"}`, status: http.StatusCreated,
				expect: map[string]any{"visibility": "internal", "tags": []string{}, "links": []string{}}},
			{name: "create API of the other team", method: "POST", path: "/api/v1/apis",
				body: `{"name": "Login", "team": "identity", "tags": ["auth"]}`, status: http.StatusCreated},
			{name: "add production version", method: "POST", path: "/api/v1/apis/payments-api/versions",
				body: `{"name": "v1", "stage": "production"}`, status: http.StatusCreated,
				header: map[string]string{"Location": "/api/v1/apis/payments-api/versions/v1"},
				expect: map[string]any{"name": "v1", "stage": "production", "api.slug": "payments-api", "current_revision": nil, "revision_count": 0}},
			{name: "add version with default stage", method: "POST", path: "/api/v1/apis/ledger/versions",
				body: `{"name": "v1"}`, status: http.StatusCreated, expect: map[string]any{"stage": "design"}},
			{name: "create deployment", method: "PUT", path: "/api/v1/apis/payments-api/versions/v1/deployments/Production",
				body: `{"base_url": "https://pay.example.com/v1"}`, status: http.StatusCreated,
				header: map[string]string{"Location": "/api/v1/apis/payments-api/versions/v1/deployments/production"},
				expect: map[string]any{"environment": "production", "base_url": "https://pay.example.com/v1"}},
			{name: "replace deployment", method: "PUT", path: "/api/v1/apis/payments-api/versions/v1/deployments/production",
				body: `{"base_url": "https://pay.example.com/api/v1"}`, status: http.StatusOK,
				expect: map[string]any{"base_url": "https://pay.example.com/api/v1"}},

			{name: "list all", method: "GET", path: "/api/v1/apis", status: http.StatusOK,
				expect: map[string]any{"total": 3, "limit": 25, "offset": 0, "items.0.slug": "ledger", "items.1.slug": "login", "items.2.slug": "payments-api"}},
			{name: "filter by team", method: "GET", path: "/api/v1/apis?team=payments-platform", status: http.StatusOK,
				expect: map[string]any{"total": 2, "items.0.slug": "ledger", "items.1.slug": "payments-api"}},
			{name: "filter by stage shows a list item", method: "GET", path: "/api/v1/apis?stage=production", status: http.StatusOK,
				expect: map[string]any{
					"total": 1, "items.0.slug": "payments-api", "items.0.name": "Payments API", "items.0.description": "Take card payments.",
					"items.0.team.slug": "payments-platform", "items.0.team.name": "Payments Platform", "items.0.kind": "rest",
					"items.0.visibility": "public", "items.0.tags": []string{"billing", "cards"}, "items.0.stages": []string{"production"},
					"items.0.version_count": 1, "items.0.endpoint_count": 0,
				}},
			{name: "filter by kind in any case", method: "GET", path: "/api/v1/apis?kind=gRPC", status: http.StatusOK,
				expect: map[string]any{"total": 1, "items.0.slug": "ledger"}},
			{name: "filter by tag", method: "GET", path: "/api/v1/apis?tag=auth", status: http.StatusOK,
				expect: map[string]any{"total": 1, "items.0.slug": "login"}},
			{name: "filter by visibility", method: "GET", path: "/api/v1/apis?visibility=public", status: http.StatusOK,
				expect: map[string]any{"total": 1, "items.0.slug": "payments-api"}},
			{name: "search text", method: "GET", path: "/api/v1/apis?q=ledg", status: http.StatusOK,
				expect: map[string]any{"total": 1, "items.0.slug": "ledger"}},
			{name: "combined filters match nothing", method: "GET", path: "/api/v1/apis?team=identity&kind=grpc", status: http.StatusOK,
				expect: map[string]any{"total": 0, "items": []string{}}},
			{name: "first page", method: "GET", path: "/api/v1/apis?limit=2", status: http.StatusOK,
				expect: map[string]any{"total": 3, "limit": 2, "offset": 0, "items.0.slug": "ledger", "items.1.slug": "login"},
				check: func(t *testing.T, r *apiResponse) {
					if n := len(r.list(t, "items")); n != 2 {
						t.Errorf("%d items, want 2", n)
					}
				}},
			{name: "last page", method: "GET", path: "/api/v1/apis?limit=2&offset=2", status: http.StatusOK,
				expect: map[string]any{"total": 3, "offset": 2, "items.0.slug": "payments-api"},
				check: func(t *testing.T, r *apiResponse) {
					if n := len(r.list(t, "items")); n != 1 {
						t.Errorf("%d items, want 1", n)
					}
				}},
			{name: "limit above the maximum is clamped", method: "GET", path: "/api/v1/apis?limit=500", status: http.StatusOK,
				expect: map[string]any{"limit": 100, "total": 3}},
			{name: "sort by team", method: "GET", path: "/api/v1/apis?sort=team", status: http.StatusOK,
				expect: map[string]any{"items.0.slug": "login", "items.1.slug": "ledger", "items.2.slug": "payments-api"}},

			{name: "get API", method: "GET", path: "/api/v1/apis/payments-api", status: http.StatusOK,
				expect: map[string]any{
					"name": "Payments API", "links.0.title": "Runbook", "versions.0.name": "v1", "versions.0.stage": "production",
					"versions.0.spec_version": nil, "versions.0.revision_count": 0,
					"versions.0.deployments.0.environment": "production", "versions.0.deployments.0.base_url": "https://pay.example.com/api/v1",
				}},
			{name: "replace API moves it and clears what was left out", method: "PUT", path: "/api/v1/apis/payments-api",
				body: `{"name": "Payments API", "team": "identity", "description": "Moved.", "tags": ["billing"]}`, status: http.StatusOK,
				expect: map[string]any{
					"slug": "payments-api", "team.slug": "identity", "description": "Moved.", "tags": []string{"billing"},
					"visibility": "internal", "kind": "rest", "links": []string{}, "versions.0.name": "v1",
				}},
			{name: "list teams with API counts", method: "GET", path: "/api/v1/teams", status: http.StatusOK,
				expect: map[string]any{"items.0.slug": "identity", "items.0.api_count": 2, "items.1.slug": "payments-platform", "items.1.api_count": 1}},
			{name: "get team", method: "GET", path: "/api/v1/teams/identity", status: http.StatusOK,
				expect: map[string]any{"slug": "identity", "name": "Identity", "api_count": 2}},
			{name: "replace team keeps its slug", method: "PUT", path: "/api/v1/teams/identity",
				body: `{"name": "Identity & Access", "contact": "iam@example.com"}`, status: http.StatusOK,
				expect: map[string]any{"slug": "identity", "name": "Identity & Access", "contact": "iam@example.com", "description": "", "api_count": 2}},

			{name: "upload spec", method: "PUT", path: specPath, body: ordersSpec, contentType: "application/yaml", status: http.StatusCreated,
				header: map[string]string{"Location": "/apis/payments-api/versions/v1/revisions/1/raw"},
				expect: map[string]any{
					"revision": 1, "changed": true, "format": "yaml", "spec_version": "3.0.3", "title": "Orders", "endpoints": 3,
					"hash": sha256Hex([]byte(ordersSpec)), "warnings": []string{},
				}},
			{name: "upload the same spec again", method: "PUT", path: specPath, body: ordersSpec, contentType: "text/plain", status: http.StatusOK,
				expect: map[string]any{"revision": 1, "changed": false, "endpoints": 3, "hash": sha256Hex([]byte(ordersSpec))}},
			{name: "download spec", method: "GET", path: specPath, status: http.StatusOK,
				header: map[string]string{"Content-Type": "application/yaml", "ETag": `"` + sha256Hex([]byte(ordersSpec)) + `"`},
				check: func(t *testing.T, r *apiResponse) {
					if string(r.raw) != ordersSpec {
						t.Errorf("downloaded spec differs from the upload:\n%s", r.raw)
					}
				}},
			{name: "get version with endpoints", method: "GET", path: "/api/v1/apis/payments-api/versions/v1", status: http.StatusOK,
				expect: map[string]any{
					"name": "v1", "team.slug": "identity", "current_revision.number": 1, "current_revision.format": "yaml",
					"current_revision.current": true, "current_revision.size_bytes": len(ordersSpec), "revision_count": 1,
					"endpoints.0.method": "GET", "endpoints.0.path": "/orders", "endpoints.0.operation_id": "listOrders",
					"endpoints.0.summary": "List orders", "endpoints.1.method": "POST", "endpoints.2.deprecated": true,
					"deployments.0.environment": "production",
				}},
		}

		corpus, err := os.ReadFile(filepath.Join("..", "..", "shared", "corpus", "specs", corpusSpec))
		latest, latestType, revisions := []byte(ordersSpec), "application/yaml", 1
		switch {
		case err == nil:
			latest, latestType, revisions = corpus, "application/json", 2
			// A different API altogether breaks every client of a
			// production version: refused, so it goes in at the design stage.
			steps = append(steps, apiStep{name: "a breaking spec is refused in production", method: "PUT", path: specPath, body: string(corpus), status: http.StatusConflict,
				expect: map[string]any{"error.changes.0.level": "breaking"}},
				apiStep{name: "back to design says why", method: "PUT", path: "/api/v1/apis/payments-api/versions/v1",
					body: `{"stage": "design"}`, status: http.StatusUnprocessableEntity, expect: map[string]any{"error.failures.0.gate": "reason"}},
				apiStep{name: "back to design", method: "PUT", path: "/api/v1/apis/payments-api/versions/v1",
					body: `{"stage": "design", "reason": "the real spec is another API altogether"}`, status: http.StatusOK, expect: map[string]any{"stage": "design"}})
			steps = append(steps, apiStep{name: "upload a real spec", method: "PUT", path: specPath, body: string(corpus), status: http.StatusCreated,
				expect: map[string]any{"revision": 2, "changed": true, "format": "json", "hash": sha256Hex(corpus)},
				check: func(t *testing.T, r *apiResponse) {
					if n := fmt.Sprint(r.get("endpoints")); n == "0" || n == "<nil>" {
						t.Errorf("endpoints = %v, want some", n)
					}
				}},
				apiStep{name: "back to production", method: "PUT", path: "/api/v1/apis/payments-api/versions/v1",
					body: `{"stage": "production"}`, status: http.StatusOK, expect: map[string]any{"stage": "production"}})
		case os.IsNotExist(err):
			t.Logf("skipping the corpus spec: %v (the shared corpus is not checked out)", err)
		default:
			t.Fatal(err)
		}
		steps = append(steps,
			apiStep{name: "download the latest spec", method: "GET", path: specPath, status: http.StatusOK,
				header: map[string]string{"Content-Type": latestType},
				check: func(t *testing.T, r *apiResponse) {
					if string(r.raw) != string(latest) {
						t.Errorf("downloaded %d bytes, want the %d uploaded", len(r.raw), len(latest))
					}
				}},
			apiStep{name: "list revisions newest first", method: "GET", path: "/api/v1/apis/payments-api/versions/v1/revisions", status: http.StatusOK,
				expect: map[string]any{"items.0.number": revisions, "items.0.current": true, "items.0.hash": sha256Hex(latest), "items.0.created_by": "admin@example.com"},
				check: func(t *testing.T, r *apiResponse) {
					items := r.list(t, "items")
					if len(items) != revisions {
						t.Fatalf("%d revisions, want %d", len(items), revisions)
					}
					if last := items[len(items)-1].(map[string]any); last["current"] != false || last["format"] != "yaml" {
						t.Errorf("oldest revision = %v, want the YAML one, not current", last)
					}
				}},
			apiStep{name: "list versions", method: "GET", path: "/api/v1/apis/payments-api/versions", status: http.StatusOK,
				expect: map[string]any{"items.0.name": "v1", "items.0.revision_count": revisions, "items.0.deployments.0.environment": "production"}},
			apiStep{name: "list deployments", method: "GET", path: "/api/v1/apis/payments-api/versions/v1/deployments", status: http.StatusOK,
				expect: map[string]any{"items.0.environment": "production", "items.0.base_url": "https://pay.example.com/api/v1"}},
			apiStep{name: "deprecating needs a sunset date and migration notes", method: "PUT", path: "/api/v1/apis/payments-api/versions/v1",
				body: `{"stage": "deprecated", "reason": "v2 is out"}`, status: http.StatusUnprocessableEntity,
				expect: map[string]any{"error.failures.0.gate": "deprecated.require-sunset", "error.failures.0.field": "sunset_date",
					"error.failures.1.gate": "deprecated.require-migration-notes"},
				contains: map[string]string{"error.failures.0.message": "Deprecation needs a sunset date"}},
			apiStep{name: "change stage, keep name", method: "PUT", path: "/api/v1/apis/payments-api/versions/v1",
				body: `{"stage": "deprecated", "reason": "v2 is out", "sunset_date": "2099-12-31", "migration_notes": "Move to v2.", "replacement": "v2"}`, status: http.StatusOK,
				expect: map[string]any{"name": "v1", "stage": "deprecated", "current_revision.number": revisions,
					"lifecycle.sunset_date": "2099-12-31", "lifecycle.migration_notes": "Move to v2.", "lifecycle.replacement": "v2"}},
			apiStep{name: "the move is on the timeline", method: "GET", path: "/api/v1/apis/payments-api/versions/v1/timeline", status: http.StatusOK,
				expect: map[string]any{"items.0.from_stage": "production", "items.0.to_stage": "deprecated", "items.0.reason": "v2 is out",
					"items.0.actor": "admin@example.com", "items.0.override": false}},
			apiStep{name: "rename version", method: "PUT", path: "/api/v1/apis/ledger/versions/v1",
				body: `{"name": "v2", "stage": "testing"}`, status: http.StatusOK, expect: map[string]any{"name": "v2", "stage": "testing"}},
			apiStep{name: "remove deployment", method: "DELETE", path: "/api/v1/apis/payments-api/versions/v1/deployments/production", status: http.StatusNoContent},
			apiStep{name: "remove it again", method: "DELETE", path: "/api/v1/apis/payments-api/versions/v1/deployments/production", status: http.StatusNotFound,
				contains: map[string]string{"error.message": `no deployment in "production"`}},
			apiStep{name: "delete version", method: "DELETE", path: "/api/v1/apis/ledger/versions/v2", status: http.StatusNoContent},
			apiStep{name: "a team that owns APIs stays", method: "DELETE", path: "/api/v1/teams/identity", status: http.StatusConflict,
				contains: map[string]string{"error.message": "still owns 2 APIs"}},
			apiStep{name: "delete API", method: "DELETE", path: "/api/v1/apis/payments-api", status: http.StatusNoContent},
			apiStep{name: "deleted API is gone", method: "GET", path: "/api/v1/apis/payments-api", status: http.StatusNotFound},
			apiStep{name: "delete the other API", method: "DELETE", path: "/api/v1/apis/login", status: http.StatusNoContent},
			apiStep{name: "delete the empty team", method: "DELETE", path: "/api/v1/teams/identity", status: http.StatusNoContent},
			apiStep{name: "catalogue after", method: "GET", path: "/api/v1/apis", status: http.StatusOK,
				expect: map[string]any{"total": 1, "items.0.slug": "ledger", "items.0.version_count": 0}},
		)
		s.run(t, steps)
	})
}

// TestAPIv1RejectsBadInput checks that every kind of bad request gets the
// status and the message a script can act on, and that a rejected spec
// stores nothing.
func TestAPIv1RejectsBadInput(t *testing.T) {
	const specLimit = 4 << 10
	s := newAPISite(t, "sqlite", func(c *config.Config) { c.MaxSpecBytes = specLimit })
	s.run(t, []apiStep{
		{name: "team", method: "POST", path: "/api/v1/teams", body: `{"slug": "payments", "name": "Payments"}`, status: http.StatusCreated},
		{name: "api", method: "POST", path: "/api/v1/apis", body: `{"name": "Payments API", "team": "payments"}`, status: http.StatusCreated},
		{name: "version", method: "POST", path: "/api/v1/apis/payments-api/versions", body: `{"name": "v1"}`, status: http.StatusCreated},
	})

	const spec = "/api/v1/apis/payments-api/versions/v1/spec"
	s.run(t, []apiStep{
		{name: "unknown team", method: "POST", path: "/api/v1/apis", body: `{"name": "Refunds", "team": "nobody"}`,
			status: http.StatusUnprocessableEntity, contains: map[string]string{"error.fields.team": `no team "nobody"`}},
		{name: "duplicate slug", method: "POST", path: "/api/v1/apis", body: `{"name": "Payments API", "team": "payments"}`,
			status: http.StatusUnprocessableEntity, contains: map[string]string{"error.fields.slug": "already taken"}},
		{name: "duplicate team slug", method: "POST", path: "/api/v1/teams", body: `{"name": "Payments"}`,
			status: http.StatusUnprocessableEntity, contains: map[string]string{"error.fields.slug": "already taken"}},
		{name: "invalid fields", method: "POST", path: "/api/v1/apis", body: `{"name": " ", "team": "payments", "kind": "soap", "links": [{"title": "x", "url": "ftp://x"}]}`,
			status: http.StatusUnprocessableEntity, expect: map[string]any{"error.status": 422, "error.message": "some fields are invalid"},
			contains: map[string]string{"error.fields.name": "required", "error.fields.kind": "must be one of", "error.fields.links": "http"}},
		{name: "duplicate version", method: "POST", path: "/api/v1/apis/payments-api/versions", body: `{"name": "v1"}`,
			status: http.StatusUnprocessableEntity, contains: map[string]string{"error.fields.name": "already has a version"}},
		{name: "bad deployment", method: "PUT", path: "/api/v1/apis/payments-api/versions/v1/deployments/eu_west", body: `{"base_url": "pay.example.com"}`,
			status: http.StatusUnprocessableEntity, contains: map[string]string{"error.fields.environment": "lower-case", "error.fields.base_url": "absolute"}},

		{name: "unknown stage filter", method: "GET", path: "/api/v1/apis?stage=foo", status: http.StatusBadRequest,
			contains: map[string]string{"error.fields.stage": `unknown stage “foo”`}},
		{name: "unknown sort", method: "GET", path: "/api/v1/apis?sort=size", status: http.StatusBadRequest,
			contains: map[string]string{"error.fields.sort": "name, updated or team"}},
		{name: "limit not a number", method: "GET", path: "/api/v1/apis?limit=abc", status: http.StatusBadRequest,
			contains: map[string]string{"error.fields.limit": "whole number from 1 to 100"}},
		{name: "limit zero", method: "GET", path: "/api/v1/apis?limit=0", status: http.StatusBadRequest,
			contains: map[string]string{"error.fields.limit": "whole number"}},
		{name: "negative offset", method: "GET", path: "/api/v1/apis?offset=-5", status: http.StatusBadRequest,
			contains: map[string]string{"error.fields.offset": "0 or more"}},
		{name: "unknown query parameter", method: "GET", path: "/api/v1/apis?stag=production", status: http.StatusBadRequest,
			contains: map[string]string{"error.fields.stag": "unknown query parameter"}},

		{name: "malformed JSON", method: "POST", path: "/api/v1/teams", body: "{\n  \"name\": \"Risk\",\n}", status: http.StatusBadRequest,
			contains: map[string]string{"error.message": "line 3, column 1"}},
		{name: "malformed JSON after non-ASCII text", method: "POST", path: "/api/v1/teams", body: `{"name": "Zahlungsverkehr für Händler" "x"}`, status: http.StatusBadRequest,
			contains: map[string]string{"error.message": "line 1, column 40"}},
		{name: "truncated JSON", method: "POST", path: "/api/v1/teams", body: `{"name": "Risk"`, status: http.StatusBadRequest,
			contains: map[string]string{"error.message": "ends before it is complete"}},
		{name: "empty body", method: "POST", path: "/api/v1/teams", body: "", contentType: "application/json", status: http.StatusBadRequest,
			contains: map[string]string{"error.message": "empty"}},
		{name: "two objects", method: "POST", path: "/api/v1/teams", body: `{"name": "Risk"} {"name": "Fraud"}`, status: http.StatusBadRequest,
			contains: map[string]string{"error.message": "nothing after it; more follows at line 1, column 18"}},
		{name: "unknown field", method: "POST", path: "/api/v1/apis", body: `{"name": "Refunds", "team": "payments", "owner": "bob"}`,
			status: http.StatusBadRequest, contains: map[string]string{"error.message": `unknown field "owner"`}},
		{name: "wrong type", method: "POST", path: "/api/v1/apis", body: `{"name": "Refunds", "team": "payments", "tags": "a,b"}`,
			status: http.StatusBadRequest, contains: map[string]string{"error.message": `"tags" must be an array of strings, not a string`}},
		{name: "wrong item type", method: "POST", path: "/api/v1/apis", body: `{"name": "Refunds", "team": "payments", "tags": ["a", 1]}`,
			status: http.StatusBadRequest, contains: map[string]string{"error.message": `each item of "tags" must be a string, not a number (near line 1, column 55)`}},
		{name: "wrong nested type", method: "POST", path: "/api/v1/apis", body: `{"name": "Refunds", "team": "payments", "links": [{"url": true}]}`,
			status: http.StatusBadRequest, contains: map[string]string{"error.message": `field "links.url" must be a string, not a bool`}},
		{name: "unknown nested field", method: "POST", path: "/api/v1/apis", body: `{"name": "Refunds", "team": "payments", "links": [{"href": "https://x.example"}]}`,
			status: http.StatusBadRequest, contains: map[string]string{"error.message": `unknown field "href"; this endpoint accepts slug, name, description, team, kind, visibility, tags, links (title, url)`}},
		{name: "array instead of object", method: "POST", path: "/api/v1/teams", body: `[]`, status: http.StatusBadRequest,
			contains: map[string]string{"error.message": "must be a JSON object"}},
		{name: "form content type", method: "POST", path: "/api/v1/teams", body: "name=Risk", contentType: "application/x-www-form-urlencoded",
			status: http.StatusUnsupportedMediaType, contains: map[string]string{"error.message": "Content-Type: application/json"}},
		{name: "no content type", method: "PUT", path: "/api/v1/teams/payments", body: `{"name": "Payments"}`, contentType: "-",
			status: http.StatusUnsupportedMediaType},
		{name: "JSON body over 1 MB", method: "POST", path: "/api/v1/teams",
			body: `{"name": "Risk", "description": "` + strings.Repeat("x", 1<<20) + `"}`, status: http.StatusRequestEntityTooLarge,
			contains: map[string]string{"error.message": "1 MB"}},

		{name: "spec that is not OpenAPI", method: "PUT", path: spec, body: "hello: world\n", status: http.StatusUnprocessableEntity,
			check: func(t *testing.T, r *apiResponse) {
				if len(r.list(t, "error.problems")) == 0 {
					t.Error("no problems listed")
				}
			}},
		{name: "spec with a YAML syntax error", method: "PUT", path: spec, body: "openapi: 3.0.3\ninfo: [\n", status: http.StatusUnprocessableEntity,
			check: func(t *testing.T, r *apiResponse) {
				if line := fmt.Sprint(r.get("error.problems.0.line")); line == "0" || line == "<nil>" {
					t.Errorf("the problem has no line: %s", r.raw)
				}
			}},
		{name: "spec that is not UTF-8", method: "PUT", path: spec, body: "openapi: 3.0.3\ninfo:\n  title: \xff\xfe\n", status: http.StatusUnprocessableEntity,
			check: func(t *testing.T, r *apiResponse) {
				if len(r.list(t, "error.problems")) == 0 {
					t.Error("no problems listed")
				}
			}},
		{name: "spec over the limit", method: "PUT", path: spec, body: ordersSpec + "# " + strings.Repeat("x", specLimit) + "\n",
			status: http.StatusRequestEntityTooLarge, contains: map[string]string{"error.message": "4 KB"}},
		{name: "nothing was stored", method: "GET", path: "/api/v1/apis/payments-api/versions/v1/revisions", status: http.StatusOK,
			expect: map[string]any{"items": []string{}}},
		{name: "no current revision", method: "GET", path: "/api/v1/apis/payments-api/versions/v1", status: http.StatusOK,
			expect: map[string]any{"current_revision": nil, "endpoints": []string{}}},
		{name: "no spec yet", method: "GET", path: spec, status: http.StatusNotFound,
			contains: map[string]string{"error.message": "has no spec yet"}},

		{name: "unknown API", method: "GET", path: "/api/v1/apis/nope", status: http.StatusNotFound,
			expect: map[string]any{"error.status": 404, "error.message": `there is no API "nope"`}},
		{name: "update unknown API", method: "PUT", path: "/api/v1/apis/nope", body: `{"name": "Nope", "team": "payments"}`, status: http.StatusNotFound},
		{name: "unknown version", method: "GET", path: "/api/v1/apis/payments-api/versions/v9", status: http.StatusNotFound,
			expect: map[string]any{"error.message": `API "payments-api" has no version "v9"`}},
		{name: "spec for a version of an unknown API", method: "PUT", path: "/api/v1/apis/nope/versions/v1/spec", body: ordersSpec, status: http.StatusNotFound,
			expect: map[string]any{"error.message": `there is no API "nope"`}},
		{name: "unknown team", method: "DELETE", path: "/api/v1/teams/nope", status: http.StatusNotFound,
			expect: map[string]any{"error.message": `there is no team "nope"`}},
		{name: "unknown endpoint", method: "GET", path: "/api/v1/widgets", status: http.StatusNotFound, undocumented: true,
			contains: map[string]string{"error.message": "openapi.json"}},
	})
}
