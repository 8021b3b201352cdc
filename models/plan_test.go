package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
)

// gateFunc is a models.SpecGate made of a function.
type gateFunc func(ctx context.Context, r models.SpecReplacement) (models.RevisionChanges, error)

func (f gateFunc) CheckReplacement(ctx context.Context, r models.SpecReplacement) (models.RevisionChanges, error) {
	return f(ctx, r)
}

// refuseAPI refuses the specs of one API, as the breaking-change policy
// would, and lets the others through with one compatible change.
func refuseAPI(slug string, seen *[]models.SpecReplacement) gateFunc {
	return func(_ context.Context, r models.SpecReplacement) (models.RevisionChanges, error) {
		*seen = append(*seen, r)
		if r.APISlug == slug {
			return models.RevisionChanges{}, fmt.Errorf("api %s version %s: 1 breaking change\n  GET /events: api path removed: %w", r.APISlug, r.Version, catalog.ErrConflict)
		}
		return models.RevisionChanges{JSON: `{"changes":[]}`, Info: 1}, nil
	}
}

// TestApplyPlanGuardsSpecReplacements: a plan may add specs freely, but a
// spec that replaces a version's current revision goes in only when the
// gate lets it, compared with that very revision; any refusal stops the
// whole plan, and nothing is written.
func TestApplyPlanGuardsSpecReplacements(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		plan := func(events, orders string, stage catalog.Stage) (catalog.Plan, map[string]models.SpecUpload) {
			p := catalog.Plan{Teams: []catalog.TeamInput{{Slug: "data", Name: "Data"}}}
			specs := map[string]models.SpecUpload{}
			for slug, text := range map[string]string{"events": events, "orders": orders} {
				p.APIs = append(p.APIs, catalog.PlannedAPI{
					API:      catalog.APIInput{Slug: slug, Name: slug, TeamSlug: "data", Kind: catalog.KindREST, Visibility: catalog.VisibilityInternal},
					Versions: []catalog.PlannedVersion{{Version: catalog.VersionInput{Name: "v1", Stage: stage}}},
				})
				specs[models.PlanKey(slug, "v1")] = models.SpecUpload{Content: []byte(text), Hash: text, Format: "json", SpecVersion: "3.0.3"}
			}
			return p, specs
		}
		revisions := func() string {
			t.Helper()
			var out []string
			for _, slug := range []string{"events", "orders"} {
				v, err := s.GetVersion(ctx, slug, "v1")
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, fmt.Sprintf("%s:%d", slug, len(v.Revisions)))
			}
			return strings.Join(out, " ")
		}

		// New versions take their first spec without a gate.
		p, specs := plan("e1", "o1", catalog.StageProduction)
		if res, err := s.ApplyPlan(ctx, alice, p, specs, false); err != nil || res.SpecsStored != 2 {
			t.Fatalf("first import: %+v %v", res, err)
		}

		// Without a gate a changed spec is refused, and so is the plan:
		// the new team and the stage change stay out too.
		p, specs = plan("e2", "o2", catalog.StageDevelopment)
		p.Teams = append(p.Teams, catalog.TeamInput{Slug: "ghost", Name: "Ghost"})
		_, err := s.ApplyPlan(ctx, alice, p, specs, false)
		var refused *models.SpecsRefusedError
		if !errors.As(err, &refused) || !errors.Is(err, catalog.ErrConflict) || len(refused.Refusals) != 2 ||
			!strings.Contains(err.Error(), "api events version v1") || !strings.Contains(err.Error(), "nothing was imported") {
			t.Fatalf("ungated replacement: %v", err)
		}
		if _, err := s.GetTeam(ctx, "ghost"); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("a refused plan created team ghost: %v", err)
		}

		// A gate refusing one spec refuses the plan, naming that spec; the
		// spec it let through is not written either.
		var seen []models.SpecReplacement
		_, err = s.WithSpecGate(refuseAPI("events", &seen)).ApplyPlan(ctx, alice, p, specs, false)
		if !errors.As(err, &refused) || len(refused.Refusals) != 1 || !strings.Contains(err.Error(), "GET /events: api path removed") {
			t.Fatalf("gated refusal: %v", err)
		}
		if got := revisions(); got != "events:1 orders:1" {
			t.Errorf("after a refusal: %s", got)
		}
		if v, _ := s.GetVersion(ctx, "orders", "v1"); v.Stage != string(catalog.StageProduction) {
			t.Errorf("a refused plan moved orders v1 to %s", v.Stage)
		}
		// The gate saw both stages and the current text.
		if len(seen) != 2 {
			t.Fatalf("the gate saw %d replacements, want 2", len(seen))
		}
		for _, r := range seen {
			if r.Stage != catalog.StageProduction || r.PlannedStage != catalog.StageDevelopment || !strings.HasSuffix(string(r.Current), "1") || r.Version != "v1" {
				t.Errorf("replacement %+v", r)
			}
		}

		// A gate letting both through: stored, with the gate's changes.
		seen = nil
		gated := s.WithSpecGate(refuseAPI("nobody", &seen))
		res, err := gated.ApplyPlan(ctx, alice, p, specs, false)
		if err != nil || res.SpecsStored != 2 || res.VersionsUpdated != 2 {
			t.Fatalf("gated import: %+v %v", res, err)
		}
		if v, _ := s.GetVersion(ctx, "events", "v1"); v.Current == nil || v.Current.Number != 2 || v.Current.InfoCount != 1 || v.Current.Changes == "" {
			t.Errorf("the stored revision lacks the gate's changes: %+v", v.Current)
		}
		// The same plan again changes nothing and asks the gate nothing.
		seen = nil
		if res, err := gated.ApplyPlan(ctx, alice, p, specs, false); err != nil || *res != (models.PlanResult{}) || len(seen) != 0 {
			t.Errorf("second gated import: %+v %v, gate asked %d times", res, err, len(seen))
		}

		// A version that moves on while the gate compares is not
		// overwritten: the comparison no longer holds.
		p, specs = plan("e3", "o2", catalog.StageDevelopment)
		moving := gateFunc(func(ctx context.Context, r models.SpecReplacement) (models.RevisionChanges, error) {
			_, _, err := s.SaveSpec(ctx, alice, r.APISlug, r.Version, models.SpecUpload{Content: []byte("meanwhile"), Hash: "meanwhile", Format: "json", SpecVersion: "3.0.3"})
			return models.RevisionChanges{}, err
		})
		_, err = s.WithSpecGate(moving).ApplyPlan(ctx, alice, p, specs, false)
		if !errors.Is(err, catalog.ErrConflict) || !strings.Contains(err.Error(), "changed while the import was being checked") {
			t.Fatalf("a version that moved on: %v", err)
		}
		if v, _ := s.GetVersion(ctx, "events", "v1"); v.Current.Hash != "meanwhile" {
			t.Errorf("the import overwrote the revision uploaded meanwhile: %s", v.Current.Hash)
		}
	})
}
