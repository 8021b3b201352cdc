package models

import (
	"fmt"
	"strings"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
)

// Migrations are append-only: a released migration is never edited, since
// databases in the field have already run it. Each one declares the tables
// as they were at that point (frozen structs), not the current models, so
// replaying history on an empty database gives the same schema as upgrading.
func migrations() []*gormigrate.Migration {
	return []*gormigrate.Migration{
		{ID: "0001_catalogue", Migrate: migrateCatalogue},
		{ID: "0002_search_and_audit", Migrate: migrateSearchAndAudit},
		{ID: "0003_identity", Migrate: migrateIdentity},
		{ID: "0004_standards", Migrate: migrateStandards},
		{ID: "0005_standard_previews", Migrate: migrateStandardPreviews}, // models/standards_store.go
		{ID: "0006_scorecard_failures", Migrate: migrateScorecardFailures},
		{ID: "0007_breaking_changes", Migrate: migrateBreakingChanges}, // models/pending_revisions.go
		{ID: "0008_catalogue_indexes", Migrate: migrateCatalogueIndexes},
		{ID: "0009_runtime", Migrate: migrateRuntime},                          // models/runtime_migration.go
		{ID: "0010_catalogue_generation", Migrate: migrateCatalogueGeneration}, // models/catalog_index.go
		{ID: "0011_gateway_routes", Migrate: migrateGatewayRoutes},             // models/gateway.go
		{ID: "0012_runtime_scorecards", Migrate: migrateRuntimeScorecards},     // models/runtime_scores.go
		{ID: "0013_lifecycle", Migrate: migrateLifecycle},                      // models/lifecycle.go
		{ID: "0014_retirement", Migrate: migrateRetirement},                    // models/retirement.go
		{ID: "0015_notifications", Migrate: migrateNotifications},              // models/notifications.go
		{ID: "0016_governance_snapshots", Migrate: migrateGovernanceSnapshots}, // models/snapshots.go
		{ID: "0017_zombie_generation", Migrate: migrateZombieGeneration},       // models/catalog_index.go
		{ID: "0018_api_page_generation", Migrate: migrateAPIPageGeneration},    // models/catalog_index.go
	}
}

// Migrate brings the schema up to date, upgrading in place.
func (s *Store) Migrate() error {
	return s.MigrateTo("")
}

// MigrateTo applies migrations up to and including id (all when empty);
// tests use it to build a database as an earlier release left it.
func (s *Store) MigrateTo(id string) error {
	m := gormigrate.New(s.db, &gormigrate.Options{
		TableName:                 "schema_migrations",
		IDColumnName:              "id",
		IDColumnSize:              100,
		UseTransaction:            s.IsPostgres(), // SQLite DDL in one tx is fine too, but WAL+immediate locks make it serialise anyway
		ValidateUnknownMigrations: true,           // refuse to run an older binary on a newer schema
	}, migrations())
	var err error
	if id == "" {
		err = m.Migrate()
	} else {
		err = m.MigrateTo(id)
	}
	if err != nil {
		return fmt.Errorf("models: migrate: %w", err)
	}
	return nil
}

// ddl rewrites the few type names that differ between the engines, so each
// migration is one piece of explicit SQL that reviewers can read.
func ddl(tx *gorm.DB, sql string) string {
	pg := tx.Dialector.Name() == "postgres"
	r := strings.NewReplacer(
		"{{id}}", map[bool]string{true: "BIGSERIAL PRIMARY KEY", false: "INTEGER PRIMARY KEY AUTOINCREMENT"}[pg],
		"{{ref}}", map[bool]string{true: "BIGINT", false: "INTEGER"}[pg],
		"{{time}}", map[bool]string{true: "TIMESTAMPTZ", false: "DATETIME"}[pg],
		"{{bool}}", map[bool]string{true: "BOOLEAN", false: "NUMERIC"}[pg],
		"{{false}}", map[bool]string{true: "FALSE", false: "0"}[pg],
		"{{true}}", map[bool]string{true: "TRUE", false: "1"}[pg],
		"{{blob}}", map[bool]string{true: "BYTEA", false: "BLOB"}[pg],
	)
	return r.Replace(sql)
}

func execAll(tx *gorm.DB, statements ...string) error {
	for _, st := range statements {
		if err := tx.Exec(ddl(tx, st)).Error; err != nil {
			return fmt.Errorf("%s: %w", strings.Fields(st)[0:3], err)
		}
	}
	return nil
}

func migrateCatalogue(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE teams (
			id {{id}},
			slug VARCHAR(63) NOT NULL UNIQUE,
			name VARCHAR(120) NOT NULL,
			description TEXT NOT NULL DEFAULT '',
			contact VARCHAR(200) NOT NULL DEFAULT '',
			created_at {{time}},
			updated_at {{time}})`,
		`CREATE TABLE apis (
			id {{id}},
			slug VARCHAR(63) NOT NULL UNIQUE,
			name VARCHAR(120) NOT NULL,
			name_key VARCHAR(120) NOT NULL,
			description TEXT NOT NULL DEFAULT '',
			team_id {{ref}} NOT NULL REFERENCES teams(id) ON DELETE RESTRICT,
			kind VARCHAR(20) NOT NULL,
			visibility VARCHAR(20) NOT NULL,
			links TEXT NOT NULL DEFAULT '[]',
			demo {{bool}} NOT NULL DEFAULT {{false}},
			created_at {{time}},
			updated_at {{time}})`,
		`CREATE INDEX idx_apis_name_key ON apis (name_key)`,
		`CREATE INDEX idx_apis_team_id ON apis (team_id)`,
		`CREATE INDEX idx_apis_updated_at ON apis (updated_at)`,
		`CREATE TABLE api_tags (
			api_id {{ref}} NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
			tag VARCHAR(40) NOT NULL,
			PRIMARY KEY (api_id, tag))`,
		`CREATE INDEX idx_api_tags_tag ON api_tags (tag)`,
		`CREATE TABLE versions (
			id {{id}},
			api_id {{ref}} NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
			name VARCHAR(40) NOT NULL,
			stage VARCHAR(20) NOT NULL,
			current_revision_id {{ref}},
			created_at {{time}},
			updated_at {{time}},
			UNIQUE (api_id, name))`,
		`CREATE INDEX idx_versions_stage ON versions (stage)`,
		`CREATE TABLE deployments (
			id {{id}},
			version_id {{ref}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
			environment VARCHAR(63) NOT NULL,
			base_url VARCHAR(2000) NOT NULL,
			created_at {{time}},
			updated_at {{time}},
			UNIQUE (version_id, environment))`,
		`CREATE TABLE spec_revisions (
			id {{id}},
			version_id {{ref}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
			number INTEGER NOT NULL,
			hash VARCHAR(64) NOT NULL,
			format VARCHAR(10) NOT NULL,
			spec_version VARCHAR(20) NOT NULL,
			title VARCHAR(500) NOT NULL DEFAULT '',
			size_bytes BIGINT NOT NULL,
			content TEXT NOT NULL,
			created_by VARCHAR(200) NOT NULL DEFAULT '',
			created_at {{time}},
			UNIQUE (version_id, number))`,
		`CREATE TABLE endpoints (
			id {{id}},
			version_id {{ref}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
			method VARCHAR(10) NOT NULL,
			path VARCHAR(2000) NOT NULL,
			operation_id VARCHAR(500) NOT NULL DEFAULT '',
			summary TEXT NOT NULL DEFAULT '',
			deprecated {{bool}} NOT NULL DEFAULT {{false}})`,
		`CREATE INDEX idx_endpoints_version_id ON endpoints (version_id)`,
	)
}

// migrateSearchAndAudit adds the search-term index and the audit log, and
// backfills terms for APIs created before it.
func migrateSearchAndAudit(tx *gorm.DB) error {
	err := execAll(tx,
		`CREATE TABLE audit_events (
			id {{id}},
			at {{time}} NOT NULL,
			actor VARCHAR(200) NOT NULL,
			action VARCHAR(60) NOT NULL,
			object_type VARCHAR(40) NOT NULL,
			object_key VARCHAR(200) NOT NULL,
			detail TEXT NOT NULL DEFAULT '',
			request_id VARCHAR(64) NOT NULL DEFAULT '',
			client_ip VARCHAR(64) NOT NULL DEFAULT '')`,
		`CREATE INDEX idx_audit_events_at ON audit_events (at)`,
		`CREATE INDEX idx_audit_events_object ON audit_events (object_type, object_key)`,
	)
	if err != nil {
		return err
	}
	// Terms are matched by byte-wise prefix ranges; PostgreSQL needs the C
	// collation for that range to be both correct and index-backed.
	collate := ""
	if tx.Dialector.Name() == "postgres" {
		collate = ` COLLATE "C"`
	}
	err = execAll(tx,
		`CREATE TABLE api_terms (
			api_id {{ref}} NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
			term VARCHAR(40)`+collate+` NOT NULL,
			PRIMARY KEY (term, api_id))`,
		`CREATE INDEX idx_api_terms_api ON api_terms (api_id)`,
	)
	if err != nil {
		return err
	}
	var ids []uint
	if err := tx.Table("apis").Order("id").Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("backfill terms: %w", err)
	}
	for _, id := range ids {
		if err := reindexAPI(tx, id); err != nil {
			return fmt.Errorf("backfill terms: %w", err)
		}
	}
	return nil
}

// reindexAPI recomputes the search terms of one API from its current data.
func reindexAPI(tx *gorm.DB, apiID uint) error {
	var a struct {
		Name, Slug, Description string
	}
	if err := tx.Table("apis").Select("name, slug, description").Where("id = ?", apiID).Take(&a).Error; err != nil {
		return err
	}
	texts := []string{a.Name, a.Slug, a.Description}
	var tags []string
	if err := tx.Table("api_tags").Where("api_id = ?", apiID).Pluck("tag", &tags).Error; err != nil {
		return err
	}
	texts = append(texts, tags...)
	// Version ids first, then endpoints by version id: both lookups use an
	// index, where a join made fresh PostgreSQL statistics pick a scan.
	var versionIDs []uint
	if err := tx.Table("versions").Where("api_id = ?", apiID).Pluck("id", &versionIDs).Error; err != nil {
		return err
	}
	var eps []struct{ Path, OperationID, Summary string }
	if len(versionIDs) > 0 {
		if err := tx.Table("endpoints").Select("path, operation_id, summary").
			Where("version_id IN ?", versionIDs).Find(&eps).Error; err != nil {
			return err
		}
	}
	for _, e := range eps {
		texts = append(texts, e.Path, e.OperationID, e.Summary)
	}
	terms := catalog.IndexTerms(texts...)
	if err := tx.Exec("DELETE FROM api_terms WHERE api_id = ?", apiID).Error; err != nil {
		return err
	}
	if len(terms) == 0 {
		return nil
	}
	rows := make([]APITerm, len(terms))
	for i, t := range terms {
		rows[i] = APITerm{APIID: apiID, Term: t}
	}
	return tx.CreateInBatches(rows, 500).Error
}

// migrateIdentity adds users, server-side sessions, sign-in attempts, team
// membership, API tokens, and the token column of the audit log.
func migrateIdentity(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE users (
			id {{id}},
			issuer VARCHAR(500) NOT NULL,
			subject VARCHAR(255) NOT NULL,
			email VARCHAR(320) NOT NULL DEFAULT '',
			name VARCHAR(200) NOT NULL DEFAULT '',
			groups_json TEXT NOT NULL DEFAULT '[]',
			admin {{bool}} NOT NULL DEFAULT {{false}},
			governance {{bool}} NOT NULL DEFAULT {{false}},
			created_at {{time}},
			last_login_at {{time}},
			UNIQUE (issuer, subject))`,
		`CREATE INDEX idx_users_email ON users (email)`,
		`CREATE TABLE sessions (
			id_hash VARCHAR(64) PRIMARY KEY,
			user_id {{ref}} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			created_at {{time}} NOT NULL,
			last_seen_at {{time}} NOT NULL,
			expires_at {{time}} NOT NULL,
			id_token_hint TEXT NOT NULL DEFAULT '',
			client_ip VARCHAR(64) NOT NULL DEFAULT '',
			user_agent VARCHAR(300) NOT NULL DEFAULT '')`,
		`CREATE INDEX idx_sessions_user ON sessions (user_id)`,
		`CREATE INDEX idx_sessions_expires ON sessions (expires_at)`,
		`CREATE TABLE login_attempts (
			state_hash VARCHAR(64) PRIMARY KEY,
			nonce VARCHAR(100) NOT NULL,
			verifier VARCHAR(200) NOT NULL,
			next_path VARCHAR(2000) NOT NULL DEFAULT '/',
			expires_at {{time}} NOT NULL)`,
		`ALTER TABLE teams ADD COLUMN idp_group VARCHAR(200) NOT NULL DEFAULT ''`,
		`CREATE TABLE team_members (
			team_id {{ref}} NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
			user_id {{ref}} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			role VARCHAR(20) NOT NULL,
			source VARCHAR(20) NOT NULL,
			created_at {{time}},
			PRIMARY KEY (team_id, user_id))`,
		`CREATE INDEX idx_team_members_user ON team_members (user_id)`,
		`CREATE TABLE api_tokens (
			id {{id}},
			name VARCHAR(100) NOT NULL,
			prefix VARCHAR(20) NOT NULL,
			secret_hash VARCHAR(64) NOT NULL UNIQUE,
			user_id {{ref}} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			team_id {{ref}} REFERENCES teams(id) ON DELETE CASCADE,
			scope VARCHAR(20) NOT NULL,
			expires_at {{time}},
			last_used_at {{time}},
			revoked_at {{time}},
			created_at {{time}})`,
		`CREATE INDEX idx_api_tokens_user ON api_tokens (user_id)`,
		`ALTER TABLE audit_events ADD COLUMN token_name VARCHAR(100) NOT NULL DEFAULT ''`,
	)
}

// migrateStandards adds standards and their versions, scorecards (every
// computation kept, for history), waivers, and each version's and API's
// latest grade for the catalogue's badges and filter.
func migrateStandards(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE standards (
			id {{id}},
			slug VARCHAR(63) NOT NULL UNIQUE,
			name VARCHAR(120) NOT NULL,
			description TEXT NOT NULL DEFAULT '',
			created_at {{time}})`,
		`CREATE TABLE standard_versions (
			id {{id}},
			standard_id {{ref}} NOT NULL REFERENCES standards(id) ON DELETE CASCADE,
			number INTEGER NOT NULL,
			status VARCHAR(20) NOT NULL,
			ruleset TEXT NOT NULL,
			notes TEXT NOT NULL DEFAULT '',
			effective_at {{time}},
			created_by VARCHAR(200) NOT NULL DEFAULT '',
			created_at {{time}},
			published_by VARCHAR(200) NOT NULL DEFAULT '',
			published_at {{time}},
			UNIQUE (standard_id, number))`,
		`CREATE TABLE scorecards (
			id {{id}},
			version_id {{ref}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
			revision_id {{ref}} NOT NULL REFERENCES spec_revisions(id) ON DELETE CASCADE,
			standard_version_id {{ref}} NOT NULL REFERENCES standard_versions(id) ON DELETE CASCADE,
			computed_at {{time}} NOT NULL,
			status VARCHAR(20) NOT NULL,
			overall INTEGER,
			grade VARCHAR(2) NOT NULL DEFAULT '',
			result TEXT NOT NULL,
			duration_ms INTEGER NOT NULL DEFAULT 0)`,
		`CREATE INDEX idx_scorecards_version ON scorecards (version_id, id)`,
		`CREATE TABLE waivers (
			id {{id}},
			version_id {{ref}} NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
			rule VARCHAR(200) NOT NULL,
			reason TEXT NOT NULL,
			status VARCHAR(20) NOT NULL,
			requested_by VARCHAR(200) NOT NULL,
			requested_at {{time}} NOT NULL,
			expires_at {{time}},
			decided_by VARCHAR(200) NOT NULL DEFAULT '',
			decided_at {{time}},
			decision_note TEXT NOT NULL DEFAULT '')`,
		`CREATE INDEX idx_waivers_version ON waivers (version_id)`,
		`ALTER TABLE versions ADD COLUMN grade VARCHAR(2) NOT NULL DEFAULT ''`,
		`ALTER TABLE versions ADD COLUMN score INTEGER`,
		`ALTER TABLE apis ADD COLUMN grade VARCHAR(2) NOT NULL DEFAULT ''`,
		`CREATE INDEX idx_apis_grade ON apis (grade)`,
	)
}

// migrateScorecardFailures keeps each scorecard's failing rules in a table
// of their own, so the overview and team pages aggregate them in SQL
// instead of decoding every stored scorecard; existing scorecards are
// backfilled from their stored results.
func migrateScorecardFailures(tx *gorm.DB) error {
	err := execAll(tx,
		`CREATE TABLE scorecard_failures (
			scorecard_id {{ref}} NOT NULL REFERENCES scorecards(id) ON DELETE CASCADE,
			rule VARCHAR(200) NOT NULL,
			category VARCHAR(40) NOT NULL,
			findings INTEGER NOT NULL,
			PRIMARY KEY (scorecard_id, rule))`,
	)
	if err != nil {
		return err
	}
	var rows []struct {
		ID     uint
		Result string
	}
	if err := tx.Table("scorecards").Select("id, result").Order("id").Find(&rows).Error; err != nil {
		return fmt.Errorf("backfill scorecard failures: %w", err)
	}
	for _, r := range rows {
		if err := insertFailures(tx, r.ID, FailuresOf(r.Result)); err != nil {
			return fmt.Errorf("backfill scorecard failures: %w", err)
		}
	}
	return nil
}

// migrateCatalogueIndexes adds the indexes the catalogue's filters and
// facets read instead of the tables: a stage filter probes (stage, api_id)
// once per candidate API, and the team/kind/visibility/grade facets group
// an index rather than sorting the wide apis rows.
func migrateCatalogueIndexes(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE INDEX idx_versions_stage_api ON versions (stage, api_id)`,
		`CREATE INDEX idx_apis_facets ON apis (team_id, kind, visibility, grade)`,
	)
}
