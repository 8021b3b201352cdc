package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
)

// VersionDetail is a version with its API, deployments, current revision
// (without content) and endpoints: what a version page shows.
type VersionDetail struct {
	Version
	API       API
	TeamSlug  string
	TeamName  string
	Current   *SpecRevision
	Revisions []SpecRevision // newest first, without content
	// Lifecycle is the version's deprecation (models/lifecycle.go).
	Lifecycle VersionLifecycle
}

// ListEndpoints lists a version's endpoints by path, as derived from its
// current spec.
func (s *Store) ListEndpoints(ctx context.Context, versionID uint) ([]Endpoint, error) {
	var out []Endpoint
	err := s.db.WithContext(ctx).Where("version_id = ?", versionID).Order("path, id").Find(&out).Error
	return out, translate(err, "list endpoints")
}

// GetVersion loads a version of an API by names.
func (s *Store) GetVersion(ctx context.Context, apiSlug, name string) (*VersionDetail, error) {
	db := s.db.WithContext(ctx)
	var a API
	if err := db.Preload("Team").Where("slug = ?", apiSlug).Take(&a).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("api %q", apiSlug))
	}
	var v Version
	err := db.Preload("Deployments", func(db *gorm.DB) *gorm.DB { return db.Order("environment") }).
		Preload("Endpoints", func(db *gorm.DB) *gorm.DB { return db.Order("path, id") }).
		Where("api_id = ? AND name = ?", a.ID, name).Take(&v).Error
	if err != nil {
		return nil, translate(err, fmt.Sprintf("version %q of %q", name, apiSlug))
	}
	d := &VersionDetail{Version: v, API: a, TeamSlug: a.Team.Slug, TeamName: a.Team.Name}
	if d.Lifecycle, err = loadLifecycle(db, v.ID); err != nil {
		return nil, translate(err, "version lifecycle")
	}
	if err := db.Omit("Content").Where("version_id = ?", v.ID).Order("number DESC").Find(&d.Revisions).Error; err != nil {
		return nil, translate(err, "list revisions")
	}
	for i := range d.Revisions {
		if v.CurrentRevisionID != nil && d.Revisions[i].ID == *v.CurrentRevisionID {
			d.Current = &d.Revisions[i]
		}
	}
	return d, nil
}

// CreateVersion adds a version to an API.
func (s *Store) CreateVersion(ctx context.Context, actor catalog.Actor, apiSlug string, in catalog.VersionInput) (*Version, error) {
	var v Version
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return createVersion(tx, actor, apiSlug, in, &v)
	})
	if err != nil {
		return nil, translate(err, "create version")
	}
	return &v, nil
}

func createVersion(tx *gorm.DB, actor catalog.Actor, apiSlug string, in catalog.VersionInput, v *Version) error {
	apiID, err := apiIDBySlug(tx, apiSlug)
	if err != nil {
		return err
	}
	var n int64
	if err := tx.Model(&Version{}).Where("api_id = ? AND name = ?", apiID, in.Name).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return catalog.FieldError("name", fmt.Sprintf("this API already has a version %q", in.Name))
	}
	*v = Version{APIID: apiID, Name: in.Name, Stage: string(in.Stage)}
	if err := tx.Omit("Deployments", "Revisions", "Endpoints").Create(v).Error; err != nil {
		return err
	}
	if err := touchAPI(tx, apiID); err != nil {
		return err
	}
	return audit(tx, actor, "version.create", "version", apiSlug+"/"+v.Name, nil, map[string]any{"name": v.Name, "stage": v.Stage})
}

// UpdateVersion renames a version. Its stage changes only through
// TransitionVersion, which checks the lifecycle gates and records the move;
// an input with another stage than the version's is refused, an empty one
// keeps it.
func (s *Store) UpdateVersion(ctx context.Context, actor catalog.Actor, apiSlug, name string, in catalog.VersionInput) (*Version, error) {
	var v Version
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := findVersion(tx, apiSlug, name, &v); err != nil {
			return err
		}
		if in.Stage != "" && string(in.Stage) != v.Stage {
			return catalog.FieldError("stage", "a stage change is a lifecycle transition: use Change stage on the version page, so it is checked and recorded")
		}
		before := map[string]any{"name": v.Name, "stage": v.Stage}
		if in.Name != v.Name {
			var n int64
			if err := tx.Model(&Version{}).Where("api_id = ? AND name = ?", v.APIID, in.Name).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return catalog.FieldError("name", fmt.Sprintf("this API already has a version %q", in.Name))
			}
		}
		v.Name = in.Name
		if err := tx.Omit("Deployments", "Revisions", "Endpoints").Save(&v).Error; err != nil {
			return err
		}
		if err := touchAPI(tx, v.APIID); err != nil {
			return err
		}
		return audit(tx, actor, "version.update", "version", apiSlug+"/"+v.Name, before, map[string]any{"name": v.Name, "stage": v.Stage})
	})
	if err != nil {
		return nil, translate(err, "update version")
	}
	return &v, nil
}

// DeleteVersion removes a version with its deployments, revisions and endpoints.
func (s *Store) DeleteVersion(ctx context.Context, actor catalog.Actor, apiSlug, name string) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var v Version
		if err := findVersion(tx, apiSlug, name, &v); err != nil {
			return err
		}
		if err := tx.Delete(&v).Error; err != nil {
			return err
		}
		if err := reindexAPI(tx, v.APIID); err != nil {
			return err
		}
		if err := touchAPI(tx, v.APIID); err != nil {
			return err
		}
		return audit(tx, actor, "version.delete", "version", apiSlug+"/"+v.Name, map[string]any{"name": v.Name, "stage": v.Stage}, nil)
	})
	return translate(err, "delete version")
}

// PutDeployment creates or replaces the deployment of a version in one environment.
func (s *Store) PutDeployment(ctx context.Context, actor catalog.Actor, apiSlug, version string, in catalog.DeploymentInput) (*Deployment, error) {
	var d Deployment
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return putDeployment(tx, actor, apiSlug, version, in, &d)
	})
	if err != nil {
		return nil, translate(err, "save deployment")
	}
	return &d, nil
}

func putDeployment(tx *gorm.DB, actor catalog.Actor, apiSlug, version string, in catalog.DeploymentInput, d *Deployment) error {
	var v Version
	if err := findVersion(tx, apiSlug, version, &v); err != nil {
		return err
	}
	var before any
	err := tx.Where("version_id = ? AND environment = ?", v.ID, in.Environment).Take(d).Error
	switch {
	case err == nil:
		before = map[string]any{"environment": d.Environment, "base_url": d.BaseURL}
		d.BaseURL = in.BaseURL
		if err := tx.Save(d).Error; err != nil {
			return err
		}
	case err == gorm.ErrRecordNotFound:
		*d = Deployment{VersionID: v.ID, Environment: in.Environment, BaseURL: in.BaseURL}
		if err := tx.Create(d).Error; err != nil {
			return err
		}
	default:
		return err
	}
	if err := touchAPI(tx, v.APIID); err != nil {
		return err
	}
	return audit(tx, actor, "deployment.put", "version", apiSlug+"/"+version, before, map[string]any{"environment": d.Environment, "base_url": d.BaseURL})
}

// DeleteDeployment removes the deployment of a version in one environment.
func (s *Store) DeleteDeployment(ctx context.Context, actor catalog.Actor, apiSlug, version, env string) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var v Version
		if err := findVersion(tx, apiSlug, version, &v); err != nil {
			return err
		}
		var d Deployment
		if err := tx.Where("version_id = ? AND environment = ?", v.ID, env).Take(&d).Error; err != nil {
			return err
		}
		if err := tx.Delete(&d).Error; err != nil {
			return err
		}
		return audit(tx, actor, "deployment.delete", "version", apiSlug+"/"+version, map[string]any{"environment": d.Environment, "base_url": d.BaseURL}, nil)
	})
	return translate(err, "delete deployment")
}

func apiIDBySlug(tx *gorm.DB, slug string) (uint, error) {
	var ids []uint
	if err := tx.Table("apis").Where("slug = ?", slug).Limit(1).Pluck("id", &ids).Error; err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, fmt.Errorf("api %q: %w", slug, catalog.ErrNotFound)
	}
	return ids[0], nil
}

func findVersion(tx *gorm.DB, apiSlug, name string, v *Version) error {
	apiID, err := apiIDBySlug(tx, apiSlug)
	if err != nil {
		return err
	}
	if err := tx.Where("api_id = ? AND name = ?", apiID, name).Take(v).Error; err != nil {
		if err == gorm.ErrRecordNotFound {
			return fmt.Errorf("version %q of %q: %w", name, apiSlug, catalog.ErrNotFound)
		}
		return err
	}
	return nil
}

// touchAPI bumps the API's updated_at so "recently updated" ordering sees
// changes to its versions and specs.
func touchAPI(tx *gorm.DB, apiID uint) error {
	return tx.Model(&API{}).Where("id = ?", apiID).Update("updated_at", tx.NowFunc()).Error
}
