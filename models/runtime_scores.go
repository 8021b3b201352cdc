package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// migrateRuntimeScorecards adds runtime scorecards: a version's traffic in
// the standard's window held to its runtime rules, with the drift between
// its spec and its traffic.
//
// History is kept per outcome, not per run: a run whose outcome (score,
// grade, rule results, drift lists) equals the version's latest row
// refreshes that row in place (computed_at moves, since stays), and only a
// different outcome adds a row. Retention deletes rows superseded more than
// the job-run keeping time ago (PruneRuntime), never a version's latest.
func migrateRuntimeScorecards(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE runtime_scorecards (
			id {{id}},
			version_id {{ref}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
			standard_version_id {{ref}} NOT NULL REFERENCES standard_versions(id) ON DELETE CASCADE,
			revision_id {{ref}} REFERENCES spec_revisions(id) ON DELETE SET NULL,
			since {{time}} NOT NULL,
			computed_at {{time}} NOT NULL,
			window_from {{time}} NOT NULL,
			window_to {{time}} NOT NULL,
			requests BIGINT NOT NULL DEFAULT 0,
			min_requests BIGINT NOT NULL DEFAULT 0,
			no_data {{bool}} NOT NULL,
			overall INTEGER,
			grade VARCHAR(2) NOT NULL DEFAULT '',
			summary TEXT NOT NULL DEFAULT '',
			detail TEXT NOT NULL DEFAULT '',
			categories TEXT NOT NULL DEFAULT '[]',
			findings TEXT NOT NULL DEFAULT '[]',
			has_drift {{bool}} NOT NULL DEFAULT {{false}},
			drift TEXT NOT NULL DEFAULT '',
			unseen_endpoints INTEGER NOT NULL DEFAULT 0,
			undocumented_endpoints INTEGER NOT NULL DEFAULT 0,
			undocumented_status_codes INTEGER NOT NULL DEFAULT 0,
			fingerprint VARCHAR(64) NOT NULL)`,
		`CREATE INDEX idx_runtime_scorecards_version ON runtime_scorecards (version_id, id)`,
		`CREATE INDEX idx_runtime_scorecards_computed ON runtime_scorecards (computed_at)`,
	)
}

// RuntimeScorecardRow is one stored runtime scorecard: what the runtime
// scoring job found for a version over the window [WindowFrom, WindowTo).
type RuntimeScorecardRow struct {
	ID                uint `gorm:"primaryKey"`
	VersionID         uint
	StandardVersionID uint
	// RevisionID is the spec revision drift was measured against; nil
	// when the version had no spec or no drift was computed.
	RevisionID *uint
	// Since is when this outcome was first computed, ComputedAt the last
	// run that found it again.
	Since      time.Time
	ComputedAt time.Time
	WindowFrom time.Time
	WindowTo   time.Time
	// Requests is how many requests the window held, MinRequests how many
	// a score needs.
	Requests    int64
	MinRequests int64
	// NoData is set when the window held too few requests for a score:
	// pages say "no runtime data", never a score.
	NoData  bool
	Overall *int
	Grade   string
	Summary string
	Detail  string
	// Categories, Findings and Drift are the JSON of the runtime result's
	// category scores, its findings and the drift (lists capped, see
	// HasDrift and the counts); the runtime scoring job writes them.
	Categories string
	Findings   string
	HasDrift   bool
	Drift      string
	// The drift counts, exact even when the stored lists are capped.
	UnseenEndpoints         int
	UndocumentedEndpoints   int
	UndocumentedStatusCodes int
	// Fingerprint identifies the outcome; equal fingerprints mean the
	// same outcome, so the row is refreshed rather than repeated.
	Fingerprint string
}

// TableName names the runtime scorecard table.
func (RuntimeScorecardRow) TableName() string { return "runtime_scorecards" }

// RuntimeTarget is a version as the runtime scoring job sees it: its
// current spec revision and the outcome of its latest runtime scorecard.
type RuntimeTarget struct {
	VersionID  uint
	APISlug    string
	Version    string
	RevisionID *uint
	// LatestID is the version's newest runtime scorecard (nil: none yet)
	// and LatestNoData whether it says "no runtime data".
	LatestID     *uint
	LatestNoData bool
}

// RuntimeTargets lists every version with its latest runtime scorecard's
// outcome, in one query whatever the catalogue size.
func (s *Store) RuntimeTargets(ctx context.Context) ([]RuntimeTarget, error) {
	var out []RuntimeTarget
	err := s.db.WithContext(ctx).Table("versions").
		Select(`versions.id AS version_id, apis.slug AS api_slug, versions.name AS version,
			versions.current_revision_id AS revision_id, rs.id AS latest_id, COALESCE(rs.no_data, ?) AS latest_no_data`, true).
		Joins("JOIN apis ON apis.id = versions.api_id").
		Joins("LEFT JOIN runtime_scorecards rs ON rs.id = (SELECT MAX(id) FROM runtime_scorecards WHERE version_id = versions.id)").
		Order("versions.id").Scan(&out).Error
	return out, translate(err, "runtime targets")
}

// SaveRuntimeScorecard stores a run's result for a version. When the
// version's latest row has the same fingerprint it is refreshed in place
// (its Since kept) and created is false; otherwise a row is added.
func (s *Store) SaveRuntimeScorecard(ctx context.Context, row RuntimeScorecardRow) (created bool, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var latest []RuntimeScorecardRow
		if err := tx.Select("id, since, fingerprint").Where("version_id = ?", row.VersionID).
			Order("id DESC").Limit(1).Find(&latest).Error; err != nil {
			return err
		}
		row.ComputedAt = row.ComputedAt.UTC()
		row.WindowFrom, row.WindowTo = row.WindowFrom.UTC(), row.WindowTo.UTC()
		if len(latest) == 1 && latest[0].Fingerprint == row.Fingerprint {
			row.ID, row.Since = latest[0].ID, latest[0].Since
			return tx.Save(&row).Error
		}
		row.ID, row.Since, created = 0, row.ComputedAt, true
		return tx.Create(&row).Error
	})
	return created, translate(err, "save runtime scorecard")
}

// LatestRuntimeScorecard returns a version's newest runtime scorecard;
// catalog.ErrNotFound when it has none, which means no runtime data: the
// job stores nothing for versions that never had traffic in the window.
func (s *Store) LatestRuntimeScorecard(ctx context.Context, versionID uint) (*RuntimeScorecardRow, error) {
	var row RuntimeScorecardRow
	err := s.db.WithContext(ctx).Where("version_id = ?", versionID).Order("id DESC").Take(&row).Error
	if err != nil {
		return nil, translate(err, "latest runtime scorecard")
	}
	return &row, nil
}

// RuntimeHistory returns a version's runtime scorecards, newest first,
// without their JSON: one row per outcome.
func (s *Store) RuntimeHistory(ctx context.Context, versionID uint, limit int) ([]RuntimeScorecardRow, error) {
	var rows []RuntimeScorecardRow
	err := s.db.WithContext(ctx).Omit("categories", "findings", "drift").Where("version_id = ?", versionID).
		Order("id DESC").Limit(limit).Find(&rows).Error
	return rows, translate(err, "runtime history")
}

// pruneRuntimeScorecards deletes runtime scorecards last confirmed before
// before, keeping every version's latest whatever its age.
func pruneRuntimeScorecards(tx *gorm.DB, before time.Time) (int64, error) {
	res := tx.Exec(`DELETE FROM runtime_scorecards WHERE computed_at < ?
		AND id NOT IN (SELECT MAX(id) FROM runtime_scorecards GROUP BY version_id)`, before.UTC())
	return res.RowsAffected, res.Error
}
