package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
)

// This file holds the store's side of publishing standards (drafts,
// previews, publishing, grace periods) and of waivers. The tables are those
// of migration 0004, plus the preview tables of 0005.

// StandardDetail is a standard with every one of its versions.
type StandardDetail struct {
	Standard
	Versions []StandardVersion // newest first
}

// Current returns the published version, or nil.
func (d *StandardDetail) Current() *StandardVersion {
	for i := range d.Versions {
		if d.Versions[i].Status == StandardPublished {
			return &d.Versions[i]
		}
	}
	return nil
}

// Draft returns the version being written, or nil; a standard has at most
// one draft.
func (d *StandardDetail) Draft() *StandardVersion {
	for i := range d.Versions {
		if d.Versions[i].Status == StandardDraft {
			return &d.Versions[i]
		}
	}
	return nil
}

// RulesetHash identifies a ruleset's text, so a preview can tell whether
// the draft changed since it ran.
func RulesetHash(ruleset string) string {
	sum := sha256.Sum256([]byte(ruleset))
	return hex.EncodeToString(sum[:])
}

func versionAudit(v *StandardVersion) map[string]any {
	return map[string]any{"version": v.Number, "status": v.Status, "sha256": RulesetHash(v.Ruleset), "bytes": len(v.Ruleset), "notes": v.Notes}
}

// GetStandard loads a standard by slug with its versions, newest first.
func (s *Store) GetStandard(ctx context.Context, slug string) (*StandardDetail, error) {
	db := s.db.WithContext(ctx)
	var d StandardDetail
	if err := db.Where("slug = ?", slug).Take(&d.Standard).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("standard %q", slug))
	}
	if err := db.Where("standard_id = ?", d.ID).Order("number DESC").Find(&d.Versions).Error; err != nil {
		return nil, translate(err, "standard versions")
	}
	return &d, nil
}

// GetStandardVersionByNumber loads one version of a standard.
func (s *Store) GetStandardVersionByNumber(ctx context.Context, slug string, number int) (*StandardVersion, error) {
	var v StandardVersion
	err := s.db.WithContext(ctx).Joins("JOIN standards ON standards.id = standard_versions.standard_id").
		Where("standards.slug = ? AND standard_versions.number = ?", slug, number).Take(&v).Error
	if err != nil {
		return nil, translate(err, fmt.Sprintf("version %d of standard %q", number, slug))
	}
	return &v, nil
}

// PreviousStandardVersion returns the version sv replaced when it was
// published: the newest published (now superseded) version before it.
func (s *Store) PreviousStandardVersion(ctx context.Context, sv *StandardVersion) (*StandardVersion, error) {
	var v StandardVersion
	err := s.db.WithContext(ctx).Where("standard_id = ? AND number < ? AND published_at IS NOT NULL", sv.StandardID, sv.Number).
		Order("number DESC").Take(&v).Error
	if err != nil {
		return nil, translate(err, "previous standard version")
	}
	return &v, nil
}

func standardBySlug(tx *gorm.DB, slug string) (*Standard, error) {
	var st Standard
	if err := tx.Where("slug = ?", slug).Take(&st).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("standard %q: %w", slug, catalog.ErrNotFound)
		}
		return nil, err
	}
	return &st, nil
}

// findDraft loads st's draft; nil without error when there is none.
func findDraft(tx *gorm.DB, st *Standard) (*StandardVersion, error) {
	var v StandardVersion
	err := tx.Where("standard_id = ? AND status = ?", st.ID, StandardDraft).Take(&v).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// newDraft stores a draft numbered after every version st has had.
func newDraft(tx *gorm.DB, actor catalog.Actor, st *Standard, ruleset, notes string) (*StandardVersion, error) {
	var top *int
	if err := tx.Model(&StandardVersion{}).Where("standard_id = ?", st.ID).Select("MAX(number)").Scan(&top).Error; err != nil {
		return nil, err
	}
	n := 1
	if top != nil {
		n = *top + 1
	}
	v := StandardVersion{StandardID: st.ID, Number: n, Status: StandardDraft, Ruleset: ruleset, Notes: notes, CreatedBy: actor.Name}
	if err := tx.Create(&v).Error; err != nil {
		return nil, err
	}
	return &v, nil
}

// CreateStandardDraft starts a new draft of the standard from the text of
// its published version. A standard has at most one draft: asking for a
// second is a conflict that names the first.
func (s *Store) CreateStandardDraft(ctx context.Context, actor catalog.Actor, slug string) (*StandardVersion, error) {
	var out *StandardVersion
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		st, err := standardBySlug(tx, slug)
		if err != nil {
			return err
		}
		if d, err := findDraft(tx, st); err != nil || d != nil {
			if d != nil {
				return &ConflictError{Message: fmt.Sprintf("%s already has a draft (version %d): edit it, or discard it first.", st.Name, d.Number)}
			}
			return err
		}
		var cur StandardVersion
		from := 0
		err = tx.Where("standard_id = ? AND status = ?", st.ID, StandardPublished).Order("number DESC").Take(&cur).Error
		switch {
		case err == nil:
			from = cur.Number
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		out, err = newDraft(tx, actor, st, cur.Ruleset, "")
		if err != nil {
			return err
		}
		return audit(tx, actor, "standard.draft.create", "standard", st.Slug, nil, map[string]any{"version": out.Number, "from_version": from})
	})
	return out, translate(err, "create standard draft")
}

// DraftInput is what saving a draft changes; nil Notes keeps the notes.
type DraftInput struct {
	Ruleset string
	Notes   *string
}

// SaveStandardDraft replaces the draft's ruleset (and notes). With create,
// a standard without a draft gets a new one holding the text; without it,
// that is not found. Previews still running for the old text stop. The
// caller has checked that the ruleset loads. It reports whether a draft was
// created.
func (s *Store) SaveStandardDraft(ctx context.Context, actor catalog.Actor, slug string, in DraftInput, create bool) (*StandardVersion, bool, error) {
	var out *StandardVersion
	created := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		st, err := standardBySlug(tx, slug)
		if err != nil {
			return err
		}
		d, err := findDraft(tx, st)
		if err != nil {
			return err
		}
		notes := ""
		if in.Notes != nil {
			notes = *in.Notes
		}
		if d == nil {
			if !create {
				return fmt.Errorf("%s has no draft: %w", st.Name, catalog.ErrNotFound)
			}
			out, err = newDraft(tx, actor, st, in.Ruleset, notes)
			if err != nil {
				return err
			}
			created = true
			return audit(tx, actor, "standard.draft.save", "standard", st.Slug, nil, versionAudit(out))
		}
		if in.Notes == nil {
			notes = d.Notes
		}
		if d.Ruleset == in.Ruleset && d.Notes == notes {
			out = d
			return nil
		}
		before := versionAudit(d)
		if err := tx.Model(d).Updates(map[string]any{"ruleset": in.Ruleset, "notes": notes}).Error; err != nil {
			return err
		}
		d.Ruleset, d.Notes = in.Ruleset, notes
		if err := stopPreviews(tx, "draft_id = ?", d.ID, "the draft changed"); err != nil {
			return err
		}
		out = d
		return audit(tx, actor, "standard.draft.save", "standard", st.Slug, before, versionAudit(d))
	})
	return out, created, translate(err, "save standard draft")
}

// DeleteStandardDraft discards the standard's draft and its previews.
func (s *Store) DeleteStandardDraft(ctx context.Context, actor catalog.Actor, slug string) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		st, err := standardBySlug(tx, slug)
		if err != nil {
			return err
		}
		d, err := findDraft(tx, st)
		if err != nil {
			return err
		}
		if d == nil {
			return fmt.Errorf("%s has no draft: %w", st.Name, catalog.ErrNotFound)
		}
		if err := tx.Where("preview_id IN (SELECT id FROM standard_previews WHERE draft_id = ?)", d.ID).Delete(&PreviewResult{}).Error; err != nil {
			return err
		}
		if err := tx.Where("draft_id = ?", d.ID).Delete(&StandardPreview{}).Error; err != nil {
			return err
		}
		if err := tx.Delete(d).Error; err != nil {
			return err
		}
		return audit(tx, actor, "standard.draft.delete", "standard", st.Slug, versionAudit(d), nil)
	})
	return translate(err, "discard standard draft")
}

// PublishStandardDraft makes draft number the standard's current version
// from now on, effective at effectiveAt (nil: at once, with no grace
// period); the version it replaces is kept, superseded. Publishing a
// version that is not (or no longer) the draft is a conflict. The caller
// has checked that the ruleset loads.
func (s *Store) PublishStandardDraft(ctx context.Context, actor catalog.Actor, slug string, number int, effectiveAt *time.Time) (*StandardVersion, error) {
	var out StandardVersion
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		st, err := standardBySlug(tx, slug)
		if err != nil {
			return err
		}
		if err := tx.Where("standard_id = ? AND number = ?", st.ID, number).Take(&out).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return fmt.Errorf("version %d of %s: %w", number, st.Name, catalog.ErrNotFound)
			}
			return err
		}
		if out.Status != StandardDraft {
			return &ConflictError{Message: fmt.Sprintf("Version %d of %s is %s, not a draft: only a draft can be published.", number, st.Name, out.Status)}
		}
		var prev StandardVersion
		prevNumber := 0
		err = tx.Where("standard_id = ? AND status = ?", st.ID, StandardPublished).Order("number DESC").Take(&prev).Error
		switch {
		case err == nil:
			prevNumber = prev.Number
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		now := time.Now().UTC()
		var eff *time.Time
		if effectiveAt != nil {
			e := effectiveAt.UTC()
			eff = &e
		}
		// The status guard makes two concurrent publishes of one draft
		// a conflict for the second, not a double publish.
		res := tx.Model(&StandardVersion{}).Where("id = ? AND status = ?", out.ID, StandardDraft).
			Updates(map[string]any{"status": StandardPublished, "published_by": actor.Name, "published_at": now, "effective_at": eff})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return &ConflictError{Message: fmt.Sprintf("Version %d of %s was published or discarded meanwhile; reload the page.", number, st.Name)}
		}
		if err := tx.Model(&StandardVersion{}).Where("standard_id = ? AND status = ? AND id <> ?", st.ID, StandardPublished, out.ID).
			Update("status", StandardSuperseded).Error; err != nil {
			return err
		}
		if err := stopPreviews(tx, "draft_id = ?", out.ID, "the draft was published"); err != nil {
			return err
		}
		out.Status, out.PublishedBy, out.PublishedAt, out.EffectiveAt = StandardPublished, actor.Name, &now, eff
		after := map[string]any{"version": out.Number, "sha256": RulesetHash(out.Ruleset), "effective_at": eff}
		return audit(tx, actor, "standard.publish", "standard", st.Slug, map[string]any{"version": prevNumber}, after)
	})
	if err != nil {
		return nil, translate(err, "publish standard")
	}
	return &out, nil
}

// Preview statuses. A preview runs until it is done, fails, or is
// cancelled: by a newer preview, an edit of its draft, or a publish.
const (
	PreviewRunning   = "running"
	PreviewDone      = "done"
	PreviewCancelled = "cancelled"
	PreviewFailed    = "failed"
)

// ErrPreviewStopped says a preview is no longer running, so its runner
// should stop.
var ErrPreviewStopped = errors.New("models: the preview was stopped")

// StandardPreview is one run of a draft over every API version with a
// spec, compared with the published version. Its state is in the database,
// so every replica shows the same progress and a restart leaves it
// visibly stalled (UpdatedAt stops moving) rather than lost.
type StandardPreview struct {
	ID      uint `gorm:"primaryKey"`
	DraftID uint
	// BaselineID is the published version the draft is compared with;
	// nil when there was none.
	BaselineID *uint
	// RulesetHash is the draft's text when the preview started (see
	// RulesetHash): a preview of older text is outdated.
	RulesetHash string
	Status      string
	Total       int
	Processed   int
	Error       string
	StartedBy   string
	StartedAt   time.Time
	UpdatedAt   time.Time
	FinishedAt  *time.Time
}

// TableName names the preview table.
func (StandardPreview) TableName() string { return "standard_previews" }

// PreviewResult is one version's line in a preview.
type PreviewResult struct {
	ID        uint `gorm:"primaryKey"`
	PreviewID uint
	VersionID uint
	// ScoreNow and ScoreDraft are nil when the version has no score
	// under that standard (incomplete, nothing to score, or an error).
	ScoreNow, ScoreDraft *int
	GradeNow, GradeDraft string
	// NewFailing is a JSON array of the rules that fail under the draft
	// and did not fail under the published version.
	NewFailing string
	Error      string
}

// TableName names the preview results table.
func (PreviewResult) TableName() string { return "standard_preview_results" }

// PreviewResultRow is a preview result with the names of its version.
type PreviewResultRow struct {
	PreviewResult
	APISlug, APIName, Version string
}

// stopPreviews cancels the running previews matching where.
func stopPreviews(tx *gorm.DB, where string, arg any, why string) error {
	now := time.Now().UTC()
	return tx.Model(&StandardPreview{}).Where("status = ?", PreviewRunning).Where(where, arg).
		Updates(map[string]any{"status": PreviewCancelled, "error": why, "finished_at": now, "updated_at": now}).Error
}

// StartPreview records a new preview of the standard's draft number and
// cancels any other preview of the standard still running: one preview at
// a time, the newest wins.
func (s *Store) StartPreview(ctx context.Context, actor catalog.Actor, slug string, number int) (*StandardPreview, error) {
	var p StandardPreview
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		st, err := standardBySlug(tx, slug)
		if err != nil {
			return err
		}
		d, err := findDraft(tx, st)
		if err != nil {
			return err
		}
		if d == nil || d.Number != number {
			return fmt.Errorf("%s has no draft numbered %d: %w", st.Name, number, catalog.ErrNotFound)
		}
		if err := stopPreviews(tx, "draft_id IN (SELECT id FROM standard_versions WHERE standard_id = ?)", st.ID, "a newer preview started"); err != nil {
			return err
		}
		var base StandardVersion
		baseNumber := 0
		now := time.Now().UTC()
		p = StandardPreview{DraftID: d.ID, RulesetHash: RulesetHash(d.Ruleset), Status: PreviewRunning, StartedBy: actor.Name, StartedAt: now, UpdatedAt: now}
		err = tx.Where("standard_id = ? AND status = ?", st.ID, StandardPublished).Order("number DESC").Take(&base).Error
		switch {
		case err == nil:
			p.BaselineID, baseNumber = &base.ID, base.Number
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		if err := tx.Create(&p).Error; err != nil {
			return err
		}
		return audit(tx, actor, "standard.preview", "standard", st.Slug, nil, map[string]any{"version": d.Number, "compared_with": baseNumber, "preview": p.ID})
	})
	if err != nil {
		return nil, translate(err, "start preview")
	}
	return &p, nil
}

// GetPreview loads a preview.
func (s *Store) GetPreview(ctx context.Context, id uint) (*StandardPreview, error) {
	var p StandardPreview
	if err := s.db.WithContext(ctx).Take(&p, id).Error; err != nil {
		return nil, translate(err, "preview")
	}
	return &p, nil
}

// LatestPreview returns the newest preview of a draft.
func (s *Store) LatestPreview(ctx context.Context, draftID uint) (*StandardPreview, error) {
	var p StandardPreview
	if err := s.db.WithContext(ctx).Where("draft_id = ?", draftID).Order("id DESC").Take(&p).Error; err != nil {
		return nil, translate(err, "latest preview")
	}
	return &p, nil
}

// PreviewTargets lists every version with a current spec: what a preview
// scores.
func (s *Store) PreviewTargets(ctx context.Context) ([]ScoringTarget, error) {
	var out []ScoringTarget
	err := s.db.WithContext(ctx).Table("versions").
		Select("versions.id AS version_id, apis.slug AS api_slug, versions.name AS version, versions.current_revision_id AS revision_id").
		Joins("JOIN apis ON apis.id = versions.api_id").
		Where("versions.current_revision_id IS NOT NULL").Order("versions.id").Scan(&out).Error
	return out, translate(err, "preview targets")
}

// SetPreviewTotal records how many versions a running preview scores.
func (s *Store) SetPreviewTotal(ctx context.Context, id uint, total int) error {
	res := s.db.WithContext(ctx).Model(&StandardPreview{}).Where("id = ? AND status = ?", id, PreviewRunning).
		Updates(map[string]any{"total": total, "updated_at": time.Now().UTC()})
	if res.Error == nil && res.RowsAffected == 0 {
		return ErrPreviewStopped
	}
	return translate(res.Error, "preview total")
}

// SavePreviewResult stores one version's result and counts it as done. It
// returns ErrPreviewStopped, storing nothing, once the preview no longer
// runs.
func (s *Store) SavePreviewResult(ctx context.Context, r PreviewResult) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&StandardPreview{}).Where("id = ? AND status = ?", r.PreviewID, PreviewRunning).
			Updates(map[string]any{"processed": gorm.Expr("processed + 1"), "updated_at": time.Now().UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrPreviewStopped
		}
		if r.NewFailing == "" {
			r.NewFailing = "[]"
		}
		return tx.Create(&r).Error
	})
	if errors.Is(err, ErrPreviewStopped) {
		return err
	}
	return translate(err, "save preview result")
}

// FinishPreview ends a running preview with status (done or failed) and,
// for a failure, why.
func (s *Store) FinishPreview(ctx context.Context, id uint, status, why string) error {
	now := time.Now().UTC()
	res := s.db.WithContext(ctx).Model(&StandardPreview{}).Where("id = ? AND status = ?", id, PreviewRunning).
		Updates(map[string]any{"status": status, "error": why, "finished_at": now, "updated_at": now})
	if res.Error == nil && res.RowsAffected == 0 {
		return ErrPreviewStopped
	}
	return translate(res.Error, "finish preview")
}

// PreviewResults lists a preview's results with their versions' names, in
// catalogue order; the page sorts them by impact.
func (s *Store) PreviewResults(ctx context.Context, previewID uint) ([]PreviewResultRow, error) {
	var out []PreviewResultRow
	err := s.db.WithContext(ctx).Table("standard_preview_results r").
		Select("r.*, apis.slug AS api_slug, apis.name AS api_name, versions.name AS version").
		Joins("JOIN versions ON versions.id = r.version_id").
		Joins("JOIN apis ON apis.id = versions.api_id").
		Where("r.preview_id = ?", previewID).Order("apis.slug, versions.name").Scan(&out).Error
	return out, translate(err, "preview results")
}

// RescoreTargets lists up to limit versions whose latest scorecard is
// current by StaleScorecards' measure (made from the current revision under
// sv) but older than something that changes the score while spec and
// standard stay the same: a waiver approved since, a waiver that has
// expired since, the end of sv's grace period, or a zombie verdict the
// scorecard does not reflect.
func (s *Store) RescoreTargets(ctx context.Context, sv *StandardVersion, now time.Time, limit int) ([]ScoringTarget, error) {
	q := s.db.WithContext(ctx).Table("versions").
		Select("versions.id AS version_id, apis.slug AS api_slug, versions.name AS version, versions.current_revision_id AS revision_id").
		Joins("JOIN apis ON apis.id = versions.api_id").
		Joins("JOIN scorecards sc ON sc.id = (SELECT MAX(id) FROM scorecards WHERE version_id = versions.id)").
		Where("versions.current_revision_id IS NOT NULL AND sc.revision_id = versions.current_revision_id AND sc.standard_version_id = ?", sv.ID)
	// A zombie verdict that no longer agrees with the scorecard's zombie
	// check: a version became a zombie, or came back to life. A waived
	// check leaves no failure row, so waived versions are left alone.
	zombieChanged := `((EXISTS (SELECT 1 FROM zombie_verdicts z WHERE z.version_id = versions.id AND z.verdict = 'zombie'))
		<> (EXISTS (SELECT 1 FROM scorecard_failures f WHERE f.scorecard_id = sc.id AND f.rule = 'steward-zombie'))
		AND NOT EXISTS (SELECT 1 FROM waivers zw WHERE zw.version_id = versions.id AND zw.rule = 'steward-zombie' AND zw.status = 'approved'))`
	waiverChanged := `(` + zombieChanged + ` OR EXISTS (SELECT 1 FROM waivers w WHERE w.version_id = versions.id AND w.status = ?
		AND (w.decided_at > sc.computed_at OR (w.expires_at <= ? AND w.expires_at > sc.computed_at))))`
	if sv.EffectiveAt != nil && !now.Before(*sv.EffectiveAt) {
		q = q.Where("(sc.computed_at < ? OR "+waiverChanged+")", sv.EffectiveAt.UTC(), WaiverApproved, now.UTC())
	} else {
		q = q.Where(waiverChanged, WaiverApproved, now.UTC())
	}
	var out []ScoringTarget
	err := q.Order("versions.id").Limit(limit).Scan(&out).Error
	return out, translate(err, "rescore targets")
}

// WaiverInput is a request to waive one rule on one version.
type WaiverInput struct {
	Rule    string
	Reason  string
	Expires time.Time
}

// WaiverListRow is a waiver with the names of its version and owner team.
type WaiverListRow struct {
	WaiverRow
	APISlug, APIName, Version, TeamSlug string
}

// RequestWaiver records a pending waiver request. A rule with a request
// pending, or a waiver in force, cannot be asked for again.
func (s *Store) RequestWaiver(ctx context.Context, actor catalog.Actor, apiSlug, version string, in WaiverInput) (*WaiverRow, error) {
	var w WaiverRow
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var v Version
		if err := findVersion(tx, apiSlug, version, &v); err != nil {
			return err
		}
		now := time.Now().UTC()
		var existing []WaiverRow
		if err := tx.Where("version_id = ? AND rule = ? AND status IN ?", v.ID, in.Rule, []string{WaiverPending, WaiverApproved}).Find(&existing).Error; err != nil {
			return err
		}
		for _, e := range existing {
			if e.Status == WaiverPending {
				return &ConflictError{Message: fmt.Sprintf("A waiver of %s is already waiting for a decision (asked by %s).", in.Rule, e.RequestedBy)}
			}
			if e.ExpiresAt == nil || e.ExpiresAt.After(now) {
				return &ConflictError{Message: fmt.Sprintf("%s is already waived on this version.", in.Rule)}
			}
		}
		exp := in.Expires.UTC()
		w = WaiverRow{VersionID: v.ID, Rule: in.Rule, Reason: in.Reason, Status: WaiverPending, RequestedBy: actor.Name, RequestedAt: now, ExpiresAt: &exp}
		if err := tx.Create(&w).Error; err != nil {
			return err
		}
		return audit(tx, actor, "waiver.request", "version", apiSlug+"/"+version, nil,
			map[string]any{"waiver": w.ID, "rule": w.Rule, "reason": w.Reason, "expires_at": w.ExpiresAt})
	})
	if err != nil {
		return nil, translate(err, "request waiver")
	}
	return &w, nil
}

// VersionWaivers lists every waiver of a version, newest first.
func (s *Store) VersionWaivers(ctx context.Context, versionID uint) ([]WaiverRow, error) {
	var out []WaiverRow
	err := s.db.WithContext(ctx).Where("version_id = ?", versionID).Order("id DESC").Find(&out).Error
	return out, translate(err, "version waivers")
}

func waiverRows(tx *gorm.DB) *gorm.DB {
	return tx.Table("waivers").
		Select("waivers.*, apis.slug AS api_slug, apis.name AS api_name, versions.name AS version, teams.slug AS team_slug").
		Joins("JOIN versions ON versions.id = waivers.version_id").
		Joins("JOIN apis ON apis.id = versions.api_id").
		Joins("JOIN teams ON teams.id = apis.team_id")
}

// WaiverLists are the waivers governance leads work through: every pending
// request, oldest first, and the latest decisions.
type WaiverLists struct {
	Pending, Decided []WaiverListRow
}

// ListWaivers returns the pending waivers and the decidedLimit latest
// decided ones.
func (s *Store) ListWaivers(ctx context.Context, decidedLimit int) (*WaiverLists, error) {
	db := s.db.WithContext(ctx)
	var out WaiverLists
	if err := waiverRows(db).Where("waivers.status = ?", WaiverPending).Order("waivers.requested_at, waivers.id").Scan(&out.Pending).Error; err != nil {
		return nil, translate(err, "pending waivers")
	}
	if err := waiverRows(db).Where("waivers.status <> ?", WaiverPending).Order("waivers.decided_at DESC, waivers.id DESC").Limit(decidedLimit).Scan(&out.Decided).Error; err != nil {
		return nil, translate(err, "decided waivers")
	}
	return &out, nil
}

// DecideWaiver approves or denies a pending waiver, with a note. A waiver
// already decided, or one whose requested expiry has passed, cannot be.
func (s *Store) DecideWaiver(ctx context.Context, actor catalog.Actor, id uint, approve bool, note string) (*WaiverListRow, error) {
	var row WaiverListRow
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := waiverRows(tx).Where("waivers.id = ?", id).Take(&row).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return fmt.Errorf("waiver %d: %w", id, catalog.ErrNotFound)
			}
			return err
		}
		if row.Status != WaiverPending {
			return &ConflictError{Message: fmt.Sprintf("This waiver was already %s by %s.", row.Status, row.DecidedBy)}
		}
		now := time.Now().UTC()
		status, action := WaiverDenied, "waiver.deny"
		if approve {
			if row.ExpiresAt != nil && !row.ExpiresAt.After(now) {
				return &ConflictError{Message: "This request asked for a waiver that has already expired; deny it, and the team can ask again."}
			}
			status, action = WaiverApproved, "waiver.approve"
		}
		res := tx.Model(&WaiverRow{}).Where("id = ? AND status = ?", id, WaiverPending).
			Updates(map[string]any{"status": status, "decided_by": actor.Name, "decided_at": now, "decision_note": note})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return &ConflictError{Message: "This waiver was decided meanwhile; reload the page."}
		}
		row.Status, row.DecidedBy, row.DecidedAt, row.DecisionNote = status, actor.Name, &now, note
		return audit(tx, actor, action, "version", row.APISlug+"/"+row.Version, map[string]any{"waiver": id, "status": WaiverPending},
			map[string]any{"waiver": id, "rule": row.Rule, "status": status, "note": note, "expires_at": row.ExpiresAt})
	})
	if err != nil {
		return nil, translate(err, "decide waiver")
	}
	return &row, nil
}

// migrateStandardPreviews adds the tables previews of draft standards are
// kept in, so every replica shows the same progress and results.
func migrateStandardPreviews(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE standard_previews (
			id {{id}},
			draft_id {{ref}} NOT NULL REFERENCES standard_versions(id) ON DELETE CASCADE,
			baseline_id {{ref}} REFERENCES standard_versions(id) ON DELETE SET NULL,
			ruleset_hash VARCHAR(64) NOT NULL,
			status VARCHAR(20) NOT NULL,
			total INTEGER NOT NULL DEFAULT 0,
			processed INTEGER NOT NULL DEFAULT 0,
			error TEXT NOT NULL DEFAULT '',
			started_by VARCHAR(200) NOT NULL DEFAULT '',
			started_at {{time}} NOT NULL,
			updated_at {{time}} NOT NULL,
			finished_at {{time}})`,
		`CREATE INDEX idx_standard_previews_draft ON standard_previews (draft_id, id)`,
		`CREATE TABLE standard_preview_results (
			id {{id}},
			preview_id {{ref}} NOT NULL REFERENCES standard_previews(id) ON DELETE CASCADE,
			version_id {{ref}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
			score_now INTEGER,
			score_draft INTEGER,
			grade_now VARCHAR(2) NOT NULL DEFAULT '',
			grade_draft VARCHAR(2) NOT NULL DEFAULT '',
			new_failing TEXT NOT NULL DEFAULT '[]',
			error TEXT NOT NULL DEFAULT '')`,
		`CREATE INDEX idx_standard_preview_results ON standard_preview_results (preview_id)`,
		`CREATE INDEX idx_waivers_status ON waivers (status, requested_at)`,
	)
}
