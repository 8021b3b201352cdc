package models

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
)

// Standard version statuses.
const (
	StandardDraft      = "draft"
	StandardPublished  = "published"
	StandardSuperseded = "superseded"
)

// Standard is a named, versioned ruleset governance leads publish.
type Standard struct {
	ID          uint   `gorm:"primaryKey"`
	Slug        string `gorm:"size:63;not null;uniqueIndex"`
	Name        string `gorm:"size:120;not null"`
	Description string `gorm:"type:text;not null;default:''"`
	CreatedAt   time.Time
}

// StandardVersion is one version of a standard's ruleset.
type StandardVersion struct {
	ID          uint   `gorm:"primaryKey"`
	StandardID  uint   `gorm:"not null"`
	Number      int    `gorm:"not null"`
	Status      string `gorm:"size:20;not null"`
	Ruleset     string `gorm:"type:text;not null"`
	Notes       string `gorm:"type:text;not null;default:''"`
	EffectiveAt *time.Time
	CreatedBy   string `gorm:"size:200;not null;default:''"`
	CreatedAt   time.Time
	PublishedBy string `gorm:"size:200;not null;default:''"`
	PublishedAt *time.Time
}

// DefaultStandardSlug names the organisation's standard, created on first
// start with Steward's recommended ruleset.
const DefaultStandardSlug = "organisation"

// EnsureDefaultStandard creates the organisation standard, published at
// version 1 with ruleset, when there is no standard yet.
func (s *Store) EnsureDefaultStandard(ctx context.Context, ruleset string) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Standard{}).Count(&n).Error; err != nil || n > 0 {
			return err
		}
		st := Standard{Slug: DefaultStandardSlug, Name: "Organisation standard", Description: "The standard every API version is scored against."}
		if err := tx.Create(&st).Error; err != nil {
			return err
		}
		now := time.Now().UTC()
		v := StandardVersion{StandardID: st.ID, Number: 1, Status: StandardPublished, Ruleset: ruleset, Notes: "Steward's recommended rules.", CreatedBy: "system", PublishedBy: "system", PublishedAt: &now}
		if err := tx.Create(&v).Error; err != nil {
			return err
		}
		return audit(tx, catalog.SystemActor("standards"), "standard.publish", "standard", st.Slug, nil, map[string]any{"version": 1})
	})
	return translate(err, "create default standard")
}

// CurrentStandard returns the published version of the organisation
// standard.
func (s *Store) CurrentStandard(ctx context.Context) (*Standard, *StandardVersion, error) {
	var st Standard
	db := s.db.WithContext(ctx)
	if err := db.Where("slug = ?", DefaultStandardSlug).Take(&st).Error; err != nil {
		return nil, nil, translate(err, "current standard")
	}
	var v StandardVersion
	if err := db.Where("standard_id = ? AND status = ?", st.ID, StandardPublished).Order("number DESC").Take(&v).Error; err != nil {
		return nil, nil, translate(err, "current standard version")
	}
	return &st, &v, nil
}

// GetStandardVersion loads one standard version by id.
func (s *Store) GetStandardVersion(ctx context.Context, id uint) (*StandardVersion, error) {
	var v StandardVersion
	if err := s.db.WithContext(ctx).Take(&v, id).Error; err != nil {
		return nil, translate(err, "standard version")
	}
	return &v, nil
}

// ScorecardRow is one stored scorecard computation.
type ScorecardRow struct {
	ID                uint `gorm:"primaryKey"`
	VersionID         uint
	RevisionID        uint
	StandardVersionID uint
	ComputedAt        time.Time
	Status            string
	Overall           *int
	Grade             string
	Result            string // JSON of scorecard.Scorecard
	DurationMS        int64  `gorm:"column:duration_ms"`
	// Failures are the rules the scorecard fails, stored alongside it;
	// nil means "read them from Result".
	Failures []ScorecardFailure `gorm:"-"`
}

// ScorecardFailure is one failing rule of a stored scorecard.
type ScorecardFailure struct {
	ScorecardID uint   `gorm:"primaryKey"`
	Rule        string `gorm:"primaryKey"`
	Category    string
	Findings    int
}

// FailuresOf reads the failing rules out of a stored scorecard's JSON; an
// unreadable result has none.
func FailuresOf(result string) []ScorecardFailure {
	var card struct {
		Rules []struct {
			Rule, Category, Status string
			Findings               int
		}
	}
	if json.Unmarshal([]byte(result), &card) != nil {
		return nil
	}
	var out []ScorecardFailure
	for _, r := range card.Rules {
		if r.Status == "fail" {
			out = append(out, ScorecardFailure{Rule: r.Rule, Category: r.Category, Findings: r.Findings})
		}
	}
	return out
}

func insertFailures(tx *gorm.DB, scorecardID uint, fs []ScorecardFailure) error {
	if len(fs) == 0 {
		return nil
	}
	for i := range fs {
		fs[i].ScorecardID = scorecardID
	}
	return tx.Table("scorecard_failures").CreateInBatches(fs, 200).Error
}

// TableName names the scorecard table.
func (ScorecardRow) TableName() string { return "scorecards" }

// ScoringTarget is a version whose current spec has no scorecard under the
// current standard version yet.
type ScoringTarget struct {
	VersionID  uint
	APISlug    string
	Version    string
	RevisionID uint
}

// StaleScorecards lists up to limit versions whose latest scorecard is
// missing or was made from another revision or standard version.
func (s *Store) StaleScorecards(ctx context.Context, standardVersionID uint, limit int) ([]ScoringTarget, error) {
	var out []ScoringTarget
	err := s.db.WithContext(ctx).Table("versions").
		Select("versions.id AS version_id, apis.slug AS api_slug, versions.name AS version, versions.current_revision_id AS revision_id").
		Joins("JOIN apis ON apis.id = versions.api_id").
		Where("versions.current_revision_id IS NOT NULL").
		Where(`NOT EXISTS (SELECT 1 FROM scorecards sc WHERE sc.version_id = versions.id
			AND sc.revision_id = versions.current_revision_id AND sc.standard_version_id = ?
			AND sc.id = (SELECT MAX(id) FROM scorecards WHERE version_id = versions.id))`, standardVersionID).
		Order("versions.id").Limit(limit).Scan(&out).Error
	return out, translate(err, "stale scorecards")
}

// SaveScorecard stores a computed scorecard and updates the version's and
// its API's grade. The API's grade is that of its primary version: the
// newest in production with a scorecard, else the newest scored one.
func (s *Store) SaveScorecard(ctx context.Context, row ScorecardRow) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		failures := row.Failures
		if failures == nil {
			failures = FailuresOf(row.Result)
		}
		if err := insertFailures(tx, row.ID, failures); err != nil {
			return err
		}
		if err := tx.Model(&Version{}).Where("id = ?", row.VersionID).
			Updates(map[string]any{"grade": row.Grade, "score": row.Overall}).Error; err != nil {
			return err
		}
		var apiID uint
		if err := tx.Table("versions").Where("id = ?", row.VersionID).Pluck("api_id", &apiID).Error; err != nil {
			return err
		}
		return refreshAPIGrade(tx, apiID)
	})
	return translate(err, "save scorecard")
}

func refreshAPIGrade(tx *gorm.DB, apiID uint) error {
	var vs []struct {
		Stage, Grade string
		HasCard      bool
	}
	err := tx.Table("versions").
		Select("versions.stage, versions.grade, EXISTS (SELECT 1 FROM scorecards WHERE scorecards.version_id = versions.id) AS has_card").
		Where("versions.api_id = ?", apiID).Order("versions.created_at, versions.id").Scan(&vs).Error
	if err != nil {
		return err
	}
	grade, prod := "", false
	for _, v := range vs {
		if !v.HasCard {
			continue
		}
		isProd := v.Stage == string(catalog.StageProduction)
		if isProd || !prod {
			grade, prod = v.Grade, prod || isProd
		}
	}
	return tx.Model(&API{}).Where("id = ?", apiID).Update("grade", grade).Error
}

// LatestScorecard returns the newest scorecard of a version.
func (s *Store) LatestScorecard(ctx context.Context, versionID uint) (*ScorecardRow, error) {
	var row ScorecardRow
	err := s.db.WithContext(ctx).Where("version_id = ?", versionID).Order("id DESC").Take(&row).Error
	if err != nil {
		return nil, translate(err, "latest scorecard")
	}
	return &row, nil
}

// ScoreHistory returns a version's scorecards, oldest first, without their
// results: enough to draw the score over time.
func (s *Store) ScoreHistory(ctx context.Context, versionID uint, limit int) ([]ScorecardRow, error) {
	var rows []ScorecardRow
	err := s.db.WithContext(ctx).Omit("Result").Where("version_id = ?", versionID).Order("id DESC").Limit(limit).Find(&rows).Error
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	return rows, translate(err, "score history")
}

// Waiver statuses.
const (
	WaiverPending  = "pending"
	WaiverApproved = "approved"
	WaiverDenied   = "denied"
)

// WaiverRow is a request to leave one rule out of one version's score.
type WaiverRow struct {
	ID           uint `gorm:"primaryKey"`
	VersionID    uint
	Rule         string
	Reason       string
	Status       string
	RequestedBy  string
	RequestedAt  time.Time
	ExpiresAt    *time.Time
	DecidedBy    string
	DecidedAt    *time.Time
	DecisionNote string
}

// TableName names the waiver table.
func (WaiverRow) TableName() string { return "waivers" }

// ApprovedWaivers lists the approved waivers of a version (expired ones
// included: scoring decides by the clock).
func (s *Store) ApprovedWaivers(ctx context.Context, versionID uint) ([]WaiverRow, error) {
	var out []WaiverRow
	err := s.db.WithContext(ctx).Where("version_id = ? AND status = ?", versionID, WaiverApproved).Order("id").Find(&out).Error
	return out, translate(err, "waivers")
}

// VersionIDOf returns a version's id by names.
func (s *Store) VersionIDOf(ctx context.Context, apiSlug, version string) (uint, error) {
	var v Version
	if err := findVersion(s.db.WithContext(ctx), apiSlug, version, &v); err != nil {
		return 0, translate(err, fmt.Sprintf("version %s/%s", apiSlug, version))
	}
	return v.ID, nil
}
