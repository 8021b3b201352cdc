package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/traffic"
	"github.com/steward-governance/steward/traffic/journal"
	"github.com/steward-governance/steward/traffic/rollup"
)

// petsCatalogue is one API, "pets", whose v1 is deployed at
// https://pets.example.com/v1 and documents GET /pets and GET /pets/{petId}.
func petsCatalogue(t *testing.T, s *models.Store) (versionID uint) {
	t.Helper()
	ctx := context.Background()
	sys := catalog.SystemActor("test")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.CreateTeam(ctx, sys, catalog.TeamInput{Slug: "zoo", Name: "Zoo"})
	must(err)
	_, err = s.CreateAPI(ctx, sys, catalog.APIInput{Slug: "pets", Name: "Pets", TeamSlug: "zoo", Kind: catalog.KindREST, Visibility: catalog.VisibilityInternal})
	must(err)
	v, err := s.CreateVersion(ctx, sys, "pets", catalog.VersionInput{Name: "v1", Stage: catalog.StageProduction})
	must(err)
	_, err = s.PutDeployment(ctx, sys, "pets", "v1", catalog.DeploymentInput{Environment: "prod", BaseURL: "https://pets.example.com/v1"})
	must(err)
	_, _, err = s.SaveSpec(ctx, sys, "pets", "v1", models.SpecUpload{Content: []byte(`{}`), Hash: "h", Format: "json", SpecVersion: "3.0.3",
		Endpoints: []models.Endpoint{{Method: "GET", Path: "/pets"}, {Method: "GET", Path: "/pets/{petId}"}}})
	must(err)
	return v.ID
}

func at(min int) time.Time { return time.Date(2026, 11, 20, 10, min, 0, 0, time.UTC) }

func TestRollupMatchesCountsAndNeverCountsTwice(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.New(t, engine)
			version := petsCatalogue(t, s)
			sdk, err := s.CreateSource(ctx, catalog.SystemActor("test"), models.NewSource{Name: "gateway", Kind: traffic.KindTreblle, IngestKey: "k1"})
			if err != nil {
				t.Fatal(err)
			}
			bound, err := s.CreateSource(ctx, catalog.SystemActor("test"), models.NewSource{Name: "pets sdk", Kind: traffic.KindTreblle, APISlug: "pets", IngestKey: "k2"})
			if err != nil {
				t.Fatal(err)
			}
			j, err := journal.Open(t.TempDir(), journal.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			appendAll := func(src int64, events ...traffic.Event) {
				for i := range events {
					if err := j.Append(ctx, journal.EncodeEvent(nil, src, &events[i])); err != nil {
						t.Fatal(err)
					}
				}
			}
			ev := func(min int, method, host, path string, status int, consumer string) traffic.Event {
				return traffic.Event{Time: at(min), Method: method, Scheme: "https", Host: host, Path: path, Status: status,
					Duration: 20 * time.Millisecond, ResponseBytes: 100, Consumer: consumer, Authenticated: consumer != ""}
			}
			appendAll(sdk.ID,
				ev(1, "GET", "pets.example.com", "/v1/pets/1", 200, "alice"),
				ev(2, "GET", "pets.example.com", "/v1/pets/2", 404, "bob"),
				ev(3, "GET", "pets.example.com", "/v1/pets", 200, "alice"),
				ev(4, "DELETE", "pets.example.com", "/v1/pets/3", 204, "alice"), // undocumented method
				ev(5, "GET", "pets.example.com", "/v1/owners/77", 200, "alice"), // undocumented path
				ev(6, "GET", "shadow.example.com", "/orders/123", 200, ""),      // nobody's deployment
				ev(7, "GET", "pets.example.com", "/v1/healthz", 200, ""),        // a probe
			)
			appendAll(bound.ID, ev(8, "GET", "pets-7f9c.internal", "/v1/pets/9", 500, "carol")) // SDK reports its pod's host

			job := &jobs.Rollup{Store: s, Journal: j, Consumer: "test-replica"}
			if err := job.Run(ctx); err != nil {
				t.Fatal(err)
			}
			// A second run finds nothing new and must not count again.
			if err := job.Run(ctx); err != nil {
				t.Fatal(err)
			}
			byEndpoint := func() map[string]models.EndpointTraffic {
				rows, err := s.TrafficRows(ctx, version, at(0).Add(-time.Hour), at(0).Add(time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]models.EndpointTraffic{}
				for _, r := range rows {
					out[r.Method+" "+r.Template] = r
				}
				return out
			}
			got := byEndpoint()
			want := []struct {
				endpoint   string
				requests   int64
				documented bool
			}{
				{"GET /pets/{petId}", 3, true}, // two direct, one through the bound source
				{"GET /pets", 1, true},
				{"DELETE /pets/{petId}", 1, false},
				{"GET /owners/{id}", 1, false},
				{"GET /healthz", 1, false},
			}
			for _, w := range want {
				r, ok := got[w.endpoint]
				if !ok {
					t.Errorf("no rollup for %s; have %v", w.endpoint, keys(got))
					continue
				}
				if r.Requests != w.requests || r.Documented != w.documented {
					t.Errorf("%s: %d requests documented=%v, want %d %v", w.endpoint, r.Requests, r.Documented, w.requests, w.documented)
				}
			}
			if r := got["GET /pets/{petId}"]; r.Status5xx != 1 || r.Status4xx != 1 || r.Status2xx != 1 || r.Legitimate != 3 {
				t.Errorf("GET /pets/{petId} statuses and legitimacy: %+v", r.Counters)
			}
			if r := got["GET /healthz"]; r.Legitimate != 0 {
				t.Errorf("the probe counted as legitimate")
			}
			var b rollup.Bucket
			if err := b.UnmarshalBinary(got["GET /pets/{petId}"].Sketches); err != nil || b.Consumers() != 3 || b.Latency(0.5) < 19*time.Millisecond {
				t.Errorf("sketches: err %v, consumers %d, p50 %s", err, b.Consumers(), b.Latency(0.5))
			}
			hosts, err := s.DiscoveredHosts(ctx, at(0).Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if len(hosts) != 1 || hosts[0].Host != "shadow.example.com" || hosts[0].Requests != 1 || hosts[0].Status != "new" {
				t.Errorf("discovered hosts: %+v", hosts)
			}
			consumers, err := s.TopConsumers(ctx, version, at(0).Add(-24*time.Hour), at(0).Add(24*time.Hour), 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(consumers) != 3 || consumers[0].Consumer != "alice" || consumers[0].Requests != 4 {
				t.Errorf("consumers: %+v", consumers)
			}
			src, _ := s.SourceByID(ctx, sdk.ID)
			if src.EventsTotal != 7 || src.CoveredFrom == nil || !src.CoveredFrom.Equal(at(1)) || !src.CoveredTo.Equal(at(7)) {
				t.Errorf("source after rollup: events %d, covered %v-%v", src.EventsTotal, src.CoveredFrom, src.CoveredTo)
			}

			// Later events for the same hour merge into the stored rows.
			appendAll(sdk.ID, ev(30, "GET", "pets.example.com", "/v1/pets/5", 200, "dave"))
			if err := job.Run(ctx); err != nil {
				t.Fatal(err)
			}
			r := byEndpoint()["GET /pets/{petId}"]
			if err := b.UnmarshalBinary(r.Sketches); err != nil {
				t.Fatal(err)
			}
			if r.Requests != 4 || b.Consumers() != 4 || b.Count != 4 {
				t.Errorf("after a second batch: %d requests, %d consumers, blob count %d; want 4, 4, 4", r.Requests, b.Consumers(), b.Count)
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
