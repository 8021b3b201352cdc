package match

import (
	"strings"
	"testing"

	"github.com/steward-governance/steward/traffic"
)

// catalogue is a small but awkward catalogue: two versions of one API on
// one host, a spec base path, a shared host and base path, a root mount,
// mixed segments and a catch-all.
func catalogue(t *testing.T) *Matcher {
	t.Helper()
	m, err := New([]Target{
		{
			VersionID:   1,
			Deployments: []string{"https://api.example.com/v1/", "https://staging-api.example.com:8443/v1"},
			Operations: []Operation{
				{"GET", "/"},
				{"get", "/pets"},
				{"POST", "/pets"},
				{"GET", "/pets/{petId}"},
				{"DELETE", "/pets/{petId}"},
				{"GET", "/pets/mine"},
				{"GET", "/pets/{petId}/toys/{toyId}"},
				{"GET", "/files/{name}.json"},
				{"GET", "/reports/v{major}"},
				{"GET", "/proxy/{proxy+}"},
			},
		},
		{
			VersionID:   2,
			Deployments: []string{"https://api.example.com/v2"},
			Operations:  []Operation{{"GET", "/pets/{id}"}, {"PUT", "/pets/{id}"}},
		},
		{
			VersionID:   3,
			Deployments: []string{"https://orders.example.com"},
			BasePath:    "/api",
			Operations: []Operation{
				{"GET", "/orders/{orderId}"},
				{"PATCH", "/orders/{orderId}"},
				{"GET", "/orders/{orderId}/items"},
			},
		},
		{
			VersionID:   4,
			Deployments: []string{"https://shared.example.com"},
			Operations:  []Operation{{"GET", "/things/{id}"}, {"DELETE", "/things/{id}"}},
		},
		{
			VersionID:   5,
			Deployments: []string{"https://shared.example.com/"},
			Operations:  []Operation{{"GET", "/things/{thingId}"}},
		},
		{
			VersionID:   6,
			Deployments: []string{"HTTPS://API.Example.org:443"},
			Operations:  []Operation{{"GET", "/users/{userId}"}},
		},
		{
			VersionID:   7,
			Deployments: []string{"api.example.com"},
			Operations:  []Operation{{"GET", "/status"}},
		},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

func TestMatch(t *testing.T) {
	m := catalogue(t)
	documented := func(id int64, method, template string) Result {
		return Result{VersionID: id, Method: method, Template: template, Matched: true, Documented: true}
	}
	undocumentedMethod := func(id int64, method, template string) Result {
		return Result{VersionID: id, Method: method, Template: template, Matched: true}
	}
	undocumentedPath := func(id int64, method, template string) Result {
		return Result{VersionID: id, Method: method, Template: template, Matched: true, Inferred: true}
	}
	unmatched := func(method, template string) Result {
		return Result{Method: method, Template: template, Inferred: true}
	}
	tests := []struct {
		name   string
		host   string
		method string
		path   string
		route  string
		want   Result
	}{
		{"literal", "api.example.com", "GET", "/v1/pets", "", documented(1, "GET", "/pets")},
		{"lower-case method in spec", "api.example.com", "POST", "/v1/pets", "", documented(1, "POST", "/pets")},
		{"parameter", "api.example.com", "GET", "/v1/pets/42", "", documented(1, "GET", "/pets/{petId}")},
		{"literal beats parameter", "api.example.com", "GET", "/v1/pets/mine", "", documented(1, "GET", "/pets/mine")},
		{"literal wins before the method is checked", "api.example.com", "DELETE", "/v1/pets/mine", "", undocumentedMethod(1, "DELETE", "/pets/mine")},
		{"nested parameters", "api.example.com", "GET", "/v1/pets/42/toys/7", "", documented(1, "GET", "/pets/{petId}/toys/{toyId}")},
		{"backtracks from a dead-end literal", "api.example.com", "GET", "/v1/pets/mine/toys/7", "", documented(1, "GET", "/pets/{petId}/toys/{toyId}")},
		{"mixed segment", "api.example.com", "GET", "/v1/files/report.json", "", documented(1, "GET", "/files/{name}.json")},
		{"mixed segment needs its parameter", "api.example.com", "GET", "/v1/files/.json", "", undocumentedPath(1, "GET", "/files/.json")},
		{"mixed segment with a prefix", "api.example.com", "GET", "/v1/reports/v3", "", documented(1, "GET", "/reports/v{major}")},
		{"catch-all", "api.example.com", "GET", "/v1/proxy/a/b/c", "", documented(1, "GET", "/proxy/{proxy+}")},
		{"catch-all needs a segment", "api.example.com", "GET", "/v1/proxy", "", undocumentedPath(1, "GET", "/proxy")},
		{"base path alone is the root", "api.example.com", "GET", "/v1", "", documented(1, "GET", "/")},
		{"trailing slash", "api.example.com", "GET", "/v1/pets/", "", documented(1, "GET", "/pets")},
		{"doubled slash", "api.example.com", "GET", "/v1//pets", "", documented(1, "GET", "/pets")},
		{"HEAD where GET is documented", "api.example.com", "HEAD", "/v1/pets/42", "", documented(1, "HEAD", "/pets/{petId}")},
		{"undocumented method", "api.example.com", "PATCH", "/v1/pets/42", "", undocumentedMethod(1, "PATCH", "/pets/{petId}")},
		{"non-standard method", "api.example.com", "PROPFIND", "/v1/pets/42", "", undocumentedMethod(1, "PROPFIND", "/pets/{petId}")},
		{"undocumented path", "api.example.com", "GET", "/v1/owners/42", "", undocumentedPath(1, "GET", "/owners/{id}")},
		{"other base path, other version", "api.example.com", "PUT", "/v2/pets/9", "", documented(2, "PUT", "/pets/{id}")},
		{"base path is matched whole segments", "api.example.com", "GET", "/v10/pets", "", undocumentedPath(7, "GET", "/v10/pets")},
		{"root mount", "api.example.com", "GET", "/status", "", documented(7, "GET", "/status")},
		{"longest base path claims what nobody documents", "api.example.com", "GET", "/v1/status", "", undocumentedPath(1, "GET", "/status")},
		{"non-default port deployment", "staging-api.example.com", "GET", "/v1/pets", "", documented(1, "GET", "/pets")},
		{"host case and port", "API.Example.COM:443", "GET", "/v1/pets", "", documented(1, "GET", "/pets")},
		{"fully qualified host", "api.example.com.", "GET", "/v1/pets", "", documented(1, "GET", "/pets")},
		{"deployment host case and default port", "api.example.org", "GET", "/users/u1", "", documented(6, "GET", "/users/{userId}")},
		{"spec base path", "orders.example.com", "GET", "/api/orders/5/items", "", documented(3, "GET", "/orders/{orderId}/items")},
		{"outside every base path", "orders.example.com", "GET", "/orders/5", "", unmatched("GET", "/orders/{id}")},
		{"newest version documenting the method", "shared.example.com", "GET", "/things/1", "", documented(5, "GET", "/things/{thingId}")},
		{"older version documenting the method", "shared.example.com", "DELETE", "/things/1", "", documented(4, "DELETE", "/things/{id}")},
		{"nobody documents the method: newest", "shared.example.com", "POST", "/things/1", "", undocumentedMethod(5, "POST", "/things/{thingId}")},

		{"route with base path", "api.example.com", "GET", "/v1/pets/42", "/v1/pets/:id", documented(1, "GET", "/pets/{petId}")},
		{"route without base path", "api.example.com", "GET", "/v1/pets/42", "/pets/<int:petId>", documented(1, "GET", "/pets/{petId}")},
		{"route decides over literal path", "api.example.com", "GET", "/v1/pets/mine", "/v1/pets/{petId}", documented(1, "GET", "/pets/{petId}")},
		{"route with mixed segment", "api.example.com", "GET", "/v1/files/a.json", "/v1/files/:file.json", documented(1, "GET", "/files/{name}.json")},
		{"route catch-all", "api.example.com", "GET", "/v1/proxy/x/y", "/v1/proxy/*rest", documented(1, "GET", "/proxy/{proxy+}")},
		{"route when no base path fits the path", "orders.example.com", "GET", "/orders/5", "/orders/:orderId", documented(3, "GET", "/orders/{orderId}")},
		{"route decides only among fitting base paths", "api.example.com", "PUT", "/pets/42", "/pets/{id}", undocumentedPath(7, "PUT", "/pets/{id}")},
		{"path's base path beats a route documenting the method elsewhere", "api.example.com", "PUT", "/v1/pets/42", "/pets/:id", undocumentedMethod(1, "PUT", "/pets/{petId}")},
		{"unknown route falls back to the path", "api.example.com", "GET", "/v1/pets/42", "/v1/{proxy+}", documented(1, "GET", "/pets/{petId}")},
		{"unknown route names the template", "api.example.com", "GET", "/v1/owners/abc", "/v1/owners/:ownerId", undocumentedPath(1, "GET", "/owners/{ownerId}")},
		{"undocumented method by route", "api.example.com", "PATCH", "/v1/pets/42", "/v1/pets/:id", undocumentedMethod(1, "PATCH", "/pets/{petId}")},

		{"unknown host", "unknown.example.net", "GET", "/v1/users/123/orders/550e8400-e29b-41d4-a716-446655440000", "", unmatched("GET", "/v1/users/{id}/orders/{uuid}")},
		{"unknown host with route", "unknown.example.net", "GET", "/users/123", "/users/:id", unmatched("GET", "/users/{id}")},
		{"no host", "", "GET", "/v1/pets", "", unmatched("GET", "/v1/pets")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m.Match(&traffic.Event{Host: tt.host, Method: tt.method, Path: tt.path, Route: tt.route})
			if got != tt.want {
				t.Errorf("Match(%s %s %s route %q)\n got %+v\nwant %+v", tt.method, tt.host, tt.path, tt.route, got, tt.want)
			}
		})
	}
}

func TestNewReportsWhatItSkips(t *testing.T) {
	m, err := New([]Target{{
		VersionID:   9,
		Deployments: []string{"https://", "http://[::1", "https://good.example.com/api"},
		Operations:  []Operation{{"FETCH", "/a"}, {"GET", "/b/{id}"}},
	}})
	if err == nil {
		t.Fatal("New: want an error for the unreadable deployments and method")
	}
	for _, want := range []string{`"https://": no host`, `"http://[::1"`, `unknown method "FETCH"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("New error %q does not mention %s", err, want)
		}
	}
	got := m.Match(&traffic.Event{Host: "good.example.com", Method: "GET", Path: "/api/b/1"})
	want := Result{VersionID: 9, Method: "GET", Template: "/b/{id}", Matched: true, Documented: true}
	if got != want {
		t.Errorf("Match after skipped input = %+v, want %+v", got, want)
	}
}

func TestMatchDocumentedDoesNotAllocate(t *testing.T) {
	m := catalogue(t)
	events := []traffic.Event{
		{Host: "api.example.com", Method: "GET", Path: "/v1/pets/42/toys/7"},
		{Host: "api.example.com", Method: "GET", Path: "/v1/files/report.json"},
		{Host: "api.example.com", Method: "GET", Path: "/v1/pets/42", Route: "/v1/pets/:id"},
		{Host: "shared.example.com", Method: "DELETE", Path: "/things/1"},
		{Host: "unknown.example.net", Method: "GET", Path: "/v1/pets"},
	}
	for _, e := range events {
		if allocs := testing.AllocsPerRun(100, func() { m.Match(&e) }); allocs != 0 {
			t.Errorf("Match(%s %s%s) allocates %v times, want 0", e.Method, e.Host, e.Path, allocs)
		}
	}
}
