package models

import (
	"time"
)

// Team is a group of people that owns APIs.
type Team struct {
	ID          uint   `gorm:"primaryKey"`
	Slug        string `gorm:"size:63;not null;uniqueIndex"`
	Name        string `gorm:"size:120;not null"`
	Description string `gorm:"type:text;not null;default:''"`
	Contact     string `gorm:"size:200;not null;default:''"`
	IDPGroup    string `gorm:"column:idp_group;size:200;not null;default:''"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// API is a named interface owned by one team.
type API struct {
	ID          uint   `gorm:"primaryKey"`
	Slug        string `gorm:"size:63;not null;uniqueIndex"`
	Name        string `gorm:"size:120;not null"`
	NameKey     string `gorm:"size:120;not null;index"` // lower-cased name, for ordering
	Description string `gorm:"type:text;not null;default:''"`
	TeamID      uint   `gorm:"not null;index"`
	Team        Team   `gorm:"constraint:OnDelete:RESTRICT"`
	Kind        string `gorm:"size:20;not null"`
	Visibility  string `gorm:"size:20;not null"`
	LinksJSON   string `gorm:"column:links;type:text;not null;default:'[]'"`
	Demo        bool   `gorm:"not null;default:false"`
	Grade       string `gorm:"size:2;not null;default:''"` // of its primary version's latest scorecard
	CreatedAt   time.Time
	UpdatedAt   time.Time `gorm:"index"`
	Tags        []APITag  `gorm:"constraint:OnDelete:CASCADE"`
	Versions    []Version `gorm:"constraint:OnDelete:CASCADE"`
}

// TableName keeps the table name readable ("apis", not "ap_is").
func (API) TableName() string { return "apis" }

// APITag is one tag of an API.
type APITag struct {
	APIID uint   `gorm:"primaryKey;column:api_id"`
	Tag   string `gorm:"primaryKey;size:40;index"`
}

// TableName names the tag table.
func (APITag) TableName() string { return "api_tags" }

// APITerm is one search word of an API, derived from its name, description,
// tags and endpoints; a prefix match on terms is the catalogue's full-text
// search on both engines.
type APITerm struct {
	APIID uint   `gorm:"primaryKey;column:api_id"`
	Term  string `gorm:"primaryKey;size:40"`
}

// TableName names the search-term table.
func (APITerm) TableName() string { return "api_terms" }

// Version is one version of an API with its own lifecycle stage.
type Version struct {
	ID                uint   `gorm:"primaryKey"`
	APIID             uint   `gorm:"column:api_id;not null;uniqueIndex:idx_versions_api_name"`
	Name              string `gorm:"size:40;not null;uniqueIndex:idx_versions_api_name"`
	Stage             string `gorm:"size:20;not null;index"`
	CurrentRevisionID *uint
	Grade             string `gorm:"size:2;not null;default:''"`
	Score             *int
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Deployments       []Deployment   `gorm:"constraint:OnDelete:CASCADE"`
	Revisions         []SpecRevision `gorm:"constraint:OnDelete:CASCADE"`
	Endpoints         []Endpoint     `gorm:"constraint:OnDelete:CASCADE"`
}

// Deployment is where a version runs in one environment.
type Deployment struct {
	ID          uint   `gorm:"primaryKey"`
	VersionID   uint   `gorm:"not null;uniqueIndex:idx_deployments_version_env"`
	Environment string `gorm:"size:63;not null;uniqueIndex:idx_deployments_version_env"`
	BaseURL     string `gorm:"size:2000;not null"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// SpecRevision is one uploaded OpenAPI description of a version. Revisions
// are never changed or deleted except with their version.
type SpecRevision struct {
	ID          uint   `gorm:"primaryKey"`
	VersionID   uint   `gorm:"not null;uniqueIndex:idx_revisions_version_number"`
	Number      int    `gorm:"not null;uniqueIndex:idx_revisions_version_number"`
	Hash        string `gorm:"size:64;not null;index"`
	Format      string `gorm:"size:10;not null"`
	SpecVersion string `gorm:"size:20;not null"`
	Title       string `gorm:"size:500;not null;default:''"`
	SizeBytes   int64  `gorm:"not null"`
	Content     string `gorm:"type:text;not null"`
	CreatedBy   string `gorm:"size:200;not null;default:''"`
	CreatedAt   time.Time
	// Changes are the classified changes from the revision before, as the
	// JSON of a breaking.Report; empty for a first revision or when the two
	// could not be compared. The counts say the same at a glance.
	Changes       string `gorm:"type:text;not null;default:''"`
	BreakingCount int    `gorm:"not null;default:0"`
	WarningCount  int    `gorm:"not null;default:0"`
	InfoCount     int    `gorm:"not null;default:0"`
	// Excepted is set when the revision became current through an approved
	// exception to the breaking-change policy.
	Excepted bool `gorm:"not null;default:false"`
}

// Endpoint is an operation of a version, derived from its current spec.
type Endpoint struct {
	ID          uint   `gorm:"primaryKey"`
	VersionID   uint   `gorm:"not null;index"`
	Method      string `gorm:"size:10;not null"`
	Path        string `gorm:"size:2000;not null"`
	OperationID string `gorm:"size:500;not null;default:''"`
	Summary     string `gorm:"type:text;not null;default:''"`
	Deprecated  bool   `gorm:"not null;default:false"`
}

// AuditEvent records one change: who, what, to which object, from where.
// The application only ever inserts these rows.
type AuditEvent struct {
	ID         uint      `gorm:"primaryKey"`
	At         time.Time `gorm:"not null;index"`
	Actor      string    `gorm:"size:200;not null"`
	Action     string    `gorm:"size:60;not null;index"`
	ObjectType string    `gorm:"size:40;not null;index:idx_audit_object"`
	ObjectKey  string    `gorm:"size:200;not null;index:idx_audit_object"`
	Detail     string    `gorm:"type:text;not null;default:''"` // JSON: before/after
	RequestID  string    `gorm:"size:64;not null;default:''"`
	ClientIP   string    `gorm:"size:64;not null;default:''"`
	TokenName  string    `gorm:"size:100;not null;default:''"`
}
