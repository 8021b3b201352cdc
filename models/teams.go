package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
)

// TeamSummary is a team with the number of APIs it owns.
type TeamSummary struct {
	Team
	APICount int
}

// ListTeams returns every team by name, with its API count.
func (s *Store) ListTeams(ctx context.Context) ([]TeamSummary, error) {
	var out []TeamSummary
	err := s.db.WithContext(ctx).Table("teams").
		Select("teams.*, (SELECT COUNT(*) FROM apis WHERE apis.team_id = teams.id) AS api_count").
		Order("teams.name").Scan(&out).Error
	return out, translate(err, "list teams")
}

// GetTeam loads a team by slug.
func (s *Store) GetTeam(ctx context.Context, slug string) (*Team, error) {
	var t Team
	err := s.db.WithContext(ctx).Where("slug = ?", slug).Take(&t).Error
	if err != nil {
		return nil, translate(err, fmt.Sprintf("team %q", slug))
	}
	return &t, nil
}

// CreateTeam adds a team; a taken slug is a field error on "slug".
func (s *Store) CreateTeam(ctx context.Context, actor catalog.Actor, in catalog.TeamInput) (*Team, error) {
	t := Team{Slug: in.Slug, Name: in.Name, Description: in.Description, Contact: in.Contact}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := slugFree(tx, "teams", in.Slug, 0); err != nil {
			return err
		}
		if err := tx.Create(&t).Error; err != nil {
			return err
		}
		return audit(tx, actor, "team.create", "team", t.Slug, nil, teamAudit(t))
	})
	if err != nil {
		return nil, translate(err, "create team")
	}
	return &t, nil
}

// UpdateTeam changes a team; renaming its slug is allowed when the new one is free.
func (s *Store) UpdateTeam(ctx context.Context, actor catalog.Actor, slug string, in catalog.TeamInput) (*Team, error) {
	var t Team
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("slug = ?", slug).Take(&t).Error; err != nil {
			return err
		}
		before := teamAudit(t)
		if err := slugFree(tx, "teams", in.Slug, t.ID); err != nil {
			return err
		}
		t.Slug, t.Name, t.Description, t.Contact = in.Slug, in.Name, in.Description, in.Contact
		if err := tx.Save(&t).Error; err != nil {
			return err
		}
		return audit(tx, actor, "team.update", "team", t.Slug, before, teamAudit(t))
	})
	if err != nil {
		return nil, translate(err, "update team")
	}
	return &t, nil
}

// DeleteTeam removes a team that owns no APIs; one that does is a conflict
// whose message says how many APIs must move first.
func (s *Store) DeleteTeam(ctx context.Context, actor catalog.Actor, slug string) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t Team
		if err := tx.Where("slug = ?", slug).Take(&t).Error; err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&API{}).Where("team_id = ?", t.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return &ConflictError{Message: fmt.Sprintf("team %s still owns %d APIs: move them to another team or delete them first", t.Name, n)}
		}
		if err := tx.Delete(&t).Error; err != nil {
			return err
		}
		return audit(tx, actor, "team.delete", "team", t.Slug, teamAudit(t), nil)
	})
	return translate(err, "delete team")
}

func teamAudit(t Team) map[string]any {
	return map[string]any{"slug": t.Slug, "name": t.Name, "description": t.Description, "contact": t.Contact}
}

// ConflictError is a conflict with a message a person can act on.
type ConflictError struct{ Message string }

// Error returns the message.
func (e *ConflictError) Error() string { return e.Message }

// Unwrap makes errors.Is(err, catalog.ErrConflict) true.
func (e *ConflictError) Unwrap() error { return catalog.ErrConflict }

// slugFree returns a field error when another row of table already uses slug.
func slugFree(tx *gorm.DB, table, slug string, exceptID uint) error {
	var n int64
	if err := tx.Table(table).Where("slug = ? AND id <> ?", slug, exceptID).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return catalog.FieldError("slug", fmt.Sprintf("%q is already taken; choose another slug", slug))
	}
	return nil
}
