package kong

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const adminToken = "kong-admin-7Qm2xV9pL4wZ"

// fakeAdminAPI serves hand-written Admin API pages from a testdata directory
// holding {collection}.json, {collection}-2.json and so on. GET
// {prefix}/{collection} answers with the first page; ?offset=X answers with
// the page after the one whose "offset" field is X, so offsets and next
// links are exactly what the fixtures say. When token is set it behaves as
// Kong with RBAC on and rejects requests without it.
type fakeAdminAPI struct {
	prefix string
	token  string
	pages  map[string][]byte // collection + "?" + offset → body

	mu       sync.Mutex
	requests []*http.Request
}

func newFakeAdminAPI(t *testing.T, dir, prefix, token string) (*fakeAdminAPI, *httptest.Server) {
	t.Helper()
	f := &fakeAdminAPI{prefix: prefix, token: token, pages: make(map[string][]byte)}
	for _, collection := range []string{"services", "routes", "plugins"} {
		offset := ""
		for n := 1; ; n++ {
			name := collection + ".json"
			if n > 1 {
				name = collection + "-" + strconv.Itoa(n) + ".json"
			}
			body := readFixture(t, filepath.Join(dir, name))
			f.pages[collection+"?"+offset] = body
			var page struct {
				Offset string `json:"offset"`
			}
			if err := json.Unmarshal(body, &page); err != nil {
				t.Fatalf("fixture %s/%s: %v", dir, name, err)
			}
			if page.Offset == "" {
				break
			}
			offset = page.Offset
		}
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeAdminAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Clone(context.Background()))
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if f.token != "" && r.Header.Get("Kong-Admin-Token") != f.token {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write(mustRead("testdata/errors/unauthorized.json"))
		return
	}
	collection, ok := strings.CutPrefix(r.URL.Path, f.prefix+"/")
	if r.Method != http.MethodGet || !ok || strings.Contains(collection, "/") {
		w.WriteHeader(http.StatusNotFound)
		w.Write(mustRead("testdata/errors/not-found.json"))
		return
	}
	body, ok := f.pages[collection+"?"+r.URL.Query().Get("offset")]
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		w.Write(mustRead("testdata/errors/invalid-offset.json"))
		return
	}
	w.Write(body)
}

func (f *fakeAdminAPI) requestURIs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var uris []string
	for _, r := range f.requests {
		uris = append(uris, r.URL.RequestURI())
	}
	return uris
}

func readFixture(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustRead is readFixture for handlers, which run off the test goroutine.
func mustRead(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return b
}

// serveFixture answers every request with one fixture.
func serveFixture(status int, contentType, path string) http.HandlerFunc {
	body := mustRead(path)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write(body)
	}
}

// assertNoToken fails if the token shows in any way err can be printed.
func assertNoToken(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out := fmt.Sprintf(format, err)
		for _, secret := range append(secrets, adminToken) {
			if strings.Contains(out, secret) {
				t.Errorf("error printed with %s contains the secret %q: %s", format, secret, out)
			}
		}
	}
}

func shopRequests(prefix string) []string {
	return []string{
		prefix + "/services?size=1000",
		prefix + "/services?offset=WyI2NWM3ZjhhOS1mYzdiLTQ4YzEtYTAyYy0zZjZjYjRiNjYyODEiXQ&size=1000",
		prefix + "/services?offset=WyJjODJjZjQ2OC0xM2M2LTRjNWItOWNlZi0wYjg4NmE0NWI4MTUiXQ&size=1000",
		prefix + "/routes?size=1000",
		prefix + "/routes?offset=WyJkMTEyNGJkYi03MWFlLTQwNjAtOGQ2MS0yZTAwNTFjMzg0MmYiXQ&size=1000",
		prefix + "/plugins?size=1000",
		prefix + "/plugins?offset=WyJjNjNjNmQzZS02NDMzLTQzNWItODkwNy0xOTI4NTEwM2YyZjUiXQ&size=1000",
	}
}

func TestFetchFollowsPagination(t *testing.T) {
	tests := []struct {
		name         string
		dir          string
		prefix       string // where the fake serves the Admin API
		basePath     string // appended to the server's URL to make BaseURL
		workspace    string
		wantServices int
		wantRoutes   int
		wantPlugins  int
		wantRequests []string
	}{
		{
			name:         "services over three pages, routes and plugins over two",
			dir:          "testdata/shop",
			wantServices: 4, wantRoutes: 5, wantPlugins: 8,
			wantRequests: shopRequests(""),
		},
		{
			// Kong's next links omit the workspace; the client must stay in it.
			name:         "workspace",
			dir:          "testdata/shop",
			prefix:       "/payments",
			workspace:    "payments",
			wantServices: 4, wantRoutes: 5, wantPlugins: 8,
			wantRequests: shopRequests("/payments"),
		},
		{
			name:         "Admin API behind a path prefix, with a workspace",
			dir:          "testdata/shop",
			prefix:       "/kong-admin/payments",
			basePath:     "/kong-admin/",
			workspace:    "payments",
			wantServices: 4, wantRoutes: 5, wantPlugins: 8,
			wantRequests: shopRequests("/kong-admin/payments"),
		},
		{
			// Older Kong encodes an empty list as {}.
			name: "empty gateway",
			dir:  "testdata/empty",
			wantRequests: []string{
				"/services?size=1000",
				"/routes?size=1000",
				"/plugins?size=1000",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, srv := newFakeAdminAPI(t, tt.dir, tt.prefix, adminToken)
			c := &Client{BaseURL: srv.URL + tt.basePath, Token: adminToken, Workspace: tt.workspace}

			snap, err := c.Fetch(t.Context())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(snap.Services) != tt.wantServices || len(snap.Routes) != tt.wantRoutes || len(snap.Plugins) != tt.wantPlugins {
				t.Errorf("got %d services, %d routes, %d plugins; want %d, %d, %d",
					len(snap.Services), len(snap.Routes), len(snap.Plugins), tt.wantServices, tt.wantRoutes, tt.wantPlugins)
			}
			if snap.Workspace != tt.workspace {
				t.Errorf("Workspace = %q, want %q", snap.Workspace, tt.workspace)
			}
			if got := fake.requestURIs(); !reflect.DeepEqual(got, tt.wantRequests) {
				t.Errorf("requests:\n got  %q\n want %q", got, tt.wantRequests)
			}
			for _, r := range fake.requests {
				if got := r.Header.Get("Kong-Admin-Token"); got != adminToken {
					t.Errorf("%s sent Kong-Admin-Token %q, want the admin token", r.URL.Path, got)
				}
				if got := r.Header.Get("Authorization"); got != "" {
					t.Errorf("%s sent Authorization %q, want none", r.URL.Path, got)
				}
			}
		})
	}
}

func TestFetchSendsTokenInTheRightHeader(t *testing.T) {
	tests := []struct {
		name              string
		token             string
		wantAdminToken    string
		wantAuthorization string
	}{
		{name: "Kong Enterprise admin token", token: adminToken, wantAdminToken: adminToken},
		{name: "token read from a file with a trailing newline", token: adminToken + "\n", wantAdminToken: adminToken},
		{name: "Konnect personal access token", token: "kpat_xgfT8s0mQ2", wantAuthorization: "Bearer kpat_xgfT8s0mQ2"},
		{name: "Konnect system account token", token: "spat_Lk3n9Qe1", wantAuthorization: "Bearer spat_Lk3n9Qe1"},
		{name: "no token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, srv := newFakeAdminAPI(t, "testdata/empty", "", "")
			c := &Client{BaseURL: srv.URL, Token: tt.token}
			if _, err := c.Fetch(t.Context()); err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			for _, r := range fake.requests {
				if got := r.Header.Get("Kong-Admin-Token"); got != tt.wantAdminToken {
					t.Errorf("Kong-Admin-Token = %q, want %q", got, tt.wantAdminToken)
				}
				if got := r.Header.Get("Authorization"); got != tt.wantAuthorization {
					t.Errorf("Authorization = %q, want %q", got, tt.wantAuthorization)
				}
			}
		})
	}
}

func TestFetchDecodesKongEntities(t *testing.T) {
	_, srv := newFakeAdminAPI(t, "testdata/shop", "", "")
	snap, err := (&Client{BaseURL: srv.URL}).Fetch(t.Context())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}

	wantService := Service{
		ID:        "be134479-3da0-4bc5-ae4f-34d6167131d4",
		Name:      "orders",
		Protocol:  "https",
		Host:      "orders.internal",
		Port:      8443,
		Path:      "/v1",
		Enabled:   true,
		Tags:      []string{"team:orders", "tier:gold"},
		CreatedAt: time.Date(2024, 6, 4, 12, 0, 0, 0, time.UTC),
		UpdatedAt: time.Date(2024, 7, 1, 14, 0, 0, 0, time.UTC),
	}
	if !reflect.DeepEqual(snap.Services[0], wantService) {
		t.Errorf("service:\n got  %+v\n want %+v", snap.Services[0], wantService)
	}
	if s := snap.Services[1]; s.Path != "" || s.Tags != nil {
		t.Errorf("billing has path null and tags null; got path %q, tags %q", s.Path, s.Tags)
	}
	if s := snap.Services[2]; s.Name != "legacy-reports" || s.Enabled {
		t.Errorf("legacy-reports is disabled; got %+v", s)
	}

	wantRoute := Route{
		ID:        "d1124bdb-71ae-4060-8d61-2e0051c3842f",
		Name:      "orders-admin",
		ServiceID: "be134479-3da0-4bc5-ae4f-34d6167131d4",
		Protocols: []string{"http", "https"},
		Paths:     []string{"/admin/orders", `~/admin/orders/\d+$`},
		StripPath: false,
		CreatedAt: time.Unix(1717502520, 0).UTC(),
		UpdatedAt: time.Unix(1717502520, 0).UTC(),
	}
	if !reflect.DeepEqual(snap.Routes[1], wantRoute) {
		t.Errorf("route:\n got  %+v\n want %+v", snap.Routes[1], wantRoute)
	}

	wantPlugins := map[string]Plugin{
		"1d784c1f-2be2-41c6-804c-259e5a063d0f": {
			ID: "1d784c1f-2be2-41c6-804c-259e5a063d0f", Name: "key-auth", InstanceName: "orders-key-auth",
			Enabled: true, ServiceID: "be134479-3da0-4bc5-ae4f-34d6167131d4",
			Protocols: []string{"grpc", "grpcs", "http", "https", "ws", "wss"}, Tags: []string{"team:orders"},
			CreatedAt: time.Unix(1717502600, 0).UTC(), UpdatedAt: time.Unix(1717502600, 0).UTC(),
		},
		"f3756e07-7468-4b32-9fa5-53e23acb838e": {
			ID: "f3756e07-7468-4b32-9fa5-53e23acb838e", Name: "rate-limiting-advanced",
			Enabled: true, ConsumerID: "06c6a7ba-150d-4fe8-ae94-4850153aa53b",
			Protocols: []string{"grpc", "grpcs", "http", "https"}, Tags: []string{"partner:acme"},
			CreatedAt: time.Unix(1717600000, 0).UTC(), UpdatedAt: time.Unix(1717600000, 0).UTC(),
		},
		"0d6b660c-adc6-45a1-8724-c07c9abd0bd4": {
			ID: "0d6b660c-adc6-45a1-8724-c07c9abd0bd4", Name: "key-auth", Enabled: false,
			Protocols: []string{"grpc", "grpcs", "http", "https", "ws", "wss"},
			CreatedAt: time.Unix(1717500060, 0).UTC(), UpdatedAt: time.Unix(1719000000, 0).UTC(),
		},
	}
	for _, p := range snap.Plugins {
		if want, ok := wantPlugins[p.ID]; ok && !reflect.DeepEqual(p, want) {
			t.Errorf("plugin:\n got  %+v\n want %+v", p, want)
		}
	}
}

func TestFetchShopEndpoints(t *testing.T) {
	_, srv := newFakeAdminAPI(t, "testdata/shop", "", adminToken)
	snap, err := (&Client{BaseURL: srv.URL, Token: adminToken}).Fetch(t.Context())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}

	type facts struct {
		Route, Service                        string
		Authenticated, RateLimited, HTTPSOnly bool
		ServiceEnabled                        bool
		Plugins                               string
	}
	want := []facts{
		{"billing-invoices", "billing", true, true, true, true,
			"correlation-id@global jwt@route rate-limiting@global"},
		{"catalog-browse", "catalog", false, true, false, true,
			"correlation-id@global rate-limiting@global"},
		// Its basic-auth is disabled, as is the global key-auth.
		{"reports", "legacy-reports", false, true, false, false,
			"correlation-id@global rate-limiting@global"},
		{"orders-admin", "orders", true, true, false, true,
			"correlation-id@global key-auth@service rate-limiting@route"},
		{"orders-public", "orders", true, true, true, true,
			"correlation-id@global key-auth@service rate-limiting@global"},
	}
	endpoints := snap.Endpoints()
	var got []facts
	for _, e := range endpoints {
		var plugins []string
		for _, p := range e.Plugins {
			plugins = append(plugins, p.Name+"@"+string(p.Scope))
		}
		got = append(got, facts{e.RouteName, e.ServiceName, e.Authenticated, e.RateLimited, e.HTTPSOnly,
			e.ServiceEnabled, strings.Join(plugins, " ")})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("endpoints:\n got  %+v\n want %+v", got, want)
	}

	public := endpoints[4]
	if public.ServiceHost != "orders.internal" || public.ServicePort != 8443 || public.ServiceProtocol != "https" ||
		public.ServicePath != "/v1" || !reflect.DeepEqual(public.Paths, []string{"/orders"}) ||
		!reflect.DeepEqual(public.Methods, []string{"GET", "POST"}) ||
		!reflect.DeepEqual(public.Hosts, []string{"api.example.com"}) ||
		!reflect.DeepEqual(public.Protocols, []string{"https"}) || !public.StripPath {
		t.Errorf("orders-public endpoint: %+v", public)
	}
}

func TestFetchErrors(t *testing.T) {
	const jsonType = "application/json; charset=utf-8"
	firstPageThen := func(then http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("offset") == "" {
				w.Header().Set("Content-Type", jsonType)
				fmt.Fprint(w, `{"data":[],"next":"/services?offset=WyJhIl0&size=1000","offset":"WyJhIl0"}`)
				return
			}
			then(w, r)
		}
	}

	tests := []struct {
		name          string
		handler       http.HandlerFunc
		token         string
		workspace     string
		wantStatus    int
		wantRetryable bool
		wantIn        []string
		wantNotIn     []string
	}{
		{
			name:       "401 invalid credentials",
			handler:    serveFixture(401, jsonType, "testdata/errors/unauthorized.json"),
			token:      adminToken,
			wantStatus: 401,
			wantIn: []string{"list services", "HTTP 401 Unauthorized",
				`Kong says "Invalid credentials. Token or User credentials required"`,
				"check the admin token", "Kong-Admin-Token"},
		},
		{
			name:       "401 without a token",
			handler:    serveFixture(401, jsonType, "testdata/errors/unauthorized.json"),
			wantStatus: 401,
			wantIn:     []string{"HTTP 401", "requires an admin token"},
		},
		{
			name:       "403 role may not read",
			handler:    serveFixture(403, jsonType, "testdata/errors/forbidden.json"),
			token:      adminToken,
			workspace:  "payments",
			wantStatus: 403,
			wantIn:     []string{"HTTP 403", "do not have permissions", `read /services in workspace "payments"`},
		},
		{
			name:       "404 unknown workspace",
			handler:    serveFixture(404, jsonType, "testdata/errors/not-found.json"),
			token:      adminToken,
			workspace:  "paymnts",
			wantStatus: 404,
			wantIn:     []string{"/paymnts/services", "HTTP 404", `workspace "paymnts" exists`},
		},
		{
			name:       "404 because BaseURL is not the Admin API",
			handler:    serveFixture(404, jsonType, "testdata/errors/not-found.json"),
			token:      adminToken,
			wantStatus: 404,
			wantIn:     []string{"HTTP 404", "port 8001"},
		},
		{
			name:       "400 invalid offset on page 2",
			handler:    firstPageThen(serveFixture(400, jsonType, "testdata/errors/invalid-offset.json")),
			token:      adminToken,
			wantStatus: 400,
			wantIn:     []string{"list services (page 2)", "HTTP 400", "is not a valid offset"},
			wantNotIn:  []string{"offset=WyJhIl0"}, // the URL is shown without its query
		},
		{
			name:          "429 rate limited",
			handler:       serveFixture(429, jsonType, "testdata/errors/rate-limited.json"),
			token:         adminToken,
			wantStatus:    429,
			wantRetryable: true,
			wantIn:        []string{"HTTP 429", `Kong says "API rate limit exceeded"`, "retry later"},
		},
		{
			name:          "500 unexpected error",
			handler:       serveFixture(500, jsonType, "testdata/errors/server-error.json"),
			token:         adminToken,
			wantStatus:    500,
			wantRetryable: true,
			wantIn:        []string{"HTTP 500 Internal Server Error", `Kong says "An unexpected error occurred"`, "retry later"},
		},
		{
			name:          "502 from a proxy in front of Kong",
			handler:       serveFixture(502, "text/html", "testdata/errors/bad-gateway.html"),
			token:         adminToken,
			wantStatus:    502,
			wantRetryable: true,
			wantIn:        []string{"HTTP 502 Bad Gateway"},
			wantNotIn:     []string{"Kong says", "<html>"},
		},
		{
			name:          "503 on a later page",
			handler:       firstPageThen(serveFixture(503, jsonType, "testdata/errors/server-error.json")),
			token:         adminToken,
			wantStatus:    503,
			wantRetryable: true,
			wantIn:        []string{"list services (page 2)", "HTTP 503"},
		},
		{
			name:    "malformed JSON",
			handler: serveFixture(200, jsonType, "testdata/errors/malformed.json"),
			token:   adminToken,
			wantIn:  []string{"list services", "not valid JSON", "unexpected end of JSON input", "Kong Admin API address"},
		},
		{
			name:    "Kong Manager's HTML instead of the Admin API",
			handler: serveFixture(200, "text/html; charset=utf-8", "testdata/errors/manager.html"),
			token:   adminToken,
			wantIn:  []string{"not valid JSON", "HTML page", "Kong Manager, on port 8002"},
		},
		{
			name:    "JSON without a data list",
			handler: serveFixture(200, jsonType, "testdata/errors/root.json"),
			token:   adminToken,
			wantIn:  []string{`no "data" list`, "Kong Admin API address"},
		},
		{
			name: "data that is not a list of entities",
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `{"data":"services","next":null}`)
			},
			token:  adminToken,
			wantIn: []string{"decoding data", "not in the Admin API's shape"},
		},
		{
			name: "next link without an offset",
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `{"data":[],"next":"/services"}`)
			},
			token:  adminToken,
			wantIn: []string{`next link "/services" has no offset`},
		},
		{
			name: "offset that repeats",
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `{"data":[],"next":"/services?offset=WyJhIl0","offset":"WyJhIl0"}`)
			},
			token:  adminToken,
			wantIn: []string{"list services (page 2)", "already returned"},
		},
		{
			name: "page over 10 MiB",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"data":[`)
				w.Write(bytes.Repeat([]byte(" "), MaxPageBytes))
				io.WriteString(w, `],"next":null}`)
			},
			token:  adminToken,
			wantIn: []string{"larger than the 10 MiB"},
		},
		{
			name: "a proxy that echoes the token",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprintf(w, `{"message":"token %s may not read /services"}`, r.Header.Get("Kong-Admin-Token"))
			},
			token:      adminToken,
			wantStatus: 403,
			wantIn:     []string{"token [REDACTED] may not read"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			c := &Client{BaseURL: srv.URL, Token: tt.token, Workspace: tt.workspace}

			snap, err := c.Fetch(t.Context())
			if err == nil {
				t.Fatalf("Fetch succeeded with %d services; want an error", len(snap.Services))
			}
			if snap != nil {
				t.Errorf("Fetch returned a snapshot with its error")
			}
			var kerr *Error
			if !errors.As(err, &kerr) {
				t.Fatalf("error is %T, want *kong.Error: %v", err, err)
			}
			if kerr.StatusCode != tt.wantStatus {
				t.Errorf("StatusCode = %d, want %d", kerr.StatusCode, tt.wantStatus)
			}
			if got := IsRetryable(err); got != tt.wantRetryable {
				t.Errorf("IsRetryable = %v, want %v", got, tt.wantRetryable)
			}
			msg := err.Error()
			t.Log(msg)
			for _, s := range tt.wantIn {
				if !strings.Contains(msg, s) {
					t.Errorf("error does not say %q: %s", s, msg)
				}
			}
			for _, s := range tt.wantNotIn {
				if strings.Contains(msg, s) {
					t.Errorf("error says %q: %s", s, msg)
				}
			}
			assertNoToken(t, err)
		})
	}
}

func TestFetchStopsAtPageCap(t *testing.T) {
	var mu sync.Mutex
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		n := requests
		mu.Unlock()
		fmt.Fprintf(w, `{"data":[],"next":"/services?offset=p%d&size=1000","offset":"p%d"}`, n, n)
	}))
	defer srv.Close()

	_, err := (&Client{BaseURL: srv.URL, Token: adminToken}).Fetch(t.Context())
	if err == nil {
		t.Fatal("Fetch succeeded; want the page cap to stop it")
	}
	for _, s := range []string{"list services", "stopped after 1000 pages", "at most 1000000 services"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error does not say %q: %v", s, err)
		}
	}
	if IsRetryable(err) {
		t.Error("IsRetryable = true; a gateway over the cap stays over it")
	}
	if requests != MaxPages {
		t.Errorf("made %d requests, want %d", requests, MaxPages)
	}
	assertNoToken(t, err)
}

func TestFetchTransportErrors(t *testing.T) {
	tests := []struct {
		name          string
		setup         func(t *testing.T) (*Client, context.Context)
		wantRetryable bool
		wantIs        error
		wantIn        []string
	}{
		{
			name: "connection refused",
			setup: func(t *testing.T) (*Client, context.Context) {
				srv := httptest.NewServer(http.NotFoundHandler())
				srv.Close()
				return &Client{BaseURL: srv.URL, Token: adminToken}, t.Context()
			},
			wantRetryable: true,
			wantIn:        []string{"list services", "connection refused", "check BaseURL and that Kong is running"},
		},
		{
			name: "request timeout",
			setup: func(t *testing.T) (*Client, context.Context) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					select {
					case <-r.Context().Done():
					case <-time.After(5 * time.Second):
					}
				}))
				t.Cleanup(srv.Close)
				return &Client{BaseURL: srv.URL, Token: adminToken, HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}}, t.Context()
			},
			wantRetryable: true,
			wantIn:        []string{"Client.Timeout exceeded"},
		},
		{
			name: "caller cancelled",
			setup: func(t *testing.T) (*Client, context.Context) {
				srv := httptest.NewServer(http.NotFoundHandler())
				t.Cleanup(srv.Close)
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				return &Client{BaseURL: srv.URL, Token: adminToken}, ctx
			},
			wantIs: context.Canceled,
			wantIn: []string{"context canceled"},
		},
		{
			name: "redirect to another host",
			setup: func(t *testing.T) (*Client, context.Context) {
				elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					t.Errorf("the redirect was followed; Kong-Admin-Token %q reached another host", r.Header.Get("Kong-Admin-Token"))
				}))
				t.Cleanup(elsewhere.Close)
				// Same port, different host name: Go sees another host.
				target := strings.Replace(elsewhere.URL, "127.0.0.1", "localhost", 1)
				srv := httptest.NewServer(http.RedirectHandler(target+"/services", http.StatusFound))
				t.Cleanup(srv.Close)
				return &Client{BaseURL: srv.URL, Token: adminToken}, t.Context()
			},
			wantIn: []string{"refused a redirect to http://localhost:", "only to BaseURL's host"},
		},
		{
			name: "untrusted TLS certificate",
			setup: func(t *testing.T) (*Client, context.Context) {
				srv := httptest.NewUnstartedServer(http.NotFoundHandler())
				srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
				srv.StartTLS()
				t.Cleanup(srv.Close)
				return &Client{BaseURL: srv.URL, Token: adminToken}, t.Context()
			},
			wantIn: []string{"certificate", "TLS certificate is not trusted"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ctx := tt.setup(t)
			_, err := c.Fetch(ctx)
			if err == nil {
				t.Fatal("Fetch succeeded; want an error")
			}
			t.Log(err)
			if got := IsRetryable(err); got != tt.wantRetryable {
				t.Errorf("IsRetryable = %v, want %v: %v", got, tt.wantRetryable, err)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(err, %v) = false: %v", tt.wantIs, err)
			}
			for _, s := range tt.wantIn {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error does not say %q: %v", s, err)
				}
			}
			assertNoToken(t, err)
		})
	}
}

func TestFetchRejectsBadSettings(t *testing.T) {
	tests := []struct {
		name   string
		client Client
		wantIn string
	}{
		{"no BaseURL", Client{Token: adminToken}, "BaseURL is empty"},
		{"BaseURL without a scheme", Client{BaseURL: "kong:8001", Token: adminToken}, "not an absolute http or https URL"},
		{"BaseURL with another scheme", Client{BaseURL: "ftp://kong:8001", Token: adminToken}, "not an absolute http or https URL"},
		{"BaseURL that does not parse", Client{BaseURL: "http://admin:hunter2@kong admin:8001", Token: adminToken}, "BaseURL is not a valid URL"},
		{"workspace with a slash", Client{BaseURL: "http://kong:8001", Workspace: "team/a", Token: adminToken}, `workspace "team/a" is not a Kong workspace name`},
		{"token with a control character", Client{BaseURL: "http://kong:8001", Token: "kong-admin\x00" + adminToken}, "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.client.Fetch(t.Context())
			if err == nil {
				t.Fatal("Fetch succeeded; want an error")
			}
			if !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("error does not say %q: %v", tt.wantIn, err)
			}
			if IsRetryable(err) {
				t.Errorf("IsRetryable = true for a settings problem: %v", err)
			}
			assertNoToken(t, err, "hunter2")
		})
	}
}

func TestClientPrintsWithoutToken(t *testing.T) {
	c := Client{BaseURL: "http://steward:hunter2@kong:8001", Token: adminToken, Workspace: "payments"}

	var jsonLog, textLog bytes.Buffer
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("sync", "client", c, "ptr", &c)
	slog.New(slog.NewTextHandler(&textLog, nil)).Info("sync", "client", c, "ptr", &c)

	outputs := map[string]string{
		"slog JSON": jsonLog.String(),
		"slog text": textLog.String(),
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		outputs[format+" value"] = fmt.Sprintf(format, c)
		outputs[format+" pointer"] = fmt.Sprintf(format, &c)
	}
	for how, out := range outputs {
		if strings.Contains(out, adminToken) || strings.Contains(out, "hunter2") {
			t.Errorf("%s prints a secret: %s", how, out)
		}
		if !strings.Contains(out, "kong:8001") || !strings.Contains(out, "payments") {
			t.Errorf("%s lost the address or workspace: %s", how, out)
		}
	}
	if got := c.String(); !strings.Contains(got, `Token: "[REDACTED]"`) {
		t.Errorf("String() = %s; want it to show a token is set", got)
	}
}
