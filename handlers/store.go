package handlers

import (
	"context"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
)

// Store is what the handlers need from persistence; *models.Store
// implements it.
type Store interface {
	Readiness
	Memberships
	Scorecards
	Standards // standards_store.go: drafts, previews, publishing, waivers
	Overviews
	PendingRevisions // pending_revision.go: the breaking-change policy
	Sources          // sources.go: traffic sources and ingest keys
	JobRecords       // jobs_admin.go: job runs and schedules
	Traffic          // traffic.go: rollups per version
	RuntimeScores    // drift.go: runtime scorecards and drift
	Discovery        // discovered.go: hosts no deployment claims
	Lifecycle        // lifecycle.go: stage changes and their timeline
	Notifications    // webhooks.go, inbox.go: outgoing webhooks, deliveries, inboxes
	Retirements      // retirement.go: retirement cases, zombie verdicts

	ListTeams(ctx context.Context) ([]models.TeamSummary, error)
	GetTeam(ctx context.Context, slug string) (*models.Team, error)
	CreateTeam(ctx context.Context, actor catalog.Actor, in catalog.TeamInput) (*models.Team, error)
	UpdateTeam(ctx context.Context, actor catalog.Actor, slug string, in catalog.TeamInput) (*models.Team, error)
	DeleteTeam(ctx context.Context, actor catalog.Actor, slug string) error

	ListAPIs(ctx context.Context, q catalog.ListQuery) (*models.APIPage, error)
	SearchCatalogue(ctx context.Context, q catalog.ListQuery) (*models.APIPage, *models.Facets, error)
	// CatalogueGeneration moves with every change to the catalogue, from
	// any replica; pages kept per generation are rebuilt when it does.
	CatalogueGeneration(ctx context.Context) (int64, error)
	GetAPI(ctx context.Context, slug string) (*models.APIDetail, error)
	CreateAPI(ctx context.Context, actor catalog.Actor, in catalog.APIInput) (*models.API, error)
	UpdateAPI(ctx context.Context, actor catalog.Actor, slug string, in catalog.APIInput) (*models.API, error)
	DeleteAPI(ctx context.Context, actor catalog.Actor, slug string) error

	GetVersion(ctx context.Context, apiSlug, name string) (*models.VersionDetail, error)
	ListEndpoints(ctx context.Context, versionID uint) ([]models.Endpoint, error)
	CreateVersion(ctx context.Context, actor catalog.Actor, apiSlug string, in catalog.VersionInput) (*models.Version, error)
	UpdateVersion(ctx context.Context, actor catalog.Actor, apiSlug, name string, in catalog.VersionInput) (*models.Version, error)
	DeleteVersion(ctx context.Context, actor catalog.Actor, apiSlug, name string) error
	PutDeployment(ctx context.Context, actor catalog.Actor, apiSlug, version string, in catalog.DeploymentInput) (*models.Deployment, error)
	DeleteDeployment(ctx context.Context, actor catalog.Actor, apiSlug, version, env string) error

	SaveSpec(ctx context.Context, actor catalog.Actor, apiSlug, version string, up models.SpecUpload) (*models.SpecRevision, bool, error)
	GetRevision(ctx context.Context, apiSlug, version string, number int) (*models.SpecRevision, error)
	AuditFor(ctx context.Context, objectType, objectKey string, limit int) ([]models.AuditEvent, error)
}

// Memberships and tokens are what the team and token pages need.
type Memberships interface {
	ListMembers(ctx context.Context, teamSlug string) ([]models.MemberRow, error)
	SetMember(ctx context.Context, actor catalog.Actor, teamSlug string, userID uint, role string) error
	RemoveMember(ctx context.Context, actor catalog.Actor, teamSlug string, userID uint) error
	SetTeamGroup(ctx context.Context, actor catalog.Actor, teamSlug, group string) error
	FindUserByEmail(ctx context.Context, email string) (*models.User, error)
	CreateToken(ctx context.Context, actor catalog.Actor, t models.APIToken, secret string) (*models.APIToken, error)
	ListTokens(ctx context.Context, userID uint, teamSlugs []string) ([]models.TokenRow, error)
	GetToken(ctx context.Context, id uint) (*models.TokenRow, error)
	RevokeToken(ctx context.Context, actor catalog.Actor, id uint) error
	ListAudit(ctx context.Context, f models.AuditFilter) ([]models.AuditEvent, int64, error)
}

// Scorecards is what the scorecard pages need.
type Scorecards interface {
	CurrentStandard(ctx context.Context) (*models.Standard, *models.StandardVersion, error)
	GetStandardVersion(ctx context.Context, id uint) (*models.StandardVersion, error)
	LatestScorecard(ctx context.Context, versionID uint) (*models.ScorecardRow, error)
	ScoreHistory(ctx context.Context, versionID uint, limit int) ([]models.ScorecardRow, error)
}

// Overviews is what the governance overview and team reports need.
type Overviews interface {
	GradeDistribution(ctx context.Context) ([]models.GradeCount, error)
	SummarizeScores(ctx context.Context, f models.LatestScorecardsFilter, topRules int) (*models.ScoreSummary, error)
	Movers(ctx context.Context, since time.Time, limit int) ([]models.Mover, error)
	// The overview job's snapshots (overview.go).
	LatestGovernanceSnapshot(ctx context.Context, teamSlug string) (*models.GovernanceSnapshot, error)
	LatestGovernanceSnapshots(ctx context.Context) ([]models.GovernanceSnapshot, error)
	GovernanceHistory(ctx context.Context, since time.Time, scopes ...string) ([]models.GovernanceSnapshot, error)
	GovernanceMembers(ctx context.Context, q models.MemberQuery) ([]models.FigureMember, int64, error)
}

// PendingRevisions is what the breaking-change policy needs: uploads held
// back, and the exceptions that let them through.
type PendingRevisions interface {
	HoldSpec(ctx context.Context, actor catalog.Actor, apiSlug, version string, baseID uint, up models.SpecUpload) (*models.PendingRevision, error)
	GetPendingRevision(ctx context.Context, apiSlug, version string, id uint) (*models.PendingRevision, error)
	PendingRevisions(ctx context.Context, versionID uint, limit int) ([]models.PendingRevision, error)
	RequestException(ctx context.Context, actor catalog.Actor, apiSlug, version string, id uint, reason string) (*models.PendingRevision, error)
	DecideException(ctx context.Context, actor catalog.Actor, apiSlug, version string, id uint, approve bool, note string, up models.SpecUpload) (*models.PendingRevision, *models.SpecRevision, error)
	WithdrawPendingRevision(ctx context.Context, actor catalog.Actor, apiSlug, version string, id uint) (*models.PendingRevision, error)
	ListPendingRevisions(ctx context.Context, f models.PendingFilter) ([]models.PendingRevisionRow, int64, error)
}
