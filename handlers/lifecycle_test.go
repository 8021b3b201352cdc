package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/traffic"
)

// TestStageChangesByRole is every kind of move for every role: let
// through (303 and the new stage), refused by policy (403, stage kept) or
// blocked by a gate (422, the form again with the gate's words).
func TestStageChangesByRole(t *testing.T) {
	s := newSite(t, "sqlite")
	fx := s.fixtures() // team zoo: API pets with v1 in production
	ctx := context.Background()
	sys := catalog.SystemActor("test")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// API birds has a traffic source that has watched it, quietly, for
	// 60 days; pets has none.
	_, err := s.store.CreateAPI(ctx, sys, catalog.APIInput{Slug: "birds", Name: "Birds", TeamSlug: "zoo", Kind: "rest", Visibility: "internal"})
	must(err)
	src, err := s.store.CreateSource(ctx, sys, models.NewSource{Name: "birds gateway", Kind: traffic.KindKong, APISlug: "birds"})
	must(err)
	must(s.store.RecordSourceRead(ctx, src.ID, models.SourceRead{From: time.Now().AddDate(0, 0, -60), To: time.Now()}))

	sunset := time.Now().AddDate(0, 3, 0).Format(time.DateOnly)
	deprecation := url.Values{"reason": {"v2 replaces it"}, "sunset_date": {sunset}, "migration_notes": {"Call v2."}}
	with := func(v url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, vs := range v {
			out[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	const (
		through = "through"
		denied  = "403"
		blocked = "422"
	)
	teamMove := map[string]string{"viewer": denied, "member": through, "owner": through, "governance": denied, "admin": through}
	teamBlocked := map[string]string{"viewer": denied, "member": blocked, "owner": blocked, "governance": denied, "admin": blocked}
	ownerMove := map[string]string{"viewer": denied, "member": denied, "owner": through, "governance": through, "admin": through}
	ownerBlocked := map[string]string{"viewer": denied, "member": denied, "owner": blocked, "governance": blocked, "admin": blocked}
	governanceMove := map[string]string{"viewer": denied, "member": denied, "owner": denied, "governance": through, "admin": through}
	anyMoverBlocked := map[string]string{"viewer": denied, "member": blocked, "owner": blocked, "governance": blocked, "admin": blocked}

	tests := []struct {
		name     string
		api      string
		from     catalog.Stage
		spec     bool
		to       string
		form     url.Values
		want     map[string]string
		failure  string // the gate's words on a 422
		override bool   // the move is recorded as an override
	}{
		{"advance design → development", "pets", catalog.StageDesign, false, "development", nil, teamMove, "", false},
		{"step back testing → development", "pets", catalog.StageTesting, false, "development", nil, teamMove, "", false},
		{"promote to production with a spec", "pets", catalog.StageTesting, true, "production", nil, teamMove, "", false},
		{"promote to production without a spec", "pets", catalog.StagePreview, false, "production", nil, teamBlocked,
			"Production needs a spec, and this version has none. Upload its OpenAPI description on the version page, then try again.", false},
		{"deprecate", "pets", catalog.StageProduction, true, "deprecated", deprecation, ownerMove, "", false},
		{"deprecate without a sunset date", "pets", catalog.StageProduction, true, "deprecated", with(deprecation, "sunset_date", ""), ownerBlocked,
			"Deprecation needs a sunset date", false},
		{"take a deprecation back", "pets", catalog.StageDeprecated, true, "production", url.Values{"reason": {"v2 slipped"}}, ownerMove, "", false},
		{"retire a quiet, watched version", "birds", catalog.StageDeprecated, false, "retired", url.Values{"reason": {"nobody calls it"}}, ownerMove, "", false},
		{"retire with nothing watching", "pets", catalog.StageDeprecated, false, "retired", url.Values{"reason": {"nobody calls it"}}, ownerBlocked,
			"no traffic source has read this API's traffic, so silence proves nothing", false},
		{"retire with a governance override", "pets", catalog.StageDeprecated, false, "retired",
			url.Values{"reason": {"nobody calls it"}, "override_reason": {"The gateway route was removed in January."}}, governanceMove, "", true},
		{"demote production → testing", "pets", catalog.StageProduction, true, "testing", url.Values{"reason": {"promoted by mistake"}}, governanceMove, "", false},
		{"reinstate a retired version", "pets", catalog.StageRetired, false, "deprecated", deprecation, governanceMove, "", false},
		{"production → retired is no move", "pets", catalog.StageProduction, true, "retired", url.Values{"reason": {"done"}}, anyMoverBlocked,
			"A version cannot move from production to retired", false},
	}
	n := 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			for _, role := range roles[1:] {
				n++
				name := fmt.Sprintf("t%d", n)
				_, err := s.store.CreateVersion(ctx, sys, tc.api, catalog.VersionInput{Name: name, Stage: tc.from})
				must(err)
				if tc.spec {
					_, _, err := s.store.SaveSpec(ctx, sys, tc.api, name, models.SpecUpload{Content: []byte(petsV1), Hash: "h" + name, Format: "yaml", SpecVersion: "3.0.3"})
					must(err)
				}
				base := "/apis/" + tc.api + "/versions/" + name
				form := with(tc.form, "to", tc.to)
				res := fx.as(role).post(base, base+"/stage", form)
				v, err := s.store.GetVersion(ctx, tc.api, name)
				must(err)
				want := tc.want[role]
				switch want {
				case through:
					if res.status != http.StatusSeeOther || res.location != base+"?done=stage" || v.Stage != tc.to {
						t.Errorf("%s as %s: %d → %q, stage %s; want 303 to %s?done=stage and stage %s\n%s", tc.name, role, res.status, res.location, v.Stage, base, tc.to, res.text("[data-testid=stage-blocked]"))
						continue
					}
					tl, err := s.store.VersionTimeline(ctx, v.ID, 1)
					must(err)
					if tl[0].ToStage != tc.to || tl[0].Actor != role+"@example.com" || tl[0].Override != tc.override {
						t.Errorf("%s as %s: recorded %+v", tc.name, role, tl[0])
					}
				case denied:
					if res.status != http.StatusForbidden || v.Stage != string(tc.from) {
						t.Errorf("%s as %s: %d, stage %s; want 403 and stage %s", tc.name, role, res.status, v.Stage, tc.from)
					}
				case blocked:
					got := res.text("[data-testid=stage-failure]")
					if res.status != http.StatusUnprocessableEntity || v.Stage != string(tc.from) || !strings.Contains(got, tc.failure) {
						t.Errorf("%s as %s: %d, stage %s, failure %q; want 422, stage %s and %q", tc.name, role, res.status, v.Stage, got, tc.from, tc.failure)
					}
					if sel := `#to option[value="` + tc.to + `"][selected]`; tc.want["admin"] == blocked && role == "admin" && res.count(sel) == 0 && tc.to != "retired" {
						t.Errorf("%s: the form came back without the chosen stage", tc.name)
					}
				}
			}
		})
	}
}

// TestStageFormAndTimeline walks a version through its life on its page:
// the form offers only the person's moves, a blocked move shows its
// failures next to the fields, and the timeline on the version and API
// pages says who moved it, when and why.
func TestStageFormAndTimeline(t *testing.T) {
	forEngines(t, func(t *testing.T, engine string) {
		s := newSite(t, engine)
		fx := s.fixtures()
		base := "/apis/pets/versions/v1"

		// A viewer sees the timeline but no form; a member of the team
		// has no move out of production; its owner may deprecate.
		viewer := fx.as("viewer").get(base)
		if viewer.count("[data-testid=stage-form]") != 0 || viewer.count("[data-testid=timeline-entry]") != 1 {
			t.Errorf("viewer: form %d, timeline entries %d; want no form and the creation", viewer.count("[data-testid=stage-form]"), viewer.count("[data-testid=timeline-entry]"))
		}
		if got := viewer.text("[data-testid=timeline-entry]"); !strings.Contains(got, "created at") || !strings.Contains(got, "production") {
			t.Errorf("creation entry = %q", got)
		}
		if fx.as("member").get(base).count("[data-testid=stage-form]") != 0 {
			t.Error("a member is offered moves out of production")
		}
		owner := fx.as("owner")
		page := owner.get(base)
		var offered []string
		page.doc.Find("#to option").Each(func(_ int, o *goquery.Selection) { offered = append(offered, o.AttrOr("value", "")) })
		if strings.Join(offered, ",") != "deprecated" || page.count("#override_reason") != 0 {
			t.Errorf("owner is offered %v (override field %d), want only deprecated", offered, page.count("#override_reason"))
		}
		if needs := page.text("[data-testid=stage-needs]"); needs != "deprecated needs a sunset date and migration notes." {
			t.Errorf("needs = %q", needs)
		}

		// Blocked: each failure listed, and next to its field.
		bad := owner.post(base, base+"/stage", url.Values{"to": {"deprecated"}, "reason": {"v2 is out"}, "replacement": {"v2"}})
		if bad.status != http.StatusUnprocessableEntity || bad.count("[data-testid=stage-failure]") != 2 ||
			!strings.HasPrefix(bad.text("[data-testid=error-sunset_date]"), "Deprecation needs a sunset date") ||
			!strings.HasPrefix(bad.text("[data-testid=error-migration_notes]"), "Deprecation needs migration notes") {
			t.Fatalf("blocked deprecation: %d\n%s", bad.status, bad.text("[data-testid=stage-blocked]"))
		}
		if v, _ := bad.doc.Find("#replacement").Attr("value"); v != "v2" {
			t.Errorf("the form lost what was typed: replacement %q", v)
		}
		if bad := owner.post(base, base+"/stage", url.Values{"to": {"deprecated"}, "sunset_date": {"next month"}}); bad.status != http.StatusUnprocessableEntity ||
			!strings.Contains(bad.text("[data-testid=error-sunset_date]"), "YYYY-MM-DD") {
			t.Errorf("a date that does not parse: %d %q", bad.status, bad.text("[data-testid=error-sunset_date]"))
		}

		// Deprecated, then retired by a governance lead's override.
		sunset := time.Now().AddDate(0, 2, 0)
		ok := owner.post(base, base+"/stage", url.Values{"to": {"deprecated"}, "reason": {"v2 is out"}, "sunset_date": {sunset.Format(time.DateOnly)},
			"migration_notes": {"Call **v2**."}, "replacement": {"v2"}})
		if ok.status != http.StatusSeeOther {
			t.Fatalf("deprecate: %d %s", ok.status, ok.text("[data-testid=stage-blocked]"))
		}
		after := owner.get(ok.location)
		if after.text("[data-testid=flash]") != "Stage changed; the move is on the timeline." || after.text("[data-testid=version-stage]") != "deprecated" ||
			after.text("[data-testid=sunset-date]") != sunset.UTC().Format("2 Jan 2006") || after.count("[data-testid=migration-notes] strong") != 1 {
			t.Errorf("after deprecating: flash %q, stage %q, sunset %q", after.text("[data-testid=flash]"), after.text("[data-testid=version-stage]"), after.text("[data-testid=sunset-date]"))
		}
		gov := fx.as("governance")
		if gov.get(base).count("#override_reason") != 1 {
			t.Error("a governance lead is not offered the override")
		}
		if r := gov.post(base, base+"/stage", url.Values{"to": {"retired"}, "reason": {"v2 took over"}, "override_reason": {"Its only consumer moved last week."}}); r.status != http.StatusSeeOther {
			t.Fatalf("override: %d %s", r.status, r.text("[data-testid=stage-blocked]"))
		}

		// The version's timeline, newest first.
		vp := owner.get(base)
		entries := vp.doc.Find("[data-testid=timeline] [data-testid=timeline-entry]")
		if entries.Length() != 3 {
			t.Fatalf("%d timeline entries, want 3", entries.Length())
		}
		first := entries.First()
		if first.Find("[data-testid=timeline-actor]").Text() != "governance@example.com" || first.Find("[data-testid=timeline-to]").Text() != "retired" ||
			first.Find("[data-testid=timeline-override]").Length() != 1 || !strings.Contains(first.Text(), "Its only consumer moved last week.") ||
			!strings.Contains(first.Find("[data-testid=timeline-reason]").Text(), "v2 took over") {
			t.Errorf("newest entry = %q", strings.Join(strings.Fields(first.Text()), " "))
		}
		second := entries.Eq(1)
		if second.Find("[data-testid=timeline-actor]").Text() != "owner@example.com" || second.Find("[data-testid=timeline-override]").Length() != 0 {
			t.Errorf("second entry = %q", strings.Join(strings.Fields(second.Text()), " "))
		}
		// Retired: nobody but governance has a move left.
		if vp.count("[data-testid=stage-form]") != 0 {
			t.Error("the owner is offered a move out of retired")
		}

		// The API page: every version's moves, with the version named.
		ap := owner.get("/apis/pets")
		apiEntries := ap.doc.Find("[data-testid=timeline] [data-testid=timeline-entry]")
		if apiEntries.Length() != 3 || apiEntries.First().Find("[data-testid=timeline-version]").Text() != "v1" {
			t.Errorf("API timeline: %d entries, first %q", apiEntries.Length(), strings.Join(strings.Fields(apiEntries.First().Text()), " "))
		}
		// The audit history says what happened in words.
		if !strings.Contains(vp.text("[data-testid=history]"), "changed the version's stage") {
			t.Errorf("history = %q", vp.text("[data-testid=history]"))
		}
	})
}

// TestEditFormKeepsTheStage: renaming no longer changes the stage, which
// only moves through the lifecycle.
func TestEditFormKeepsTheStage(t *testing.T) {
	s := newSite(t, "sqlite")
	s.fixtures()
	edit := s.get("/apis/pets/versions/v1/edit")
	if edit.count("select#stage") != 0 || edit.count("[data-testid=stage-elsewhere]") != 1 {
		t.Errorf("edit form: stage select %d, note %d", edit.count("select#stage"), edit.count("[data-testid=stage-elsewhere]"))
	}
	res := s.post("/apis/pets/versions/v1/edit", "/apis/pets/versions/v1", url.Values{"name": {"v1-legacy"}, "stage": {"design"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("rename: %d", res.status)
	}
	v, err := s.store.GetVersion(context.Background(), "pets", "v1-legacy")
	if err != nil || v.Stage != "production" {
		t.Errorf("after renaming: %+v %v, want production kept", v, err)
	}
}

// TestStageChangesInTheJSONAPI: PUT on a version moves it as the page
// does, each person with their own token, and the answers match the
// OpenAPI document.
func TestStageChangesInTheJSONAPI(t *testing.T) {
	forEngines(t, func(t *testing.T, engine string) {
		s := newAPISite(t, engine)
		fx := s.fixtures()
		// A production version of pets without a spec: the fixtures' v1
		// has made-up hashes the document would reject.
		if _, err := s.store.CreateVersion(context.Background(), catalog.SystemActor("test"), "pets", catalog.VersionInput{Name: "v5", Stage: catalog.StageProduction}); err != nil {
			t.Fatal(err)
		}
		as := func(role string) *apiSite {
			return &apiSite{site: s.site, contract: s.contract, token: fx.tokens[role]}
		}
		const v1 = "/api/v1/apis/pets/versions/v5"
		deprecate := `{"stage": "deprecated", "reason": "v2 replaces it", "sunset_date": "2099-06-30", "migration_notes": "Call v2.", "replacement": "https://pets.example.com/v2"}`
		as("member").run(t, []apiStep{
			{name: "a member may not deprecate", method: "PUT", path: v1, body: deprecate, status: http.StatusForbidden,
				contains: map[string]string{"error.message": "only owners of team zoo, governance leads or admins may deprecate"}},
		})
		as("owner").run(t, []apiStep{
			{name: "blocked by the gates", method: "PUT", path: v1, body: `{"stage": "deprecated", "reason": "v2 replaces it", "sunset_date": "2000-01-01"}`,
				status: http.StatusUnprocessableEntity,
				expect: map[string]any{"error.status": 422, "error.failures.0.gate": "deprecated.sunset-date", "error.failures.0.field": "sunset_date",
					"error.failures.1.gate": "deprecated.require-migration-notes"},
				contains: map[string]string{"error.failures.0.message": "The sunset date 1 Jan 2000 has passed"}},
			{name: "a date that does not parse", method: "PUT", path: v1, body: `{"stage": "deprecated", "sunset_date": "soon"}`,
				status: http.StatusUnprocessableEntity, contains: map[string]string{"error.fields.sunset_date": "YYYY-MM-DD"}},
			{name: "deprecated", method: "PUT", path: v1, body: deprecate, status: http.StatusOK,
				expect: map[string]any{"stage": "deprecated", "lifecycle.sunset_date": "2099-06-30", "lifecycle.migration_notes": "Call v2.",
					"lifecycle.replacement": "https://pets.example.com/v2"}},
			{name: "deprecation fields without a move", method: "PUT", path: v1, body: `{"sunset_date": "2099-07-31"}`, status: http.StatusUnprocessableEntity,
				contains: map[string]string{"error.fields.stage": "go with a stage change"}},
			{name: "an owner may not override the quiet-traffic gate", method: "PUT", path: v1,
				body: `{"stage": "retired", "reason": "done", "override_reason": "trust me"}`, status: http.StatusForbidden},
			{name: "nothing watches pets, so retiring is blocked", method: "PUT", path: v1, body: `{"stage": "retired", "reason": "done"}`,
				status: http.StatusUnprocessableEntity, expect: map[string]any{"error.failures.0.gate": "retired.quiet-days"},
				contains: map[string]string{"error.failures.0.message": "no traffic source has read this API's traffic"}},
		})
		as("governance").run(t, []apiStep{
			{name: "a governance lead retires it with an override, outside the team", method: "PUT", path: v1,
				body: `{"stage": "retired", "reason": "v2 took over", "override_reason": "Its gateway route was removed."}`, status: http.StatusOK,
				expect: map[string]any{"stage": "retired"}},
			{name: "but may not rename it", method: "PUT", path: v1, body: `{"name": "v5-old"}`, status: http.StatusForbidden},
		})
		as("viewer").run(t, []apiStep{
			{name: "the timeline, newest first", method: "GET", path: v1 + "/timeline", status: http.StatusOK,
				expect: map[string]any{
					"items.0.from_stage": "deprecated", "items.0.to_stage": "retired", "items.0.actor": "governance@example.com",
					"items.0.override": true, "items.0.override_reason": "Its gateway route was removed.",
					"items.1.to_stage": "deprecated", "items.1.actor": "owner@example.com", "items.1.reason": "v2 replaces it", "items.1.override": false,
					"items.2.from_stage": nil, "items.2.to_stage": "production",
				}},
			{name: "a viewer may not move it", method: "PUT", path: v1, body: `{"stage": "deprecated", "reason": "x"}`, status: http.StatusForbidden},
		})
	})
}

// TestGatesComeFromTheStandard: the published standard's
// x-steward-lifecycle sets the production grade, and the refusal names the
// grade to reach and the one the scorecard gave.
func TestGatesComeFromTheStandard(t *testing.T) {
	s := newSite(t, "sqlite")
	fx := s.fixtures()
	ctx := context.Background()
	sys := catalog.SystemActor("test")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.store.EnsureDefaultStandard(ctx, "rules: {}\nx-steward-lifecycle:\n  production: {min-grade: B}\n  retired: {quiet-days: 0}\n"))
	_, sv, err := s.store.CurrentStandard(ctx)
	must(err)
	_, err = s.store.CreateVersion(ctx, sys, "pets", catalog.VersionInput{Name: "v7", Stage: catalog.StageTesting})
	must(err)
	rev, _, err := s.store.SaveSpec(ctx, sys, "pets", "v7", models.SpecUpload{Content: []byte(petsV1), Hash: "h7", Format: "yaml", SpecVersion: "3.0.3"})
	must(err)
	v, err := s.store.GetVersion(ctx, "pets", "v7")
	must(err)
	score := func(grade string, overall int) {
		t.Helper()
		must(s.store.SaveScorecard(ctx, models.ScorecardRow{VersionID: v.ID, RevisionID: rev.ID, StandardVersionID: sv.ID,
			ComputedAt: time.Now(), Status: "ok", Overall: &overall, Grade: grade, Result: "{}"}))
	}
	base := "/apis/pets/versions/v7"
	member := fx.as("member")
	if needs := member.get(base).text("[data-testid=stage-needs]"); !strings.Contains(needs, "production needs a current spec and a grade of at least B on the latest scorecard.") {
		t.Errorf("needs = %q", needs)
	}
	score("D", 62)
	res := member.post(base, base+"/stage", url.Values{"to": {"production"}})
	if want := "Production needs a grade of at least B; the latest scorecard is D (62). Fix the failing rules on the scorecard, then try again."; res.status != http.StatusUnprocessableEntity || res.text("[data-testid=stage-failure]") != want {
		t.Fatalf("promote with a D: %d %q, want 422 %q", res.status, res.text("[data-testid=stage-failure]"), want)
	}
	score("B", 84)
	if res := member.post(base, base+"/stage", url.Values{"to": {"production"}}); res.status != http.StatusSeeOther {
		t.Fatalf("promote with a B: %d %q", res.status, res.text("[data-testid=stage-failure]"))
	}
	// quiet-days: 0 turns the traffic check off: pets has no source, yet
	// its owner retires a deprecated version.
	_, err = s.store.CreateVersion(ctx, sys, "pets", catalog.VersionInput{Name: "v0", Stage: catalog.StageDeprecated})
	must(err)
	if res := fx.as("owner").post("/apis/pets/versions/v0", "/apis/pets/versions/v0/stage", url.Values{"to": {"retired"}, "reason": {"unused"}}); res.status != http.StatusSeeOther {
		t.Errorf("retire with quiet-days 0: %d %q", res.status, res.text("[data-testid=stage-failure]"))
	}
}
