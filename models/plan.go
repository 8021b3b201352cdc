package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
)

// PlanResult counts what applying a plan changed.
type PlanResult struct {
	TeamsCreated, TeamsUpdated       int
	APIsCreated, APIsUpdated         int
	VersionsCreated, VersionsUpdated int
	SpecsStored                      int
}

// PlanKey names a version in the spec map passed to ApplyPlan.
func PlanKey(apiSlug, version string) string { return apiSlug + "/" + version }

// ApplyPlan creates or updates the plan's teams, APIs, versions,
// deployments and specs by slug, in one transaction: an import either lands
// whole or not at all, and applying the same plan again changes nothing.
// specs holds the parsed spec of each version that has one, by PlanKey.
//
// A spec may not replace a version's current revision here: that needs the
// breaking-change policy, which GatedStore.ApplyPlan applies. Such a plan
// is refused whole with a *SpecsRefusedError, and nothing is written.
func (s *Store) ApplyPlan(ctx context.Context, actor catalog.Actor, plan catalog.Plan, specs map[string]SpecUpload, demo bool) (*PlanResult, error) {
	return s.applyPlan(ctx, actor, plan, specs, demo, nil)
}

// GatedStore is the store with a SpecGate: its ApplyPlan lets a planned
// spec replace a version's current revision when the gate does.
type GatedStore struct {
	*Store
	gate SpecGate
}

// WithSpecGate returns the store with gate checking the specs ApplyPlan
// would put in place of a version's current revision.
func (s *Store) WithSpecGate(gate SpecGate) *GatedStore {
	return &GatedStore{Store: s, gate: gate}
}

// ApplyPlan is Store.ApplyPlan, except that every planned spec that would
// replace a version's current revision meets the gate first, before
// anything is written. When the gate refuses any, the plan is refused
// whole with a *SpecsRefusedError listing them all; those it lets through
// keep their classified changes for the changelog.
func (g *GatedStore) ApplyPlan(ctx context.Context, actor catalog.Actor, plan catalog.Plan, specs map[string]SpecUpload, demo bool) (*PlanResult, error) {
	return g.applyPlan(ctx, actor, plan, specs, demo, g.gate)
}

func (s *Store) applyPlan(ctx context.Context, actor catalog.Actor, plan catalog.Plan, specs map[string]SpecUpload, demo bool, gate SpecGate) (*PlanResult, error) {
	checked, err := s.checkReplacements(ctx, plan, specs, gate)
	if err != nil {
		return nil, translate(err, "apply plan")
	}
	res := &PlanResult{}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, t := range plan.Teams {
			if err := upsertTeam(tx, actor, t, res); err != nil {
				return fmt.Errorf("team %q: %w", t.Slug, err)
			}
		}
		for _, pa := range plan.APIs {
			if err := s.upsertAPI(tx, actor, pa, specs, checked, demo, res); err != nil {
				return fmt.Errorf("api %q: %w", pa.API.Slug, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, translate(err, "apply plan")
	}
	return res, nil
}

func upsertTeam(tx *gorm.DB, actor catalog.Actor, in catalog.TeamInput, res *PlanResult) error {
	var t Team
	err := tx.Where("slug = ?", in.Slug).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		t = Team{Slug: in.Slug, Name: in.Name, Description: in.Description, Contact: in.Contact}
		if err := tx.Create(&t).Error; err != nil {
			return err
		}
		res.TeamsCreated++
		return audit(tx, actor, "team.create", "team", t.Slug, nil, teamAudit(t))
	}
	if err != nil {
		return err
	}
	if t.Name == in.Name && t.Description == in.Description && t.Contact == in.Contact {
		return nil
	}
	before := teamAudit(t)
	t.Name, t.Description, t.Contact = in.Name, in.Description, in.Contact
	if err := tx.Save(&t).Error; err != nil {
		return err
	}
	res.TeamsUpdated++
	return audit(tx, actor, "team.update", "team", t.Slug, before, teamAudit(t))
}

func (s *Store) upsertAPI(tx *gorm.DB, actor catalog.Actor, pa catalog.PlannedAPI, specs map[string]SpecUpload, checked map[string]checkedSpec, demo bool, res *PlanResult) error {
	var a API
	var n int64
	if err := tx.Model(&API{}).Where("slug = ?", pa.API.Slug).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		if err := s.createAPI(tx, actor, pa.API, demo, &a); err != nil {
			return err
		}
		res.APIsCreated++
	} else {
		var cur API
		if err := tx.Preload("Team").Preload("Tags").Where("slug = ?", pa.API.Slug).Take(&cur).Error; err != nil {
			return err
		}
		probe := cur
		applyAPIInput(&probe, pa.API)
		if probe.Name == cur.Name && probe.Description == cur.Description && probe.Kind == cur.Kind &&
			probe.Visibility == cur.Visibility && probe.LinksJSON == cur.LinksJSON &&
			cur.Team.Slug == pa.API.TeamSlug && equalStrings(cur.TagNames(), pa.API.Tags) {
			a = cur
		} else {
			if err := s.updateAPI(tx, actor, pa.API.Slug, pa.API, &a); err != nil {
				return err
			}
			res.APIsUpdated++
		}
	}
	for _, pv := range pa.Versions {
		var v Version
		err := tx.Where("api_id = ? AND name = ?", a.ID, pv.Version.Name).Take(&v).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			if err := createVersion(tx, actor, a.Slug, pv.Version, &v); err != nil {
				return err
			}
			res.VersionsCreated++
		case err != nil:
			return err
		case v.Stage != string(pv.Version.Stage):
			before := map[string]any{"stage": v.Stage}
			if err := tx.Model(&v).Update("stage", string(pv.Version.Stage)).Error; err != nil {
				return err
			}
			// The import states the stage its source of truth (Backstage,
			// a spec folder) gives; the move is not gated, but it goes on
			// the version's timeline like any other.
			move := VersionTransition{VersionID: v.ID, FromStage: before["stage"].(string), ToStage: string(pv.Version.Stage),
				Actor: actorName(actor), Reason: "set by steward import", At: time.Now().UTC()}
			if err := tx.Create(&move).Error; err != nil {
				return err
			}
			res.VersionsUpdated++
			if err := audit(tx, actor, "version.update", "version", a.Slug+"/"+v.Name, before, map[string]any{"stage": pv.Version.Stage}); err != nil {
				return err
			}
		}
		for _, d := range pv.Deployments {
			var dep Deployment
			var cur Deployment
			err := tx.Where("version_id = ? AND environment = ?", v.ID, d.Environment).Take(&cur).Error
			if err == nil && cur.BaseURL == d.BaseURL {
				continue
			}
			if err := putDeployment(tx, actor, a.Slug, v.Name, d, &dep); err != nil {
				return err
			}
		}
		if up, ok := specs[PlanKey(a.Slug, v.Name)]; ok {
			// Only a replacement the gate saw, of the very revision it
			// compared, goes in; the version may have moved on since.
			if v.CurrentRevisionID != nil {
				if c, seen := checked[PlanKey(a.Slug, v.Name)]; seen && c.base == *v.CurrentRevisionID {
					up.Changes = c.changes
				} else if unchanged, err := currentHashIs(tx, *v.CurrentRevisionID, up.Hash); err != nil {
					return err
				} else if !unchanged {
					return &ConflictError{Message: fmt.Sprintf("the current spec of %s %s changed while the import was being checked; run the import again", a.Slug, v.Name)}
				}
			}
			_, created, err := saveSpec(tx, actor, a.Slug, &v, up)
			if err != nil {
				return fmt.Errorf("version %q spec: %w", v.Name, err)
			}
			if created {
				res.SpecsStored++
			}
		}
	}
	return nil
}

// SpecGate is the breaking-change policy as an import meets it. ApplyPlan
// shows it every planned spec that would replace a version's current
// revision, before anything is written. The cli package implements it with
// the breaking package and the current standard, so the store depends on
// neither.
type SpecGate interface {
	// CheckReplacement classifies r.Upload against r.Current and returns
	// its changes, kept with the new revision for the changelog. When the
	// policy does not let it through it returns an error wrapping
	// catalog.ErrConflict whose words name the API, the version and the
	// breaking changes; any other error stops the import.
	CheckReplacement(ctx context.Context, r SpecReplacement) (RevisionChanges, error)
}

// SpecReplacement is a planned spec that would replace a version's current
// revision.
type SpecReplacement struct {
	APISlug, Version string
	// Stage is the version's stage now and PlannedStage the one the plan
	// gives it. A gate applies the stricter policy of the two, so that an
	// import cannot lift a version's policy by moving it back to an
	// earlier stage in the same breath.
	Stage, PlannedStage catalog.Stage
	// Current is the text of the version's current revision.
	Current []byte
	Upload  SpecUpload
}

// SpecsRefusedError is a plan refused because the breaking-change policy
// does not let some of its specs replace their version's current
// revision. Nothing of the plan was written.
type SpecsRefusedError struct {
	// Refusals are the gate's errors, one per refused spec.
	Refusals []error
}

// Error lists the refusals, one per paragraph.
func (e *SpecsRefusedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d spec(s) refused by the breaking-change policy, nothing was imported:", len(e.Refusals))
	for _, r := range e.Refusals {
		b.WriteString("\n  " + strings.ReplaceAll(r.Error(), "\n", "\n  "))
	}
	return b.String()
}

// Unwrap makes errors.Is(err, catalog.ErrConflict) true: the specs are
// valid, the state of their versions is what stands in the way.
func (e *SpecsRefusedError) Unwrap() error { return catalog.ErrConflict }

// checkedSpec is a planned spec the gate let replace the revision it was
// compared with.
type checkedSpec struct {
	base    uint // the current revision it was compared with
	changes RevisionChanges
}

// replaceLookupBatch bounds the API slugs one lookup query names.
const replaceLookupBatch = 500

// checkReplacements shows gate every planned spec that would replace a
// version's current revision and returns, by PlanKey, those it let
// through; with no gate, it lets none through. It runs outside the
// transaction: comparing specs takes time that other writers must not
// spend waiting for the write lock.
func (s *Store) checkReplacements(ctx context.Context, plan catalog.Plan, specs map[string]SpecUpload, gate SpecGate) (map[string]checkedSpec, error) {
	planned := map[string]catalog.Stage{} // PlanKey → the stage the plan sets
	var slugs []string
	for _, pa := range plan.APIs {
		withSpec := false
		for _, pv := range pa.Versions {
			if _, ok := specs[PlanKey(pa.API.Slug, pv.Version.Name)]; ok {
				planned[PlanKey(pa.API.Slug, pv.Version.Name)] = pv.Version.Stage
				withSpec = true
			}
		}
		if withSpec {
			slugs = append(slugs, pa.API.Slug)
		}
	}
	type current struct {
		APISlug, Version, Stage, Hash string
		RevisionID                    uint
	}
	var currents []current
	db := s.db.WithContext(ctx)
	for start := 0; start < len(slugs); start += replaceLookupBatch {
		var part []current
		err := db.Table("versions").
			Select("apis.slug AS api_slug, versions.name AS version, versions.stage AS stage, spec_revisions.hash AS hash, spec_revisions.id AS revision_id").
			Joins("JOIN apis ON apis.id = versions.api_id").
			Joins("JOIN spec_revisions ON spec_revisions.id = versions.current_revision_id").
			Where("apis.slug IN ?", slugs[start:min(start+replaceLookupBatch, len(slugs))]).
			Order("apis.slug").Order("versions.name").Scan(&part).Error
		if err != nil {
			return nil, err
		}
		currents = append(currents, part...)
	}
	checked := map[string]checkedSpec{}
	var refused []error
	for _, cur := range currents {
		key := PlanKey(cur.APISlug, cur.Version)
		plannedStage, ok := planned[key]
		if !ok || specs[key].Hash == cur.Hash {
			continue
		}
		if gate == nil {
			refused = append(refused, fmt.Errorf("api %s version %s: the import would replace its current spec without the breaking-change check", cur.APISlug, cur.Version))
			continue
		}
		var content []string
		if err := db.Table("spec_revisions").Where("id = ?", cur.RevisionID).Pluck("content", &content).Error; err != nil {
			return nil, err
		}
		if len(content) == 0 {
			return nil, fmt.Errorf("the current spec of %s %s changed while the import was being checked; run the import again: %w", cur.APISlug, cur.Version, catalog.ErrConflict)
		}
		if plannedStage == "" {
			plannedStage = catalog.Stage(cur.Stage)
		}
		changes, err := gate.CheckReplacement(ctx, SpecReplacement{
			APISlug: cur.APISlug, Version: cur.Version, Stage: catalog.Stage(cur.Stage), PlannedStage: plannedStage,
			Current: []byte(content[0]), Upload: specs[key],
		})
		switch {
		case errors.Is(err, catalog.ErrConflict):
			refused = append(refused, err)
		case err != nil:
			return nil, fmt.Errorf("api %s version %s: %w", cur.APISlug, cur.Version, err)
		default:
			checked[key] = checkedSpec{base: cur.RevisionID, changes: changes}
		}
	}
	if len(refused) > 0 {
		return nil, &SpecsRefusedError{Refusals: refused}
	}
	return checked, nil
}

// currentHashIs reports whether the revision id has the text hash.
func currentHashIs(tx *gorm.DB, id uint, hash string) (bool, error) {
	var hashes []string
	if err := tx.Table("spec_revisions").Where("id = ?", id).Pluck("hash", &hashes).Error; err != nil {
		return false, err
	}
	return len(hashes) == 1 && hashes[0] == hash, nil
}

func equalStrings(a, b []string) bool {
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

// CountAPIs returns how many APIs the catalogue holds; the demo seeder runs
// only on an empty catalogue.
func (s *Store) CountAPIs(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&API{}).Count(&n).Error
	return n, translate(err, "count apis")
}

// HasDemoData reports whether any API came from the demo seeder, so pages
// can say the catalogue holds sample data.
func (s *Store) HasDemoData(ctx context.Context) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&API{}).Where("demo = ?", true).Limit(1).Count(&n).Error
	return n > 0, translate(err, "count demo apis")
}
