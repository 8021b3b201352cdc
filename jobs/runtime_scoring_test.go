package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
	"github.com/steward-governance/steward/runtimerules"
	"github.com/steward-governance/steward/scorecard"
	"github.com/steward-governance/steward/traffic"
	"github.com/steward-governance/steward/traffic/journal"
	"github.com/steward-governance/steward/traffic/rollup"
)

// runtimeStandard asks for 5 requests before a runtime score, so a few
// test events make one.
const runtimeStandard = `extends: ["steward:recommended"]
x-steward-runtime:
  min-requests: 5
`

// shopSpec documents three endpoints with their status codes.
const shopSpec = `openapi: 3.0.3
info: {title: Shop, version: "1"}
paths:
  /orders:
    get:
      responses:
        "200": {description: the orders}
  /orders/{orderId}:
    get:
      responses:
        "200": {description: the order}
        "404": {description: no such order}
    delete:
      responses:
        "204": {description: deleted}
`

// shopCatalogue makes API shop with versions v1 (busy), v2 (a trickle of
// traffic) and v3 (none), each deployed under its own base path with
// shopSpec as its spec.
func shopCatalogue(t *testing.T, s *models.Store) map[string]uint {
	t.Helper()
	ctx := context.Background()
	sys := catalog.SystemActor("test")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.EnsureDefaultStandard(ctx, runtimeStandard))
	_, err := s.CreateTeam(ctx, sys, catalog.TeamInput{Slug: "shop", Name: "Shop"})
	must(err)
	_, err = s.CreateAPI(ctx, sys, catalog.APIInput{Slug: "shop", Name: "Shop", TeamSlug: "shop", Kind: catalog.KindREST, Visibility: catalog.VisibilityInternal})
	must(err)
	ids := map[string]uint{}
	for _, name := range []string{"v1", "v2", "v3"} {
		v, err := s.CreateVersion(ctx, sys, "shop", catalog.VersionInput{Name: name, Stage: catalog.StageProduction})
		must(err)
		ids[name] = v.ID
		_, err = s.PutDeployment(ctx, sys, "shop", name, catalog.DeploymentInput{Environment: "prod", BaseURL: "https://shop.example.com/" + name})
		must(err)
		_, _, err = s.SaveSpec(ctx, sys, "shop", name, models.SpecUpload{Content: []byte(shopSpec), Hash: "h" + name, Format: "yaml", SpecVersion: "3.0.3",
			Endpoints: []models.Endpoint{{Method: "GET", Path: "/orders"}, {Method: "GET", Path: "/orders/{orderId}"}, {Method: "DELETE", Path: "/orders/{orderId}"}}})
		must(err)
	}
	return ids
}

// runtimeHistory lists a version's runtime scorecards, newest first.
func runtimeHistory(t *testing.T, s *models.Store, versionID uint) []models.RuntimeScorecardRow {
	t.Helper()
	rows, err := s.RuntimeHistory(context.Background(), versionID, 100)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestRuntimeScoringScoresDriftAndNoData(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.New(t, engine)
			ids := shopCatalogue(t, s)
			src, err := s.CreateSource(ctx, catalog.SystemActor("test"), models.NewSource{Name: "gateway", Kind: traffic.KindTreblle, IngestKey: "k"})
			if err != nil {
				t.Fatal(err)
			}
			j, err := journal.Open(t.TempDir(), journal.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			send := func(n int, scheme, method, path string, status int) {
				for i := range n {
					ev := traffic.Event{Time: at(i), Method: method, Scheme: scheme, Host: "shop.example.com", Path: path, Status: status,
						Duration: 40 * time.Millisecond, ResponseBytes: 2048, Consumer: "alice", Authenticated: true}
					if err := j.Append(ctx, journal.EncodeEvent(nil, src.ID, &ev)); err != nil {
						t.Fatal(err)
					}
				}
			}
			send(4, "https", "GET", "/v1/orders/1", 200)
			send(1, "https", "GET", "/v1/orders/2", 500) // a status the spec does not list
			send(3, "http", "GET", "/v1/orders", 200)    // plain HTTP: the HTTPS rule fails
			send(2, "https", "GET", "/v1/customers/7", 200)
			send(2, "https", "GET", "/v2/orders", 200) // below min-requests
			if err := (&jobs.Rollup{Store: s, Journal: j, Consumer: "test"}).Run(ctx); err != nil {
				t.Fatal(err)
			}

			now := at(0).Add(2 * time.Hour)
			job := &jobs.RuntimeScoring{Store: s, Now: func() time.Time { return now }}
			if err := job.Run(ctx); err != nil {
				t.Fatal(err)
			}

			// v1: scored, with its drift in the governance category.
			v1, err := s.LatestRuntimeScorecard(ctx, ids["v1"])
			if err != nil {
				t.Fatal(err)
			}
			if v1.NoData || v1.Overall == nil || v1.Grade == "" || v1.Requests != 10 || !v1.HasDrift {
				t.Fatalf("v1: no data %v, overall %v, grade %q, %d requests, drift %v", v1.NoData, v1.Overall, v1.Grade, v1.Requests, v1.HasDrift)
			}
			if got := v1.WindowTo.Sub(v1.WindowFrom); got != runtimerules.DefaultWindow || !v1.ComputedAt.Equal(now) {
				t.Errorf("v1 window %s computed %s; want 7 days at %s", got, v1.ComputedAt, now)
			}
			var findings []runtimerules.Finding
			if err := json.Unmarshal([]byte(v1.Findings), &findings); err != nil {
				t.Fatal(err)
			}
			status := map[string]scorecard.Status{}
			for _, f := range findings {
				status[f.Rule] = f.Status
			}
			for rule, want := range map[string]scorecard.Status{
				runtimerules.RuleHTTPS:                 scorecard.Fail, // 7 of 10 over HTTPS
				runtimerules.RuleAuthenticated:         scorecard.Pass,
				runtimerules.RuleP95Latency:            scorecard.Pass,
				runtimerules.RuleServerErrors:          scorecard.Fail, // 1 in 10
				runtimerules.RuleUndocumentedEndpoints: scorecard.Fail,
				runtimerules.RuleUnseenEndpoints:       scorecard.Fail,
				runtimerules.RuleUndocumentedStatuses:  scorecard.Fail,
			} {
				if status[rule] != want {
					t.Errorf("v1 %s: %q, want %q", rule, status[rule], want)
				}
			}
			var categories []scorecard.CategoryScore
			if err := json.Unmarshal([]byte(v1.Categories), &categories); err != nil {
				t.Fatal(err)
			}
			if i := slices.IndexFunc(categories, func(c scorecard.CategoryScore) bool { return c.Category == "governance" }); i < 0 || !categories[i].HasScore || categories[i].Score == 100 {
				t.Errorf("drift does not count in the governance category: %+v", categories)
			}
			var drift runtimerules.Drift
			if err := json.Unmarshal([]byte(v1.Drift), &drift); err != nil {
				t.Fatal(err)
			}
			var unseen, undocumented, statuses []string
			for _, e := range drift.Unseen {
				unseen = append(unseen, e.Method+" "+e.Path)
			}
			for _, e := range drift.Undocumented {
				undocumented = append(undocumented, fmt.Sprintf("%s %s %d", e.Method, e.Path, e.Requests))
			}
			for _, u := range drift.UndocumentedStatuses {
				for _, c := range u.Codes {
					statuses = append(statuses, fmt.Sprintf("%s %s %d", u.Method, u.Path, c.Code))
				}
			}
			for _, c := range []struct {
				name      string
				got, want []string
				count     int
			}{
				{"documented, never seen", unseen, []string{"DELETE /orders/{orderId}"}, v1.UnseenEndpoints},
				{"seen, never documented", undocumented, []string{"GET /customers/{id} 2"}, v1.UndocumentedEndpoints},
				{"undocumented status codes", statuses, []string{"GET /orders/{orderId} 500"}, v1.UndocumentedStatusCodes},
			} {
				if !slices.Equal(c.got, c.want) || c.count != len(c.want) {
					t.Errorf("%s: %q (count %d), want %q", c.name, c.got, c.count, c.want)
				}
			}

			// v2: a trickle is "no runtime data", never a score; v3 had no
			// traffic and gets no row at all.
			v2, err := s.LatestRuntimeScorecard(ctx, ids["v2"])
			if err != nil {
				t.Fatal(err)
			}
			if !v2.NoData || v2.Overall != nil || v2.Grade != "" || v2.Requests != 2 || v2.HasDrift || v2.Summary != runtimerules.NoRuntimeData {
				t.Errorf("v2: %+v", v2)
			}
			if _, err := s.LatestRuntimeScorecard(ctx, ids["v3"]); !errors.Is(err, catalog.ErrNotFound) {
				t.Errorf("v3 without traffic: %v, want no row", err)
			}

			// The same outcome later refreshes the row instead of adding one.
			first := v1.ComputedAt
			now = now.Add(10 * time.Minute)
			if err := job.Run(ctx); err != nil {
				t.Fatal(err)
			}
			if h := runtimeHistory(t, s, ids["v1"]); len(h) != 1 || !h[0].ComputedAt.Equal(now) || !h[0].Since.Equal(first) {
				t.Fatalf("v1 after an unchanged run: %d rows, computed %v since %v", len(h), h[0].ComputedAt, h[0].Since)
			}

			// A week on, v1's score gives way to "no runtime data" (history
			// keeps the score); v2 and v3 cost nothing.
			lastV2 := now
			now = now.Add(8 * 24 * time.Hour)
			if err := job.Run(ctx); err != nil {
				t.Fatal(err)
			}
			h := runtimeHistory(t, s, ids["v1"])
			if len(h) != 2 || !h[0].NoData || h[1].NoData {
				t.Fatalf("v1 a week later: %d rows, newest no data %v", len(h), len(h) > 0 && h[0].NoData)
			}
			if h := runtimeHistory(t, s, ids["v2"]); len(h) != 1 || !h[0].ComputedAt.Equal(lastV2) {
				t.Errorf("v2 without traffic was written again: %d rows", len(h))
			}

			// Retention drops superseded scorecards, never the latest.
			p, err := s.PruneRuntime(ctx, time.Time{}, now.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if p.RuntimeScorecards != 1 || len(runtimeHistory(t, s, ids["v1"])) != 1 || len(runtimeHistory(t, s, ids["v2"])) != 1 {
				t.Errorf("pruned %d runtime scorecards; v1 keeps %d, v2 %d", p.RuntimeScorecards, len(runtimeHistory(t, s, ids["v1"])), len(runtimeHistory(t, s, ids["v2"])))
			}
		})
	}
}

// A standard whose runtime rules do not load fails the run with the
// reason and leaves earlier scores alone.
func TestRuntimeScoringRefusesBrokenRuntimeRules(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t, "sqlite")
	if err := s.EnsureDefaultStandard(ctx, "extends: [\"steward:recommended\"]\nx-steward-runtime:\n  window: 5m\n"); err != nil {
		t.Fatal(err)
	}
	err := (&jobs.RuntimeScoring{Store: s}).Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "window must be a whole number of hours") {
		t.Fatalf("run: %v, want the window mistake", err)
	}
}

// A version whose rollups cannot be read fails the run with its name, and
// the other versions are scored all the same.
func TestRuntimeScoringSkipsUnreadableRollups(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t, "sqlite")
	ids := shopCatalogue(t, s)
	hour := at(0).Truncate(time.Hour)
	row := func(version uint, blob []byte) models.EndpointTraffic {
		return models.EndpointTraffic{VersionID: version, Method: "GET", Template: "/orders", Documented: true, Hour: hour,
			Counters: models.Counters{Requests: 9, Status2xx: 9, HTTPS: 9}, FirstSeen: hour, LastSeen: hour.Add(time.Minute), Sketches: blob}
	}
	good := rollup.Bucket{Count: 9, Status2xx: 9, HTTPS: 9}
	blob, err := good.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyRollup(ctx, models.RollupBatch{Endpoints: []models.EndpointTraffic{row(ids["v1"], []byte{9, 9}), row(ids["v2"], blob)}}); err != nil {
		t.Fatal(err)
	}
	job := &jobs.RuntimeScoring{Store: s, Now: func() time.Time { return hour.Add(time.Hour) }}
	err = job.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "shop/v1") || strings.Contains(err.Error(), "shop/v2") {
		t.Fatalf("run: %v, want shop/v1's unreadable rollup named", err)
	}
	if _, err := s.LatestRuntimeScorecard(ctx, ids["v1"]); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("v1 with an unreadable rollup got a runtime scorecard: %v", err)
	}
	if _, err := s.LatestRuntimeScorecard(ctx, ids["v2"]); err != nil {
		t.Errorf("v2 was not scored: %v", err)
	}
}
