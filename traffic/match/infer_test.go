package match

import "testing"

func TestInferTemplate(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{"/", "/"},
		{"", "/"},
		{"/pets", "/pets"},
		{"/v2/pets/", "/v2/pets"},
		{"//v2//pets", "/v2/pets"},
		{"pets/12", "/pets/{id}"},
		{"/users/12345/orders/67", "/users/{id}/orders/{id}"},
		{"/orders/550e8400-e29b-41d4-a716-446655440000", "/orders/{uuid}"},
		{"/orders/550E8400-E29B-41D4-A716-446655440000/items", "/orders/{uuid}/items"},
		{"/repos/deadbeefcafe0123/commits/3f786850e387550fdab836ed7e6dc881de23001b", "/repos/{id}/commits/{id}"},
		{"/documents/507f1f77bcf86cd799439011", "/documents/{id}"},
		{"/short-hex/abc123", "/short-hex/abc123"},
		{"/events/01ARZ3NDEKTSV4RRFFQ69G5FAV", "/events/{id}"},
		{"/events/01arz3ndektsv4rrffq69g5fav", "/events/{id}"},
		{"/payments/pi_3MtwBwLkdIwHu7ix28a3tqPa", "/payments/{id}"},
		{"/share/k3j4h5g6f7d8s9a0q1w2", "/share/{id}"},
		{"/invites/dGhpcyBpcyBhIHRlc3QgdG9rZW4", "/invites/{id}"},
		{"/invites/ThisIsATestTokenWithOneDigit1", "/invites/ThisIsATestTokenWithOneDigit1"},
		{"/invites/dG9rZW4xMjM0NTY3ODkwYWJj", "/invites/{id}"},
		{"/.well-known/oauth2-authorization-server", "/.well-known/oauth2-authorization-server"},
		{"/rpc/listOrdersByCustomerV2", "/rpc/listOrdersByCustomerV2"},
		{"/reports/2024-01-31", "/reports/{date}"},
		{"/reports/2024-01", "/reports/{date}"},
		{"/reports/2024-13", "/reports/2024-13"},
		{"/audit/2024-01-31T10:15:00Z/entries", "/audit/{date}/entries"},
		{"/users/jane.doe@example.com/keys", "/users/{email}/keys"},
		{"/users/@handle", "/users/@handle"},
		{"/exports/42.csv", "/exports/{id}.csv"},
		{"/exports/550e8400-e29b-41d4-a716-446655440000.json", "/exports/{uuid}.json"},
		{"/static/app.js", "/static/app.js"},
		{"/api/v1/health", "/api/v1/health"},
		{"/years/2024/summary", "/years/{id}/summary"},
	}
	for _, tt := range tests {
		if got := InferTemplate(tt.path); got != tt.want {
			t.Errorf("InferTemplate(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestInferTemplateKeepsCanonicalPathsWithoutAllocating(t *testing.T) {
	for _, path := range []string{"/", "/v1/pets", "/api/v2/users/me/settings"} {
		if allocs := testing.AllocsPerRun(100, func() { _ = InferTemplate(path) }); allocs != 0 {
			t.Errorf("InferTemplate(%q) allocates %v times, want 0", path, allocs)
		}
	}
}

func TestNormaliseTemplate(t *testing.T) {
	tests := []struct {
		template string
		want     string
	}{
		{"/users/{id}", "/users/{id}"},
		{"/users/:id", "/users/{id}"},
		{"/users/<id>", "/users/{id}"},
		{"/users/<int:id>/posts/<slug>", "/users/{id}/posts/{slug}"},
		{"/users/{id:[0-9]+}", "/users/{id}"},
		{"/users/{id:[0-9]{3}}", "/users/{id}"},
		{"/users/:id(\\d+)/", "/users/{id}"},
		{"/users/:id?", "/users/{id}"},
		{"/files/{name}.json", "/files/{name}.json"},
		{"/files/:name.json", "/files/{name}.json"},
		{"/v1/{name}:cancel", "/v1/{name}:cancel"},
		{"/proxy/{proxy+}", "/proxy/{proxy...}"},
		{"/static/*filepath", "/static/{filepath...}"},
		{"/static/<path:p>", "/static/{p...}"},
		{"/files/{path...}", "/files/{path...}"},
		{"/braces/{}", "/braces/{}"},
		{"/less/<than", "/less/<than"},
		{"", "/"},
	}
	for _, tt := range tests {
		if got := NormaliseTemplate(tt.template); got != tt.want {
			t.Errorf("NormaliseTemplate(%q) = %q, want %q", tt.template, got, tt.want)
		}
	}
}
