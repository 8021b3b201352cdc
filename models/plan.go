package models

import (
	"context"
	"errors"
	"fmt"

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
func (s *Store) ApplyPlan(ctx context.Context, actor catalog.Actor, plan catalog.Plan, specs map[string]SpecUpload, demo bool) (*PlanResult, error) {
	res := &PlanResult{}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, t := range plan.Teams {
			if err := upsertTeam(tx, actor, t, res); err != nil {
				return fmt.Errorf("team %q: %w", t.Slug, err)
			}
		}
		for _, pa := range plan.APIs {
			if err := s.upsertAPI(tx, actor, pa, specs, demo, res); err != nil {
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

func (s *Store) upsertAPI(tx *gorm.DB, actor catalog.Actor, pa catalog.PlannedAPI, specs map[string]SpecUpload, demo bool, res *PlanResult) error {
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
