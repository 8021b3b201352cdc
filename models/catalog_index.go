package models

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog/index"
)

// The catalogue generation is a counter that triggers on the catalogue's
// tables bump in the same transaction as any change, from any replica.
// What is derived from the catalogue (the search index below, the traffic
// matcher's templates) is rebuilt when it moves, so it is never stale.

// catalogueTables are the tables whose changes can move a count or facet
// (migration 0010); zombie verdicts joined them in 0017, when the search
// index started holding the zombie flag, and deployments and spec
// revisions in 0018, for the API page.
var catalogueTables = []string{"teams", "apis", "versions", "api_tags", "api_terms"}

// migrateCatalogueGeneration adds the generation counter and its triggers.
func migrateCatalogueGeneration(tx *gorm.DB) error {
	err := execAll(tx,
		`CREATE TABLE catalogue_generation (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)`,
		`INSERT INTO catalogue_generation (id, n) VALUES (1, 0)`,
	)
	if err != nil {
		return err
	}
	if tx.Dialector.Name() == "postgres" {
		if err := tx.Exec(`CREATE FUNCTION bump_catalogue_generation() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN UPDATE catalogue_generation SET n = n + 1 WHERE id = 1; RETURN NULL; END $$`).Error; err != nil {
			return err
		}
	}
	return bumpGenerationOn(tx, catalogueTables...)
}

// migrateZombieGeneration moves the generation with the zombie job's
// verdicts, which the catalogue's zombie filter and facet read.
func migrateZombieGeneration(tx *gorm.DB) error {
	return bumpGenerationOn(tx, "zombie_verdicts")
}

// migrateAPIPageGeneration moves the generation with deployments and spec
// revisions too, which the API page shows and keeps per generation
// (handlers/api_page_cache.go). Endpoints need no trigger: they are only
// replaced with a version's current revision, which moves it.
func migrateAPIPageGeneration(tx *gorm.DB) error {
	return bumpGenerationOn(tx, "deployments", "spec_revisions")
}

// bumpGenerationOn adds triggers that bump the generation on any change
// to the tables.
func bumpGenerationOn(tx *gorm.DB, tables ...string) error {
	if tx.Dialector.Name() == "postgres" {
		// Per statement: an import inserting 100,000 rows bumps once.
		for _, t := range tables {
			if err := tx.Exec(`CREATE TRIGGER bump_generation_` + t + ` AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ` + t +
				` FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_generation()`).Error; err != nil {
				return err
			}
		}
		return nil
	}
	for _, t := range tables {
		for _, op := range []string{"INSERT", "UPDATE", "DELETE"} {
			if err := tx.Exec(`CREATE TRIGGER bump_generation_` + t + `_` + strings.ToLower(op) + ` AFTER ` + op + ` ON ` + t +
				` BEGIN UPDATE catalogue_generation SET n = n + 1 WHERE id = 1; END`).Error; err != nil {
				return err
			}
		}
	}
	return nil
}

// catalogueGeneration reads the counter: one primary-key lookup.
func (s *Store) catalogueGeneration(ctx context.Context) (int64, error) {
	var n []int64
	err := s.db.WithContext(ctx).Table("catalogue_generation").Where("id = 1").Pluck("n", &n).Error
	if err != nil || len(n) == 0 {
		return 0, err
	}
	return n[0], nil
}

// catalogueSnapshot holds the search index of one catalogue generation.
type catalogueSnapshot struct {
	gen int64
	ix  *index.Index
}

// catalogueIndexes keeps the newest index; building is serialised so a
// burst of requests after a change builds once.
type catalogueIndexes struct {
	build   sync.Mutex
	current atomic.Pointer[catalogueSnapshot]
}

// catalogueIndex returns the index of the current catalogue generation,
// building it when the catalogue changed since the last one: one
// primary-key read when nothing changed.
func (s *Store) catalogueIndex(ctx context.Context) (*index.Index, error) {
	c := s.catalogue
	if c == nil { // a Store bound to a transaction: build from what it sees
		snap, err := loadCatalogueIndex(ctx, s.db)
		if err != nil {
			return nil, err
		}
		return snap.ix, nil
	}
	gen, err := s.catalogueGeneration(ctx)
	if err != nil {
		return nil, err
	}
	if cur := c.current.Load(); cur != nil && cur.gen == gen {
		return cur.ix, nil
	}
	c.build.Lock()
	defer c.build.Unlock()
	if cur := c.current.Load(); cur != nil && cur.gen >= gen {
		return cur.ix, nil // built by the request we waited for
	}
	snap, err := loadCatalogueIndex(ctx, s.db)
	if err != nil {
		return nil, err
	}
	c.current.Store(snap)
	return snap.ix, nil
}

// loadCatalogueIndex reads the generation and everything the index holds
// in one read transaction, so the index is exactly that generation's
// catalogue (PostgreSQL needs REPEATABLE READ for one snapshot; SQLite's
// WAL read transaction is one already).
func loadCatalogueIndex(ctx context.Context, db *gorm.DB) (*catalogueSnapshot, error) {
	var opts []*sql.TxOptions
	if db.Dialector.Name() == "postgres" {
		opts = append(opts, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	}
	snap := &catalogueSnapshot{}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var gens []int64
		if err := tx.Table("catalogue_generation").Where("id = 1").Pluck("n", &gens).Error; err != nil {
			return err
		}
		if len(gens) > 0 {
			snap.gen = gens[0]
		}
		var apis []struct {
			ID                      uint
			Slug, Name, Description string
			Kind, Visibility, Grade string
			Demo                    bool
			UpdatedAt               time.Time
			TeamSlug, TeamName      string
		}
		if err := tx.Table("apis").
			Select("apis.id, apis.slug, apis.name, apis.description, apis.kind, apis.visibility, apis.demo, apis.grade, apis.updated_at, teams.slug AS team_slug, teams.name AS team_name").
			Joins("JOIN teams ON teams.id = apis.team_id").Scan(&apis).Error; err != nil {
			return err
		}
		b := index.NewBuilder(len(apis))
		for _, a := range apis {
			b.AddAPI(index.Entry{ID: a.ID, Slug: a.Slug, Name: a.Name,
				Description: firstParagraph(a.Description, 1000), // the page shortens it further once rendered to text
				TeamSlug:    a.TeamSlug, TeamName: a.TeamName, Kind: a.Kind, Visibility: a.Visibility, Demo: a.Demo, Grade: a.Grade, UpdatedAt: a.UpdatedAt})
		}
		var versions []struct {
			APIID     uint
			Stage     string
			Endpoints int
		}
		if err := tx.Raw(`SELECT v.api_id, v.stage, COUNT(e.id) AS endpoints FROM versions v
			LEFT JOIN endpoints e ON e.version_id = v.id GROUP BY v.id, v.api_id, v.stage`).Scan(&versions).Error; err != nil {
			return err
		}
		for _, v := range versions {
			b.AddVersion(v.APIID, v.Stage, v.Endpoints)
		}
		if err := eachPair(tx, "SELECT api_id, tag FROM api_tags", b.AddTag); err != nil {
			return err
		}
		if err := eachPair(tx, "SELECT api_id, term FROM api_terms", b.AddTerm); err != nil {
			return err
		}
		var zombies []uint
		if err := tx.Raw(`SELECT DISTINCT v.api_id FROM versions v JOIN zombie_verdicts z ON z.version_id = v.id
			WHERE z.verdict = ?`, "zombie").Scan(&zombies).Error; err != nil {
			return err
		}
		for _, id := range zombies {
			b.MarkZombie(id)
		}
		snap.ix = b.Build()
		return nil
	}, opts...)
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// eachPair streams (api id, text) rows: the search terms run to about 50
// per API, too many to scan into structs first.
func eachPair(tx *gorm.DB, query string, add func(apiID uint, text string)) error {
	rows, err := tx.Raw(query).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	var id uint
	var text string
	for rows.Next() {
		if err := rows.Scan(&id, &text); err != nil {
			return err
		}
		add(id, text)
	}
	return rows.Err()
}
