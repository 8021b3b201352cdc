package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
)

// This file holds the store's side of the breaking-change policy: the
// classified changes kept with each revision (the changelog), and pending
// revisions held for an exception. The tables are those of migration 0007.

// RevisionChanges is the classified changes of an upload against the
// current revision: the JSON of a breaking.Report (the models do not read
// it) and its counts by level. The zero value means "not compared".
type RevisionChanges struct {
	JSON                    string
	Breaking, Warning, Info int
}

// Pending revision statuses. A held revision waits for its team to request
// an exception; a requested one for a governance lead to decide it. The
// team may withdraw it while it waits.
const (
	PendingHeld      = "held"
	PendingRequested = "requested"
	PendingApproved  = "approved"
	PendingDenied    = "denied"
	PendingWithdrawn = "withdrawn"
)

// PendingStatuses lists every status a pending revision can have.
var PendingStatuses = []string{PendingHeld, PendingRequested, PendingApproved, PendingDenied, PendingWithdrawn}

// PendingRevision is an upload with breaking changes that the policy of
// its version's stage held back: it is not current, and the endpoints and
// search stay those of the current revision until an exception is approved.
type PendingRevision struct {
	ID        uint `gorm:"primaryKey"`
	VersionID uint `gorm:"not null;index"`
	// BaseRevisionID is the current revision it was compared with; if the
	// version has moved on since, the comparison no longer holds.
	BaseRevisionID uint   `gorm:"not null"`
	BaseNumber     int    `gorm:"not null"`
	Hash           string `gorm:"size:64;not null"`
	Format         string `gorm:"size:10;not null"`
	SpecVersion    string `gorm:"size:20;not null"`
	Title          string `gorm:"size:500;not null;default:''"`
	SizeBytes      int64  `gorm:"not null"`
	Content        string `gorm:"type:text;not null"`
	Changes        string `gorm:"type:text;not null;default:''"`
	BreakingCount  int    `gorm:"not null;default:0"`
	WarningCount   int    `gorm:"not null;default:0"`
	InfoCount      int    `gorm:"not null;default:0"`
	Status         string `gorm:"size:20;not null"`
	Reason         string `gorm:"type:text;not null;default:''"`
	RequestedBy    string `gorm:"size:200;not null;default:''"`
	RequestedAt    *time.Time
	DecidedBy      string `gorm:"size:200;not null;default:''"`
	DecidedAt      *time.Time
	DecisionNote   string `gorm:"type:text;not null;default:''"`
	// RevisionNumber is the revision an approved exception made current.
	RevisionNumber int    `gorm:"not null;default:0"`
	CreatedBy      string `gorm:"size:200;not null;default:''"`
	CreatedAt      time.Time
}

// Open reports whether the pending revision still waits for someone.
func (p *PendingRevision) Open() bool {
	return p.Status == PendingHeld || p.Status == PendingRequested
}

func migrateBreakingChanges(tx *gorm.DB) error {
	return execAll(tx,
		`ALTER TABLE spec_revisions ADD COLUMN changes TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE spec_revisions ADD COLUMN breaking_count INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE spec_revisions ADD COLUMN warning_count INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE spec_revisions ADD COLUMN info_count INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE spec_revisions ADD COLUMN excepted {{bool}} NOT NULL DEFAULT {{false}}`,
		`CREATE TABLE pending_revisions (
			id {{id}},
			version_id {{ref}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
			base_revision_id {{ref}} NOT NULL REFERENCES spec_revisions(id) ON DELETE CASCADE,
			base_number INTEGER NOT NULL,
			hash VARCHAR(64) NOT NULL,
			format VARCHAR(10) NOT NULL,
			spec_version VARCHAR(20) NOT NULL,
			title VARCHAR(500) NOT NULL DEFAULT '',
			size_bytes BIGINT NOT NULL,
			content TEXT NOT NULL,
			changes TEXT NOT NULL DEFAULT '',
			breaking_count INTEGER NOT NULL DEFAULT 0,
			warning_count INTEGER NOT NULL DEFAULT 0,
			info_count INTEGER NOT NULL DEFAULT 0,
			status VARCHAR(20) NOT NULL,
			reason TEXT NOT NULL DEFAULT '',
			requested_by VARCHAR(200) NOT NULL DEFAULT '',
			requested_at {{time}},
			decided_by VARCHAR(200) NOT NULL DEFAULT '',
			decided_at {{time}},
			decision_note TEXT NOT NULL DEFAULT '',
			revision_number INTEGER NOT NULL DEFAULT 0,
			created_by VARCHAR(200) NOT NULL DEFAULT '',
			created_at {{time}})`,
		`CREATE INDEX idx_pending_revisions_version ON pending_revisions (version_id)`,
	)
}

// HoldSpec keeps an upload as a pending revision of the version, compared
// with its current revision baseID. Holding the same text twice while the
// first is still open returns the first.
func (s *Store) HoldSpec(ctx context.Context, actor catalog.Actor, apiSlug, version string, baseID uint, up SpecUpload) (*PendingRevision, error) {
	var p PendingRevision
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var v Version
		if err := findVersion(tx, apiSlug, version, &v); err != nil {
			return err
		}
		if v.CurrentRevisionID == nil || *v.CurrentRevisionID != baseID {
			return fmt.Errorf("the current spec of %s/%s changed while this one was compared; upload it again: %w", apiSlug, version, catalog.ErrConflict)
		}
		err := tx.Omit("Content").Where("version_id = ? AND hash = ? AND base_revision_id = ? AND status IN ?",
			v.ID, up.Hash, baseID, []string{PendingHeld, PendingRequested}).Take(&p).Error
		if err == nil {
			return nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		var base SpecRevision
		if err := tx.Omit("Content").Take(&base, baseID).Error; err != nil {
			return err
		}
		p = PendingRevision{
			VersionID: v.ID, BaseRevisionID: baseID, BaseNumber: base.Number, Hash: up.Hash, Format: up.Format,
			SpecVersion: up.SpecVersion, Title: truncate(up.Title, 500), SizeBytes: int64(len(up.Content)), Content: string(up.Content),
			Changes: up.Changes.JSON, BreakingCount: up.Changes.Breaking, WarningCount: up.Changes.Warning, InfoCount: up.Changes.Info,
			Status: PendingHeld, CreatedBy: actor.Name,
		}
		if err := tx.Create(&p).Error; err != nil {
			return err
		}
		p.Content = ""
		return audit(tx, actor, "spec.hold", "version", apiSlug+"/"+v.Name, nil,
			map[string]any{"pending": p.ID, "base_revision": base.Number, "hash": p.Hash, "breaking": p.BreakingCount})
	})
	if err != nil {
		return nil, translate(err, "hold spec")
	}
	return &p, nil
}

// GetPendingRevision loads a pending revision of a version, content included.
func (s *Store) GetPendingRevision(ctx context.Context, apiSlug, version string, id uint) (*PendingRevision, error) {
	db := s.db.WithContext(ctx)
	var v Version
	if err := findVersion(db, apiSlug, version, &v); err != nil {
		return nil, translate(err, "pending revision")
	}
	var p PendingRevision
	if err := db.Where("version_id = ?", v.ID).Take(&p, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("models: pending revision %d of %s/%s: %w", id, apiSlug, version, catalog.ErrNotFound)
		}
		return nil, translate(err, "pending revision")
	}
	return &p, nil
}

// PendingRevisions lists a version's pending revisions, open or decided,
// newest first and without content.
func (s *Store) PendingRevisions(ctx context.Context, versionID uint, limit int) ([]PendingRevision, error) {
	var out []PendingRevision
	err := s.db.WithContext(ctx).Omit("Content", "Changes").Where("version_id = ?", versionID).
		Order("id DESC").Limit(limit).Find(&out).Error
	return out, translate(err, "pending revisions")
}

// RequestException asks governance leads to let a held revision through,
// with the team's reason.
func (s *Store) RequestException(ctx context.Context, actor catalog.Actor, apiSlug, version string, id uint, reason string) (*PendingRevision, error) {
	var p PendingRevision
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var v Version
		if err := findVersion(tx, apiSlug, version, &v); err != nil {
			return err
		}
		if err := tx.Omit("Content").Where("version_id = ?", v.ID).Take(&p, id).Error; err != nil {
			return err
		}
		switch p.Status {
		case PendingHeld:
		case PendingRequested:
			return &ConflictError{Message: "An exception for this revision has already been requested; a governance lead will decide it."}
		default:
			return &ConflictError{Message: fmt.Sprintf("This revision is %s: there is no exception left to request.", p.Status)}
		}
		now := time.Now().UTC()
		p.Status, p.Reason, p.RequestedBy, p.RequestedAt = PendingRequested, reason, actor.Name, &now
		if err := tx.Model(&p).Select("status", "reason", "requested_by", "requested_at").Updates(&p).Error; err != nil {
			return err
		}
		return audit(tx, actor, "exception.request", "version", apiSlug+"/"+v.Name, nil,
			map[string]any{"pending": p.ID, "reason": reason, "breaking": p.BreakingCount})
	})
	if err != nil {
		return nil, translate(err, "request exception")
	}
	return &p, nil
}

// DecideException approves or denies a requested exception. Approving
// stores the pending revision as the version's current one (up is its
// parsed upload: endpoints replaced, search reindexed), marked excepted;
// it fails with a conflict when the version moved on since the revision
// was held, since its changes were computed against another revision.
func (s *Store) DecideException(ctx context.Context, actor catalog.Actor, apiSlug, version string, id uint, approve bool, note string, up SpecUpload) (*PendingRevision, *SpecRevision, error) {
	var p PendingRevision
	var rev *SpecRevision
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var v Version
		if err := findVersion(tx, apiSlug, version, &v); err != nil {
			return err
		}
		if err := tx.Omit("Content").Where("version_id = ?", v.ID).Take(&p, id).Error; err != nil {
			return err
		}
		if p.Status != PendingRequested {
			return &ConflictError{Message: fmt.Sprintf("This revision has no exception request to decide: it is %s.", p.Status)}
		}
		now := time.Now().UTC()
		p.Status, p.DecidedBy, p.DecidedAt, p.DecisionNote = PendingDenied, actor.Name, &now, note
		action := "exception.deny"
		if approve {
			if v.CurrentRevisionID == nil || *v.CurrentRevisionID != p.BaseRevisionID {
				return &ConflictError{Message: "The version's spec changed since this revision was held, so its changes no longer apply: upload it again."}
			}
			up.Changes = RevisionChanges{JSON: p.Changes, Breaking: p.BreakingCount, Warning: p.WarningCount, Info: p.InfoCount}
			r, _, err := saveSpec(tx, actor, apiSlug, &v, up)
			if err != nil {
				return err
			}
			if err := tx.Model(&SpecRevision{}).Where("id = ?", r.ID).Update("excepted", true).Error; err != nil {
				return err
			}
			r.Excepted, rev = true, r
			p.Status, p.RevisionNumber, action = PendingApproved, r.Number, "exception.approve"
		}
		if err := tx.Model(&p).Select("status", "decided_by", "decided_at", "decision_note", "revision_number").Updates(&p).Error; err != nil {
			return err
		}
		return audit(tx, actor, action, "version", apiSlug+"/"+v.Name, nil,
			map[string]any{"pending": p.ID, "note": note, "revision": p.RevisionNumber, "breaking": p.BreakingCount})
	})
	if err != nil {
		return nil, nil, translate(err, "decide exception")
	}
	return &p, rev, nil
}

// WithdrawPendingRevision closes a pending revision its team no longer
// wants, held or awaiting a decision; one already closed is a conflict.
// DecidedBy and DecidedAt then say who withdrew it and when.
func (s *Store) WithdrawPendingRevision(ctx context.Context, actor catalog.Actor, apiSlug, version string, id uint) (*PendingRevision, error) {
	var p PendingRevision
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var v Version
		if err := findVersion(tx, apiSlug, version, &v); err != nil {
			return err
		}
		if err := tx.Omit("Content").Where("version_id = ?", v.ID).Take(&p, id).Error; err != nil {
			return err
		}
		if !p.Open() {
			return &ConflictError{Message: fmt.Sprintf("This revision is already %s: there is nothing to withdraw.", p.Status)}
		}
		now := time.Now().UTC()
		p.Status, p.DecidedBy, p.DecidedAt = PendingWithdrawn, actor.Name, &now
		if err := tx.Model(&p).Select("status", "decided_by", "decided_at").Updates(&p).Error; err != nil {
			return err
		}
		return audit(tx, actor, "spec.withdraw", "version", apiSlug+"/"+v.Name, nil,
			map[string]any{"pending": p.ID, "breaking": p.BreakingCount})
	})
	if err != nil {
		return nil, translate(err, "withdraw pending revision")
	}
	return &p, nil
}

// PendingFilter narrows ListPendingRevisions; empty fields match all.
// Version needs APISlug. Statuses are PendingStatuses values.
type PendingFilter struct {
	APISlug, Version string
	Statuses         []string
	Limit, Offset    int
}

// PendingRevisionRow is a pending revision, without its content and
// changes, with the names of its API and version and its version's stage.
type PendingRevisionRow struct {
	PendingRevision
	APISlug, APIName, VersionName, Stage, TeamSlug string
}

// ListPendingRevisions lists pending revisions across the catalogue,
// newest first, one page at a time, and how many match in all.
func (s *Store) ListPendingRevisions(ctx context.Context, f PendingFilter) ([]PendingRevisionRow, int64, error) {
	q := s.db.WithContext(ctx).Table("pending_revisions").
		Joins("JOIN versions ON versions.id = pending_revisions.version_id").
		Joins("JOIN apis ON apis.id = versions.api_id").
		Joins("JOIN teams ON teams.id = apis.team_id")
	if f.APISlug != "" {
		q = q.Where("apis.slug = ?", f.APISlug)
	}
	if f.Version != "" {
		q = q.Where("versions.name = ?", f.Version)
	}
	if len(f.Statuses) > 0 {
		q = q.Where("pending_revisions.status IN ?", f.Statuses)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, translate(err, "count pending revisions")
	}
	var rows []PendingRevisionRow
	err := q.Select(`pending_revisions.id, pending_revisions.version_id, pending_revisions.base_revision_id, pending_revisions.base_number,
			pending_revisions.hash, pending_revisions.format, pending_revisions.spec_version, pending_revisions.title, pending_revisions.size_bytes,
			pending_revisions.breaking_count, pending_revisions.warning_count, pending_revisions.info_count, pending_revisions.status,
			pending_revisions.reason, pending_revisions.requested_by, pending_revisions.requested_at, pending_revisions.decided_by,
			pending_revisions.decided_at, pending_revisions.decision_note, pending_revisions.revision_number, pending_revisions.created_by,
			pending_revisions.created_at, apis.slug AS api_slug, apis.name AS api_name, versions.name AS version_name,
			versions.stage AS stage, teams.slug AS team_slug`).
		Order("pending_revisions.id DESC").Limit(f.Limit).Offset(f.Offset).Scan(&rows).Error
	if err != nil {
		return nil, 0, translate(err, "pending revisions")
	}
	return rows, total, nil
}
