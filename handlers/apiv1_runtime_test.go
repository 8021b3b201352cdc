package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/config"
	"github.com/steward-governance/steward/handlers"
	"github.com/steward-governance/steward/identity"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
)

// TestAPIv1Runtime walks the runtime as an admin's script would: create
// sources, send events, run the rollup and follow it, read a version's
// traffic and the discovered hosts.
func TestAPIv1Runtime(t *testing.T) {
	forEngines(t, func(t *testing.T, engine string) {
		s := newAPISite(t, engine)
		var key string
		var sourceID string
		s.run(t, []apiStep{
			{name: "no sources yet", method: "GET", path: "/api/v1/sources", status: http.StatusOK, expect: map[string]any{"items": []string{}}},
			{name: "create an SDK source", method: "POST", path: "/api/v1/sources", body: `{"name": " edge SDK ", "kind": "treblle"}`,
				status: http.StatusCreated, header: map[string]string{"Cache-Control": "no-store"},
				expect: map[string]any{"name": "edge SDK", "kind": "treblle", "push": true, "api": nil, "enabled": true, "has_credential": false, "events_total": 0},
				check: func(t *testing.T, r *apiResponse) {
					key = fmt.Sprint(r.get("ingest_key"))
					sourceID = fmt.Sprint(r.get("id"))
					if !strings.HasPrefix(key, "stwi_") || fmt.Sprint(r.get("key_hint")) != key[len(key)-4:] {
						t.Errorf("ingest key %q, hint %v", key, r.get("key_hint"))
					}
					if r.header.Get("Location") != "/api/v1/sources/"+sourceID {
						t.Errorf("Location: %q", r.header.Get("Location"))
					}
				}},
			{name: "invalid name and kind", method: "POST", path: "/api/v1/sources", body: `{"name": "", "kind": "zipkin"}`,
				status: http.StatusUnprocessableEntity, contains: map[string]string{"error.fields.name": "name", "error.fields.kind": "kinds"}},
			{name: "a Kong source needs its address", method: "POST", path: "/api/v1/sources", body: `{"name": "kong", "kind": "kong"}`,
				status: http.StatusUnprocessableEntity, contains: map[string]string{"error.fields.url": "Kong Admin API"}},
			{name: "only Kong takes a token", method: "POST", path: "/api/v1/sources", body: `{"name": "traces", "kind": "otlp", "token": "x"}`,
				status: http.StatusUnprocessableEntity, contains: map[string]string{"error.fields.token": "Kong"}},
			{name: "an unknown API", method: "POST", path: "/api/v1/sources", body: `{"name": "traces", "kind": "otlp", "api": "nope"}`,
				status: http.StatusUnprocessableEntity, contains: map[string]string{"error.fields.api": "No API"}},
			{name: "create a Kong source with a sealed token", method: "POST", path: "/api/v1/sources",
				body: `{"name": "kong", "kind": "kong", "url": "http://kong:8001", "workspace": "edge", "token": "kong-admin-secret"}`, status: http.StatusCreated,
				expect: map[string]any{"push": false, "key_hint": nil, "ingest_key": nil, "has_credential": true, "settings.url": "http://kong:8001", "settings.workspace": "edge"},
				check: func(t *testing.T, r *apiResponse) {
					if strings.Contains(string(r.raw), "kong-admin-secret") {
						t.Error("the answer holds the credential")
					}
				}},
			{name: "a name already used", method: "POST", path: "/api/v1/sources", body: `{"name": "kong", "kind": "nginx-log", "path": "/var/log/x.log"}`,
				status: http.StatusConflict, contains: map[string]string{"error.message": "exists"}},
			{name: "an unknown field", method: "POST", path: "/api/v1/sources", body: `{"name": "x", "kind": "otlp", "secret": "y"}`,
				status: http.StatusBadRequest, contains: map[string]string{"error.message": "unknown field"}},
			{name: "list never shows keys or credentials", method: "GET", path: "/api/v1/sources", status: http.StatusOK,
				expect: map[string]any{"items.0.name": "edge SDK", "items.1.name": "kong"},
				check: func(t *testing.T, r *apiResponse) {
					if strings.Contains(string(r.raw), key) || strings.Contains(string(r.raw), "kong-admin-secret") || strings.Contains(string(r.raw), "ingest_key") {
						t.Errorf("the list leaks a secret: %s", r.raw)
					}
				}},
			{name: "no such source", method: "GET", path: "/api/v1/sources/99999", status: http.StatusNotFound},
		})
		s.run(t, []apiStep{{name: "one source", method: "GET", path: "/api/v1/sources/" + sourceID, status: http.StatusOK,
			expect: map[string]any{"name": "edge SDK", "key_hint": key[len(key)-4:]}}})

		s.petsDeployed() // pets v1 at https://pets.example.com, documenting GET /pets and GET /pets/{petId}
		for _, ev := range []struct {
			url    string
			status int
		}{
			{"https://pets.example.com/pets/1", 200},
			{"https://pets.example.com/pets/2", 200},
			{"https://pets.example.com/pets/3", 503},
			{"https://pets.example.com/pets", 200},
			{"http://pets.example.com/pets/4/toys", 404},
			{"https://orders.example.com/orders/7", 200},
		} {
			s.ingest(key, ev.url, ev.status)
		}

		var runPath string
		s.run(t, []apiStep{
			{name: "run an unknown job", method: "POST", path: "/api/v1/jobs/nope/runs", status: http.StatusNotFound},
			{name: "run the rollup", method: "POST", path: "/api/v1/jobs/rollup/runs", status: http.StatusAccepted,
				expect: map[string]any{"job": "rollup", "trigger": "manual"},
				check: func(t *testing.T, r *apiResponse) {
					runPath = fmt.Sprint(r.get("links.self"))
					if r.header.Get("Location") != runPath || runPath != "/api/v1/jobs/runs/"+fmt.Sprint(r.get("id")) {
						t.Errorf("Location %q, links.self %q", r.header.Get("Location"), runPath)
					}
					if page := fmt.Sprint(r.get("links.page")); page != "/admin/jobs/runs/"+fmt.Sprint(r.get("id")) {
						t.Errorf("links.page: %q", page)
					}
				}},
		})
		var run *apiResponse
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			run = s.call(t, apiStep{method: "GET", path: runPath})
			if run.status != http.StatusOK || run.get("status") != "running" {
				break
			}
		}
		if run.status != http.StatusOK || run.get("status") != "succeeded" || fmt.Sprint(run.get("counts.events")) != "6" || run.get("finished_at") == nil {
			t.Fatalf("the run: %d %s", run.status, run.raw)
		}

		const traffic = "/api/v1/apis/pets/versions/v1/traffic"
		s.run(t, []apiStep{
			{name: "jobs with their last run", method: "GET", path: "/api/v1/jobs", status: http.StatusOK,
				expect: map[string]any{"items.0.name": "rollup", "items.0.running": false, "items.0.last_run.status": "succeeded", "items.0.last_run.links.self": runPath}},
			{name: "a run that is not a number", method: "GET", path: "/api/v1/jobs/runs/abc", status: http.StatusNotFound},
			{name: "a run that does not exist", method: "GET", path: "/api/v1/jobs/runs/99999", status: http.StatusNotFound},

			{name: "the last week's traffic", method: "GET", path: traffic, status: http.StatusOK,
				expect: map[string]any{
					"api.slug": "pets", "version": "v1", "no_data": false, "no_traffic": false, "sources.0.name": "edge SDK",
					"totals.requests": 5, "totals.status.2xx": 3, "totals.status.4xx": 1, "totals.status.5xx": 1, "totals.https_share": 0.8,
					"totals.authenticated_share": 1, "endpoints.0.method": "GET", "endpoints.0.template": "/pets/{petId}", "endpoints.0.documented": true,
					"endpoints.0.requests": 3, "endpoints.0.status.5xx": 1, "endpoints.0.https_share": 1,
				},
				check: func(t *testing.T, r *apiResponse) {
					eps := r.list(t, "endpoints")
					if len(eps) != 3 {
						t.Fatalf("%d endpoints, want 3", len(eps))
					}
					// The SDK reported 12.5 ms; quantiles are within 1%.
					if p95, _ := r.get("totals.p95_ms").(json.Number).Float64(); p95 < 12.375 || p95 > 12.625 {
						t.Errorf("p95 %v ms, want 12.5 within 1%%", r.get("totals.p95_ms"))
					}
					var toys map[string]any
					for _, e := range eps {
						if e.(map[string]any)["template"] == "/pets/{id}/toys" {
							toys = e.(map[string]any)
						}
					}
					if toys == nil || toys["documented"] != false || fmt.Sprint(toys["https_share"]) != "0" {
						t.Errorf("the undocumented endpoint: %v", toys)
					}
					from, _ := time.Parse(time.RFC3339, fmt.Sprint(r.get("from")))
					to, _ := time.Parse(time.RFC3339, fmt.Sprint(r.get("to")))
					if to.Sub(from) != 7*24*time.Hour || to.Minute() != 0 || to.Before(time.Now()) {
						t.Errorf("default window %s to %s", from, to)
					}
				}},
			{name: "a window before any source", method: "GET", path: traffic + "?from=2020-01-01T00:00:00Z&to=2020-01-08T00:00:00Z", status: http.StatusOK,
				expect: map[string]any{"no_data": true, "no_traffic": false, "totals.requests": 0, "totals.p95_ms": nil, "totals.last_seen": nil,
					"endpoints": []string{}, "from": "2020-01-01T00:00:00Z", "to": "2020-01-08T00:00:00Z"}},
			{name: "a range widened to whole hours", method: "GET", path: traffic + "?from=2020-01-01T10:30:00Z&to=2020-01-01T12:15:00%2B01:00", status: http.StatusOK,
				expect: map[string]any{"from": "2020-01-01T10:00:00Z", "to": "2020-01-01T12:00:00Z"}},
			{name: "a time that is not RFC 3339", method: "GET", path: traffic + "?from=yesterday", status: http.StatusBadRequest,
				contains: map[string]string{"error.fields.from": "RFC 3339"}},
			{name: "from after to", method: "GET", path: traffic + "?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", status: http.StatusBadRequest,
				contains: map[string]string{"error.fields.from": "before to"}},
			{name: "over 400 days", method: "GET", path: traffic + "?from=2020-01-01T00:00:00Z&to=2022-01-01T00:00:00Z", status: http.StatusBadRequest,
				contains: map[string]string{"error.fields.from": "400 days"}},
			{name: "an unknown parameter", method: "GET", path: traffic + "?days=7", status: http.StatusBadRequest,
				contains: map[string]string{"error.fields.days": "unknown"}},
			{name: "an unknown version", method: "GET", path: "/api/v1/apis/pets/versions/v9/traffic", status: http.StatusNotFound,
				contains: map[string]string{"error.message": "v9"}},

			{name: "discovered hosts", method: "GET", path: "/api/v1/discovered", status: http.StatusOK,
				expect: map[string]any{"items.0.host": "orders.example.com", "items.0.status": "new", "items.0.api": nil, "items.0.requests": 1,
					"items.0.endpoints": 1, "items.0.https_share": 1, "items.0.page": "/discovered/orders.example.com"},
				check: func(t *testing.T, r *apiResponse) {
					if n := len(r.list(t, "items")); n != 1 {
						t.Errorf("%d hosts, want 1", n)
					}
				}},
			{name: "discovered since a bad time", method: "GET", path: "/api/v1/discovered?from=last+week", status: http.StatusBadRequest,
				contains: map[string]string{"error.fields.from": "RFC 3339"}},
			{name: "discovered since too long ago", method: "GET", path: "/api/v1/discovered?from=2001-01-01T00:00:00Z", status: http.StatusBadRequest,
				contains: map[string]string{"error.fields.from": "400 days"}},
		})

		const page = "/discovered/orders.example.com"
		if p := s.post(page, page+"/claim", url.Values{"name": {"Orders"}, "team": {"zoo"}, "version": {"v1"}, "stage": {"production"}, "environment": {"production"}}); p.status != http.StatusSeeOther {
			t.Fatalf("claim: %d %s", p.status, p.text("main"))
		}
		s.run(t, []apiStep{
			{name: "a claimed host", method: "GET", path: "/api/v1/discovered?from=" + url.QueryEscape(time.Now().Add(-24*time.Hour).UTC().Format(time.RFC3339)),
				status: http.StatusOK, expect: map[string]any{"items.0.status": "claimed", "items.0.api": "orders"}},
			{name: "the claimed API's version has no traffic yet", method: "GET", path: "/api/v1/apis/orders/versions/v1/traffic", status: http.StatusOK,
				expect: map[string]any{"no_data": false, "no_traffic": true, "totals.requests": 0}},
		})
	})
}

// busyRunner is a scheduler whose one job is always running.
type busyRunner struct{}

func (busyRunner) Jobs() []jobs.Info {
	return []jobs.Info{{Name: "rollup", Title: "Traffic rollup", Schedule: "@every 1m", Enabled: true, Next: time.Now().Add(time.Minute), Running: true}}
}
func (busyRunner) Has(name string) bool                  { return name == "rollup" }
func (busyRunner) RunNow(string, string) (int64, error)  { return 0, jobs.ErrRunning }
func (busyRunner) Reschedule(string, string, bool) error { return nil }

// TestAPIv1RunJobAlreadyRunning checks a job running here or on another
// replica is a 409, not a second run.
func TestAPIv1RunJobAlreadyRunning(t *testing.T) {
	store := storetest.New(t, "sqlite")
	cfg, err := config.Load(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	e, err := handlers.New(handlers.Deps{
		Store: store, Identities: store, Config: cfg, Log: slog.New(slog.DiscardHandler), Jobs: busyRunner{},
		Static: fstest.MapFS{"app.css": {Data: []byte("")}, "app.js": {Data: []byte("")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	u, err := store.UpsertUser(ctx, models.Identity{Issuer: "test", Subject: "admin", Email: "admin@example.com", Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	secret, shown, _ := identity.NewTokenSecret()
	if _, err := store.CreateToken(ctx, catalog.SystemActor("test"), models.APIToken{Name: "ops", Prefix: shown, UserID: u.ID, Scope: "admin"}, secret); err != nil {
		t.Fatal(err)
	}
	s := &apiSite{site: &site{t: t, e: e, srv: srv, client: http.DefaultClient, store: store}, contract: newContract(t, openAPIDocument(t, e)), token: secret}
	s.run(t, []apiStep{
		{name: "a running job", method: "POST", path: "/api/v1/jobs/rollup/runs", status: http.StatusConflict,
			contains: map[string]string{"error.message": "already running"}},
		{name: "listed as running, never run", method: "GET", path: "/api/v1/jobs", status: http.StatusOK,
			expect: map[string]any{"items.0.running": true, "items.0.last_run": nil, "items.0.schedule": "@every 1m"}},
	})
}
