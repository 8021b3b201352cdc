package jobs_test

import (
	"context"
	"encoding/json"
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

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/sealing"
	"github.com/steward-governance/steward/traffic"
)

const kongToken = "kong-admin-7Qm2xV9pL4wZ"

// fakeKong serves the Admin API from gateway/kong's fixtures, which follow
// Kong's documented JSON: {collection}.json, {collection}-2.json and so on,
// chained by their "offset" fields. With a token set it answers 401 as Kong
// with RBAC does to requests without it.
type fakeKong struct {
	token string

	mu    sync.Mutex
	pages map[string][]byte // collection + "?" + offset → body
	// failWith, when set, answers every request with that status.
	failWith int
}

func newFakeKong(t *testing.T, dir, token string) (*fakeKong, *httptest.Server) {
	t.Helper()
	f := &fakeKong{token: token}
	f.load(t, dir)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func kongFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "gateway", "kong", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// load serves the fixtures in dir from now on.
func (f *fakeKong) load(t *testing.T, dir string) {
	t.Helper()
	pages := map[string][]byte{}
	for _, collection := range []string{"services", "routes", "plugins"} {
		offset := ""
		for n := 1; ; n++ {
			name := collection + ".json"
			if n > 1 {
				name = collection + "-" + strconv.Itoa(n) + ".json"
			}
			body := kongFixture(t, filepath.Join(dir, name))
			pages[collection+"?"+offset] = body
			var page struct {
				Offset string `json:"offset"`
			}
			if err := json.Unmarshal(body, &page); err != nil {
				t.Fatal(err)
			}
			if page.Offset == "" {
				break
			}
			offset = page.Offset
		}
	}
	f.mu.Lock()
	f.pages = pages
	f.mu.Unlock()
}

func (f *fakeKong) fail(status int) {
	f.mu.Lock()
	f.failWith = status
	f.mu.Unlock()
}

func (f *fakeKong) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch {
	case f.failWith != 0:
		w.WriteHeader(f.failWith)
		w.Write([]byte(`{"message":"An unexpected error occurred"}`))
		return
	case f.token != "" && r.Header.Get("Kong-Admin-Token") != f.token:
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"message":"Invalid credentials. Token or User credentials required"}`))
		return
	}
	body, ok := f.pages[strings.TrimPrefix(r.URL.Path, "/")+"?"+r.URL.Query().Get("offset")]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"Not found"}`))
		return
	}
	w.Write(body)
}

func testBox(t *testing.T, secret string) *sealing.Box {
	t.Helper()
	box, err := sealing.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

var stewardBox = func() *sealing.Box {
	box, err := sealing.New("steward-test-secret-key-0123456789abcdef")
	if err != nil {
		panic(err)
	}
	return box
}()

// newKongSource adds a Kong source whose token, when given, is sealed by
// box for the new row, as the sources page does.
func newKongSource(t *testing.T, s *models.Store, name, url, token string, box *sealing.Box) *models.Source {
	t.Helper()
	in := models.NewSource{Name: name, Kind: traffic.KindKong, Settings: traffic.SourceSettings{URL: url}}
	if token != "" {
		in.Seal = func(id int64) (string, error) {
			return box.Seal(token, "source:"+strconv.FormatInt(id, 10)+":token")
		}
	}
	src, err := s.CreateSource(context.Background(), catalog.SystemActor("test"), in)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func gatewayRoutes(t *testing.T, s *models.Store) []models.GatewayRoute {
	t.Helper()
	routes, err := s.GatewayRoutes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return routes
}

func TestGatewayPullReplacesRoutesAndKeepsThemOnFailure(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.New(t, engine)
			sys := catalog.SystemActor("test")
			if _, err := s.CreateTeam(ctx, sys, catalog.TeamInput{Slug: "shop", Name: "Shop"}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateAPI(ctx, sys, catalog.APIInput{Slug: "orders", Name: "Orders", TeamSlug: "shop", Kind: catalog.KindREST, Visibility: catalog.VisibilityPublic}); err != nil {
				t.Fatal(err)
			}
			version, err := s.CreateVersion(ctx, sys, "orders", catalog.VersionInput{Name: "v1", Stage: catalog.StageProduction})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.PutDeployment(ctx, sys, "orders", "v1", catalog.DeploymentInput{Environment: "prod", BaseURL: "https://api.example.com/orders"}); err != nil {
				t.Fatal(err)
			}
			fake, srv := newFakeKong(t, "shop", kongToken)
			src := newKongSource(t, s, "kong prod", srv.URL, kongToken, stewardBox)
			clock := time.Now()
			job := &jobs.GatewayPull{Store: s, Secrets: stewardBox, Now: func() time.Time { return clock }}

			run := runRecorded(t, s, job)
			if run.Status != jobs.StatusSucceeded || run.CountMap()["routes"] != 5 {
				t.Fatalf("pull: %s %q %v", run.Status, run.Error, run.CountMap())
			}
			type facts struct {
				source, route, service       string
				auth, rateLimited, httpsOnly bool
			}
			var got []facts
			for _, r := range gatewayRoutes(t, s) {
				got = append(got, facts{r.SourceName, r.RouteName, r.ServiceName, r.Authenticated, r.RateLimited, r.HTTPSOnly})
			}
			want := []facts{
				{"kong prod", "billing-invoices", "billing", true, true, true},
				{"kong prod", "catalog-browse", "catalog", false, true, false},
				{"kong prod", "reports", "legacy-reports", false, true, false},
				{"kong prod", "orders-admin", "orders", true, true, false},
				{"kong prod", "orders-public", "orders", true, true, true},
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("stored routes:\n got  %+v\n want %+v", got, want)
			}
			pulled := sourceByID(t, s, src.ID)
			if pulled.LastError != "" || pulled.CoveredTo == nil || pulled.CoveredTo.Sub(clock).Abs() > time.Millisecond {
				t.Errorf("after the pull: error %q, covered to %v, want %v", pulled.LastError, pulled.CoveredTo, clock)
			}

			// The page's questions: which version the gateway serves, what it
			// enforces there, and which routes the catalogue lacks.
			matches, err := s.GatewayRouteMatches(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var uncatalogued []string
			for _, m := range matches {
				if m.VersionID == 0 {
					uncatalogued = append(uncatalogued, m.Route.RouteName)
				} else if m.Route.RouteName != "orders-public" || m.APISlug != "orders" || m.VersionName != "v1" {
					t.Errorf("%s matched %s %s", m.Route.RouteName, m.APISlug, m.VersionName)
				}
			}
			if want := []string{"billing-invoices", "catalog-browse", "reports", "orders-admin"}; !reflect.DeepEqual(uncatalogued, want) {
				t.Errorf("routes not in the catalogue: %q, want %q", uncatalogued, want)
			}
			if cov := models.GatewayCoverageByVersion(matches)[version.ID]; !cov.AllAuthenticated() || !cov.AllRateLimited() || !cov.AllHTTPSOnly() {
				t.Errorf("gateway coverage of orders v1: %+v", cov)
			}

			// Kong failing: the run fails with Kong's reason, the routes stay.
			fake.fail(http.StatusInternalServerError)
			clock = clock.Add(time.Minute)
			run = runRecorded(t, s, job)
			if run.Status != jobs.StatusFailed || !strings.Contains(run.Error, "kong prod: kong: list services") || !strings.Contains(run.Error, "HTTP 500") {
				t.Errorf("pull from a failing Kong: %s %q", run.Status, run.Error)
			}
			if n := len(gatewayRoutes(t, s)); n != 5 {
				t.Errorf("a failed pull left %d routes, want the earlier 5", n)
			}
			failing := sourceByID(t, s, src.ID)
			if !strings.Contains(failing.LastError, "retry later") || strings.Contains(failing.LastError, "retrying will not fix") ||
				failing.Failures != 1 || failing.RetryAt == nil || failing.RetryAt.Sub(time.Now()) < 50*time.Second {
				t.Errorf("failing source: %q, %d failures, retry at %v", failing.LastError, failing.Failures, failing.RetryAt)
			}
			if !failing.CoveredTo.Equal(*pulled.CoveredTo) {
				t.Errorf("a failure moved the coverage to %v", failing.CoveredTo)
			}
			if run := runRecorded(t, s, job); run.Status != jobs.StatusSucceeded || run.CountMap()["sources backing off"] != 1 {
				t.Errorf("run during the backoff: %s %q %v", run.Status, run.Error, run.CountMap())
			}

			// Back, with every route gone: the next pull replaces them all.
			fake.fail(0)
			fake.load(t, "empty")
			clock = clock.Add(5 * time.Minute)
			if run := runRecorded(t, s, job); run.Status != jobs.StatusSucceeded {
				t.Fatalf("pull after recovery: %s %q", run.Status, run.Error)
			}
			if n := len(gatewayRoutes(t, s)); n != 0 {
				t.Errorf("%d routes after a pull of an empty gateway", n)
			}
			if got := sourceByID(t, s, src.ID); got.LastError != "" || got.Failures != 0 || got.RetryAt != nil {
				t.Errorf("recovered source: %q, %d failures, retry at %v", got.LastError, got.Failures, got.RetryAt)
			}
		})
	}
}

func TestGatewayPullFailuresSayWhatToDo(t *testing.T) {
	const wrongToken = "kong-admin-WRONG-3kq8Zt5vB1"
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	tests := []struct {
		name  string
		token string
		box   *sealing.Box
		down  bool
		want  []string
		// fixFirst: Kong's answer will not change until the settings do.
		fixFirst bool
	}{
		{name: "rejected token", token: wrongToken, box: stewardBox,
			want: []string{"HTTP 401", `Kong says "Invalid credentials`, "check the admin token", "retrying will not fix this: correct the gateway's address, workspace or admin token"}, fixFirst: true},
		{name: "no token where RBAC is on",
			want: []string{"HTTP 401", "requires an admin token", "retrying will not fix this"}, fixFirst: true},
		{name: "token sealed under another key", token: kongToken, box: testBox(t, "another-secret-key-0123456789abcdefgh"),
			want: []string{"the stored admin token cannot be opened", "STEWARD_SECRET_KEY"}},
		{name: "Kong not answering", token: kongToken, box: stewardBox, down: true,
			want: []string{"did not answer", "check BaseURL and that Kong is running"}},
	}
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := storetest.New(t, engine)
			_, srv := newFakeKong(t, "shop", kongToken)
			// Earlier routes of every source, which no failure may touch.
			good := newKongSource(t, s, "good", srv.URL, kongToken, stewardBox)
			if run := runRecorded(t, s, &jobs.GatewayPull{Store: s, Secrets: stewardBox}); run.Status != jobs.StatusSucceeded {
				t.Fatalf("first pull: %s %q", run.Status, run.Error)
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					url := srv.URL
					if tt.down {
						url = downURL
					}
					src := newKongSource(t, s, tt.name, url, tt.token, tt.box)
					run := runRecorded(t, s, &jobs.GatewayPull{Store: s, Secrets: stewardBox})
					got := sourceByID(t, s, src.ID)
					if run.Status != jobs.StatusFailed || !strings.Contains(run.Error, "1 of 2 gateway sources failed") {
						t.Errorf("run: %s %q", run.Status, run.Error)
					}
					for _, w := range tt.want {
						if !strings.Contains(got.LastError, w) {
							t.Errorf("reason %q lacks %q", got.LastError, w)
						}
					}
					if says := strings.Contains(got.LastError, "retrying will not fix"); says != tt.fixFirst {
						t.Errorf("fix first %v, but the reason says %q", tt.fixFirst, got.LastError)
					}
					for _, secret := range []string{kongToken, wrongToken} {
						if strings.Contains(got.LastError, secret) || strings.Contains(run.Error, secret) {
							t.Errorf("the token %q shows in the reason: %q / %q", secret, got.LastError, run.Error)
						}
					}
					if got.Failures != 1 || got.RetryAt == nil || got.RetryAt.Before(time.Now()) {
						t.Errorf("no backoff: %d failures, retry at %v", got.Failures, got.RetryAt)
					}
					if n := len(gatewayRoutes(t, s)); n != 5 {
						t.Errorf("%d routes stored, want the good source's 5", n)
					}
					if err := s.DeleteSource(context.Background(), catalog.SystemActor("test"), src.ID); err != nil {
						t.Fatal(err)
					}
				})
			}
			if got := sourceByID(t, s, good.ID); got.LastError != "" {
				t.Errorf("the good source caught a neighbour's failure: %q", got.LastError)
			}
		})
	}
}
