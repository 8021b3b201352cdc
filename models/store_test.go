package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/models/storetest"
)

var alice = catalog.Actor{Name: "alice@example.com", RequestID: "req-1", ClientIP: "127.0.0.1"}

// seed builds two teams and three APIs with versions and endpoints.
func seed(t *testing.T, s *models.Store) {
	t.Helper()
	ctx := context.Background()
	for _, in := range []catalog.TeamInput{
		{Slug: "payments", Name: "Payments", Contact: "#payments"},
		{Slug: "identity", Name: "Identity"},
	} {
		if _, err := s.CreateTeam(ctx, alice, in); err != nil {
			t.Fatal(err)
		}
	}
	apis := []catalog.APIInput{
		{Slug: "card-payments", Name: "Card Payments", Description: "Charge cards.", TeamSlug: "payments", Kind: catalog.KindREST, Visibility: catalog.VisibilityPublic, Tags: []string{"cards", "money"}},
		{Slug: "refunds", Name: "Refunds", TeamSlug: "payments", Kind: catalog.KindREST, Visibility: catalog.VisibilityInternal, Tags: []string{"money"}},
		{Slug: "login", Name: "Login", Description: "Sign people in.", TeamSlug: "identity", Kind: catalog.KindGRPC, Visibility: catalog.VisibilityPartner},
	}
	for _, in := range apis {
		if _, err := s.CreateAPI(ctx, alice, in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateVersion(ctx, alice, "card-payments", catalog.VersionInput{Name: "v1", Stage: catalog.StageProduction}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateVersion(ctx, alice, "login", catalog.VersionInput{Name: "v2", Stage: catalog.StageDeprecated}); err != nil {
		t.Fatal(err)
	}
	up := models.SpecUpload{Content: []byte(`{"openapi":"3.0.3"}`), Hash: "h1", Format: "json", SpecVersion: "3.0.3", Title: "Cards",
		Endpoints: []models.Endpoint{{Method: "POST", Path: "/charges", OperationID: "createCharge", Summary: "Create a charge"}, {Method: "GET", Path: "/charges/{id}", OperationID: "getChargeById"}}}
	if _, created, err := s.SaveSpec(ctx, alice, "card-payments", "v1", up); err != nil || !created {
		t.Fatalf("save spec: created=%v err=%v", created, err)
	}
}

func eachEngine(t *testing.T, f func(t *testing.T, s *models.Store)) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f(t, storetest.New(t, engine))
		})
	}
}

func TestListAPIsFiltersAndSearch(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		seed(t, s)
		cases := []struct {
			name string
			q    catalog.ListQuery
			want []string
		}{
			{"all by name", catalog.ListQuery{}, []string{"card-payments", "login", "refunds"}},
			{"team", catalog.ListQuery{Team: "payments"}, []string{"card-payments", "refunds"}},
			{"stage", catalog.ListQuery{Stage: catalog.StageDeprecated}, []string{"login"}},
			{"kind", catalog.ListQuery{Kind: catalog.KindGRPC}, []string{"login"}},
			{"tag", catalog.ListQuery{Tag: "money"}, []string{"card-payments", "refunds"}},
			{"visibility", catalog.ListQuery{Visibility: catalog.VisibilityPartner}, []string{"login"}},
			{"text in description", catalog.ListQuery{Text: "sign"}, []string{"login"}},
			{"text prefix of endpoint word", catalog.ListQuery{Text: "charg"}, []string{"card-payments"}},
			{"camelCase part of operationId", catalog.ListQuery{Text: "by"}, []string{"card-payments"}},
			{"two words must both match", catalog.ListQuery{Text: "card refunds"}, nil},
			{"no match", catalog.ListQuery{Text: "zebra"}, nil},
			{"page 2", catalog.ListQuery{Limit: 2, Offset: 2}, []string{"refunds"}},
		}
		for _, c := range cases {
			q := c.q
			if err := q.Normalize(); err != nil {
				t.Fatal(err)
			}
			page, err := s.ListAPIs(context.Background(), q)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			var got []string
			for _, it := range page.Items {
				got = append(got, it.Slug)
			}
			if !equal(got, c.want) {
				t.Errorf("%s: got %v, want %v", c.name, got, c.want)
			}
			if c.name == "page 2" && page.Total != 3 {
				t.Errorf("page 2: total %d, want 3", page.Total)
			}
		}
		q := catalog.ListQuery{Team: "payments"}
		_ = q.Normalize()
		page, _ := s.ListAPIs(context.Background(), q)
		if it := page.Items[0]; it.EndpointCount != 2 || it.VersionCount != 1 || !equal(it.Stages, []string{"production"}) || !equal(it.Tags, []string{"cards", "money"}) {
			t.Errorf("list details: %+v", it)
		}
		_, f, err := s.SearchCatalogue(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		// The team facet ignores the team filter, so both teams are counted.
		if len(f.Teams) != 2 || f.Teams[1].Value != "payments" || f.Teams[1].Count != 2 {
			t.Errorf("team facets: %+v", f.Teams)
		}
		if len(f.Tags) != 2 || f.Tags[0].Value != "money" || f.Tags[0].Count != 2 {
			t.Errorf("tag facets: %+v", f.Tags)
		}
	})
}

func TestSpecRevisions(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		seed(t, s)
		ctx := context.Background()
		same := models.SpecUpload{Content: []byte(`{"openapi":"3.0.3"}`), Hash: "h1", Format: "json", SpecVersion: "3.0.3"}
		if _, created, err := s.SaveSpec(ctx, alice, "card-payments", "v1", same); err != nil || created {
			t.Fatalf("identical re-upload: created=%v err=%v, want no-op", created, err)
		}
		next := models.SpecUpload{Content: []byte(`openapi: 3.1.0`), Hash: "h2", Format: "yaml", SpecVersion: "3.1.0",
			Endpoints: []models.Endpoint{{Method: "GET", Path: "/refunds"}}}
		rev, created, err := s.SaveSpec(ctx, alice, "card-payments", "v1", next)
		if err != nil || !created || rev.Number != 2 {
			t.Fatalf("second revision: %+v created=%v err=%v", rev, created, err)
		}
		v, err := s.GetVersion(ctx, "card-payments", "v1")
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Revisions) != 2 || v.Current == nil || v.Current.Number != 2 || len(v.Endpoints) != 1 || v.Endpoints[0].Path != "/refunds" {
			t.Errorf("version after second revision: revisions=%d current=%+v endpoints=%+v", len(v.Revisions), v.Current, v.Endpoints)
		}
		old, err := s.GetRevision(ctx, "card-payments", "v1", 1)
		if err != nil || old.Content != `{"openapi":"3.0.3"}` {
			t.Errorf("revision 1 kept: %+v %v", old, err)
		}
		// The search index follows the current spec: old endpoints no longer match.
		q := catalog.ListQuery{Text: "charges"}
		_ = q.Normalize()
		page, _ := s.ListAPIs(ctx, q)
		if page.Total != 0 {
			t.Errorf("search still finds replaced endpoints")
		}
		if _, err := s.GetRevision(ctx, "card-payments", "v1", 9); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("missing revision: %v", err)
		}
	})
}

func TestConflictsAndDeletes(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		seed(t, s)
		ctx := context.Background()
		var verr *catalog.ValidationError
		_, err := s.CreateTeam(ctx, alice, catalog.TeamInput{Slug: "payments", Name: "Again"})
		if !errors.As(err, &verr) || verr.Fields["slug"] == "" {
			t.Errorf("duplicate team slug: %v", err)
		}
		_, err = s.CreateAPI(ctx, alice, catalog.APIInput{Slug: "x", Name: "X", TeamSlug: "nobody", Kind: catalog.KindREST, Visibility: catalog.VisibilityInternal})
		if !errors.As(err, &verr) || verr.Fields["team"] == "" {
			t.Errorf("unknown team: %v", err)
		}
		if err := s.DeleteTeam(ctx, alice, "payments"); !errors.Is(err, catalog.ErrConflict) {
			t.Errorf("deleting a team with APIs: %v, want conflict", err)
		}
		if err := s.DeleteAPI(ctx, alice, "card-payments"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetVersion(ctx, "card-payments", "v1"); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("version after API delete: %v", err)
		}
		var orphans int64
		s.DB().Table("endpoints").Count(&orphans)
		if orphans != 0 {
			t.Errorf("%d endpoints left after deleting their API", orphans)
		}
		events, err := s.AuditFor(ctx, "api", "card-payments", 10)
		if err != nil || len(events) != 2 || events[0].Action != "api.delete" || events[0].Actor != alice.Name || events[0].RequestID != "req-1" {
			t.Errorf("audit: %+v %v", events, err)
		}
	})
}

func TestApplyPlanIsIdempotent(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		plan := catalog.Plan{
			Teams: []catalog.TeamInput{{Slug: "data", Name: "Data"}},
			APIs: []catalog.PlannedAPI{{
				API:      catalog.APIInput{Slug: "events", Name: "Events", TeamSlug: "data", Kind: catalog.KindREST, Visibility: catalog.VisibilityInternal, Tags: []string{"stream"}},
				Versions: []catalog.PlannedVersion{{Version: catalog.VersionInput{Name: "v1", Stage: catalog.StagePreview}, Deployments: []catalog.DeploymentInput{{Environment: "production", BaseURL: "https://events.example.com"}}}},
			}},
		}
		specs := map[string]models.SpecUpload{models.PlanKey("events", "v1"): {Content: []byte("{}"), Hash: "x", Format: "json", SpecVersion: "3.0.0"}}
		first, err := s.ApplyPlan(ctx, alice, plan, specs, false)
		if err != nil {
			t.Fatal(err)
		}
		if first.TeamsCreated != 1 || first.APIsCreated != 1 || first.VersionsCreated != 1 || first.SpecsStored != 1 {
			t.Errorf("first apply: %+v", first)
		}
		second, err := s.ApplyPlan(ctx, alice, plan, specs, false)
		if err != nil {
			t.Fatal(err)
		}
		if *second != (models.PlanResult{}) {
			t.Errorf("second apply changed something: %+v", second)
		}
		plan.APIs[0].Versions[0].Version.Stage = catalog.StageProduction
		third, _ := s.ApplyPlan(ctx, alice, plan, specs, false)
		if third.VersionsUpdated != 1 || third.APIsCreated != 0 {
			t.Errorf("stage change: %+v", third)
		}
		// The import's stage change is on the version's timeline.
		vid, _ := s.VersionIDOf(ctx, "events", "v1")
		timeline, err := s.VersionTimeline(ctx, vid, 10)
		if err != nil || len(timeline) == 0 || timeline[0].FromStage != "preview" || timeline[0].ToStage != "production" || timeline[0].Reason != "set by steward import" {
			t.Errorf("timeline after an import's stage change: %+v (%v)", timeline, err)
		}
		// A plan that fails half-way leaves nothing behind.
		bad := catalog.Plan{Teams: []catalog.TeamInput{{Slug: "ghost", Name: "Ghost"}}, APIs: []catalog.PlannedAPI{{API: catalog.APIInput{Slug: "orphan", Name: "Orphan", TeamSlug: "missing", Kind: "rest", Visibility: "internal"}}}}
		if _, err := s.ApplyPlan(ctx, alice, bad, nil, false); err == nil {
			t.Fatal("plan with an unknown team applied")
		}
		if _, err := s.GetTeam(ctx, "ghost"); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("half-applied plan left team ghost: %v", err)
		}
	})
}

func TestMigrationUpgradeKeepsRows(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := storetest.Unmigrated(t, engine)
			if err := s.MigrateTo("0001_catalogue"); err != nil {
				t.Fatal(err)
			}
			// Rows as the first release wrote them, before search terms existed.
			db := s.DB()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(db.Exec(`INSERT INTO teams (slug, name, description, contact, created_at, updated_at) VALUES ('ops', 'Ops', '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`).Error)
			must(db.Exec(`INSERT INTO apis (slug, name, name_key, description, team_id, kind, visibility, links, demo, created_at, updated_at)
				SELECT 'pager', 'Pager Duty Bridge', 'pager duty bridge', 'Routes alerts', id, 'rest', 'internal', '[]', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM teams WHERE slug = 'ops'`).Error)
			must(db.Exec(`INSERT INTO api_tags (api_id, tag) SELECT id, 'alerting' FROM apis WHERE slug = 'pager'`).Error)
			must(s.Migrate())
			a, err := s.GetAPI(context.Background(), "pager")
			if err != nil || a.Team.Slug != "ops" || len(a.Tags) != 1 {
				t.Fatalf("api after upgrade: %+v %v", a, err)
			}
			q := catalog.ListQuery{Text: "alert"}
			_ = q.Normalize()
			page, err := s.ListAPIs(context.Background(), q)
			if err != nil || page.Total != 1 {
				t.Errorf("search terms backfilled by the upgrade: total=%v err=%v", page, err)
			}
			must(s.Migrate()) // running again is a no-op
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestScorecardFailuresBackfilled upgrades a database that has scorecards
// from before failing rules had their own table.
func TestScorecardFailuresBackfilled(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := storetest.Unmigrated(t, engine)
			if err := s.MigrateTo("0005_standard_previews"); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			seed(t, s)
			if err := s.EnsureDefaultStandard(ctx, "extends: [spectral:oas]"); err != nil {
				t.Fatal(err)
			}
			_, sv, _ := s.CurrentStandard(ctx)
			// Raw SQL: GetVersion reads columns that later migrations add.
			var v struct{ ID, CurrentRevisionID uint }
			if err := s.DB().Raw(`SELECT versions.id, versions.current_revision_id FROM versions JOIN apis ON apis.id = versions.api_id
				WHERE apis.slug = 'card-payments' AND versions.name = 'v1'`).Scan(&v).Error; err != nil || v.CurrentRevisionID == 0 {
				t.Fatalf("seeded version: %+v %v", v, err)
			}
			result := `{"Rules":[{"Rule":"operation-description","Category":"documentation","Status":"fail","Findings":3},{"Rule":"info-contact","Status":"pass"}]}`
			if err := s.DB().Exec(`INSERT INTO scorecards (version_id, revision_id, standard_version_id, computed_at, status, overall, grade, result, duration_ms)
				VALUES (?, ?, ?, CURRENT_TIMESTAMP, 'scored', 70, 'C', ?, 5)`, v.ID, v.CurrentRevisionID, sv.ID, result).Error; err != nil {
				t.Fatal(err)
			}
			if err := s.Migrate(); err != nil {
				t.Fatal(err)
			}
			sum, err := s.SummarizeScores(ctx, models.LatestScorecardsFilter{}, 5)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Scored != 1 || sum.Average != 70 || len(sum.WorstRule) != 1 || sum.WorstRule[0].Rule != "operation-description" || sum.WorstRule[0].Findings != 3 {
				t.Errorf("after upgrade: %+v", sum)
			}
		})
	}
}

// A word longer than the term limit is cut to a whole character: a cut in
// the middle of one is invalid UTF-8, which PostgreSQL refuses, and the
// whole save with it (seen importing a Japanese shop API).
func TestSearchLongNonLatinWords(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		seed(t, s)
		ctx := context.Background()
		long := strings.Repeat("商品情報", 10)
		in := catalog.APIInput{Slug: "shop", Name: "Shop", Description: long, TeamSlug: "payments", Kind: catalog.KindREST, Visibility: catalog.VisibilityPublic}
		if _, err := s.CreateAPI(ctx, alice, in); err != nil {
			t.Fatalf("create API with a long Japanese word: %v", err)
		}
		q := catalog.ListQuery{Text: "商品"}
		if err := q.Normalize(); err != nil {
			t.Fatal(err)
		}
		page, err := s.ListAPIs(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].Slug != "shop" {
			t.Errorf("search 商品: got %+v, want the shop API", page.Items)
		}
	})
}

// The catalogue is searched in an index built per catalogue generation; a
// change made through another store on the same database (another replica)
// must show on the next page all the same.
func TestCatalogueIndexFollowsChangesFromAnyReplica(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			url := storetest.URL(t, engine)
			a, b := storetest.Open(t, url), storetest.Open(t, url)
			if err := a.Migrate(); err != nil {
				t.Fatal(err)
			}
			seed(t, a)
			q := catalog.ListQuery{Tag: "money"}
			if err := q.Normalize(); err != nil {
				t.Fatal(err)
			}
			count := func() (int64, int64) {
				page, err := a.ListAPIs(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				_, f, err := a.SearchCatalogue(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				var kinds int64
				for _, k := range f.Kinds {
					kinds += k.Count
				}
				return page.Total, kinds
			}
			if total, kinds := count(); total != 2 || kinds != 2 {
				t.Fatalf("before: total %d, kind facet sum %d; want 2, 2", total, kinds)
			}
			in := catalog.APIInput{Slug: "payouts", Name: "Payouts", TeamSlug: "payments", Kind: catalog.KindREST, Visibility: catalog.VisibilityInternal, Tags: []string{"money"}}
			if _, err := b.CreateAPI(ctx, alice, in); err != nil {
				t.Fatal(err)
			}
			if total, kinds := count(); total != 3 || kinds != 3 {
				t.Errorf("after another replica added an API: total %d, kind facet sum %d; want 3, 3", total, kinds)
			}
			if err := b.DB().Exec("DELETE FROM api_tags WHERE api_id = (SELECT id FROM apis WHERE slug = 'refunds')").Error; err != nil {
				t.Fatal(err)
			}
			if total, _ := count(); total != 2 {
				t.Errorf("after a tag was removed by hand: total %d, want 2", total)
			}
		})
	}
}
