package models

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/lifecycle"
)

// migrateLifecycle adds the timeline of stage changes and what a version's
// deprecation promises its consumers.
func migrateLifecycle(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE version_transitions (
			id {{id}},
			version_id {{ref}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
			from_stage VARCHAR(20) NOT NULL DEFAULT '',
			to_stage VARCHAR(20) NOT NULL,
			actor VARCHAR(200) NOT NULL,
			reason TEXT NOT NULL DEFAULT '',
			override {{bool}} NOT NULL DEFAULT {{false}},
			override_reason TEXT NOT NULL DEFAULT '',
			at {{time}} NOT NULL)`,
		`CREATE INDEX idx_version_transitions_version ON version_transitions (version_id, at)`,
		`ALTER TABLE versions ADD COLUMN sunset_date {{time}}`,
		`ALTER TABLE versions ADD COLUMN deprecation_date {{time}}`,
		`ALTER TABLE versions ADD COLUMN migration_notes TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE versions ADD COLUMN replacement VARCHAR(2000) NOT NULL DEFAULT ''`,
	)
}

// VersionTransition is one recorded move of a version between stages: who
// made it, when and why. FromStage is empty for the stage a version was
// created at.
type VersionTransition struct {
	ID        uint `gorm:"primaryKey"`
	VersionID uint
	FromStage string
	ToStage   string
	Actor     string
	Reason    string
	// Override says a governance lead set a gate aside, for OverrideReason.
	Override       bool
	OverrideReason string
	At             time.Time
	// VersionName is filled in by APITimeline.
	VersionName string `gorm:"->;-:migration"`
}

// TableName names the timeline table.
func (VersionTransition) TableName() string { return "version_transitions" }

// VersionLifecycle is what a deprecation promises consumers: when the
// version was deprecated, when it stops answering, what replaces it and
// how to move.
type VersionLifecycle struct {
	DeprecationDate *time.Time
	SunsetDate      *time.Time
	MigrationNotes  string
	Replacement     string // a version name, a URL or words
}

// Limits on what a transition records.
const (
	MaxReasonLength         = 2000
	MaxMigrationNotesLength = 20000
)

// TransitionInput is a requested move of a version to another stage.
type TransitionInput struct {
	To catalog.Stage
	// From is the stage the caller saw and authorised the move from; when
	// set and the version has moved since, nothing happens and the error
	// is a conflict.
	From catalog.Stage
	// Reason is why; lifecycle.Transition.NeedsReason says when it must
	// be given.
	Reason string
	// OverrideReason is a governance lead's written reason to set the
	// quiet-traffic gate aside; OverrideAllowed says the caller checked
	// policy.LifecycleOverride (or is Steward itself, such as an approved
	// retirement case). An override the gates do not need is not recorded.
	OverrideReason  string
	OverrideAllowed bool
	// The deprecation: kept when moving to deprecated, each replacing the
	// version's current value when given. DeprecationDate defaults to the
	// day of the move. Moving out of deprecated to production or preview
	// clears both dates.
	DeprecationDate *time.Time
	SunsetDate      *time.Time
	MigrationNotes  string
	Replacement     string
	// At is when the move happens; zero means now. Jobs with a clock of
	// their own pass it.
	At time.Time
}

func (in *TransitionInput) normalize() error {
	in.Reason = strings.TrimSpace(in.Reason)
	in.OverrideReason = strings.TrimSpace(in.OverrideReason)
	in.MigrationNotes = strings.TrimSpace(in.MigrationNotes)
	in.Replacement = strings.TrimSpace(in.Replacement)
	if st, ok := catalog.ParseStage(string(in.To)); ok {
		in.To = st
	}
	v := &catalog.ValidationError{}
	if _, ok := catalog.ParseStage(string(in.To)); !ok {
		v.Add("to", "must be one of design, development, testing, preview, production, deprecated, retired")
	}
	for field, s := range map[string]string{"reason": in.Reason, "override_reason": in.OverrideReason} {
		if n := len([]rune(s)); n > MaxReasonLength {
			v.Add(field, fmt.Sprintf("must be at most %d characters (it has %d)", MaxReasonLength, n))
		}
	}
	if n := len([]rune(in.MigrationNotes)); n > MaxMigrationNotesLength {
		v.Add("migration_notes", fmt.Sprintf("must be at most %d characters (it has %d)", MaxMigrationNotesLength, n))
	}
	if n := len([]rune(in.Replacement)); n > catalog.MaxURLLength {
		v.Add("replacement", fmt.Sprintf("must be at most %d characters (it has %d)", catalog.MaxURLLength, n))
	}
	if in.To != catalog.StageDeprecated {
		for field, set := range map[string]bool{"deprecation_date": in.DeprecationDate != nil, "sunset_date": in.SunsetDate != nil,
			"migration_notes": in.MigrationNotes != "", "replacement": in.Replacement != ""} {
			if set {
				v.Add(field, "is kept only when moving to deprecated; leave it empty for a move to "+string(in.To))
			}
		}
	}
	if in.To != catalog.StageRetired && in.OverrideReason != "" {
		v.Add("override_reason", "overrides only the quiet-traffic gate of a retirement; leave it empty for a move to "+string(in.To))
	}
	if in.At.IsZero() {
		in.At = time.Now()
	}
	in.At = in.At.UTC()
	return v.OrNil()
}

// after is the deprecation a version will have once it moves from one
// stage to in.To.
func (l VersionLifecycle) after(from catalog.Stage, in TransitionInput) VersionLifecycle {
	switch {
	case in.To == catalog.StageDeprecated:
		if in.DeprecationDate != nil {
			l.DeprecationDate = lifecycleUTC(*in.DeprecationDate)
		} else if l.DeprecationDate == nil || from != catalog.StageRetired {
			d := in.At.Truncate(24 * time.Hour)
			l.DeprecationDate = &d
		}
		if in.SunsetDate != nil {
			l.SunsetDate = lifecycleUTC(*in.SunsetDate)
		}
		if in.MigrationNotes != "" {
			l.MigrationNotes = in.MigrationNotes
		}
		if in.Replacement != "" {
			l.Replacement = in.Replacement
		}
	case from == catalog.StageDeprecated && in.To != catalog.StageRetired:
		l.DeprecationDate, l.SunsetDate = nil, nil
	}
	return l
}

func lifecycleUTC(t time.Time) *time.Time {
	u := t.UTC()
	return &u
}

// TransitionVersion moves a version to another stage if the gates let it,
// all in one transaction: the stage and deprecation are saved, the move
// goes on the version's timeline and into the audit log, and the API's
// grade follows its production version. Who may make the move
// (lifecycle.Transition.Action) is the caller's to check first. A move the
// gates refuse returns a *lifecycle.Blocked, which wraps
// catalog.ErrInvalid; a version that moved meanwhile, a conflict.
func (s *Store) TransitionVersion(ctx context.Context, actor catalog.Actor, apiSlug, version string, in TransitionInput, gates lifecycle.Gates) (*VersionTransition, error) {
	if err := in.normalize(); err != nil {
		return nil, err
	}
	var rec VersionTransition
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var v Version
		if err := findVersion(tx, apiSlug, version, &v); err != nil {
			return err
		}
		from := catalog.Stage(v.Stage)
		if in.From != "" && in.From != from {
			return &ConflictError{Message: fmt.Sprintf("Version %s moved to %s meanwhile; reload the page and decide again.", v.Name, v.Stage)}
		}
		cur, err := loadLifecycle(tx, v.ID)
		if err != nil {
			return err
		}
		next := cur.after(from, in)
		facts, err := lifecycleFacts(tx, &v, in.At)
		if err != nil {
			return err
		}
		facts.DeprecationDate, facts.SunsetDate = next.DeprecationDate, next.SunsetDate
		facts.MigrationNotes, facts.Replacement = next.MigrationNotes, next.Replacement
		facts.Reason, facts.OverrideReason, facts.OverrideAllowed = in.Reason, in.OverrideReason, in.OverrideAllowed
		outcome := gates.Evaluate(from, in.To, facts)
		if len(outcome.Failures) > 0 {
			return &lifecycle.Blocked{From: from, To: in.To, Failures: outcome.Failures}
		}
		res := tx.Exec(`UPDATE versions SET stage = ?, deprecation_date = ?, sunset_date = ?, migration_notes = ?, replacement = ?, updated_at = ?
			WHERE id = ? AND stage = ?`,
			string(in.To), next.DeprecationDate, next.SunsetDate, next.MigrationNotes, next.Replacement, in.At, v.ID, v.Stage)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return &ConflictError{Message: fmt.Sprintf("Version %s changed stage meanwhile; reload the page and decide again.", v.Name)}
		}
		rec = VersionTransition{VersionID: v.ID, FromStage: v.Stage, ToStage: string(in.To), Actor: actorName(actor), Reason: in.Reason, At: in.At}
		var overridden []string
		if len(outcome.Overridden) > 0 {
			rec.Override, rec.OverrideReason = true, in.OverrideReason
			for _, f := range outcome.Overridden {
				overridden = append(overridden, f.Message)
			}
		}
		if err := tx.Create(&rec).Error; err != nil {
			return err
		}
		if err := touchAPI(tx, v.APIID); err != nil {
			return err
		}
		if err := refreshAPIGrade(tx, v.APIID); err != nil {
			return err
		}
		after := map[string]any{"stage": rec.ToStage, "kind": outcome.Transition.Kind, "reason": rec.Reason}
		if rec.Override {
			after["override_reason"], after["overridden"] = rec.OverrideReason, overridden
		}
		if in.To == catalog.StageDeprecated {
			after["deprecation_date"], after["sunset_date"] = next.DeprecationDate, next.SunsetDate
			after["migration_notes"], after["replacement"] = next.MigrationNotes, next.Replacement
		}
		return audit(tx, actor, "version.transition", "version", apiSlug+"/"+v.Name, map[string]any{"stage": v.Stage}, after)
	})
	if err != nil {
		return nil, translate(err, "transition version")
	}
	return &rec, nil
}

func actorName(a catalog.Actor) string {
	if a.Name == "" {
		return "anonymous"
	}
	return a.Name
}

// SetSunsetDate moves the sunset of a deprecated version, such as when its
// owners extend the notice; audited. The new date may not have passed nor
// come before the deprecation date.
func (s *Store) SetSunsetDate(ctx context.Context, actor catalog.Actor, apiSlug, version string, sunset time.Time) error {
	sunset = sunset.UTC()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var v Version
		if err := findVersion(tx, apiSlug, version, &v); err != nil {
			return err
		}
		if v.Stage != string(catalog.StageDeprecated) {
			return catalog.FieldError("sunset_date", "only a deprecated version has a sunset date; "+v.Name+" is in "+v.Stage)
		}
		l, err := loadLifecycle(tx, v.ID)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		switch {
		case sunset.Before(now.Truncate(24 * time.Hour)):
			return catalog.FieldError("sunset_date", "the sunset date "+lifecycle.FormatDate(sunset)+" has passed; choose today or a later day")
		case l.DeprecationDate != nil && sunset.Before(*l.DeprecationDate):
			return catalog.FieldError("sunset_date", "the sunset date "+lifecycle.FormatDate(sunset)+" is before the deprecation date "+lifecycle.FormatDate(*l.DeprecationDate))
		}
		if err := tx.Exec(`UPDATE versions SET sunset_date = ?, updated_at = ? WHERE id = ?`, sunset, now, v.ID).Error; err != nil {
			return err
		}
		return audit(tx, actor, "version.sunset", "version", apiSlug+"/"+v.Name, map[string]any{"sunset_date": l.SunsetDate}, map[string]any{"sunset_date": sunset})
	})
	return translate(err, "set sunset date")
}

// VersionTimeline lists a version's stage changes, newest first; limit ≤ 0
// lists them all. The oldest entry, when it fits, is the stage the version
// was created at (FromStage and Actor empty; who created it is in the
// audit log), so versions from before the timeline existed have one too.
func (s *Store) VersionTimeline(ctx context.Context, versionID uint, limit int) ([]VersionTransition, error) {
	db := s.db.WithContext(ctx)
	var out []VersionTransition
	q := db.Where("version_id = ?", versionID).Order("at DESC, id DESC")
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&out).Error; err != nil {
		return nil, translate(err, "version timeline")
	}
	if limit > 0 && len(out) >= limit {
		return out, nil
	}
	var v []Version
	if err := db.Select("id, name, stage, created_at").Where("id = ?", versionID).Find(&v).Error; err != nil {
		return nil, translate(err, "version timeline")
	}
	if len(v) == 1 {
		first := v[0].Stage
		if len(out) > 0 {
			first = out[len(out)-1].FromStage
		}
		out = append(out, VersionTransition{VersionID: v[0].ID, ToStage: first, At: v[0].CreatedAt})
	}
	return out, nil
}

// APITimeline lists the stage changes of all an API's versions, with the
// stage each was created at, newest first, each with its version's name;
// limit ≤ 0 lists them all.
func (s *Store) APITimeline(ctx context.Context, apiID uint, limit int) ([]VersionTransition, error) {
	db := s.db.WithContext(ctx)
	var out []VersionTransition
	q := db.Table("version_transitions").
		Select("version_transitions.*, versions.name AS version_name").
		Joins("JOIN versions ON versions.id = version_transitions.version_id").
		Where("versions.api_id = ?", apiID).
		Order("version_transitions.at DESC, version_transitions.id DESC")
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Scan(&out).Error; err != nil {
		return nil, translate(err, "api timeline")
	}
	// Each version's first move says what stage it was created at; a
	// version never moved was created at its current stage.
	var versions []struct {
		ID          uint
		Name, Stage string
		CreatedAt   time.Time
		FirstFrom   *string
	}
	err := db.Table("versions").
		Select(`id, name, stage, created_at, (SELECT t.from_stage FROM version_transitions t WHERE t.version_id = versions.id
			ORDER BY t.id LIMIT 1) AS first_from`).
		Where("api_id = ?", apiID).Scan(&versions).Error
	if err != nil {
		return nil, translate(err, "api timeline")
	}
	for _, v := range versions {
		stage := v.Stage
		if v.FirstFrom != nil {
			stage = *v.FirstFrom
		}
		out = append(out, VersionTransition{VersionID: v.ID, VersionName: v.Name, ToStage: stage, At: v.CreatedAt})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// VersionLifecycleOf reads a version's deprecation.
func (s *Store) VersionLifecycleOf(ctx context.Context, versionID uint) (*VersionLifecycle, error) {
	l, err := loadLifecycle(s.db.WithContext(ctx), versionID)
	if err != nil {
		return nil, translate(err, "version lifecycle")
	}
	return &l, nil
}

func loadLifecycle(tx *gorm.DB, versionID uint) (VersionLifecycle, error) {
	var rows []VersionLifecycle
	err := tx.Table("versions").Select("deprecation_date, sunset_date, migration_notes, replacement").
		Where("id = ?", versionID).Limit(1).Scan(&rows).Error
	if err != nil {
		return VersionLifecycle{}, err
	}
	if len(rows) == 0 {
		return VersionLifecycle{}, fmt.Errorf("version %d: %w", versionID, catalog.ErrNotFound)
	}
	return rows[0], nil
}

// LifecycleFacts gathers what the gates look at for a version at a moment,
// with the deprecation it has now; a move's own fields replace those.
func (s *Store) LifecycleFacts(ctx context.Context, versionID uint, at time.Time) (lifecycle.Facts, error) {
	db := s.db.WithContext(ctx)
	var v Version
	if err := db.Take(&v, versionID).Error; err != nil {
		return lifecycle.Facts{}, translate(err, "lifecycle facts")
	}
	f, err := lifecycleFacts(db, &v, at.UTC())
	if err != nil {
		return f, translate(err, "lifecycle facts")
	}
	l, err := loadLifecycle(db, v.ID)
	if err != nil {
		return f, translate(err, "lifecycle facts")
	}
	f.DeprecationDate, f.SunsetDate, f.MigrationNotes, f.Replacement = l.DeprecationDate, l.SunsetDate, l.MigrationNotes, l.Replacement
	return f, nil
}

// lifecycleFacts reads the spec, the latest scorecard, the newest
// legitimate request and the traffic sources' coverage of v's API.
func lifecycleFacts(tx *gorm.DB, v *Version, at time.Time) (lifecycle.Facts, error) {
	f := lifecycle.Facts{Now: at, HasSpec: v.CurrentRevisionID != nil}
	var cards []struct {
		RevisionID uint
		Grade      string
		Overall    *int
	}
	if err := tx.Table("scorecards").Select("revision_id, grade, overall").Where("version_id = ?", v.ID).
		Order("id DESC").Limit(1).Scan(&cards).Error; err != nil {
		return f, fmt.Errorf("latest scorecard: %w", err)
	}
	if len(cards) == 1 {
		c := cards[0]
		f.Scored = v.CurrentRevisionID != nil && c.RevisionID == *v.CurrentRevisionID
		f.Grade, f.Score = c.Grade, c.Overall
	}
	// The newest hour with legitimate traffic holds the newest request;
	// ordering by the column itself keeps its type on SQLite.
	var last []struct{ LastLegitimate *time.Time }
	if err := tx.Table("endpoint_traffic").Select("last_legitimate").
		Where("version_id = ? AND last_legitimate IS NOT NULL", v.ID).
		Order("last_legitimate DESC").Limit(1).Scan(&last).Error; err != nil {
		return f, fmt.Errorf("last legitimate request: %w", err)
	}
	if len(last) == 1 && last[0].LastLegitimate != nil {
		t := last[0].LastLegitimate.UTC()
		f.LastLegitimate = &t
	}
	// The sources that can see the API: its own, and those bound to none,
	// which match traffic to every API by deployment (handlers/traffic.go).
	var spans []struct{ CoveredFrom, CoveredTo *time.Time }
	if err := tx.Table("sources").Select("covered_from, covered_to").
		Where("(api_id IS NULL OR api_id = ?) AND covered_from IS NOT NULL AND covered_to IS NOT NULL", v.APIID).
		Scan(&spans).Error; err != nil {
		return f, fmt.Errorf("source coverage: %w", err)
	}
	for _, sp := range spans {
		if sp.CoveredFrom != nil && sp.CoveredTo != nil {
			f.Coverage = append(f.Coverage, lifecycle.Span{From: sp.CoveredFrom.UTC(), To: sp.CoveredTo.UTC()})
		}
	}
	return f, nil
}
