package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
)

// APIToken is a personal or team token for scripts. The secret is shown
// once at creation; only its hash is kept.
type APIToken struct {
	ID         uint   `gorm:"primaryKey"`
	Name       string `gorm:"size:100;not null"`
	Prefix     string `gorm:"size:20;not null"` // shown in lists so people can tell tokens apart
	SecretHash string `gorm:"size:64;not null;uniqueIndex"`
	UserID     uint   `gorm:"not null"`
	TeamID     *uint
	Scope      string `gorm:"size:20;not null"`
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	CreatedAt  time.Time
}

// TokenRow is a token as lists show it.
type TokenRow struct {
	APIToken
	TeamSlug  string
	UserEmail string
}

// CreateToken stores a token whose secret is secret; audited.
func (s *Store) CreateToken(ctx context.Context, actor catalog.Actor, t APIToken, secret string) (*APIToken, error) {
	t.SecretHash = hashSecret(secret)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&t).Error; err != nil {
			return err
		}
		return audit(tx, actor, "token.create", "token", fmt.Sprint(t.ID), nil, map[string]any{"name": t.Name, "scope": t.Scope, "prefix": t.Prefix, "expires_at": t.ExpiresAt})
	})
	if err != nil {
		return nil, translate(err, "create token")
	}
	return &t, nil
}

// TokenBySecret finds a live token (not revoked, not expired) by its secret
// and records its use at most once a minute.
func (s *Store) TokenBySecret(ctx context.Context, secret string) (*TokenRow, error) {
	var row TokenRow
	db := s.db.WithContext(ctx)
	err := db.Table("api_tokens").Select("api_tokens.*, COALESCE(teams.slug, '') AS team_slug, users.email AS user_email").
		Joins("JOIN users ON users.id = api_tokens.user_id").
		Joins("LEFT JOIN teams ON teams.id = api_tokens.team_id").
		Where("api_tokens.secret_hash = ?", hashSecret(secret)).Take(&row).Error
	if err != nil {
		return nil, translate(err, "token")
	}
	now := time.Now().UTC()
	if row.RevokedAt != nil || (row.ExpiresAt != nil && now.After(*row.ExpiresAt)) {
		return nil, fmt.Errorf("models: token %s is revoked or expired: %w", row.Prefix, catalog.ErrNotFound)
	}
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) > time.Minute {
		if err := db.Model(&APIToken{}).Where("id = ?", row.ID).Update("last_used_at", now).Error; err != nil {
			return nil, translate(err, "touch token")
		}
	}
	return &row, nil
}

// ListTokens lists the tokens a user created and those of the given teams.
func (s *Store) ListTokens(ctx context.Context, userID uint, teamSlugs []string) ([]TokenRow, error) {
	var rows []TokenRow
	q := s.db.WithContext(ctx).Table("api_tokens").Select("api_tokens.*, COALESCE(teams.slug, '') AS team_slug, users.email AS user_email").
		Joins("JOIN users ON users.id = api_tokens.user_id").
		Joins("LEFT JOIN teams ON teams.id = api_tokens.team_id")
	if len(teamSlugs) > 0 {
		q = q.Where("api_tokens.user_id = ? OR teams.slug IN ?", userID, teamSlugs)
	} else {
		q = q.Where("api_tokens.user_id = ?", userID)
	}
	err := q.Order("api_tokens.created_at DESC").Scan(&rows).Error
	return rows, translate(err, "list tokens")
}

// GetToken loads one token by id.
func (s *Store) GetToken(ctx context.Context, id uint) (*TokenRow, error) {
	var row TokenRow
	err := s.db.WithContext(ctx).Table("api_tokens").Select("api_tokens.*, COALESCE(teams.slug, '') AS team_slug, users.email AS user_email").
		Joins("JOIN users ON users.id = api_tokens.user_id").
		Joins("LEFT JOIN teams ON teams.id = api_tokens.team_id").
		Where("api_tokens.id = ?", id).Take(&row).Error
	if err != nil {
		return nil, translate(err, "token")
	}
	return &row, nil
}

// RevokeToken marks a token revoked; audited. Revoking twice is harmless.
func (s *Store) RevokeToken(ctx context.Context, actor catalog.Actor, id uint) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t APIToken
		if err := tx.Take(&t, id).Error; err != nil {
			return err
		}
		if t.RevokedAt != nil {
			return nil
		}
		now := time.Now().UTC()
		if err := tx.Model(&t).Update("revoked_at", now).Error; err != nil {
			return err
		}
		return audit(tx, actor, "token.revoke", "token", fmt.Sprint(t.ID), map[string]any{"name": t.Name}, nil)
	})
	return translate(err, "revoke token")
}
