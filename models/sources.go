package models

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/traffic"
)

// Source is a configured origin of traffic data. Its ingest key and
// credential are never held here in clear: the key as a hash, the
// credential sealed.
type Source struct {
	ID           int64
	Name         string
	Kind         traffic.SourceKind
	APIID        *uint
	APISlug      string `gorm:"->;-:migration"`
	APIName      string `gorm:"->;-:migration"`
	KeyHash      *string
	KeyHint      string
	Settings     string
	SecretSealed string
	Position     string
	CoveredFrom  *time.Time
	CoveredTo    *time.Time
	LastEventAt  *time.Time
	EventsTotal  int64
	LastError    string
	Failures     int
	RetryAt      *time.Time
	Enabled      bool
	Demo         bool
	CreatedBy    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// TableName keeps GORM on the migration's table.
func (Source) TableName() string { return "sources" }

// ParsedSettings decodes the kind-specific settings.
func (s Source) ParsedSettings() traffic.SourceSettings {
	var set traffic.SourceSettings
	_ = json.Unmarshal([]byte(s.Settings), &set)
	return set
}

// TokenContext binds a source's sealed credential to its row: sealing and
// opening must name the same context, so a sealed value copied to another
// row does not open.
func TokenContext(id int64) string { return "source:" + strconv.FormatInt(id, 10) + ":token" }

// HasSecret reports whether a credential is stored (sealed).
func (s Source) HasSecret() bool { return s.SecretSealed != "" }

// NewSource is what creating a source stores. Seal, when the source has a
// credential, seals it for the new row's id.
type NewSource struct {
	Name     string
	Kind     traffic.SourceKind
	APISlug  string
	Settings traffic.SourceSettings
	// IngestKey is the push source's key; only its hash is stored.
	IngestKey string
	KeyHint   string
	Seal      func(id int64) (string, error)
	Demo      bool
}

// CreateSource stores a source, audited, all or nothing.
func (s *Store) CreateSource(ctx context.Context, actor catalog.Actor, in NewSource) (*Source, error) {
	settings, err := json.Marshal(in.Settings)
	if err != nil {
		return nil, err
	}
	src := Source{Name: in.Name, Kind: in.Kind, Settings: string(settings), KeyHint: in.KeyHint, Enabled: true, Demo: in.Demo, CreatedBy: actor.Name}
	if in.IngestKey != "" {
		h := hashSecret(in.IngestKey)
		src.KeyHash = &h
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if in.APISlug != "" {
			var id uint
			if err := tx.Table("apis").Where("slug = ?", in.APISlug).Pluck("id", &id).Error; err != nil {
				return err
			}
			if id == 0 {
				return fmt.Errorf("no API %q: %w", in.APISlug, catalog.ErrInvalid)
			}
			src.APIID = &id
		}
		var taken int64
		if err := tx.Table("sources").Where("name = ?", in.Name).Count(&taken).Error; err != nil {
			return err
		}
		if taken > 0 {
			return fmt.Errorf("a source named %q exists: %w", in.Name, catalog.ErrConflict)
		}
		if err := tx.Omit("APISlug", "APIName").Create(&src).Error; err != nil {
			return err
		}
		if in.Seal != nil {
			sealed, err := in.Seal(src.ID)
			if err != nil {
				return err
			}
			src.SecretSealed = sealed
			if err := tx.Table("sources").Where("id = ?", src.ID).Update("secret_sealed", sealed).Error; err != nil {
				return err
			}
		}
		return audit(tx, actor, "source.create", "source", src.Name, nil,
			map[string]any{"kind": src.Kind, "api": in.APISlug, "settings": in.Settings, "credential": src.HasSecret()})
	})
	if err != nil {
		return nil, translate(err, "create source")
	}
	return &src, nil
}

func (s *Store) sourceQuery(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Table("sources").
		Select("sources.*, apis.slug AS api_slug, apis.name AS api_name").
		Joins("LEFT JOIN apis ON apis.id = sources.api_id")
}

// Sources lists every source by name.
func (s *Store) Sources(ctx context.Context) ([]Source, error) {
	var out []Source
	return out, s.sourceQuery(ctx).Order("sources.name").Find(&out).Error
}

// SourceByID finds one source.
func (s *Store) SourceByID(ctx context.Context, id int64) (*Source, error) {
	var src Source
	if err := s.sourceQuery(ctx).Where("sources.id = ?", id).Take(&src).Error; err != nil {
		return nil, translate(err, "find source")
	}
	return &src, nil
}

// SourceByIngestKey finds the enabled push source a key belongs to.
func (s *Store) SourceByIngestKey(ctx context.Context, key string) (*Source, error) {
	var src Source
	err := s.sourceQuery(ctx).Where("sources.key_hash = ? AND sources.enabled", hashSecret(key)).Take(&src).Error
	if err != nil {
		return nil, translate(err, "find source by key")
	}
	return &src, nil
}

// DeleteSource removes a source; the traffic it delivered stays.
func (s *Store) DeleteSource(ctx context.Context, actor catalog.Actor, id int64) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var src Source
		if err := tx.Table("sources").Where("id = ?", id).Take(&src).Error; err != nil {
			return err
		}
		if err := tx.Exec("DELETE FROM sources WHERE id = ?", id).Error; err != nil {
			return err
		}
		return audit(tx, actor, "source.delete", "source", src.Name, map[string]any{"kind": src.Kind}, nil)
	})
	return translate(err, "delete source")
}

// SetSourceEnabled pauses or resumes a source, audited.
func (s *Store) SetSourceEnabled(ctx context.Context, actor catalog.Actor, id int64, enabled bool) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var src Source
		if err := tx.Table("sources").Where("id = ?", id).Take(&src).Error; err != nil {
			return err
		}
		if err := tx.Table("sources").Where("id = ?", id).Updates(map[string]any{"enabled": enabled, "updated_at": time.Now().UTC()}).Error; err != nil {
			return err
		}
		return audit(tx, actor, "source.enable", "source", src.Name, map[string]any{"enabled": src.Enabled}, map[string]any{"enabled": enabled})
	})
	return translate(err, "enable source")
}

// SourceRead is what one pull of a source found.
type SourceRead struct {
	Position string
	// From and To are the span of time the read covered; zero when the
	// read failed.
	From, To time.Time
	Events   int64
	Err      error
	// Backoff is how long to wait before retrying after a failure.
	Backoff time.Duration
}

// RecordSourceRead stores a pull's outcome: on success the new position
// and covered span, on failure the reason and when to retry. Earlier data
// stays either way.
func (s *Store) RecordSourceRead(ctx context.Context, id int64, r SourceRead) error {
	now := time.Now().UTC()
	db := s.db.WithContext(ctx)
	if r.Err != nil {
		retry := now.Add(r.Backoff)
		return db.Exec(`UPDATE sources SET last_error = ?, failures = failures + 1, retry_at = ?, updated_at = ? WHERE id = ?`,
			truncate(r.Err.Error(), 2000), retry, now, id).Error
	}
	return db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`UPDATE sources SET last_error = '', failures = 0, retry_at = NULL, position = ?,
			events_total = events_total + ?, updated_at = ? WHERE id = ?`, r.Position, r.Events, now, id).Error; err != nil {
			return err
		}
		return extendCoverage(tx, id, r.From, r.To)
	})
}

// extendCoverage widens the span of time a source is known to have
// covered, so a quiet endpoint can be told from an unwatched one.
func extendCoverage(tx *gorm.DB, id int64, from, to time.Time) error {
	if from.IsZero() || to.IsZero() {
		return nil
	}
	return tx.Exec(`UPDATE sources SET
		covered_from = CASE WHEN covered_from IS NULL OR covered_from > ? THEN ? ELSE covered_from END,
		covered_to = CASE WHEN covered_to IS NULL OR covered_to < ? THEN ? ELSE covered_to END
		WHERE id = ?`, from.UTC(), from.UTC(), to.UTC(), to.UTC(), id).Error
}
