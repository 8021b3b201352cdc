package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
)

// SpecUpload is a parsed spec ready to store: the raw text, what the parser
// found in it, and the endpoints it declares.
type SpecUpload struct {
	Content     []byte
	Hash        string
	Format      string
	SpecVersion string
	Title       string
	Endpoints   []Endpoint // VersionID and ID are set here
	// Changes are the classified changes from the current revision, when
	// they were computed (pending_revisions.go).
	Changes RevisionChanges
}

// SaveSpec stores a new current revision of a version's spec and replaces
// its endpoints. An upload identical to the current revision changes
// nothing and returns created=false.
func (s *Store) SaveSpec(ctx context.Context, actor catalog.Actor, apiSlug, version string, up SpecUpload) (rev *SpecRevision, created bool, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var v Version
		if err := findVersion(tx, apiSlug, version, &v); err != nil {
			return err
		}
		r, c, err := saveSpec(tx, actor, apiSlug, &v, up)
		rev, created = r, c
		return err
	})
	if err != nil {
		return nil, false, translate(err, "save spec")
	}
	return rev, created, nil
}

func saveSpec(tx *gorm.DB, actor catalog.Actor, apiSlug string, v *Version, up SpecUpload) (*SpecRevision, bool, error) {
	if v.CurrentRevisionID != nil {
		var cur SpecRevision
		if err := tx.Omit("Content").Take(&cur, *v.CurrentRevisionID).Error; err != nil {
			return nil, false, err
		}
		if cur.Hash == up.Hash {
			return &cur, false, nil
		}
	}
	var last struct{ N int }
	if err := tx.Table("spec_revisions").Select("COALESCE(MAX(number), 0) AS n").Where("version_id = ?", v.ID).Scan(&last).Error; err != nil {
		return nil, false, err
	}
	rev := SpecRevision{
		VersionID: v.ID, Number: last.N + 1, Hash: up.Hash, Format: up.Format, SpecVersion: up.SpecVersion,
		Title: truncate(up.Title, 500), SizeBytes: int64(len(up.Content)), Content: string(up.Content), CreatedBy: actor.Name,
		Changes: up.Changes.JSON, BreakingCount: up.Changes.Breaking, WarningCount: up.Changes.Warning, InfoCount: up.Changes.Info,
	}
	create := tx
	if up.Changes == (RevisionChanges{}) {
		// Nothing compared: the columns' defaults say the same, and the
		// upgrade tests, which seed a database as an earlier migration left
		// it, can still store a first revision.
		create = tx.Omit("Changes", "BreakingCount", "WarningCount", "InfoCount", "Excepted")
	}
	if err := create.Create(&rev).Error; err != nil {
		return nil, false, err
	}
	if err := tx.Model(v).Update("current_revision_id", rev.ID).Error; err != nil {
		return nil, false, err
	}
	if err := tx.Where("version_id = ?", v.ID).Delete(&Endpoint{}).Error; err != nil {
		return nil, false, err
	}
	if len(up.Endpoints) > 0 {
		eps := make([]Endpoint, len(up.Endpoints))
		for i, e := range up.Endpoints {
			eps[i] = Endpoint{VersionID: v.ID, Method: e.Method, Path: e.Path, OperationID: truncate(e.OperationID, 500), Summary: e.Summary, Deprecated: e.Deprecated}
		}
		if err := tx.CreateInBatches(eps, 200).Error; err != nil {
			return nil, false, err
		}
	}
	if err := reindexAPI(tx, v.APIID); err != nil {
		return nil, false, err
	}
	if err := touchAPI(tx, v.APIID); err != nil {
		return nil, false, err
	}
	rev.Content = "" // callers get metadata; the text stays in the database
	err := audit(tx, actor, "spec.upload", "version", apiSlug+"/"+v.Name, nil,
		map[string]any{"revision": rev.Number, "hash": rev.Hash, "spec_version": rev.SpecVersion, "endpoints": len(up.Endpoints), "bytes": rev.SizeBytes,
			"breaking": rev.BreakingCount, "warnings": rev.WarningCount})
	return &rev, true, err
}

// GetRevision loads one revision of a version's spec, content included.
func (s *Store) GetRevision(ctx context.Context, apiSlug, version string, number int) (*SpecRevision, error) {
	var rev SpecRevision
	// A plain read, not a transaction: SQLite transactions here take the
	// write lock at once, which readers must not do.
	tx := s.db.WithContext(ctx)
	err := func() error {
		var v Version
		if err := findVersion(tx, apiSlug, version, &v); err != nil {
			return err
		}
		q := tx.Where("version_id = ?", v.ID)
		if number > 0 {
			q = q.Where("number = ?", number)
		} else if v.CurrentRevisionID != nil {
			q = q.Where("id = ?", *v.CurrentRevisionID)
		} else {
			return fmt.Errorf("version %s/%s has no spec yet: %w", apiSlug, version, catalog.ErrNotFound)
		}
		if err := q.Take(&rev).Error; err != nil {
			if err == gorm.ErrRecordNotFound {
				return fmt.Errorf("revision %d of %s/%s: %w", number, apiSlug, version, catalog.ErrNotFound)
			}
			return err
		}
		return nil
	}()
	if err != nil {
		return nil, translate(err, "get revision")
	}
	return &rev, nil
}

func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	r := []rune(s)
	if len(r) > max {
		r = r[:max]
	}
	for len(string(r)) > max {
		r = r[:len(r)-1]
	}
	return string(r)
}

// RevisionByID loads a revision, content included, by its id.
func (s *Store) RevisionByID(ctx context.Context, id uint) (*SpecRevision, error) {
	var rev SpecRevision
	if err := s.db.WithContext(ctx).Take(&rev, id).Error; err != nil {
		return nil, translate(err, "revision")
	}
	return &rev, nil
}

// VersionStage returns the lifecycle stage of a version: the breaking-
// changes check of its scorecard weighs its current revision's changes
// against the policy of that stage.
func (s *Store) VersionStage(ctx context.Context, versionID uint) (catalog.Stage, error) {
	var v Version
	if err := s.db.WithContext(ctx).Select("id", "stage").Take(&v, versionID).Error; err != nil {
		return "", translate(err, "version stage")
	}
	return catalog.Stage(v.Stage), nil
}
